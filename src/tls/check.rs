//! Checking an uploaded certificate and key, and describing a certificate
//! for admins. The description is read with `x509-parser`; whether the key
//! belongs to the certificate is decided by rustls.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

use super::{certified, pem_detail, CertPair, TlsError};
use crate::domain::StorageError;

/// A certificate may start this far in the future (clocks disagree).
const CLOCK_SLACK_SECS: i64 = 300;

/// What an admin sees of a certificate.
#[derive(Clone, Debug, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses (others as `email:`, `URI:`).
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    #[serde(skip)]
    pub not_before_unix: i64,
    #[serde(skip)]
    pub not_after_unix: i64,
    /// Upper-case hex pairs of the SHA-256 of the DER, as browsers show it.
    pub fingerprint: String,
}

impl CertInfo {
    /// The leaf of a chain, described.
    pub fn of(der: &[u8]) -> Result<CertInfo, String> {
        let (_, c) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let validity = c.validity();
        let (nb, na) = (
            validity.not_before.to_datetime(),
            validity.not_after.to_datetime(),
        );
        Ok(CertInfo {
            subject: name(c.subject()),
            issuer: name(c.issuer()),
            sans: sans(&c)?,
            not_before: rfc3339(nb),
            not_after: rfc3339(na),
            not_before_unix: nb.unix_timestamp(),
            not_after_unix: na.unix_timestamp(),
            fingerprint: super::fingerprint(der),
        })
    }
}

/// `2025-01-31T12:00:00Z`: seconds, UTC.
fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `CN=example.com, O=Example` in the certificate's order; attributes
/// without a short name by their OID, values that are not text in hex.
fn name(n: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in n.iter() {
        for atv in rdn.iter() {
            let oid = atv.attr_type().to_id_string();
            let value = match atv.as_str() {
                Ok(s) => s.to_string(),
                Err(_) => atv
                    .attr_value()
                    .data
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect(),
            };
            parts.push(format!("{}={value}", attr_name(&oid)));
        }
    }
    parts.join(", ")
}

fn attr_name(oid: &str) -> &str {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => other,
    }
}

/// DNS names and IP addresses of the subjectAltName extension (others as
/// `email:`, `URI:`), in the certificate's order.
fn sans(c: &X509Certificate<'_>) -> Result<Vec<String>, String> {
    let Some(ext) = c.subject_alternative_name().map_err(|e| e.to_string())? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for n in &ext.value.general_names {
        match n {
            GeneralName::DNSName(d) => out.push(d.to_string()),
            GeneralName::IPAddress(v) if v.len() == 4 => {
                out.push(std::net::Ipv4Addr::new(v[0], v[1], v[2], v[3]).to_string())
            }
            GeneralName::IPAddress(v) if v.len() == 16 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(v);
                out.push(std::net::Ipv6Addr::from(b).to_string())
            }
            GeneralName::RFC822Name(e) => out.push(format!("email:{e}")),
            GeneralName::URI(u) => out.push(format!("URI:{u}")),
            _ => {}
        }
    }
    Ok(out)
}

/// Why an upload was refused (or could not be kept).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// What the admin sent is wrong; `code` is the API error code.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("the certificate comes from the config files tls.cert ({cert}) and tls.key ({key}), which take precedence over an uploaded one; remove both keys from the config and restart the server to manage the certificate here")]
    FilesConfigured { cert: String, key: String },
    #[error("cannot keep the certificate in the data file: {0}")]
    Store(#[from] StorageError),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

fn invalid(code: &'static str, message: impl Into<String>) -> UploadError {
    UploadError::Invalid {
        code,
        message: message.into(),
    }
}

/// Checks a PEM certificate chain and private key: both parse, the key
/// belongs to the first certificate, and that certificate is valid at
/// `now`. Every refusal says which of the two is wrong and how.
pub fn validate(
    cert_pem: &str,
    key_pem: &str,
    now: OffsetDateTime,
) -> Result<(CertPair, CertInfo), UploadError> {
    let (pair, info) = check(cert_pem, key_pem)?;
    let t = now.unix_timestamp();
    if info.not_after_unix <= t {
        return Err(invalid(
            "certificate_expired",
            format!(
                "the certificate expired at {} (its notAfter); upload a current one",
                info.not_after
            ),
        ));
    }
    if info.not_before_unix > t + CLOCK_SLACK_SECS {
        return Err(invalid(
            "certificate_not_yet_valid",
            format!("the certificate is not valid before {} (its notBefore); check the server's clock or upload it then", info.not_before),
        ));
    }
    Ok((pair, info))
}

/// [`validate`] without the dates.
pub(super) fn check(cert_pem: &str, key_pem: &str) -> Result<(CertPair, CertInfo), UploadError> {
    let cert_pem = cert_pem.trim();
    let key_pem = key_pem.trim();
    if cert_pem.is_empty() {
        return Err(invalid("invalid_certificate", "cert is empty: give the PEM certificate chain, starting with -----BEGIN CERTIFICATE-----"));
    }
    if key_pem.is_empty() {
        return Err(invalid(
            "invalid_key",
            "key is empty: give the PEM private key, starting with -----BEGIN PRIVATE KEY----- (or RSA PRIVATE KEY, EC PRIVATE KEY)",
        ));
    }
    let chain: Vec<CertificateDer<'static>> =
        match CertificateDer::pem_slice_iter(cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>() {
            Ok(c) if !c.is_empty() => c,
            Ok(_) if cert_pem.contains("PRIVATE KEY-----") => {
                return Err(invalid("invalid_certificate", "cert holds a private key, not a certificate: put the key in the key field and the certificate (-----BEGIN CERTIFICATE-----) here"))
            }
            Ok(_) => {
                return Err(invalid("invalid_certificate", "cert has no CERTIFICATE block: expected a PEM certificate chain (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"))
            }
            Err(e) => {
                return Err(invalid(
                    "invalid_certificate",
                    format!("cert is not a valid PEM certificate: {}", pem_detail(&e)),
                ))
            }
        };
    let info = CertInfo::of(&chain[0]).map_err(|e| {
        invalid(
            "invalid_certificate",
            format!("cert: the first CERTIFICATE block is not a readable X.509 certificate ({e})"),
        )
    })?;
    if key_pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(invalid("invalid_key", "key is encrypted with a passphrase; give it unencrypted (for example: openssl pkey -in key.pem -out plain-key.pem)"));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
        let what = if key_pem.contains("BEGIN CERTIFICATE") {
            "key holds a certificate, not a private key: put it in the cert field".to_string()
        } else {
            format!("key has no usable private key ({}); expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block", pem_detail(&e))
        };
        invalid("invalid_key", what)
    })?;
    let pair = CertPair {
        chain,
        key: Arc::new(key),
        self_signed: false,
    };
    let ck = certified(&pair).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => key_mismatch(),
        other => invalid(
            "invalid_key",
            format!("key cannot be used with this certificate: {other}"),
        ),
    })?;
    // from_der lets "cannot tell" through; an upload must be known to match.
    match ck.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(key_mismatch())
        }
        Err(e) => {
            return Err(invalid(
                "invalid_key",
                format!("cannot check that the key belongs to the certificate: {e}"),
            ))
        }
    }
    Ok((pair, info))
}

