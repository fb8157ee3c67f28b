//! Shared by the `auth_*` tests: users made through the API, and calls as them.
#![allow(dead_code)]

use crate::common::*;

pub mod totp;

pub const USER_PASS: &str = "a long user password";

/// Creates a user through the API (as the admin); returns the id.
pub async fn create_user(eng: &Engine, email: &str, role: &str) -> String {
    let body = json!({"email": email, "password": USER_PASS, "name": email, "role": role});
    let r = eng.api("POST", "/engine/api/users", Some(body)).await;
    assert_eq!(r.status, 201, "create user: {}", r.text());
    r.json()["id"].as_str().expect("id").to_string()
}

/// Creates a user and logs in; returns (id, token).
pub async fn user(eng: &Engine, email: &str, role: &str) -> (String, String) {
    let id = create_user(eng, email, role).await;
    (id, eng.server.login(email, USER_PASS).await)
}

/// A call with a bearer token and an optional JSON body.
pub async fn call(
    eng: &Engine,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let mut rb = eng.req(method, path).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    send(rb).await
}

/// PUT a script as `token`; returns the status.
pub async fn put_as(eng: &Engine, token: &str, name: &str, src: &str) -> u16 {
    let path = format!("/engine/api/scripts/{name}");
    let r = send(
        eng.req("PUT", &path)
            .bearer_auth(token)
            .body(src.to_string()),
    )
    .await;
    r.status
}

/// Names in `GET /engine/api/scripts` as `token`.
pub async fn listed(eng: &Engine, token: &str) -> Vec<String> {
    let r = call(eng, token, "GET", "/engine/api/scripts", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["scripts"]
        .as_array()
        .expect("scripts")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// `PUT /engine/api/groups/{group}/members` as the admin.
pub async fn add_member(eng: &Engine, group: &str, member: Value) -> Resp {
    let path = format!("/engine/api/groups/{group}/members");
    eng.api("PUT", &path, Some(member)).await
}
