//! OAuth access tokens on `/mcp` (issue 12, docs/mcp-auth.md): good for
//! this engine's `/mcp` only, and 401s that start a client's OAuth flow.

mod common;
mod oauth_flow;

use common::*;
use oauth_flow::*;

/// An `initialize` on `/mcp` with `bearer`, under the `Host` given.
async fn mcp_initialize(eng: &Engine, bearer: Option<&str>, host: Option<&str>) -> Resp {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "oauth-test", "version": "1"}}});
    let mut rb = eng
        .req("POST", "/mcp")
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(b) = bearer {
        rb = rb.bearer_auth(b);
    }
    if let Some(h) = host {
        rb = rb.header("host", h);
    }
    send(rb).await
}

#[tokio::test]
async fn test_req_mcp_001_oauth_token_opens_mcp_for_its_resource_only() {
    let eng = Engine::start().await;
    // No token: 401 with the challenge that starts the OAuth flow.
    let r = mcp_initialize(&eng, None, None).await;
    assert_eq!(r.status, 401);
    let want = format!(
        "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        eng.server.base
    );
    assert!(
        r.header("www-authenticate").unwrap().contains(&want),
        "{:?}",
        r.header("www-authenticate")
    );

    let client = register(&eng).await;
    let b = browser(&eng).await;
    let c = code(&eng, &b, &client).await;
    let t = exchange(&eng, &client, &c, VERIFIER).await.json();
    let access = t["access_token"].as_str().unwrap().to_string();
    let r = mcp_initialize(&eng, Some(&access), None).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The same engine under another name is another resource: refused.
    let port = eng.server.addr.rsplit(':').next().unwrap();
    let r = mcp_initialize(&eng, Some(&access), Some(&format!("localhost:{port}"))).await;
    assert_eq!(r.status, 401, "{}", r.text());
    let challenge = r.header("www-authenticate").unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains(&format!(
            "http://localhost:{port}/.well-known/oauth-protected-resource/mcp"
        )),
        "{challenge}"
    );

    // Revoked (RFC 7009): the next call gets 401.
    let form = [("token", access.as_str()), ("client_id", client.as_str())];
    assert_eq!(
        send(eng.req("POST", "/engine/oauth/revoke").form(&form))
            .await
            .status,
        200
    );
    assert_eq!(mcp_initialize(&eng, Some(&access), None).await.status, 401);
}
