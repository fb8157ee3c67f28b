//! What the listeners add around the app: a 308 from plain HTTP to HTTPS,
//! and `Strict-Transport-Security` over HTTPS.

use std::net::SocketAddr;

use axum::body::Body;
use hyper::header::{HeaderMap, HeaderValue, HOST, LOCATION, STRICT_TRANSPORT_SECURITY};
use hyper::{Request, Response, StatusCode};

use crate::config::TlsSection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redirect {
    NonLoopback,
    Always,
    Never,
}

/// Built once per server from config and the bound HTTPS port.
#[derive(Debug)]
pub struct Edge {
    /// None when HTTPS is off: nothing to redirect to.
    https_port: Option<u16>,
    redirect: Redirect,
    hsts: Option<HeaderValue>,
}

impl Edge {
    /// `self_signed`: browsers ignore HSTS from an untrusted certificate, and
    /// a pin set now would block a later move to a real one, so `hsts =
    /// "auto"` sends it only with a configured certificate.
    pub fn new(tls: &TlsSection, https_port: Option<u16>, self_signed: bool) -> Edge {
        let redirect = match tls.https_redirect.as_str() {
            "always" => Redirect::Always,
            "never" => Redirect::Never,
            _ => Redirect::NonLoopback,
        };
        let send_hsts = match tls.hsts.as_str() {
            "always" => true,
            "never" => false,
            _ => !self_signed,
        };
        let hsts = (https_port.is_some() && send_hsts)
            .then(|| HeaderValue::from_str(&format!("max-age={}", tls.hsts_max_age_secs)).ok())
            .flatten();
        Edge {
            https_port,
            redirect,
            hsts,
        }
    }

    /// The 308 a plain-HTTP request gets instead of an answer, if any.
    /// Health probes and `/metrics` are always answered on plain HTTP.
    pub fn redirect<B>(&self, req: &Request<B>, peer: SocketAddr) -> Option<Response<Body>> {
        let port = self.https_port?;
        let wanted = match self.redirect {
            Redirect::Never => false,
            Redirect::Always => true,
            Redirect::NonLoopback => !peer.ip().to_canonical().is_loopback(),
        };
        let path = req.uri().path();
        if !wanted || path.starts_with("/health") || path == "/metrics" {
            return None;
        }
        // Without a usable Host there is no URL to send the client to.
        let host = host_of(req)?;
        let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let location = match port {
            443 => format!("https://{host}{target}"),
            p => format!("https://{host}:{p}{target}"),
        };
        let location = HeaderValue::from_str(&location).ok()?;
        let mut resp = Response::new(Body::from("use HTTPS\n"));
        *resp.status_mut() = StatusCode::PERMANENT_REDIRECT;
        resp.headers_mut().insert(LOCATION, location);
        Some(resp)
    }

    /// Adds HSTS to an HTTPS response, unless the script already set it.
    pub fn add_hsts(&self, headers: &mut HeaderMap) {
        if let Some(v) = &self.hsts {
            headers
                .entry(STRICT_TRANSPORT_SECURITY)
                .or_insert_with(|| v.clone());
        }
    }
}

/// The request's host name without its port (`[::1]` keeps its brackets).
fn host_of<B>(req: &Request<B>) -> Option<String> {
    let raw = match req.headers().get(HOST) {
        Some(h) => h.to_str().ok()?,
        None => req.uri().authority()?.as_str(),
    };
    let host = match raw.rfind(':') {
        Some(i) if !raw[i..].contains(']') => &raw[..i],
        _ => raw,
    };
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b));
    ok.then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(redirect: &str) -> Edge {
        let tls = TlsSection {
            https_redirect: redirect.into(),
            ..TlsSection::default()
        };
        Edge::new(&tls, Some(8443), true)
    }

    fn req(host: &str, path: &str) -> Request<()> {
        Request::builder()
            .uri(path)
            .header(HOST, host)
            .body(())
            .unwrap()
    }

    #[test]
    fn redirects_remote_clients_but_not_loopback_or_probes() {
        let e = edge("non-loopback");
        let remote: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        let local: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        let r = e
            .redirect(&req("example.test:8080", "/a?b=1"), remote)
            .unwrap();
        assert_eq!(r.status(), 308);
        assert_eq!(r.headers()[LOCATION], "https://example.test:8443/a?b=1");
        assert!(e.redirect(&req("x", "/a"), local).is_none());
        assert!(e.redirect(&req("x", "/health/ready"), remote).is_none());
        assert!(e.redirect(&req("x", "/metrics"), remote).is_none());
        assert!(edge("never").redirect(&req("x", "/"), remote).is_none());
    }

    #[test]
    fn keeps_ipv6_brackets_and_rejects_odd_hosts() {
        let e = edge("always");
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let r = e.redirect(&req("[::1]:8080", "/"), peer).unwrap();
        assert_eq!(r.headers()[LOCATION], "https://[::1]:8443/");
        assert!(e.redirect(&req("a b", "/"), peer).is_none());
    }

    #[test]
    fn hsts_only_for_a_real_certificate_unless_forced() {
        let mut h = HeaderMap::new();
        Edge::new(&TlsSection::default(), Some(1), true).add_hsts(&mut h);
        assert!(h.is_empty());
        Edge::new(&TlsSection::default(), Some(1), false).add_hsts(&mut h);
        assert_eq!(h[STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    }
}
