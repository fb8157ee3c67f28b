//! The TOTP second factor (REQ-AUTH-007) over HTTP. Codes are computed
//! here with the `totp-rs` crate from the `otpauth://` URI the engine
//! hands out, independently of the engine's own implementation.

mod auth_helpers;
mod common;

use auth_helpers::totp::*;
use auth_helpers::*;
use common::*;
use totp_rs::TOTP;

#[tokio::test]
async fn test_req_auth_007_enrol_login_reused_code_and_recovery_code() {
    let eng = Engine::start().await;
    let (_, token) = user(&eng, "t@example.com", "editor").await;
    let (totp, used, recovery) = enrol(&eng, &token).await;

    let pending = pending_login(&eng, "t@example.com", false).await;
    // The handle is not a session.
    let r = call(&eng, &pending, "GET", "/engine/api/me", None).await;
    assert_eq!(r.status, 401, "{}", r.text());
    // The code that confirmed enrolment was used: refused within its window.
    let r = second_step(&eng, &pending, &used).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text()
    );
    // The next step's code is within the one-step skew.
    let next = totp.generate(now() + 30);
    let r = second_step(&eng, &pending, &next).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let session = r.json()["token"].as_str().expect("token").to_string();
    let me = call(&eng, &session, "GET", "/engine/api/me", None).await;
    assert_eq!(me.json()["email"], "t@example.com");
    // The pending login was single use.
    let r = second_step(&eng, &pending, &totp.generate(now() + 60)).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "unauthorized".into()),
        "{}",
        r.text()
    );

    // The same code in a new login: reused, refused.
    let pending = pending_login(&eng, "t@example.com", false).await;
    let r = second_step(&eng, &pending, &next).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text()
    );
    // A recovery code works (typed in upper case), once.
    let r = second_step(&eng, &pending, &recovery[3].to_uppercase()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let pending = pending_login(&eng, "t@example.com", false).await;
    let r = second_step(&eng, &pending, &recovery[3]).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text()
    );
    let status = call(&eng, &session, "GET", "/engine/api/me/totp", None)
        .await
        .json();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 9);
}

