//! HTTPS helpers: start `serve` with HTTPS on `127.0.0.1:0`, read the
//! printed fingerprint, and talk to it with a client that trusts exactly
//! that certificate (no CA, no name check: the pin is the whole trust).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::*;

/// A running server with HTTPS on, and what it printed about it.
pub struct HttpsServer {
    pub server: Server,
    /// `IP:PORT` from `listening on https://IP:PORT`.
    pub https_addr: String,
    /// From `SHA-256 fingerprint: AB:CD:...`.
    pub fingerprint: String,
}

impl HttpsServer {
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{}", self.https_addr, path)
    }
}

/// The `serve` command with `--https 127.0.0.1:0` and, when given, a
/// config file written next to the data file.
pub fn https_cmd(data: &Path, config: Option<&str>) -> Command {
    let mut cmd = cli();
    cmd.arg("serve").arg("--data").arg(data);
    cmd.args(["--http", "127.0.0.1:0", "--https", "127.0.0.1:0"]);
    if let Some(toml) = config {
        let path = data.parent().expect("data dir").join("config.toml");
        std::fs::write(&path, toml).expect("write config file");
        cmd.arg("--config").arg(path);
    }
    cmd
}

/// Starts `serve` with HTTPS. The https and fingerprint lines come before
/// the `listening on http://` line that [`Server::spawn_cmd`] waits for.
pub fn start_https(data: &Path, config: Option<&str>) -> HttpsServer {
    let server = Server::spawn_cmd(https_cmd(data, config), data)
        .unwrap_or_else(|e| panic!("server did not start: {e}"));
    let out = server.output();
    let after = |prefix: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}"))
    };
    let https_addr = after("listening on https://");
    let fingerprint = after("SHA-256 fingerprint: ");
    HttpsServer {
        server,
        https_addr,
        fingerprint,
    }
}

/// `AB:CD:...` of the SHA-256 of a certificate's DER.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let pairs: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(":")
}

/// Accepts the one certificate whose fingerprint was printed.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = sha256_fingerprint(end_entity);
        if seen == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {seen} is not the pinned {}",
                self.fingerprint
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client config pinned to `fingerprint`, offering `alpn` and the
/// given TLS versions.
pub fn pinned_tls(
    fingerprint: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Pinned {
        fingerprint: fingerprint.to_string(),
        provider: provider.clone(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// reqwest over a pinned TLS 1.2/1.3 config offering h2 and http/1.1.
pub fn pinned_client(fingerprint: &str) -> reqwest::Client {
    let versions = [&rustls::version::TLS13, &rustls::version::TLS12];
    client_with(pinned_tls(fingerprint, &versions, &[b"h2", b"http/1.1"]))
}

pub fn client_with(tls: rustls::ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("build pinned reqwest client")
}

/// A certificate for `localhost` and its key, as PEM (cert, key).
pub fn make_cert_pem() -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key pair");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("self-sign");
    (cert.pem(), key.serialize_pem())
}