fn key_mismatch() -> UploadError {
    invalid("key_mismatch", "the private key does not match the certificate (their public keys differ); give the key that was issued with this certificate")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(
        names: &[&str],
        cn: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, cn);
        dn.push(rcgen::DnType::OrganizationName, "Example Ltd");
        params.distinguished_name = dn;
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn err(r: Result<(CertPair, CertInfo), UploadError>) -> UploadError {
        match r {
            Ok((_, info)) => panic!("accepted: {info:?}"),
            Err(e) => e,
        }
    }

    fn code(e: &UploadError) -> &'static str {
        match e {
            UploadError::Invalid { code, .. } => code,
            other => panic!("not an Invalid: {other}"),
        }
    }

    #[test]
    fn a_good_pair_is_described() {
        let day = time::Duration::days(1);
        let (c, k) = make(
            &["app.example.test", "10.1.2.3", "::1"],
            "app.example.test",
            now() - day,
            now() + day * 90,
        );
        let (pair, info) = validate(&c, &k, now()).unwrap();
        assert_eq!(info.subject, "CN=app.example.test, O=Example Ltd");
        assert_eq!(info.issuer, info.subject);
        assert_eq!(info.sans, ["app.example.test", "10.1.2.3", "::1"]);
        assert_eq!(info.fingerprint, pair.fingerprint());
        assert!(
            info.not_after.ends_with('Z') && info.not_after.len() == 20,
            "{}",
            info.not_after
        );
        assert!(info.not_after_unix > now().unix_timestamp());
    }

    #[test]
    fn refusals_name_the_problem() {
        let day = time::Duration::days(1);
        let (c, k) = make(&["a.test"], "a", now() - day, now() + day);
        let (_, other_key) = make(&["a.test"], "a", now() - day, now() + day);
        let e = err(validate("not a pem", &k, now()));
        assert_eq!(code(&e), "invalid_certificate");
        let e = err(validate(&c, "garbage", now()));
        assert_eq!(code(&e), "invalid_key");
        let e = err(validate(&k, &c, now()));
        assert!(e.to_string().contains("holds a private key"), "{e}");
        let e = err(validate(&c, &other_key, now()));
        assert_eq!(code(&e), "key_mismatch");
        let (old, old_key) = make(&["a.test"], "a", now() - day * 30, now() - day);
        let e = err(validate(&old, &old_key, now()));
        assert!(e.to_string().contains("expired"), "{e}");
        let damaged = c.replace("MII", "M!I");
        let e = err(validate(&damaged, &k, now()));
        assert_eq!(code(&e), "invalid_certificate", "{e}");
    }

    #[test]
    fn attribute_names_and_times() {
        assert_eq!(attr_name("2.5.4.3"), "CN");
        assert_eq!(attr_name("1.2.840.113549.1.9.1"), "emailAddress");
        assert_eq!(attr_name("2.5.4.99"), "2.5.4.99");
        let t = OffsetDateTime::from_unix_timestamp(1_738_324_805).unwrap();
        assert_eq!(rfc3339(t), "2025-01-31T12:00:05Z");
    }
}