#[tokio::test]
async fn test_req_auth_007_wrong_codes_are_rate_limited_per_account() {
    let eng = Engine::start().await;
    let (_, token) = user(&eng, "r@example.com", "authenticated").await;
    let (totp, _, _) = enrol(&eng, &token).await;
    let pending = pending_login(&eng, "r@example.com", false).await;
    let wrong = wrong_code(&totp);
    // enrol() already spent one wrong code against this account.
    for _ in 0..4 {
        let r = second_step(&eng, &pending, &wrong).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "invalid_code".into()),
            "{}",
            r.text()
        );
    }
    let r = second_step(&eng, &pending, &totp.generate(now() + 30)).await;
    assert_eq!(
        (r.status, r.code()),
        (429, "rate_limited".into()),
        "{}",
        r.text()
    );
    // Another account is not affected.
    let (_, other) = user(&eng, "o@example.com", "authenticated").await;
    let (o_totp, _, _) = enrol(&eng, &other).await;
    let p = pending_login(&eng, "o@example.com", false).await;
    let r = second_step(&eng, &p, &o_totp.generate(now() + 30)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn test_req_auth_007_required_role_enrols_at_login_and_admin_reset() {
    let eng = Engine::start_with(Opts::config("[auth]\nrequire_totp_for = [\"editor\"]\n")).await;
    let id = create_user(&eng, "e@example.com", "editor").await;
    let pending = pending_login(&eng, "e@example.com", true).await;
    // The cookie alone carries the handle too.
    let cookie = format!("aiwebengine_totp={pending}");
    let r = send(
        eng.req("POST", "/engine/auth/totp/enrol")
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let totp = TOTP::from_url(r.json()["uri"].as_str().unwrap()).expect("uri");
    let body = json!({"code": totp.generate(now())});
    let r = send(
        eng.req("POST", "/engine/auth/totp")
            .header("cookie", &cookie)
            .json(&body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["recovery_codes"].as_array().map(Vec::len),
        Some(10),
        "{v}"
    );
    let session = v["token"].as_str().unwrap().to_string();
    let st = call(&eng, &session, "GET", "/engine/api/me/totp", None)
        .await
        .json();
    assert_eq!(
        (st["enabled"].as_bool(), st["required"].as_bool()),
        (Some(true), Some(true))
    );
    // Required: the user cannot turn it off.
    let code = json!({"code": totp.generate(now() + 30)});
    let r = call(
        &eng,
        &session,
        "POST",
        "/engine/api/me/totp/disable",
        Some(code),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (403, "forbidden".into()),
        "{}",
        r.text()
    );
    let users = eng.api("GET", "/engine/api/users", None).await.json();
    let flags: Vec<(String, bool)> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["email"].as_str().unwrap().to_string(), u["totp"] == true))
        .collect();
    assert!(flags.contains(&("e@example.com".into(), true)), "{flags:?}");
    assert!(flags.contains(&(ADMIN_EMAIL.into(), false)), "{flags:?}");
    // An editor cannot reset anyone; the admin can, and it is audited.
    let path = format!("/engine/api/users/{id}/totp");
    assert_eq!(
        call(&eng, &session, "DELETE", &path, None).await.status,
        403
    );
    let r = eng.api("DELETE", &path, None).await;
    assert_eq!(
        (r.status, r.json()["reset"].as_bool()),
        (200, Some(true)),
        "{}",
        r.text()
    );
    let audit = eng
        .api("GET", "/engine/api/audit?limit=20", None)
        .await
        .text();
    assert!(
        audit.contains("totp.reset") && audit.contains(&id),
        "{audit}"
    );
    // The next login enrols again.
    pending_login(&eng, "e@example.com", true).await;
    // Not an editor: a password login gives a session as before.
    eng.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
}

#[tokio::test]
async fn test_req_auth_007_new_recovery_codes_and_disable() {
    let eng = Engine::start().await;
    let (_, token) = user(&eng, "d@example.com", "editor").await;
    let (totp, _, old) = enrol(&eng, &token).await;
    let body = json!({"code": totp.generate(now() + 30)});
    let r = call(
        &eng,
        &token,
        "POST",
        "/engine/api/me/totp/recovery",
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let new: Vec<String> = serde_json::from_value(r.json()["recovery_codes"].clone()).unwrap();
    assert_eq!(new.len(), 10);
    // The old codes stopped working.
    let r = call(
        &eng,
        &token,
        "POST",
        "/engine/api/me/totp/disable",
        Some(json!({"code": old[0]})),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text()
    );
    let r = call(
        &eng,
        &token,
        "POST",
        "/engine/api/me/totp/disable",
        Some(json!({"code": new[0]})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    // Off: the password alone logs in again.
    eng.server.login("d@example.com", USER_PASS).await;
}

/// Whether the data file holds `needle` anywhere in its bytes.
fn file_has(data: &std::path::Path, needle: &str) -> bool {
    let bytes = std::fs::read(data).expect("read data file");
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn test_req_auth_007_secrets_are_encrypted_at_rest_with_the_secret_key() {
    // Without a key the secret is stored as it is (the check can fail).
    let mut eng = Engine::start().await;
    let (_, token) = user(&eng, "p@example.com", "editor").await;
    let (plain, _, _) = enrol(&eng, &token).await;
    eng.server.stop();
    assert!(file_has(&eng.dir.data, &plain.get_secret_base32()));

    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let mut cmd = cli();
    cmd.arg("serve").arg("--data").arg(&dir.data);
    cmd.args(["--http", "127.0.0.1:0", "--https", "off"]);
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    cmd.env("AIWEBENGINE_SECRET_KEY", key);
    let server = Server::spawn_cmd(cmd, &dir.data).unwrap_or_else(|e| panic!("{e}"));
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let mut eng = Engine {
        server,
        token: admin,
        opts: Opts::default(),
        dir,
    };
    let (_, token) = user(&eng, "k@example.com", "editor").await;
    let (sealed, _, _) = enrol(&eng, &token).await;
    // Sealed secrets still log in.
    let p = pending_login(&eng, "k@example.com", false).await;
    assert_eq!(
        second_step(&eng, &p, &sealed.generate(now() + 30))
            .await
            .status,
        200
    );
    eng.server.stop();
    assert!(!file_has(&eng.dir.data, &sealed.get_secret_base32()));
}

#[test]
fn test_req_auth_007_unknown_role_in_require_totp_for_stops_the_start() {
    let dir = DataDir::new();
    let opts = Opts::config("[auth]\nrequire_totp_for = [\"root\"]\n");
    let Err(e) = Server::spawn(&dir.data, &opts) else {
        panic!("the server started with an unknown role in auth.require_totp_for");
    };
    assert!(
        e.output.contains("auth.require_totp_for") && e.output.contains("root"),
        "{}",
        e.output
    );
}

#[tokio::test]
async fn test_req_auth_007_setup_of_a_required_admin_ends_in_enrolment() {
    let dir = DataDir::new();
    let opts = Opts::config("[auth]\nrequire_totp_for = [\"admin\"]\n");
    let server = Server::start(&dir.data, &opts);
    let out = eventually("the setup line", || async {
        let out = server.output();
        out.contains("/engine/admin/setup?token=").then_some(out)
    })
    .await;
    let token = out
        .split_whitespace()
        .find_map(|w| w.split("setup?token=").nth(1))
        .unwrap()
        .to_string();
    let body = json!({"token": token, "email": "first@example.com", "password": USER_PASS});
    let r = send(server.req("POST", "/engine/auth/setup").json(&body)).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["enrol"].as_bool(), v.get("token")),
        (Some(true), None),
        "{v}"
    );
    let pending = v["pending"].as_str().unwrap().to_string();
    let r = send(
        server
            .req("POST", "/engine/auth/totp/enrol")
            .json(&json!({"pending": pending})),
    )
    .await;
    let totp = TOTP::from_url(r.json()["uri"].as_str().unwrap()).expect("uri");
    let body = json!({"pending": pending, "code": totp.generate(now())});
    let r = send(server.req("POST", "/engine/auth/totp").json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["user"]["role"], "admin");
}

#[tokio::test]
async fn test_req_auth_007_backup_and_restore_keep_the_second_factor() {
    let eng = Engine::start().await;
    let (_, token) = user(&eng, "b@example.com", "editor").await;
    let (totp, _, _) = enrol(&eng, &token).await;
    let r = eng.api("GET", "/engine/api/backup", None).await;
    assert_eq!(r.status, 200, "backup: {}", r.text());
    let dest = eng.dir.dir().join("totp-backup.redb");
    std::fs::write(&dest, &r.body).expect("write backup");
    let dest = dest.to_str().unwrap();
    let out = run_cli(&["verify", dest]);
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let restored = eng.dir.dir().join("totp-restored.redb");
    let out = run_cli(&["restore", dest, "--data", restored.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let server = Server::start(&restored, &Opts::default());
    let body = json!({"email": "b@example.com", "password": USER_PASS});
    let r = send(server.req("POST", "/engine/auth/login").json(&body)).await;
    assert_eq!(
        r.status,
        202,
        "the restored account still needs its code: {}",
        r.text()
    );
    let pending = r.json()["pending"].as_str().unwrap().to_string();
    let body = json!({"pending": pending, "code": totp.generate(now() + 30)});
    let r = send(server.req("POST", "/engine/auth/totp").json(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn test_req_auth_007_require_totp_for_applies_on_a_live_change() {
    let eng = Engine::start().await;
    create_user(&eng, "l@example.com", "editor").await;
    eng.server.login("l@example.com", USER_PASS).await;
    let body = json!({"key": "auth.require_totp_for", "value": ["editor"]});
    let r = eng.api("PUT", "/engine/api/config", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    pending_login(&eng, "l@example.com", true).await;
    let bad = json!({"key": "auth.require_totp_for", "value": ["root"]});
    let r = eng.api("PUT", "/engine/api/config", Some(bad)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("root"), "{}", r.text());
}
