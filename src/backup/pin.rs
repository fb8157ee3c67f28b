//! `backup --url https://… --fingerprint AB:CD:…`: trust exactly the
//! certificate whose SHA-256 the server printed at start-up (its
//! self-signed one), instead of a CA, and without a name check.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// `AB:CD:…`: upper-case hex pairs of the SHA-256 of a certificate's DER.
fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let pairs: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(":")
}

/// Accepts `AB:CD:…`, `ab:cd:…` or plain hex; returns the canonical form.
pub fn normalize(given: &str) -> Option<String> {
    let hex: String = given.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32).map(|i| &upper[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

/// An HTTP client builder for a running server's API (`backup --url`,
/// `deploy`, `pull`): no redirects (a redirect to HTTPS would drop the
/// Authorization header), and for a self-signed certificate either
/// `insecure` (any certificate) or `fingerprint` (only that one).
pub fn client_builder(
    insecure: bool,
    fingerprint: Option<&str>,
) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .danger_accept_invalid_certs(insecure)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(given) = fingerprint {
        let pinned = normalize(given).ok_or_else(|| {
            format!("--fingerprint {given:?} is not a SHA-256 fingerprint; copy the `SHA-256 fingerprint: AB:CD:…` line serve printed")
        })?;
        let tls =
            client_config(pinned).map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        builder = builder.use_preconfigured_tls(tls);
    }
    Ok(builder)
}

/// A client config that trusts only the certificate with `fingerprint`.
pub fn client_config(fingerprint: String) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Pinned {
        fingerprint,
        provider: provider.clone(),
    });
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

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
        let seen = fingerprint(end_entity);
        if seen == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate has fingerprint {seen}, not the pinned {}",
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

#[cfg(test)]
mod tests {
    #[test]
    fn normalize_accepts_the_printed_form_and_plain_hex() {
        let printed = ["AB"; 32].join(":");
        assert_eq!(
            super::normalize(&printed).as_deref(),
            Some(printed.as_str())
        );
        assert_eq!(super::normalize(&"ab".repeat(32)), Some(printed));
        assert_eq!(super::normalize("AB:CD"), None);
        assert_eq!(super::normalize(&"zz".repeat(32)), None);
    }
}
