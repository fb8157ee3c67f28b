//! Which responses tower-http's `CompressionLayer` may compress
//! (REQ-HTTP-009): bodies of at least the minimum size (or of unknown
//! size), and not images, audio, video, archives, opaque bytes or SSE.

use axum::http::{header, Response};
use tower_http::compression::Predicate;

#[derive(Clone, Copy, Debug)]
pub struct Compressible {
    pub min_bytes: u64,
}

/// Media types that are already compressed, or must stream unbuffered.
const SKIP_PREFIXES: [&str; 3] = ["image/", "audio/", "video/"];
const SKIP_TYPES: [&str; 14] = [
    "text/event-stream",
    "application/octet-stream",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/grpc",
    "font/woff",
    "font/woff2",
];

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        if response
            .body()
            .size_hint()
            .exact()
            .is_some_and(|n| n < self.min_bytes)
        {
            return false;
        }
        let Some(ct) = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        else {
            return true;
        };
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "image/svg+xml" {
            return true;
        }
        !SKIP_PREFIXES.iter().any(|p| essence.starts_with(p))
            && !SKIP_TYPES.contains(&essence.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn resp(ct: &str, len: usize) -> Response<Body> {
        Response::builder()
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(vec![b'a'; len]))
            .unwrap()
    }

    #[test]
    fn skips_small_bodies_images_archives_and_sse() {
        let p = Compressible { min_bytes: 1024 };
        assert!(p.should_compress(&resp("text/html; charset=utf-8", 2000)));
        assert!(p.should_compress(&resp("image/svg+xml", 2000)));
        assert!(!p.should_compress(&resp("text/html", 100)));
        assert!(!p.should_compress(&resp("image/png", 2000)));
        assert!(!p.should_compress(&resp("application/zip", 2000)));
        assert!(!p.should_compress(&resp("text/event-stream", 2000)));
        assert!(!p.should_compress(&resp("application/octet-stream", 2000)));
    }
}
