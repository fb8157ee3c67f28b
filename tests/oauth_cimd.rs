//! Client ID Metadata Documents (issue 12; the MCP authorization spec of
//! 2025-11-25): a client that never registered uses the URL of its metadata
//! document as its client_id; the engine fetches it, checks it, and runs
//! the usual consent, code and token flow. The documents are served by a
//! small HTTP server in this test on 127.0.0.1 (allowed only with
//! `oauth.client_metadata_private = true`).

mod common;
mod oauth_flow;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use common::*;
use oauth_flow::*;

/// Serves `/{name}` from a fixed set of documents; counts fetches.
struct DocHost {
    base: String,
    hits: Arc<AtomicUsize>,
}

async fn doc_host() -> DocHost {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let b = base.clone();
    let app = axum::Router::new()
        .route(
            "/{name}",
            get(
                |State((base, hits)): State<(String, Arc<AtomicUsize>)>,
                 Path(name): Path<String>| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    let me = format!("{base}/{name}");
                    let doc = match name.as_str() {
                        "good.json" => json!({"client_id": me, "client_name": "Metadata Agent",
                            "redirect_uris": [REDIRECT]}),
                        "impostor.json" => json!({"client_id": format!("{base}/good.json"),
                            "redirect_uris": [REDIRECT]}),
                        "secret.json" => json!({"client_id": me, "redirect_uris": [REDIRECT],
                            "token_endpoint_auth_method": "client_secret_basic"}),
                        "huge.json" => json!({"client_id": me, "redirect_uris": [REDIRECT],
                            "pad": "x".repeat(10_000)}),
                        "moved.json" => {
                            return (
                                axum::http::StatusCode::FOUND,
                                [("location", format!("{base}/good.json"))],
                            )
                                .into_response()
                        }
                        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
                    };
                    axum::Json(doc).into_response()
                },
            ),
        )
        .with_state((b, hits.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    DocHost { base, hits }
}

async fn private_engine() -> Engine {
    Engine::start_with(Opts::config("[oauth]\nclient_metadata_private = true\n")).await
}

#[tokio::test]
async fn test_req_mcp_001_oauth_client_id_metadata_document_flow() {
    let host = doc_host().await;
    let eng = private_engine().await;
    let v = eng
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(v["client_id_metadata_document_supported"], true, "{v}");

    let client_id = format!("{}/good.json", host.base);
    let b = browser(&eng).await;
    // The consent page names the client from its document and its URL.
    let q = authorize_query(&client_id, &eng, &[]);
    let page = send(
        eng.req("GET", "/engine/oauth/authorize")
            .query(&q)
            .header("cookie", &b.cookie),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("Metadata Agent"), "{}", page.text());
    assert!(page.text().contains(&client_id), "{}", page.text());

    let c = code(&eng, &b, &client_id).await;
    let t = exchange(&eng, &client_id, &c, VERIFIER).await;
    assert_eq!(t.status, 200, "{}", t.text());
    let t = t.json();
    let access = t["access_token"].as_str().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "cimd-test", "version": "1"}}});
    let r = send(
        eng.req("POST", "/mcp")
            .header("accept", "application/json, text/event-stream")
            .bearer_auth(access)
            .json(&init),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Refresh works with the URL as client_id too.
    let r = refresh(&eng, t["refresh_token"].as_str().unwrap(), &client_id).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The document was fetched once and then kept (three authorizations
    // and a refresh within the hour).
    assert_eq!(host.hits.load(Ordering::SeqCst), 1);

    // A redirect_uri the document does not list is refused on the page.
    let q = authorize_query(
        &client_id,
        &eng,
        &[("redirect_uri", "http://127.0.0.1:47000/other")],
    );
    let r = consent(&eng, &b, &q, "allow").await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test]
async fn test_req_mcp_001_oauth_bad_metadata_documents_are_refused_with_the_reason() {
    let host = doc_host().await;
    let eng = private_engine().await;
    let b = browser(&eng).await;
    let base = &host.base;
    for (name, why) in [
        ("impostor.json", "must be exactly its own URL"),
        ("secret.json", "token_endpoint_auth_method"),
        ("huge.json", "larger than"),
        ("moved.json", "answered 302"),
        ("missing.json", "answered 404"),
    ] {
        let client_id = format!("{base}/{name}");
        let q = authorize_query(&client_id, &eng, &[]);
        let r = send(
            eng.req("GET", "/engine/oauth/authorize")
                .query(&q)
                .header("cookie", &b.cookie),
        )
        .await;
        assert_eq!(r.status, 400, "{name}: {}", r.text());
        assert!(
            r.text().contains(why),
            "{name}: want {why:?} in {}",
            r.text()
        );
        // No code can be had for it either.
        let r = consent(&eng, &b, &q, "allow").await;
        assert_eq!(r.status, 400, "{name}: {}", r.text());
    }
    // A token request naming a document that was never accepted fails.
    let r = exchange(&eng, &format!("{base}/impostor.json"), "nope", VERIFIER).await;
    assert!(r.status == 400 || r.status == 401, "{}", r.text());
}

#[tokio::test]
async fn test_req_mcp_001_oauth_metadata_documents_on_private_addresses_are_refused_by_default() {
    let host = doc_host().await;
    let eng = Engine::start().await;
    let b = browser(&eng).await;
    let client_id = format!("{}/good.json", host.base);
    let q = authorize_query(&client_id, &eng, &[]);
    let r = send(
        eng.req("GET", "/engine/oauth/authorize")
            .query(&q)
            .header("cookie", &b.cookie),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    // Plain http is refused before any fetch; the engine never asked.
    assert!(r.text().contains("is not https"), "{}", r.text());
    assert_eq!(host.hits.load(Ordering::SeqCst), 0);
    let https_local = "https://127.0.0.1:1/client.json";
    let q = authorize_query(https_local, &eng, &[]);
    let r = send(
        eng.req("GET", "/engine/oauth/authorize")
            .query(&q)
            .header("cookie", &b.cookie),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("loopback address"), "{}", r.text());
}
