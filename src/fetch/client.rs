//! One exchange: the request with a manual redirect loop (each hop checked
//! against the rules), then the body, read as the script asks for it,
//! under the size limit and the fetch's deadline.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, LOCATION};
use reqwest::{Method, StatusCode};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::timeout_at;
use url::Url;

use super::policy::{check_url, Refusal};
use super::{Budget, FetchConfig, FetchError, Fetcher};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    Follow,
    Error,
    /// The 3xx response itself is the answer.
    Manual,
}

#[derive(Debug, Clone)]
pub struct OutRequest {
    pub script: Arc<str>,
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub redirect: Redirect,
}

/// What the script asks of the body; the number is its operation id.
#[derive(Debug)]
pub enum Read {
    /// The next chunk, or the end.
    Chunk(u64),
    /// The rest of the body at once.
    All(u64),
}

#[derive(Debug)]
pub struct Head {
    pub status: u16,
    pub status_text: String,
    pub url: String,
    pub redirected: bool,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug)]
pub enum Event {
    Head(Head),
    /// A chunk for read `op`; `None` at the end of the body.
    Chunk(u64, Option<Bytes>),
    All(u64, Bytes),
    /// The head (`op = None`) or read `op` failed.
    Failed(Option<u64>, FetchError),
}

pub(super) async fn exchange(
    f: &Fetcher,
    req: OutRequest,
    budget: Budget,
    mut reads: UnboundedReceiver<Read>,
    mut emit: impl FnMut(Event),
) {
    let shown = req.url.to_string();
    let timed_out = || {
        FetchError::Timeout(format!(
            "fetch to {shown} timed out after {} ms (limit: {})",
            budget.ms, budget.limit
        ))
    };
    let sent = timeout_at(budget.deadline.into(), send(f, req)).await;
    let (head, resp) = match sent {
        Err(_) => return emit(Event::Failed(None, timed_out())),
        Ok(Err(e)) => return emit(Event::Failed(None, e)),
        Ok(Ok(r)) => r,
    };
    let max = f.cfg.max_response_bytes;
    let too_large = || {
        FetchError::TooLarge(format!(
            "fetch to {shown}: the response body is larger than js.fetch.max_response_bytes = {max} bytes"
        ))
    };
    if resp.content_length().is_some_and(|n| n > max) {
        return emit(Event::Failed(None, too_large()));
    }
    emit(Event::Head(head));
    let mut body = Body {
        resp,
        read: 0,
        max,
        shown: &shown,
    };
    // Waiting for the script to ask counts against the deadline too: a
    // body nobody reads must not hold a connection (and a slot) forever.
    while let Ok(Some(cmd)) = timeout_at(budget.deadline.into(), reads.recv()).await {
        let (op, all) = match cmd {
            Read::Chunk(op) => (op, false),
            Read::All(op) => (op, true),
        };
        let r = timeout_at(budget.deadline.into(), body.next(all)).await;
        let done = match r {
            Err(_) => return emit(Event::Failed(Some(op), timed_out())),
            Ok(Err(BodyError::TooLarge)) => return emit(Event::Failed(Some(op), too_large())),
            Ok(Err(BodyError::Network(e))) => return emit(Event::Failed(Some(op), e)),
            Ok(Ok(chunk)) if all => {
                emit(Event::All(op, chunk.unwrap_or_default()));
                true
            }
            Ok(Ok(chunk)) => {
                let end = chunk.is_none();
                emit(Event::Chunk(op, chunk));
                end
            }
        };
        if done {
            return;
        }
    }
}

enum BodyError {
    TooLarge,
    Network(FetchError),
}

struct Body<'a> {
    resp: reqwest::Response,
    read: u64,
    max: u64,
    shown: &'a str,
}

impl Body<'_> {
    /// The next chunk (`all = false`) or everything left (`Some` even when
    /// empty); `None` at the end.
    async fn next(&mut self, all: bool) -> Result<Option<Bytes>, BodyError> {
        let mut acc = Vec::new();
        loop {
            let chunk = self.resp.chunk().await.map_err(|e| {
                BodyError::Network(FetchError::Network(format!(
                    "fetch to {}: reading the response body failed: {}",
                    self.shown,
                    root_cause(&e)
                )))
            })?;
            let Some(chunk) = chunk else {
                return Ok(all.then(|| Bytes::from(acc)));
            };
            self.read += chunk.len() as u64;
            if self.read > self.max {
                return Err(BodyError::TooLarge);
            }
            if !all {
                return Ok(Some(chunk));
            }
            acc.extend_from_slice(&chunk);
        }
    }
}

/// Sends, following redirects by hand so each hop meets the rules.
async fn send(f: &Fetcher, mut req: OutRequest) -> Result<(Head, reqwest::Response), FetchError> {
    let shown = req.url.to_string();
    let mut hops = 0usize;
    loop {
        check_url(&f.cfg, &req.script, &req.url).map_err(|r| refused(&shown, hops, &req.url, r))?;
        let mut rb = f
            .client
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone());
        if let Some(body) = &req.body {
            rb = rb.body(body.clone());
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| describe(&shown, hops, &req.url, e))?;
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let location = match location {
            Some(l) if resp.status().is_redirection() && req.redirect != Redirect::Manual => l,
            _ => return Ok((head(&resp, hops > 0), resp)),
        };
        if req.redirect == Redirect::Error {
            return Err(FetchError::Network(format!(
                "fetch to {shown} failed: the server redirected to {location} and the request has redirect: \"error\""
            )));
        }
        hops += 1;
        if hops > f.cfg.max_redirects {
            return Err(FetchError::Network(format!(
                "fetch to {shown} failed: more than js.fetch.max_redirects = {} redirects",
                f.cfg.max_redirects
            )));
        }
        req = next_hop(&f.cfg, req, resp.status(), &location)
            .map_err(|r| FetchError::Refused(format!("fetch to {shown} refused: {}", r.reason)))?;
    }
}

