//! Requests refused before routing because their bytes are not text: a
//! path or query whose percent-decoded bytes are not UTF-8, or a header
//! value that is not UTF-8 (scripts would see U+FFFD in its place): a
//! `400` with the code the API uses for each part (`invalid_path`,
//! `invalid_query`, `invalid_header`), and the connection is closed.
//!
//! Request smuggling is hyper's: conflicting `Content-Length`s, and a
//! `Transfer-Encoding` that does not end in `chunked`, are `400`s; with
//! both `Content-Length` and `Transfer-Encoding` the chunked body wins
//! (RFC 9112 §6.1), `Content-Length` is dropped before the request gets
//! here, and the connection is closed after the answer, so bytes after
//! the body are never read as a second request.

use axum::body::Body;
use axum::response::IntoResponse;
use hyper::header::{HeaderValue, CONNECTION};
use hyper::{Request, Response};

use crate::http::ApiError;

/// The `400` a request gets instead of an answer, if any.
pub fn refuse<B>(req: &Request<B>) -> Option<Response<Body>> {
    let bad_header = req
        .headers()
        .iter()
        .find(|(_, v)| std::str::from_utf8(v.as_bytes()).is_err());
    let err = if let Some((name, _)) = bad_header {
        ApiError::bad_request(
            "invalid_header",
            format!("the value of the header {name} is not UTF-8; send it as UTF-8 (percent-encode it if need be)"),
        )
    } else if !decodes_to_utf8(req.uri().path()) {
        let path = req.uri().path();
        ApiError::bad_request(
            "invalid_path",
            format!("bad path {path}: it is not UTF-8 once percent-decoded; percent-encode path segments as UTF-8"),
        )
    } else if !req.uri().query().is_none_or(decodes_to_utf8) {
        ApiError::bad_request(
            "invalid_query",
            "the query string is not UTF-8 once percent-decoded; percent-encode it as UTF-8",
        )
    } else {
        return None;
    };
    let mut resp = err.into_response();
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    Some(resp)
}

/// Borrows `s` when it has no `%` escape: no allocation on the usual path.
fn decodes_to_utf8(s: &str) -> bool {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn refuses_only_what_is_not_utf8() {
        let bad = Request::builder()
            .uri("/a")
            .header("x-a", HeaderValue::from_bytes(b"\xc3\x28").unwrap())
            .body(())
            .unwrap();
        assert!(refuse(&bad).is_some());
        assert!(refuse(&req("/a", &[("x-a", "caf\u{e9}")])).is_none());
        assert!(refuse(&req("/a/%FF", &[])).is_some());
        assert!(refuse(&req("/a?q=%C3%28", &[])).is_some());
        assert!(refuse(&req("/caf%C3%A9?q=%E2%9C%93", &[])).is_none());
    }
}
