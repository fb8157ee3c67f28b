//! Accounts (issue 4 §1): the users API, disabling and password changes
//! that revoke at once, and the first-run setup link.

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;

#[tokio::test]
async fn test_req_auth_002_users_api() {
    let eng = Engine::start().await;
    let body =
        json!({"email": "Ed@Example.com", "password": USER_PASS, "name": "Ed", "role": "editor"});
    let r = eng
        .api("POST", "/engine/api/users", Some(body.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let u = r.json();
    assert_eq!(
        (u["name"].as_str(), u["role"].as_str()),
        (Some("Ed"), Some("editor"))
    );
    assert!(u.get("password_hash").is_none(), "{u}");
    let id = u["id"].as_str().unwrap().to_string();

    let dup = json!({"email": "ed@example.com", "password": USER_PASS});
    assert_eq!(
        eng.api("POST", "/engine/api/users", Some(dup)).await.code(),
        "email_taken"
    );
    let weak = json!({"email": "w@example.com", "password": "short"});
    let r = eng.api("POST", "/engine/api/users", Some(weak)).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("at least 10 characters"), "{}", r.text());
    let bad_role = json!({"email": "r@example.com", "password": USER_PASS, "role": "root"});
    assert_eq!(
        eng.api("POST", "/engine/api/users", Some(bad_role))
            .await
            .status,
        400
    );

    let r = eng.api("GET", "/engine/api/users", None).await;
    assert_eq!(r.json()["users"].as_array().map(|a| a.len()), Some(2));
    let path = format!("/engine/api/users/{id}");
    let r = eng
        .api(
            "PATCH",
            &path,
            Some(json!({"name": "Edward", "role": "admin"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["role"], "admin");
    assert_eq!(eng.api("GET", &path, None).await.json()["name"], "Edward");

    let me = eng.api("GET", "/engine/api/me", None).await.json();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");

    assert_eq!(eng.api("DELETE", &path, None).await.status, 204);
    assert_eq!(eng.api("GET", &path, None).await.status, 404);
    // The last admin cannot demote themselves.
    let r = eng
        .api(
            "PATCH",
            &format!("/engine/api/users/{}", me["id"].as_str().unwrap()),
            Some(json!({"role": "editor"})),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text());
}

#[tokio::test]
async fn test_req_auth_002_disable_and_password_change_revoke_at_once() {
    let eng = Engine::start().await;
    let (id, token) = user(&eng, "ed@example.com", "editor").await;
    let r = call(
        &eng,
        &token,
        "POST",
        "/engine/api/tokens",
        Some(json!({"name": "ci"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let api_token = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        call(&eng, &token, "GET", "/engine/api/me", None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&eng, &api_token, "GET", "/engine/api/me", None)
            .await
            .status,
        200
    );

    let path = format!("/engine/api/users/{id}");
    assert_eq!(
        eng.api("PATCH", &path, Some(json!({"disabled": true})))
            .await
            .status,
        200
    );
    // No wait: the very next request is refused.
    assert_eq!(
        call(&eng, &token, "GET", "/engine/api/me", None)
            .await
            .status,
        401
    );
    assert_eq!(
        call(&eng, &api_token, "GET", "/engine/api/me", None)
            .await
            .status,
        401
    );
    let login = json!({"email": "ed@example.com", "password": USER_PASS});
    assert_eq!(
        send(eng.req("POST", "/engine/auth/login").json(&login))
            .await
            .status,
        401
    );

    assert_eq!(
        eng.api("PATCH", &path, Some(json!({"disabled": false})))
            .await
            .status,
        200
    );
    let token = eng.server.login("ed@example.com", USER_PASS).await;
    assert_eq!(
        call(&eng, &api_token, "GET", "/engine/api/me", None)
            .await
            .status,
        200,
        "the API token is back"
    );
    let r = call(
        &eng,
        &token,
        "PATCH",
        &path,
        Some(json!({"password": "another long password"})),
    )
    .await;
    assert_eq!(
        r.status,
        200,
        "a user changes their own password: {}",
        r.text()
    );
    assert_eq!(
        call(&eng, &token, "GET", "/engine/api/me", None)
            .await
            .status,
        401
    );
    let r = call(
        &eng,
        &api_token,
        "PATCH",
        &path,
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(r.status, 403, "no self-promotion");
}

async fn fresh_server_and_setup_token(dir: &DataDir) -> (Server, String) {
    let server = Server::start(&dir.data, &Opts::default());
    let out = eventually("the setup line", || async {
        let out = server.output();
        out.contains("setup?token=").then_some(out)
    })
    .await;
    let token = out.split("setup?token=").nth(1).unwrap();
    let token = token.split_whitespace().next().unwrap().to_string();
    (server, token)
}

#[tokio::test]
async fn test_req_auth_002_first_run_setup_html_form() {
    let dir = DataDir::new();
    let (server, token) = fresh_server_and_setup_token(&dir).await;
    let page = server
        .get(&format!("/engine/admin/setup?token={token}"))
        .await;
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!page.text().contains("<script"), "no script");
    let form = |p2: &str| {
        vec![
            ("token", token.clone()),
            ("email", "first@example.com".to_string()),
            ("name", "First".to_string()),
            ("password", USER_PASS.to_string()),
            ("password2", p2.to_string()),
        ]
    };
    let r = send(
        server
            .req("POST", "/engine/admin/setup")
            .form(&form("different password")),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("differ"), "{}", r.text());
    let r = send(
        server
            .req("POST", "/engine/admin/setup")
            .form(&form(USER_PASS)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("first@example.com"), "{}", r.text());
    assert!(r
        .header("set-cookie")
        .is_some_and(|c| c.contains("HttpOnly")));
    server.login("first@example.com", USER_PASS).await;
    let again = server
        .get(&format!("/engine/admin/setup?token={token}"))
        .await;
    assert_eq!(again.status, 403, "closed once an admin exists");
}

#[tokio::test]
async fn test_req_auth_002_first_run_setup_link() {
    let dir = DataDir::new();
    let server = Server::start(&dir.data, &Opts::default());
    let out = eventually("the setup line", || async {
        let out = server.output();
        out.contains("/engine/admin/setup?token=").then_some(out)
    })
    .await;
    let url = out
        .split_whitespace()
        .find(|w| w.contains("/engine/admin/setup?token="))
        .unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let token = url.split("token=").nth(1).unwrap();
    let page = server
        .get(&format!("/engine/admin/setup?token={token}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("<form"), "{}", page.text());
    let status = server.get("/engine/auth/setup").await.json();
    assert_eq!(status["needed"], true);

    let body = |t: &str| json!({"token": t, "email": "first@example.com", "password": USER_PASS, "name": "First"});
    let r = send(
        server
            .req("POST", "/engine/auth/setup")
            .json(&body("wrong")),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = send(server.req("POST", "/engine/auth/setup").json(&body(token))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["user"]["role"], "admin");
    let t = v["token"].as_str().unwrap();
    let r = send(server.req("GET", "/engine/api/users").bearer_auth(t)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(server.req("POST", "/engine/auth/setup").json(&body(token))).await;
    assert_eq!(r.status, 403, "single use: {}", r.text());
    assert_eq!(
        server.get("/engine/auth/setup").await.json()["needed"],
        false
    );
}
