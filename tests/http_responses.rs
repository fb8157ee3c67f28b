//! What handlers return (issue 3 §5, REQ-HTTP-003): content-type defaults,
//! status and headers, and validation of invalid responses in production
//! (500 `invalid_response`) and in `--dev` (best effort).

mod common;

use common::*;

const RESPONSES: &str = include_str!("test_scripts/responses.js");

async fn responses_engine(opts: Opts) -> Engine {
    let eng = Engine::start_with(opts).await;
    eng.deploy("responses.js", RESPONSES).await;
    eng
}

#[tokio::test]
async fn test_req_http_003_content_type_defaults() {
    let eng = responses_engine(Opts::default()).await;
    for path in ["/ct/doctype", "/ct/html-upper"] {
        let r = eng.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.content_type().starts_with("text/html"),
            "{path}: {}",
            r.content_type()
        );
    }
    let r = eng.get("/ct/text").await;
    assert!(
        r.content_type().starts_with("text/plain"),
        "{}",
        r.content_type()
    );
    assert_eq!(r.text(), "plain words, then <html>");

    let r = eng.get("/ct/object").await;
    assert!(
        r.content_type().starts_with("application/json"),
        "{}",
        r.content_type()
    );
    assert_eq!(r.json(), json!({"a": 1, "list": [1, 2]}));

    let r = eng.get("/ct/bytes").await;
    assert_eq!(r.content_type(), "application/octet-stream");
    assert_eq!(r.body, vec![0u8, 1, 2, 254, 255]);
}

#[tokio::test]
async fn test_req_http_003_status_headers_and_shortcuts() {
    let eng = responses_engine(Opts::default()).await;
    let r = eng.get("/ct/no-content").await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());

    let r = eng.get("/ct/string-return").await;
    assert_eq!(r.status, 200);
    assert!(
        r.content_type().starts_with("text/plain"),
        "{}",
        r.content_type()
    );
    assert_eq!(r.text(), "just a string");

    let r = eng.get("/ct/custom").await;
    assert_eq!(r.status, 201);
    assert!(
        r.content_type().starts_with("text/csv"),
        "{}",
        r.content_type()
    );
    assert_eq!(r.header("x-custom-header").as_deref(), Some("custom-value"));
    assert_eq!(r.text(), "a,b\n1,2\n");
}

#[tokio::test]
async fn test_req_http_003_invalid_status_is_500_in_production() {
    let eng = responses_engine(Opts::default()).await;
    let r = eng.get("/bad/status").await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.code(), "invalid_response", "{}", r.text());
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains("2000"), "names the bad status: {message}");
    assert!(message.contains("200"), "suggests 200: {message}");
}

#[tokio::test]
async fn test_req_http_003_bad_header_and_body_types_are_500() {
    let eng = responses_engine(Opts::default()).await;
    for path in ["/bad/header", "/bad/body", "/bad/symbol"] {
        let r = eng.get(path).await;
        assert_eq!(r.status, 500, "{path}: {}", r.text());
        assert_eq!(r.code(), "invalid_response", "{path}: {}", r.text());
        assert!(
            r.header("injected").is_none(),
            "{path}: no header injection"
        );
        let message = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(!message.is_empty(), "{path}: message says what is wrong");
    }
}

#[tokio::test]
async fn test_req_http_003_invalid_response_is_best_effort_in_dev() {
    let eng = responses_engine(Opts::dev()).await;
    let r = eng.get("/bad/status").await;
    assert_ne!(
        r.status,
        500,
        "--dev answers best effort, not 500: {}",
        r.text()
    );
    assert_ne!(r.code(), "invalid_response");
    assert!(
        r.text().contains("typo"),
        "best effort keeps the body: {}",
        r.text()
    );
    let r = eng.get("/bad/header").await;
    assert_ne!(r.status, 500, "--dev: {}", r.text());
    assert!(r.header("injected").is_none(), "never injects a header");
    // The warning lands in the script log.
    eng.wait_log("responses.js", |e| {
        e["level"] == "warn" && msg(e).contains("2000")
    })
    .await;
}

#[tokio::test]
async fn test_req_http_003_questionable_response_is_a_logged_warning() {
    let eng = responses_engine(Opts::default()).await;
    let r = eng.get("/odd/html-as-text").await;
    assert_eq!(r.status, 200, "legal responses are served: {}", r.text());
    assert!(
        r.content_type().starts_with("text/plain"),
        "declared type kept"
    );
    eng.wait_log("responses.js", |e| e["level"] == "warn").await;
}
