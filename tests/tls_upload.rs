//! Uploading a TLS certificate through the management API (issue 5 §1,
//! REQ-HTTP-006): it replaces the self-signed one for new connections
//! without a restart, survives one, and bad input gets a clear 400.

mod auth_helpers;
mod common;

use std::path::Path;

use auth_helpers::*;
use common::tls::*;
use common::*;

/// An HTTPS server with an admin, and the admin's token.
async fn start(dir: &DataDir, config: Option<&str>) -> (HttpsServer, String) {
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let s = start_https(&dir.data, config);
    let token = s.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    (s, token)
}

async fn tls_call(s: &HttpsServer, token: &str, method: &str, body: Option<Value>) -> Resp {
    let mut rb = s.server.req(method, "/engine/api/tls").bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    send(rb).await
}

/// The fingerprint a new HTTPS connection sees, or None when the pin fails.
async fn serves(s: &HttpsServer, fingerprint: &str) -> bool {
    pinned_client(fingerprint)
        .get(s.url("/health"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

fn fingerprint_of_pem(pem: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).expect("PEM");
    sha256_fingerprint(&der)
}

/// A certificate with its own dates, as PEM (cert, key).
fn cert_valid(days_from: i64, days_to: i64) -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    let key = rcgen::KeyPair::generate().expect("key pair");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.not_before = now + time::Duration::days(days_from);
    params.not_after = now + time::Duration::days(days_to);
    let cert = params.self_signed(&key).expect("self-sign");
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn test_req_http_006_upload_serves_at_once_survives_restart_and_delete_goes_back() {
    let dir = DataDir::new();
    let (s, token) = start(&dir, None).await;
    let self_signed = s.fingerprint.clone();

    let r = tls_call(&s, &token, "GET", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["https"], true);
    assert_eq!(v["source"], "self-signed");
    assert_eq!(v["fingerprint"], self_signed.as_str());
    assert_eq!(v["can_upload"], true);
    assert!(
        v["sans"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n == "localhost")),
        "{v}"
    );

    let (cert, key) = make_cert_pem();
    let uploaded = fingerprint_of_pem(&cert);
    let r = tls_call(&s, &token, "PUT", Some(json!({"cert": cert, "key": key}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["source"], "uploaded");
    assert_eq!(v["fingerprint"], uploaded.as_str());
    assert_eq!(v["applied"], true);
    assert_eq!(v["uploaded"]["by"], ADMIN_EMAIL);
    // New connections get the upload, with no restart.
    assert!(
        serves(&s, &uploaded).await,
        "the uploaded certificate serves"
    );
    assert!(
        !serves(&s, &self_signed).await,
        "the self-signed one no longer does"
    );

    // The audit log has it.
    let r = tls_call(&s, &token, "GET", None).await;
    assert_eq!(r.json()["fingerprint"], uploaded.as_str());
    let audit = send(s.server.req("GET", "/engine/api/audit").bearer_auth(&token)).await;
    assert!(audit.text().contains("tls.upload"), "{}", audit.text());

    // A restart serves the stored upload and prints its fingerprint.
    let mut server = s.server;
    assert!(server.stop().is_some_and(|st| st.success()));
    let s = start_https(&dir.data, None);
    assert_eq!(s.fingerprint, uploaded, "the upload survives a restart");

    // DELETE: back to the stored self-signed certificate.
    let token = s.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let r = tls_call(&s, &token, "DELETE", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["source"], "self-signed");
    assert_eq!(v["fingerprint"], self_signed.as_str());
    assert_eq!(v["uploaded"], Value::Null);
    assert!(
        serves(&s, &self_signed).await,
        "the self-signed one serves again"
    );
}

#[tokio::test]
async fn test_req_http_006_bad_uploads_get_a_400_naming_the_problem() {
    let dir = DataDir::new();
    let (s, token) = start(&dir, None).await;
    let (cert, key) = make_cert_pem();
    let (_, other_key) = make_cert_pem();
    let cases = [
        (
            json!({"cert": "hello", "key": key}),
            "invalid_certificate",
            "cert",
        ),
        (
            json!({"cert": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA=\n-----END CERTIFICATE-----\n", "key": key}),
            "invalid_certificate",
            "cert",
        ),
        (json!({"cert": cert, "key": "nope"}), "invalid_key", "key"),
        (
            json!({"cert": key, "key": cert}),
            "invalid_certificate",
            "private key",
        ),
        (
            json!({"cert": cert, "key": other_key}),
            "key_mismatch",
            "does not match",
        ),
        (json!({"cert": cert}), "invalid_json", "key"),
    ];
    for (body, code, words) in cases {
        let r = tls_call(&s, &token, "PUT", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.code(), code, "{body}: {}", r.text());
        let message = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(message.contains(words), "{code}: {message}");
    }
    let (old, old_key) = cert_valid(-30, -1);
    let r = tls_call(
        &s,
        &token,
        "PUT",
        Some(json!({"cert": old, "key": old_key})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.code(), "certificate_expired");
    // Nothing changed.
    assert!(serves(&s, &s.fingerprint).await);
    assert_eq!(
        tls_call(&s, &token, "GET", None).await.json()["source"],
        "self-signed"
    );
}

#[tokio::test]
async fn test_req_auth_006_only_admins_see_or_change_the_certificate() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    let eng_server = start_https(&dir.data, None);
    let admin = eng_server.server.login(ADMIN_EMAIL, ADMIN_PASS).await;
    let body =
        json!({"email": "ed@example.com", "password": USER_PASS, "name": "Ed", "role": "editor"});
    let r = send(
        eng_server
            .server
            .req("POST", "/engine/api/users")
            .bearer_auth(&admin)
            .json(&body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let editor = eng_server.server.login("ed@example.com", USER_PASS).await;
    let (cert, key) = make_cert_pem();
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(json!({"cert": cert, "key": key}))),
        ("DELETE", None),
    ] {
        let r = tls_call(&eng_server, &editor, method, body).await;
        assert_eq!(r.status, 403, "{method}: {}", r.text());
    }
    let r = send(eng_server.server.req("GET", "/engine/api/tls")).await;
    assert_eq!(r.status, 401);
    assert!(serves(&eng_server, &eng_server.fingerprint).await);
}

#[tokio::test]
async fn test_req_http_006_config_files_take_precedence_409() {
    let dir = DataDir::new();
    let (cert, key) = make_cert_pem();
    let cert_path = dir.write("cert.pem", cert.as_bytes());
    let key_path = dir.write("key.pem", key.as_bytes());
    let toml = format!(
        "[tls]\ncert = {:?}\nkey = {:?}\n",
        path_str(&cert_path),
        path_str(&key_path)
    );
    let (s, token) = start(&dir, Some(&toml)).await;
    let v = tls_call(&s, &token, "GET", None).await.json();
    assert_eq!(v["source"], "config files");
    assert_eq!(v["can_upload"], false);
    assert_eq!(v["config_files"]["cert"], path_str(&cert_path));
    let (other, other_key) = make_cert_pem();
    let r = tls_call(
        &s,
        &token,
        "PUT",
        Some(json!({"cert": other, "key": other_key})),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "tls_files_configured");
    assert!(r.text().contains("tls.cert"), "{}", r.text());
    let r = tls_call(&s, &token, "DELETE", None).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(serves(&s, &fingerprint_of_pem(&cert)).await);
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}
