//! Nested script names (REQ-DEV-003): a script's name may be a relative
//! path such as `api/users.js`. The management API takes it percent-encoded
//! as one path segment (`/engine/api/scripts/api%2Fusers.js`), so the
//! sub-routes (`/versions`, `/rename`, `/kv`, …) keep working.

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;

const USERS: &str = r#"
register("/api/users", async () => {
  writeLog("users listed");
  return { status: 200, contentType: "application/json", body: JSON.stringify(["ann"]) };
});
"#;

const NESTED: &str = "api%2Fusers.js";

fn sha256_hex(s: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn test_req_dev_003_nested_name_save_get_list_versions_delete() {
    let eng = Engine::start().await;
    let v = eng.deploy(NESTED, &format!("// v1\n{USERS}")).await;
    assert_eq!(v["name"], "api/users.js", "{v}");
    eng.deploy(NESTED, USERS).await;

    let r = send(eng.req("GET", "/api/users")).await;
    assert_eq!(r.status, 200, "{}", r.text());

    let r = eng
        .api("GET", &format!("/engine/api/scripts/{NESTED}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = r.json();
    assert_eq!(got["name"], "api/users.js");
    assert_eq!(got["source"], USERS);
    assert_eq!(got["sha256"], sha256_hex(USERS), "the hash of the source");

    let r = eng.api("GET", "/engine/api/scripts", None).await;
    let list = r.json()["scripts"].as_array().cloned().unwrap_or_default();
    let item = list
        .iter()
        .find(|s| s["name"] == "api/users.js")
        .unwrap_or_else(|| panic!("listed: {list:#?}"));
    assert_eq!(item["sha256"], sha256_hex(USERS), "list reports the hash");

    let r = eng
        .api(
            "GET",
            &format!("/engine/api/scripts/{NESTED}/versions"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["versions"].as_array().map(Vec::len), Some(2));
    let r = eng
        .api(
            "GET",
            &format!("/engine/api/scripts/{NESTED}/versions/1"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["source"].as_str().unwrap().starts_with("// v1"));

    let _ = send(eng.req("GET", "/api/users")).await;
    eng.wait_log("api/users.js", |e| msg(e) == "users listed")
        .await;

    let r = eng
        .api("DELETE", &format!("/engine/api/scripts/{NESTED}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = eng
        .api("GET", &format!("/engine/api/scripts/{NESTED}"), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = send(eng.req("GET", "/api/users")).await;
    assert_eq!(r.status, 404, "the route went with the script");
}

#[tokio::test]
async fn test_req_dev_003_nested_name_rename_both_ways() {
    let eng = Engine::start().await;
    eng.deploy("users.js", USERS).await;
    let r = call(
        &eng,
        &eng.token,
        "POST",
        "/engine/api/scripts/users.js/rename",
        Some(json!({ "name": "api/v1/users.js" })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["name"], "api/v1/users.js");
    let r = call(
        &eng,
        &eng.token,
        "POST",
        "/engine/api/scripts/api%2Fv1%2Fusers.js/rename",
        Some(json!({ "name": "users2.js" })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let names = listed(&eng, &eng.token).await;
    assert!(names.contains(&"users2.js".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains('/')), "{names:?}");
}

#[tokio::test]
async fn test_req_dev_003_bad_nested_names_are_refused_with_the_rule() {
    let eng = Engine::start().await;
    for bad in [
        "%2Fabs.js",
        "a%2F%2Fb.js",
        "a%2F..%2Fb.js",
        "a%2F.hidden.js",
        "dir%2F",
    ] {
        let (status, v) = eng.put_script(bad, USERS).await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_name", "{bad}: {v}");
        let m = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            m.contains("api/users.js"),
            "the message shows the rule: {m}"
        );
    }
    let long = format!("{}.js", "a".repeat(253));
    let (status, v) = eng.put_script(&long, USERS).await;
    assert_eq!(status, 400, "over 255 bytes: {v}");
}
