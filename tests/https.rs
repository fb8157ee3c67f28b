//! HTTPS out of the box (issue 5 §1, REQ-HTTP-006): the self-signed
//! certificate fetched with a client that pins the printed fingerprint, the
//! certificate surviving a restart, configured PEM files (and bad ones
//! refused), the plain-HTTP redirect and HSTS.

mod common;

use common::tls::*;
use common::*;

fn is_fingerprint(s: &str) -> bool {
    let pairs: Vec<&str> = s.split(':').collect();
    pairs.len() == 32
        && pairs
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| matches!(c, '0'..='9' | 'A'..='F')))
}

#[tokio::test]
async fn test_req_http_006_https_with_generated_cert_and_pinned_client() {
    let dir = DataDir::new();
    let s = start_https(&dir.data, None);
    assert!(
        is_fingerprint(&s.fingerprint),
        "upper-case hex pairs: {}",
        s.fingerprint
    );
    assert!(s.https_addr.starts_with("127.0.0.1:"), "{}", s.https_addr);

    let r = pinned_client(&s.fingerprint)
        .get(s.url("/health"))
        .send()
        .await
        .expect("GET /health over HTTPS with the pinned fingerprint");
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2, "ALPN h2");
    assert!(
        r.headers().get("strict-transport-security").is_none(),
        "no HSTS with a self-signed certificate"
    );

    // HTTP/1.1 over ALPN, on TLS 1.2 only.
    let tls12 = pinned_tls(&s.fingerprint, &[&rustls::version::TLS12], &[b"http/1.1"]);
    let r = client_with(tls12)
        .get(s.url("/health"))
        .send()
        .await
        .expect("TLS 1.2 with http/1.1");
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_11);

    // The pin is what the client trusts: another fingerprint is refused.
    let wrong = s.fingerprint.replace(|c: char| c != ':', "0");
    let err = pinned_client(&wrong).get(s.url("/health")).send().await;
    assert!(err.is_err(), "a client pinned to another cert must fail");
}

#[tokio::test]
async fn test_req_http_006_certificate_survives_a_restart() {
    let dir = DataDir::new();
    let mut first = start_https(&dir.data, None);
    let fp = first.fingerprint.clone();
    assert!(first.server.stop().is_some_and(|s| s.success()));

    let second = start_https(&dir.data, None);
    assert_eq!(second.fingerprint, fp, "same certificate after restart");
    let r = pinned_client(&fp)
        .get(second.url("/health"))
        .send()
        .await
        .expect("the old pin still works");
    assert_eq!(r.status(), 200);
}

fn serve_with_pem(dir: &DataDir, cert: &[u8], key: &[u8]) -> (CliOutput, String, String) {
    let cert_path = dir.write("cert.pem", cert);
    let key_path = dir.write("key.pem", key);
    let toml = format!(
        "[tls]\ncert = {:?}\nkey = {:?}\n",
        cert_path.to_str().unwrap(),
        key_path.to_str().unwrap()
    );
    let out = run_cmd(https_cmd(&dir.data, Some(&toml)), None);
    let names = (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    );
    (out, names.0, names.1)
}

#[test]
fn test_req_http_006_bad_pem_refused_with_exit_2() {
    let dir = DataDir::new();
    let (_, key) = make_cert_pem();
    let (out, cert_path, _) = serve_with_pem(&dir, b"not a certificate\n", key.as_bytes());
    assert_eq!(out.status.code(), Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&cert_path) && out.stderr.contains("tls.cert"),
        "names the file and the key: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    let dir = DataDir::new();
    let (cert, _) = make_cert_pem();
    let (out, _, key_path) = serve_with_pem(&dir, cert.as_bytes(), b"-----BEGIN JUNK-----\n");
    assert_eq!(out.status.code(), Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&key_path),
        "names the file: {}",
        out.stderr
    );
}

#[test]
fn test_req_http_006_mismatched_key_refused_with_exit_2() {
    let dir = DataDir::new();
    let (cert, _) = make_cert_pem();
    let (_, other_key) = make_cert_pem();
    let (out, cert_path, key_path) = serve_with_pem(&dir, cert.as_bytes(), other_key.as_bytes());
    assert_eq!(out.status.code(), Some(2), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("does not match")
            && out.stderr.contains(&cert_path)
            && out.stderr.contains(&key_path),
        "says which files do not match: {}",
        out.stderr
    );
}

#[tokio::test]
async fn test_req_http_006_configured_cert_replaces_self_signed_and_sends_hsts() {
    let dir = DataDir::new();
    let (cert, key) = make_cert_pem();
    let cert_path = dir.write("cert.pem", cert.as_bytes());
    let key_path = dir.write("key.pem", key.as_bytes());
    let toml = format!("[tls]\ncert = {cert_path:?}\nkey = {key_path:?}\n");
    let s = start_https(&dir.data, Some(&toml));

    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
    assert_eq!(s.fingerprint, sha256_fingerprint(&der), "serves our cert");
    let r = pinned_client(&s.fingerprint)
        .get(s.url("/health"))
        .send()
        .await
        .expect("GET over HTTPS");
    assert_eq!(r.status(), 200);
    let hsts = r.headers().get("strict-transport-security");
    assert_eq!(hsts.map(|v| v.to_str().unwrap()), Some("max-age=31536000"));
}

#[tokio::test]
async fn test_req_http_006_plain_http_redirects_with_308() {
    let dir = DataDir::new();
    let toml = "[tls]\nhttps_redirect = \"always\"\nhsts = \"always\"\n";
    let s = start_https(&dir.data, Some(toml));

    let r = s.server.get("/some/page?x=1").await;
    assert_eq!(r.status, 308, "{}", r.text());
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("https://127.0.0.1:{}/some/page?x=1", port(&s.https_addr)).as_str())
    );
    // Probes and scrapers need no certificate.
    assert_eq!(s.server.get("/health").await.status, 200);
    assert_eq!(s.server.get("/health/ready").await.status, 200);
    assert_ne!(s.server.get("/metrics").await.status, 308);

    // Followed, it lands on HTTPS, where HSTS was forced on.
    let r = pinned_client(&s.fingerprint)
        .get(s.url("/some/page?x=1"))
        .send()
        .await
        .expect("GET over HTTPS");
    assert_ne!(r.status(), 308);
    assert!(r.headers().get("strict-transport-security").is_some());
}

fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

#[tokio::test]
async fn test_req_http_006_loopback_is_not_redirected_by_default() {
    let dir = DataDir::new();
    let s = start_https(&dir.data, None);
    let r = s.server.get("/").await;
    assert_ne!(r.status, 308, "loopback clients get plain HTTP");
}

#[tokio::test]
async fn test_req_http_006_https_off_means_no_redirect() {
    let dir = DataDir::new();
    let s = Server::start(
        &dir.data,
        &Opts::config("[tls]\nhttps_redirect = \"always\"\n"),
    );
    assert!(!s.output().contains("listening on https://"));
    assert_ne!(s.get("/").await.status, 308);
}
