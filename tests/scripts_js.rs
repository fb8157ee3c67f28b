//! Script management from JS (REQ-JS-007, issue 6 §5): `scripts.*` acts for
//! the request's user, `scripts.asOwner()` and the older globals for the
//! script's owner.

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;

const MANAGER: &str = include_str!("test_scripts/scripts_manager.js");
const LEGACY: &str = include_str!("test_scripts/scripts_legacy.js");

async fn names(r: Resp) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text());
    let mut v: Vec<String> = serde_json::from_value(r.json()).expect("names");
    // The seeded (disabled) examples belong to nobody but admins.
    v.retain(|n| !n.starts_with("example-"));
    v.sort();
    v
}

#[tokio::test]
async fn test_req_js_007_scripts_api_follows_the_callers_rights() {
    let eng = Engine::start().await;
    eng.deploy("manager.js", MANAGER).await;
    eng.deploy("b.js", "register('/b', () => 'b');").await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (_, reader) = user(&eng, "reader@example.com", "authenticated").await;
    assert_eq!(
        put_as(&eng, &alice, "a.js", "register('/a', () => 'a');").await,
        201
    );

    // Nobody logged in: nothing, with a message saying whose rights apply.
    let r = eng.get("/m/list").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("anonymous"), "{}", r.text());
    // A plain authenticated user is no editor either.
    assert_eq!(
        call(&eng, &reader, "GET", "/m/list", None).await.status,
        403
    );

    // An editor sees and changes only what she owns.
    assert_eq!(
        names(call(&eng, &alice, "GET", "/m/list", None).await).await,
        ["a.js"]
    );
    let r = call(&eng, &alice, "GET", "/m/get?name=a.js", None).await;
    assert_eq!(r.json()["source"], "register('/a', () => 'a');");
    let r = send(
        eng.req("POST", "/m/put?name=a.js")
            .bearer_auth(&alice)
            .body("register('/a', () => 'a2');"),
    )
    .await;
    assert_eq!(r.json()["ok"], true, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    assert_eq!(eng.get("/a").await.text(), "a2");
    let r = send(
        eng.req("POST", "/m/put?name=b.js")
            .bearer_auth(&alice)
            .body("register('/b', () => 'pwned');"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("may not change script b.js"),
        "{}",
        r.text()
    );
    assert_eq!(eng.get("/b").await.text(), "b", "b.js untouched");
    assert_eq!(
        call(&eng, &alice, "GET", "/m/get?name=b.js", None)
            .await
            .status,
        403
    );
    assert_eq!(
        call(&eng, &alice, "DELETE", "/m/del?name=b.js", None)
            .await
            .status,
        403
    );

    // A new script made through the API belongs to its caller.
    let r = send(
        eng.req("POST", "/m/put?name=c.js")
            .bearer_auth(&alice)
            .body("register('/c', () => 'c');"),
    )
    .await;
    assert_eq!(r.json()["created"], true, "{}", r.text());
    assert_eq!(
        names(call(&eng, &alice, "GET", "/m/list", None).await).await,
        ["a.js", "c.js"]
    );

    // asOwner(): the script's owner (the admin) sees everything, whoever calls.
    assert_eq!(
        names(call(&eng, &alice, "GET", "/m/owner-list", None).await).await,
        ["a.js", "b.js", "c.js", "manager.js"]
    );
    // After an await, the only request in flight is still the caller.
    assert_eq!(
        names(call(&eng, &alice, "GET", "/m/later", None).await).await,
        ["a.js", "c.js"]
    );

    // Errors in the uploaded source come back as an object with a position.
    let r = send(
        eng.req("POST", "/m/put?name=c.js")
            .bearer_auth(&alice)
            .body("register('/c', () => {"),
    )
    .await;
    let v = r.json();
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["line"].as_u64().is_some() && v["column"].as_u64().is_some(),
        "{v}"
    );
    assert_eq!(
        eng.get("/c").await.text(),
        "c",
        "the old version keeps serving"
    );

    // Deleting, and the audit log records the denied attempts.
    let r = call(&eng, &alice, "DELETE", "/m/del?name=c.js", None).await;
    assert_eq!(r.json(), json!(true));
    assert_eq!(eng.get("/c").await.status, 404);
    let audit = eng
        .api("GET", "/engine/api/audit?limit=200", None)
        .await
        .text();
    assert!(
        audit.contains("denied") && audit.contains("b.js"),
        "{audit}"
    );

    // URL-style names of the older engine get a clear error.
    let r = call(&eng, &alice, "GET", "/m/get?name=/blog/post", None).await;
    assert!(r.text().contains("flat"), "{}", r.text());
}

#[tokio::test]
async fn test_req_js_007_legacy_globals_act_for_the_owner() {
    let eng = Engine::start().await;
    eng.deploy("legacy.js", LEGACY).await;
    let r = eng.get("/legacy/start").await.json();
    assert!(
        r["atStart"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n == "legacy.js")),
        "{r}"
    );
    assert!(
        r["topLevelWrite"]
            .as_str()
            .is_some_and(|m| m.contains("inside handlers")),
        "{r}"
    );

    let r = eng.get("/legacy/run").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["made"], true);
    assert_eq!(v["source"], "register('/gen', () => 'generated')");
    assert!(
        v["names"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n == "gen.js")),
        "{v}"
    );
    assert_eq!(v["missing"], Value::Null);
    assert!(
        v["urlName"].as_str().is_some_and(|m| m.contains("flat")),
        "{v}"
    );
    assert!(
        v["broken"].as_str().is_some_and(|m| m.contains("line")),
        "{v}"
    );
    assert!(
        v["logs"]
            .as_array()
            .is_some_and(|a| a.iter().any(|m| m == "legacy marker")),
        "{v}"
    );
    assert_eq!(eng.get("/gen").await.text(), "generated");

    assert_eq!(eng.get("/legacy/delete").await.json(), json!([true, false]));
    assert_eq!(eng.get("/gen").await.status, 404);
}