/// The request for the next hop of a redirect, already checked against the
/// rules: method and body per the Fetch standard, credentials dropped when
/// the origin changes.
pub(crate) fn next_hop(
    cfg: &FetchConfig,
    mut req: OutRequest,
    status: StatusCode,
    location: &str,
) -> Result<OutRequest, Refusal> {
    let next = req.url.join(location).map_err(|e| Refusal {
        reason: format!("redirect to {location:?}: not a valid URL ({e})"),
    })?;
    check_url(cfg, &req.script, &next).map_err(|r| Refusal {
        reason: format!("redirect to {next}: {}", r.reason),
    })?;
    let to_get = status == StatusCode::SEE_OTHER && req.method != Method::HEAD
        || matches!(status.as_u16(), 301 | 302) && req.method == Method::POST;
    if to_get {
        req.method = Method::GET;
        req.body = None;
        for h in [
            "content-type",
            "content-length",
            "content-encoding",
            "content-language",
            "content-location",
        ] {
            req.headers.remove(h);
        }
    }
    if next.origin() != req.url.origin() {
        for h in ["authorization", "cookie", "proxy-authorization"] {
            req.headers.remove(HeaderName::from_static(h));
        }
    }
    req.url = next;
    Ok(req)
}

fn refused(shown: &str, hops: usize, at: &Url, r: Refusal) -> FetchError {
    let via = if hops > 0 {
        format!("redirect to {at}: ")
    } else {
        String::new()
    };
    FetchError::Refused(format!("fetch to {shown} refused: {via}{}", r.reason))
}

fn head(resp: &reqwest::Response, redirected: bool) -> Head {
    Head {
        status: resp.status().as_u16(),
        status_text: resp.status().canonical_reason().unwrap_or("").to_string(),
        url: resp.url().to_string(),
        redirected,
        headers: resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

/// A refusal by the resolver keeps its own words; anything else is a
/// network failure with its innermost cause.
fn describe(shown: &str, hops: usize, at: &Url, e: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<super::AddressRefused>() {
            let reason = r.to_string();
            return refused(shown, hops, at, Refusal { reason });
        }
        source = s.source();
    }
    let what = if e.is_connect() {
        format!("could not connect to {}", at.host_str().unwrap_or(""))
    } else {
        "the request failed".to_string()
    };
    FetchError::Network(format!(
        "fetch to {shown} failed: {what}: {}",
        root_cause(&e)
    ))
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(url: &str, method: Method) -> OutRequest {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer x".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        OutRequest {
            script: "blog.js".into(),
            method,
            url: Url::parse(url).unwrap(),
            headers,
            body: Some(Bytes::from_static(b"{}")),
            redirect: Redirect::Follow,
        }
    }

    fn open() -> FetchConfig {
        FetchConfig {
            allow: vec!["*".into()],
            ..FetchConfig::default()
        }
    }

    #[test]
    fn test_req_sec_004_redirect_to_private_address_is_refused() {
        let r = req("http://public.example/start", Method::GET);
        for target in [
            "http://127.0.0.1:8080/admin",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://[::1]/",
        ] {
            let e = next_hop(&open(), r.clone(), StatusCode::FOUND, target).unwrap_err();
            assert!(
                e.reason.starts_with(&format!("redirect to {target}"))
                    && e.reason.contains("js.fetch.allow_private = true"),
                "{target}: {}",
                e.reason
            );
        }
    }

    #[test]
    fn test_req_sec_004_redirect_to_a_host_not_allowed_is_refused() {
        let cfg = FetchConfig {
            allow: vec!["public.example".into()],
            ..FetchConfig::default()
        };
        let r = req("http://public.example/start", Method::GET);
        let e = next_hop(
            &cfg,
            r.clone(),
            StatusCode::FOUND,
            "https://other.example/x",
        )
        .unwrap_err();
        assert!(
            e.reason
                .contains("host other.example is not in js.fetch.allow"),
            "{}",
            e.reason
        );
        let ok = next_hop(&cfg, r, StatusCode::FOUND, "/next").unwrap();
        assert_eq!(ok.url.as_str(), "http://public.example/next");
    }

    #[test]
    fn redirect_method_and_credentials() {
        let post = req("http://a.example/form", Method::POST);
        let r = next_hop(
            &open(),
            post.clone(),
            StatusCode::SEE_OTHER,
            "http://a.example/done",
        )
        .unwrap();
        assert_eq!(r.method, Method::GET);
        assert!(r.body.is_none() && !r.headers.contains_key("content-type"));
        assert!(
            r.headers.contains_key("authorization"),
            "same origin keeps credentials"
        );
        let r = next_hop(
            &open(),
            post,
            StatusCode::TEMPORARY_REDIRECT,
            "http://b.example/",
        )
        .unwrap();
        assert_eq!(r.method, Method::POST);
        assert!(r.body.is_some());
        assert!(
            !r.headers.contains_key("authorization"),
            "cross origin drops credentials"
        );
    }
}
