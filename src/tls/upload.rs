//! A certificate uploaded through the management API (`PUT /engine/api/tls`,
//! the admin UI's TLS certificate page): checked, kept in the data file
//! (SETTINGS, key [`KEY`]) and swapped into the running HTTPS listener for
//! the next handshake. It replaces the self-signed certificate until it is
//! deleted; `tls.cert`/`tls.key` files in the config take precedence over
//! both.
//!
//! [`TlsControl`] is the handle the HTTP layer holds: what is served now,
//! and upload or delete.

use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{certified, pem_detail, CertPair, CertSlot, Started, TlsError};
use crate::store::{encode, get_value, tables, Store, StoreError};

/// Key in [`tables::SETTINGS`] holding a [`Stored`] upload.
pub const KEY: &str = "tls.uploaded";
/// A certificate may start this far in the future (clocks disagree).
const CLOCK_SLACK_SECS: i64 = 300;

/// Where the served certificate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertSource {
    SelfSigned,
    Uploaded,
    Files,
}

impl CertSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CertSource::SelfSigned => "self-signed",
            CertSource::Uploaded => "uploaded",
            CertSource::Files => "config files",
        }
    }
}

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
        let c = x509::parse(der)?;
        Ok(CertInfo {
            subject: c.subject,
            issuer: c.issuer,
            sans: c.sans,
            not_before: c.not_before.rfc3339(),
            not_after: c.not_after.rfc3339(),
            not_before_unix: c.not_before.unix()?,
            not_after_unix: c.not_after.unix()?,
            fingerprint: super::fingerprint(der),
        })
    }
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
    Store(#[from] StoreError),
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
fn check(cert_pem: &str, key_pem: &str) -> Result<(CertPair, CertInfo), UploadError> {
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

/// An upload as the data file keeps it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Stored {
    pub cert_pem: String,
    pub key_pem: String,
    /// Unix milliseconds.
    pub uploaded_at: i64,
    /// The admin's email.
    pub uploaded_by: String,
}

/// The stored upload, if any. Blocks: call off the reactor.
pub fn load(store: &Store) -> Result<Option<Stored>, StoreError> {
    store.read(|txn| match txn.open_table(tables::SETTINGS) {
        Ok(t) => get_value(&t, KEY),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    })
}

fn save(store: &Store, s: &Stored) -> Result<(), StoreError> {
    let bytes = encode(s)?;
    store.write(|txn| {
        let mut t = txn.open_table(tables::SETTINGS)?;
        t.insert(KEY, bytes.as_slice())?;
        Ok(())
    })
}

fn remove(store: &Store) -> Result<bool, StoreError> {
    store.write(|txn| {
        let mut t = txn.open_table(tables::SETTINGS)?;
        let had = t.remove(KEY)?.is_some();
        Ok(had)
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Redb(format!("a blocking task failed: {e}")))?
}

/// Whether an upload is stored (the renewal must not replace it).
pub async fn is_stored(store: &Store) -> bool {
    let st = store.clone();
    matches!(blocking(move || load(&st)).await, Ok(Some(_)))
}

/// The stored upload to serve at start, when there is one that parses.
/// A damaged one is logged and skipped (the self-signed one serves); an
/// expired one still serves, with a warning, as the admin chose it.
pub async fn for_start(store: &Store) -> Option<(CertPair, CertInfo)> {
    let st = store.clone();
    let stored = match blocking(move || load(&st)).await {
        Ok(s) => s?,
        Err(e) => {
            tracing::error!("cannot read the uploaded TLS certificate: {e}");
            return None;
        }
    };
    // Checked as at upload, except for dates.
    match check(&stored.cert_pem, &stored.key_pem) {
        Ok((pair, info)) => {
            if info.not_after_unix <= OffsetDateTime::now_utc().unix_timestamp() {
                tracing::warn!(fingerprint = %info.fingerprint, "the uploaded TLS certificate expired at {}; upload a new one in the admin UI, or delete it to go back to the self-signed one", info.not_after);
            } else {
                tracing::info!(fingerprint = %info.fingerprint, subject = %info.subject, "TLS certificate uploaded in the admin UI, valid until {}", info.not_after);
            }
            Some((pair, info))
        }
        Err(e) => {
            tracing::error!("the uploaded TLS certificate in the data file is unusable ({e}); serving the self-signed one");
            None
        }
    }
}

/// The running server's certificate, for the management API.
pub struct TlsControl {
    /// The slot handshakes read; None with `--https off`.
    attached: Option<Arc<CertSlot>>,
    source: Mutex<CertSource>,
    /// One upload or delete at a time.
    busy: tokio::sync::Mutex<()>,
}

impl TlsControl {
    /// Over the certificate HTTPS started with, or (None) HTTPS off.
    pub fn new(started: Option<&Started>) -> TlsControl {
        TlsControl {
            attached: started.map(|s| s.tls.slot.clone()),
            source: Mutex::new(started.map_or(CertSource::SelfSigned, |s| s.source)),
            busy: tokio::sync::Mutex::new(()),
        }
    }
}

/// The state after an upload or a delete.
pub struct Changed {
    pub info: Option<CertInfo>,
    /// False with `--https off`: kept for the next start with HTTPS.
    pub applied: bool,
}

impl TlsControl {
    /// Whether HTTPS is served.
    pub fn https(&self) -> bool {
        self.attached.is_some()
    }

    pub fn source(&self) -> CertSource {
        *self.source.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The certificate handshakes get now (None with `--https off`).
    pub fn serving(&self) -> Option<CertInfo> {
        let slot = self.attached.as_ref()?;
        let ck = slot.0.load_full();
        let der = ck.cert.first()?;
        match CertInfo::of(der) {
            Ok(i) => Some(i),
            Err(e) => Some(CertInfo {
                subject: format!("(unreadable: {e})"),
                issuer: String::new(),
                sans: Vec::new(),
                not_before: String::new(),
                not_after: String::new(),
                not_before_unix: 0,
                not_after_unix: 0,
                fingerprint: super::fingerprint(der),
            }),
        }
    }

    /// Validates, stores and serves an upload. `files`: the configured
    /// `tls.cert`/`tls.key`, which refuse it.
    pub async fn upload(
        &self,
        store: &Store,
        files: Option<(String, String)>,
        cert_pem: &str,
        key_pem: &str,
        by: &str,
    ) -> Result<Changed, UploadError> {
        self.refuse_with_files(files)?;
        let (pair, info) = validate(cert_pem, key_pem, OffsetDateTime::now_utc())?;
        let _busy = self.busy.lock().await;
        let stored = Stored {
            cert_pem: cert_pem.trim().to_string() + "\n",
            key_pem: key_pem.trim().to_string() + "\n",
            uploaded_at: crate::domain::now_millis(),
            uploaded_by: by.to_string(),
        };
        let st = store.clone();
        blocking(move || save(&st, &stored)).await?;
        let applied = match self.attached.as_ref() {
            Some(slot) => {
                slot.replace(&pair)?;
                *self.source.lock().unwrap_or_else(|p| p.into_inner()) = CertSource::Uploaded;
                tracing::warn!(fingerprint = %info.fingerprint, subject = %info.subject, by, "serving an uploaded TLS certificate, valid until {}", info.not_after);
                true
            }
            None => false,
        };
        Ok(Changed {
            info: Some(info),
            applied,
        })
    }

    /// Forgets the upload and serves the self-signed certificate (the
    /// stored one, or a new one for `names`).
    pub async fn delete(
        &self,
        store: &Store,
        files: Option<(String, String)>,
        names: &[String],
    ) -> Result<Changed, UploadError> {
        self.refuse_with_files(files)?;
        let _busy = self.busy.lock().await;
        let st = store.clone();
        blocking(move || remove(&st)).await?;
        let Some(slot) = self.attached.as_ref() else {
            return Ok(Changed {
                info: None,
                applied: false,
            });
        };
        let loaded = super::load_self_signed(store.clone(), names.to_vec()).await?;
        slot.replace(&loaded.pair)?;
        *self.source.lock().unwrap_or_else(|p| p.into_inner()) = CertSource::SelfSigned;
        super::log_loaded(&loaded);
        Ok(Changed {
            info: self.serving(),
            applied: true,
        })
    }

    fn refuse_with_files(&self, files: Option<(String, String)>) -> Result<(), UploadError> {
        if let Some((cert, key)) = files {
            return Err(UploadError::FilesConfigured { cert, key });
        }
        if self.source() == CertSource::Files {
            return Err(UploadError::FilesConfigured {
                cert: "(set at start)".into(),
                key: "(set at start)".into(),
            });
        }
        Ok(())
    }
}

/// Just enough DER to describe a certificate: names, validity and subject
/// alternative names. What is trusted (the key matching the certificate)
/// is checked by rustls and webpki, not here.
mod x509 {
    pub struct Cert {
        pub subject: String,
        pub issuer: String,
        pub not_before: Time,
        pub not_after: Time,
        pub sans: Vec<String>,
    }

    pub struct Time {
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    }

    impl Time {
        pub fn rfc3339(&self) -> String {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                self.year, self.month, self.day, self.hour, self.minute, self.second
            )
        }

        pub fn unix(&self) -> Result<i64, String> {
            let month = time::Month::try_from(self.month).map_err(|e| e.to_string())?;
            let date = time::Date::from_calendar_date(self.year, month, self.day)
                .map_err(|e| e.to_string())?;
            let t = time::Time::from_hms(self.hour, self.minute, self.second)
                .map_err(|e| e.to_string())?;
            Ok(time::PrimitiveDateTime::new(date, t)
                .assume_utc()
                .unix_timestamp())
        }
    }

    const SEQUENCE: u8 = 0x30;
    const SET: u8 = 0x31;
    const OID: u8 = 0x06;

    /// One TLV: (tag, content, rest).
    fn tlv(input: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
        let short = || "truncated DER".to_string();
        let (&tag, rest) = input.split_first().ok_or_else(short)?;
        if tag & 0x1f == 0x1f {
            return Err("multi-byte DER tags are not used in certificates".into());
        }
        let (&first, mut rest) = rest.split_first().ok_or_else(short)?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err("bad DER length".into());
            }
            let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(short());
        }
        Ok((tag, &rest[..len], &rest[len..]))
    }

    fn expect<'a>(input: &'a [u8], want: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
        let (tag, content, rest) = tlv(input)?;
        if tag != want {
            return Err(format!(
                "expected {what} (tag {want:#04x}), found tag {tag:#04x}"
            ));
        }
        Ok((content, rest))
    }

    pub fn parse(der: &[u8]) -> Result<Cert, String> {
        let (cert, _) = expect(der, SEQUENCE, "Certificate")?;
        let (tbs, _) = expect(cert, SEQUENCE, "TBSCertificate")?;
        let mut rest = tbs;
        // [0] EXPLICIT version, optional.
        if rest.first() == Some(&0xa0) {
            rest = tlv(rest)?.2;
        }
        let (_serial, r) = expect(rest, 0x02, "serial number")?;
        let (_alg, r) = expect(r, SEQUENCE, "signature algorithm")?;
        let (issuer, r) = expect(r, SEQUENCE, "issuer")?;
        let (validity, r) = expect(r, SEQUENCE, "validity")?;
        let (subject, r) = expect(r, SEQUENCE, "subject")?;
        let (_spki, mut r) = expect(r, SEQUENCE, "subject public key info")?;
        let (nb, v) = time(validity)?;
        let (na, _) = time(v)?;
        let mut sans = Vec::new();
        while !r.is_empty() {
            let (tag, content, next) = tlv(r)?;
            if tag == 0xa3 {
                sans = alt_names(content)?;
            }
            r = next;
        }
        Ok(Cert {
            subject: name(subject)?,
            issuer: name(issuer)?,
            not_before: nb,
            not_after: na,
            sans,
        })
    }

    fn time(input: &[u8]) -> Result<(Time, &[u8]), String> {
        let (tag, content, rest) = tlv(input)?;
        let s = std::str::from_utf8(content).map_err(|_| "a time is not ASCII")?;
        let digits = |a: usize, b: usize| -> Result<u32, String> {
            s.get(a..b)
                .filter(|d| d.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| format!("bad time {s:?}"))
        };
        let (year, off) = match tag {
            0x17 => {
                let yy = digits(0, 2)? as i32;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
            }
            0x18 => (digits(0, 4)? as i32, 4),
            _ => {
                return Err(format!(
                    "expected a UTCTime or GeneralizedTime, found tag {tag:#04x}"
                ))
            }
        };
        let t = Time {
            year,
            month: digits(off, off + 2)? as u8,
            day: digits(off + 2, off + 4)? as u8,
            hour: digits(off + 4, off + 6)? as u8,
            minute: digits(off + 6, off + 8)? as u8,
            second: digits(off + 8, off + 10)? as u8,
        };
        Ok((t, rest))
    }

    /// `CN=example.com, O=Example` in the certificate's order.
    fn name(mut input: &[u8]) -> Result<String, String> {
        let mut parts = Vec::new();
        while !input.is_empty() {
            let (set, rest) = expect(input, SET, "RelativeDistinguishedName")?;
            let mut atvs = set;
            while !atvs.is_empty() {
                let (atv, next) = expect(atvs, SEQUENCE, "AttributeTypeAndValue")?;
                let (oid, v) = expect(atv, OID, "attribute type")?;
                let (tag, value, _) = tlv(v)?;
                parts.push(format!(
                    "{}={}",
                    attr_name(&oid_text(oid)),
                    text(tag, value)
                ));
                atvs = next;
            }
            input = rest;
        }
        Ok(parts.join(", "))
    }

    fn text(tag: u8, value: &[u8]) -> String {
        if tag == 0x1e {
            // BMPString: UTF-16BE.
            let units: Vec<u16> = value
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            return String::from_utf16_lossy(&units);
        }
        String::from_utf8_lossy(value).into_owned()
    }

    pub fn oid_text(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        let mut n: u64 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            n = (n << 7) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                if out.is_empty() {
                    let first = if n < 40 {
                        0
                    } else if n < 80 {
                        1
                    } else {
                        2
                    };
                    out.push(first.to_string());
                    out.push((n - first * 40).to_string());
                } else {
                    out.push(n.to_string());
                }
                n = 0;
            } else if i == bytes.len() - 1 {
                out.push("?".into());
            }
        }
        out.join(".")
    }

    fn attr_name(oid: &str) -> String {
        match oid {
            "2.5.4.3" => "CN",
            "2.5.4.5" => "serialNumber",
            "2.5.4.6" => "C",
            "2.5.4.7" => "L",
            "2.5.4.8" => "ST",
            "2.5.4.10" => "O",
            "2.5.4.11" => "OU",
            "1.2.840.113549.1.9.1" => "emailAddress",
            other => return other.to_string(),
        }
        .to_string()
    }

    /// The subjectAltName extension (2.5.29.17) among `[3] Extensions`.
    fn alt_names(explicit: &[u8]) -> Result<Vec<String>, String> {
        let (mut exts, _) = expect(explicit, SEQUENCE, "Extensions")?;
        while !exts.is_empty() {
            let (ext, next) = expect(exts, SEQUENCE, "Extension")?;
            exts = next;
            let (oid, mut r) = expect(ext, OID, "extension id")?;
            if oid_text(oid) != "2.5.29.17" {
                continue;
            }
            if r.first() == Some(&0x01) {
                r = tlv(r)?.2; // critical
            }
            let (octets, _) = expect(r, 0x04, "extension value")?;
            let (mut names, _) = expect(octets, SEQUENCE, "GeneralNames")?;
            let mut out = Vec::new();
            while !names.is_empty() {
                let (tag, v, next) = tlv(names)?;
                names = next;
                match tag {
                    0x82 => out.push(String::from_utf8_lossy(v).into_owned()),
                    0x87 if v.len() == 4 => {
                        out.push(std::net::Ipv4Addr::new(v[0], v[1], v[2], v[3]).to_string())
                    }
                    0x87 if v.len() == 16 => {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(v);
                        out.push(std::net::Ipv6Addr::from(b).to_string())
                    }
                    0x81 => out.push(format!("email:{}", String::from_utf8_lossy(v))),
                    0x86 => out.push(format!("URI:{}", String::from_utf8_lossy(v))),
                    _ => {}
                }
            }
            return Ok(out);
        }
        Ok(Vec::new())
    }
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
    fn oids_and_times() {
        assert_eq!(x509::oid_text(&[0x55, 0x04, 0x03]), "2.5.4.3");
        assert_eq!(
            x509::oid_text(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]),
            "1.2.840.113549.1.9.1"
        );
    }
}
