//! The MCP admin tools for a script's data and requests (issue 12,
//! "Built-in admin tools"): kv, assets, logs, and `call_route`'s bounds.

mod common;
mod mcp_admin_helpers;

use common::*;
use mcp_admin_helpers::*;

const KV_APP: &str = r#"
register('/put', async (req) => {
  const { key, value } = req.json;
  await kv.set(key, value);
  return 'ok';
}, 'POST');
"#;

#[tokio::test]
async fn test_req_mcp_003_admin_kv_get_and_list_a_scripts_data() {
    let t = Admin::start().await;
    let a = &t.alice;
    t.ok(a, "put_script", json!({"name": "kv.js", "source": KV_APP}))
        .await;
    for (k, v) in [
        (json!(["users", 1]), json!({"name": "ann"})),
        (json!(["users", 2]), json!({"name": "ben"})),
        (json!(["other"]), json!(7)),
    ] {
        let body = json!({"key": k, "value": v}).to_string();
        let r = t
            .ok(
                a,
                "call_route",
                json!({"method": "post", "path": "/put",
                "headers": {"content-type": "application/json"}, "body": body}),
            )
            .await;
        assert_eq!(r["status"], 200, "{r}");
    }
    let one = t
        .ok(a, "kv_get", json!({"script": "kv.js", "key": ["users", 2]}))
        .await;
    assert_eq!(one["value"], json!({"name": "ben"}));
    assert!(one["versionstamp"].is_string(), "{one}");
    let none = t
        .ok(a, "kv_get", json!({"script": "kv.js", "key": ["users", 3]}))
        .await;
    assert!(
        none["value"].is_null() && none["versionstamp"].is_null(),
        "{none}"
    );
    let users = t
        .ok(
            a,
            "kv_list",
            json!({"script": "kv.js", "prefix": ["users"]}),
        )
        .await;
    let keys: Vec<&Value> = users["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["key"])
        .collect();
    assert_eq!(keys, vec![&json!(["users", 1]), &json!(["users", 2])]);
    // Paging: one at a time, continuing after the cursor.
    let first = t
        .ok(a, "kv_list", json!({"script": "kv.js", "limit": 1}))
        .await;
    assert_eq!(first["entries"][0]["key"], json!(["other"]));
    let cursor = first["cursor"].as_str().unwrap();
    let next = t
        .ok(
            a,
            "kv_list",
            json!({"script": "kv.js", "limit": 1, "cursor": cursor}),
        )
        .await;
    assert_eq!(next["entries"][0]["key"], json!(["users", 1]));
    let bad = t
        .raw(a, "kv_get", json!({"script": "kv.js", "key": [{"x": 1}]}))
        .await
        .unwrap_err();
    assert!(bad.contains("is not a string, number or boolean"), "{bad}");
}

#[tokio::test]
async fn test_req_mcp_003_admin_assets_put_list_and_ownership() {
    let t = Admin::start().await;
    let (a, b) = (&t.alice, &t.bob);
    let put = t
        .ok(
            a,
            "put_asset",
            json!({"path": "css/site.css", "text": "body { color: red }"}),
        )
        .await;
    assert_eq!(
        (put["url"].clone(), put["created"].clone()),
        (json!("/css/site.css"), json!(true))
    );
    assert_eq!(put["contentType"], "text/css; charset=utf-8");
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    let img = t
        .ok(
            a,
            "put_asset",
            json!({"path": "img/dot.png", "base64": png}),
        )
        .await;
    assert_eq!(img["contentType"], "image/png");
    assert_eq!(img["size"], 70);
    // Served at once, and listed.
    let css = t
        .ok(b, "call_route", json!({"path": "/css/site.css"}))
        .await;
    assert_eq!(css["body"], "body { color: red }");
    let dot = t.ok(b, "call_route", json!({"path": "/img/dot.png"})).await;
    assert!(
        dot["body"].is_null() && dot["bodyBase64"] == png,
        "binary bodies come back as base64: {dot}"
    );
    let all = t.ok(b, "list_assets", json!({})).await;
    let paths: Vec<&Value> = all["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["path"])
        .collect();
    assert_eq!(paths, vec![&json!("css/site.css"), &json!("img/dot.png")]);
    let css_only = t.ok(b, "list_assets", json!({"prefix": "css/"})).await;
    assert_eq!(css_only["assets"].as_array().unwrap().len(), 1);
    // Bob may not replace Alice's asset; the admin may.
    let m = t
        .fails(
            b,
            "put_asset",
            json!({"path": "css/site.css", "text": "pwned"}),
        )
        .await;
    assert!(m.contains("belongs to alice@example.com"), "{m}");
    let r = t
        .ok(
            t.admin_ref(),
            "put_asset",
            json!({"path": "css/site.css", "text": "p {}"}),
        )
        .await;
    assert_eq!(r["created"], false);
    let audit = t.audit().await;
    let denied = (
        "bob@example.com".to_string(),
        "mcp.put_asset".to_string(),
        "css/site.css".to_string(),
        "denied".to_string(),
    );
    assert!(audit.contains(&denied), "{audit:#?}");
    let m = t
        .raw(a, "put_asset", json!({"path": "x.txt"}))
        .await
        .unwrap_err();
    assert!(m.contains("as text or as base64"), "{m}");
}

#[tokio::test]
async fn test_req_mcp_003_admin_call_route_is_bounded() {
    let t = Admin::start().await;
    let a = &t.alice;
    let src = r#"
register('/big', () => 'x'.repeat(300 * 1024));
register('/echo', (req) => ({ status: 201, headers: { 'x-seen': req.headers['x-test'] ?? '' }, body: req.method + ' ' + req.body }), 'PUT');
registerWebStream('/feed');
"#;
    let r = t
        .ok(a, "put_script", json!({"name": "b.js", "source": src}))
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let big = t.ok(a, "call_route", json!({"path": "/big"})).await;
    assert_eq!(big["truncated"], true);
    assert_eq!(big["body"].as_str().unwrap().len(), 256 * 1024);
    let echo = t
        .ok(
            a,
            "call_route",
            json!({"method": "PUT", "path": "/echo", "headers": {"x-test": "yes"}, "body": "hi"}),
        )
        .await;
    assert_eq!(
        (echo["status"].clone(), echo["body"].clone()),
        (json!(201), json!("PUT hi")),
        "{echo}"
    );
    assert_eq!(echo["headers"]["x-seen"], "yes");
    // A stream is read until the timeout, then cut off.
    let feed = t
        .ok(a, "call_route", json!({"path": "/feed", "timeoutMs": 300}))
        .await;
    assert_eq!(
        (feed["status"].clone(), feed["truncated"].clone()),
        (json!(200), json!(true)),
        "{feed}"
    );
    // Engine endpoints answer too (anonymously), but not /mcp itself.
    let api = t
        .ok(a, "call_route", json!({"path": "/engine/api/scripts"}))
        .await;
    assert_eq!(
        api["status"], 401,
        "no credentials travel with call_route: {api}"
    );
    let m = t.fails(a, "call_route", json!({"path": "/mcp"})).await;
    assert!(m.contains("does not call /mcp"), "{m}");
    let m = t
        .fails(
            a,
            "call_route",
            json!({"path": "/x", "body": "a", "bodyBase64": "YQ=="}),
        )
        .await;
    assert!(m.contains("not both"), "{m}");
    let m = t
        .raw(a, "call_route", json!({"path": "http://example.com/"}))
        .await
        .unwrap_err();
    assert!(m.contains("must be a path on this engine"), "{m}");
    let huge = "y".repeat(1024 * 1024 + 1);
    let m = t
        .fails(
            a,
            "call_route",
            json!({"method": "PUT", "path": "/echo", "body": huge}),
        )
        .await;
    assert!(m.contains("over call_route's limit"), "{m}");
}
