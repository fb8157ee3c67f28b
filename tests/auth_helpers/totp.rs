//! TOTP helpers for the `auth_*` tests: codes are computed with the
//! `totp-rs` crate from the `otpauth://` URI the engine hands out.

use totp_rs::TOTP;

use super::{call, USER_PASS};
use crate::common::*;

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Enrols `token`'s account: returns the authenticator (parsed from the
/// URI), the code used to confirm, and the recovery codes.
pub async fn enrol(eng: &Engine, token: &str) -> (TOTP, String, Vec<String>) {
    let r = call(eng, token, "POST", "/engine/api/me/totp/enrol", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let e = r.json();
    assert!(e["qr_svg"].as_str().unwrap_or("").contains("<svg"), "{e}");
    let uri = e["uri"].as_str().expect("uri");
    let totp = TOTP::from_url(uri).unwrap_or_else(|err| panic!("{uri}: {err:?}"));
    assert_eq!(totp.get_secret_base32(), e["secret"].as_str().unwrap());
    let wrong = json!({"code": wrong_code(&totp)});
    let r = call(
        eng,
        token,
        "POST",
        "/engine/api/me/totp/confirm",
        Some(wrong),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text()
    );
    let status = call(eng, token, "GET", "/engine/api/me/totp", None)
        .await
        .json();
    assert_eq!(
        (status["enabled"].as_bool(), status["pending"].as_bool()),
        (Some(false), Some(true))
    );
    let code = totp.generate(now());
    let r = call(
        eng,
        token,
        "POST",
        "/engine/api/me/totp/confirm",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let codes: Vec<String> = r.json()["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (totp, code, codes)
}

/// A 6-digit code that is none of the three the server accepts now.
pub fn wrong_code(totp: &TOTP) -> String {
    let t = now();
    let near: Vec<String> = [t - 30, t, t + 30, t + 60]
        .iter()
        .map(|&s| totp.generate(s))
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}

/// Password login that must stop at the second factor; the pending handle.
pub async fn pending_login(eng: &Engine, email: &str, enrol: bool) -> String {
    let body = json!({"email": email, "password": USER_PASS});
    let r = send(eng.req("POST", "/engine/auth/login").json(&body)).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let v = r.json();
    assert_eq!(v["totp_required"], true);
    assert_eq!(v["enrol"], enrol);
    assert!(v.get("token").is_none(), "no session before the code: {v}");
    let cookies: Vec<String> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .collect();
    assert!(
        !cookies
            .iter()
            .any(|c| c.starts_with("aiwebengine_session=")),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("aiwebengine_totp=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    v["pending"].as_str().expect("pending").to_string()
}

pub async fn second_step(eng: &Engine, pending: &str, code: &str) -> Resp {
    let body = json!({"pending": pending, "code": code});
    send(eng.req("POST", "/engine/auth/totp").json(&body)).await
}
