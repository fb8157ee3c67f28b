//! The embedded admin web UI at `/engine/admin/`: the files of `ui/dist`
//! (built from `ui/` and committed, so building the binary needs no
//! Node.js). GET and HEAD only. Files under `assets/` have content hashes in
//! their names and are cached for a year; `index.html` is revalidated on
//! every load. Any other path under `/engine/admin/` gets `index.html`, so
//! the UI's own routes survive a reload.

use axum::extract::OriginalUri;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "ui/dist/"]
struct Dist;

const PREFIX: &str = "/engine/admin/";

/// No inline script or style, nothing from another host, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The UI's routes, relative to the engine router (which is nested at
/// `/engine`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent(PREFIX) }))
        .route("/admin/", get(serve))
        .route("/admin/{*path}", get(serve))
}

async fn serve(uri: OriginalUri, req_headers: HeaderMap) -> Response {
    let path = uri.0.path().strip_prefix(PREFIX).unwrap_or("");
    let (name, file) = match Dist::get(path) {
        Some(file) if !path.is_empty() => (path, file),
        // A missing hashed asset must not turn into HTML.
        _ if path.starts_with("assets/") => return not_found(),
        _ => match Dist::get("index.html") {
            Some(file) => ("index.html", file),
            None => return not_found(),
        },
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let cache = if name.starts_with("assets/") {
        IMMUTABLE
    } else {
        "no-cache"
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(name)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    security_headers(&mut headers);
    let fresh = req_headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, file.data.into_owned()).into_response()
}

/// GraphiQL's page for `GET /graphql`. React and CodeMirror set inline
/// styles, so this page allows them; scripts stay same-origin only.
pub(super) fn graphiql() -> Response {
    const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";
    let Some(file) = Dist::get("graphiql.html") else {
        return not_found();
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(&mut headers);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(GRAPHIQL_CSP),
    );
    (headers, file.data.into_owned()).into_response()
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

fn not_found() -> Response {
    let mut headers = HeaderMap::new();
    security_headers(&mut headers);
    (
        StatusCode::NOT_FOUND,
        headers,
        super::ApiError::not_found("no such file in the admin UI"),
    )
        .into_response()
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        assert_eq!(mime("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            mime("assets/main-AB12.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime("assets/main-AB12.css"), "text/css; charset=utf-8");
        assert_eq!(mime("favicon.svg"), "image/svg+xml");
        assert_eq!(mime("noext"), "application/octet-stream");
    }

    #[test]
    fn dist_has_an_index_that_loads_only_local_hashed_assets() {
        let index = Dist::get("index.html").expect("ui/dist/index.html is built and committed");
        let html = std::str::from_utf8(&index.data).expect("utf-8");
        assert!(html.contains("/engine/admin/assets/"), "{html}");
        assert!(!html.contains("<script>"), "no inline script: {html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
    }
}
