//! The embedded admin web UI at `/engine/admin/`: the files of `ui/dist`
//! (built from `ui/` and committed, so building the binary needs no
//! Node.js). GET and HEAD only. Files under `assets/` have content hashes in
//! their names and are cached for a year; `index.html` is revalidated on
//! every load. Any other path under `/engine/admin/` gets `index.html`, so
//! the UI's own routes survive a reload.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_embed::RustEmbed;
use serde_json::{json, Value};

use super::auth::EditorUser;
use crate::http::AppState;
use crate::observe::Sample;

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
        .route("/api/status", get(status))
}

/// `GET /engine/api/status` (editors and admins): what the dashboard shows
/// beyond `/health`: request counts since start by status class, script
/// runs and failures, open connections. Totals only (no per-route or
/// per-script series), read from the metrics registry.
async fn status(_: EditorUser, State(state): State<AppState>) -> Json<Value> {
    let sample = Sample {
        sse: state.streams().status().iter().map(|s| s.2).sum(),
        queue_depth: state.runtime().queue_depth(),
        store_bytes: std::fs::metadata(&state.config().data).map_or(0, |m| m.len()),
    };
    let text = state.observe().metrics.render(sample);
    let t = Totals::parse(&text);
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": env!("AIWEBENGINE_GIT_COMMIT"),
        "build_date": env!("AIWEBENGINE_BUILD_DATE"),
        "uptime_seconds": state.started().elapsed().as_secs(),
        "requests": {
            "total": t.requests.iter().sum::<f64>() as u64,
            "2xx": t.requests[2] as u64, "3xx": t.requests[3] as u64,
            "4xx": t.requests[4] as u64, "5xx": t.requests[5] as u64,
            "mean_ms": if t.count > 0.0 { (t.seconds / t.count * 1e6).round() / 1e3 } else { 0.0 },
        },
        "script_runs": t.get("aiwebengine_js_invocations_total") as u64,
        "script_failures": t.get("aiwebengine_js_errors_total") as u64,
        "connections": t.get("aiwebengine_http_connections_open") as u64,
        "sse_connections": t.get("aiwebengine_sse_connections") as u64,
        "rate_limited": t.get("aiwebengine_http_rate_limited_total") as u64,
        "memory_bytes": t.get("process_resident_memory_bytes") as u64,
        "store_bytes": t.get("aiwebengine_store_size_bytes") as u64,
    }))
}

/// Sums of the metric families in an OpenMetrics text exposition.
#[derive(Default)]
struct Totals {
    /// HTTP requests by the first digit of the status (index 1..=5).
    requests: [f64; 6],
    seconds: f64,
    count: f64,
    sums: std::collections::HashMap<String, f64>,
}

impl Totals {
    fn parse(text: &str) -> Totals {
        let mut t = Totals::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            let name = series.split('{').next().unwrap_or(series);
            match name {
                "aiwebengine_http_requests_total" => {
                    let class = series
                        .split("status=\"")
                        .nth(1)
                        .and_then(|s| s.bytes().next())
                        .map_or(0, |b| usize::from(b.saturating_sub(b'0')));
                    if class < t.requests.len() {
                        t.requests[class] += value;
                    }
                }
                "aiwebengine_http_request_duration_seconds_sum" => t.seconds = value,
                "aiwebengine_http_request_duration_seconds_count" => t.count = value,
                _ => *t.sums.entry(name.to_string()).or_default() += value,
            }
        }
        t
    }

    fn get(&self, name: &str) -> f64 {
        self.sums.get(name).copied().unwrap_or(0.0)
    }
}

/// The admin UI's stylesheet (hashed name), for the server-rendered setup
/// page, so that it looks like the rest of the UI.
pub(super) fn app_css() -> Option<String> {
    Dist::iter()
        .find(|n| n.starts_with("assets/app-") && n.ends_with(".css"))
        .map(|n| format!("{PREFIX}{n}"))
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
    fn totals_sum_requests_by_status_class() {
        let text = "# HELP x\n\
aiwebengine_http_requests_total{route=\"/a\",status=\"200\"} 3\n\
aiwebengine_http_requests_total{route=\"/b\",status=\"404\"} 2\n\
aiwebengine_http_requests_total{route=\"/b\",status=\"500\"} 1\n\
aiwebengine_http_request_duration_seconds_sum 0.5\n\
aiwebengine_http_request_duration_seconds_count 6\n\
aiwebengine_js_errors_total{script=\"a.js\",kind=\"exception\"} 4\n\
aiwebengine_js_errors_total{script=\"b.js\",kind=\"timeout\"} 1\n";
        let t = Totals::parse(text);
        assert_eq!(t.requests, [0.0, 0.0, 3.0, 0.0, 2.0, 1.0]);
        assert_eq!(t.count, 6.0);
        assert_eq!(t.get("aiwebengine_js_errors_total"), 5.0);
        assert_eq!(t.get("missing"), 0.0);
    }

    #[test]
    fn the_setup_page_finds_the_app_stylesheet() {
        let css = app_css().expect("ui/dist has assets/app-*.css");
        assert!(css.starts_with("/engine/admin/assets/app-"), "{css}");
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
