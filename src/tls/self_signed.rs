//! The self-signed certificate: made with rcgen on first start, kept in the
//! data file (through [`TlsRepo`]) so that it survives restarts and
//! backups, and renewed [`RENEW_BEFORE`] its expiry.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{CertPair, TlsError, TlsRepo};
use crate::domain::StorageError;
pub const VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// The self-signed certificate as the data file keeps it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Stored {
    pub cert_pem: String,
    pub key_pem: String,
    /// Unix seconds.
    pub not_after: i64,
    /// The subject alternative names it was made for.
    pub names: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Reused,
    Created,
    /// The stored one expires within [`RENEW_BEFORE`] (or has expired).
    Renewed,
    /// `tls.names` asks for a name the stored one lacks.
    NamesChanged,
}

pub struct Loaded {
    pub pair: CertPair,
    pub not_after: SystemTime,
    pub names: Vec<String>,
    pub outcome: Outcome,
}

/// Returns the stored certificate, or makes and stores a new one when there
/// is none, when it is due for renewal, or when it lacks a configured name.
/// Blocks on the data file: call from `spawn_blocking`.
pub fn load_or_create(
    repo: &dyn TlsRepo,
    configured: &[String],
    now: OffsetDateTime,
) -> Result<Loaded, TlsError> {
    let stored = repo.self_signed()?;
    let outcome = match &stored {
        None => Outcome::Created,
        Some(s) if s.not_after - now.unix_timestamp() <= RENEW_BEFORE.as_secs() as i64 => {
            Outcome::Renewed
        }
        Some(s) if configured.iter().any(|n| !s.names.contains(n)) => Outcome::NamesChanged,
        Some(_) => Outcome::Reused,
    };
    let stored = match (stored, &outcome) {
        (Some(s), Outcome::Reused) => s,
        _ => {
            let fresh = generate(&local_names(configured), now)?;
            repo.put_self_signed(&fresh)?;
            fresh
        }
    };
    Ok(Loaded {
        pair: pair_of(&stored)?,
        not_after: SystemTime::UNIX_EPOCH + Duration::from_secs(stored.not_after.max(0) as u64),
        names: stored.names,
        outcome,
    })
}

fn pair_of(s: &Stored) -> Result<CertPair, TlsError> {
    let bad = |what: &str, e: rustls::pki_types::pem::Error| {
        TlsError::Store(StorageError::corrupt(format!(
            "stored value could not be decoded: tls.self_signed: stored {what}: {e}"
        )))
    };
    let cert = CertificateDer::from_pem_slice(s.cert_pem.as_bytes()).map_err(|e| bad("cert", e))?;
    let key = PrivateKeyDer::from_pem_slice(s.key_pem.as_bytes()).map_err(|e| bad("key", e))?;
    Ok(CertPair {
        chain: vec![cert],
        key: Arc::new(key),
        self_signed: true,
    })
}

fn generate(names: &[String], now: OffsetDateTime) -> Result<Stored, TlsError> {
    let gen = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut params = CertificateParams::default();
    params.subject_alt_names = names.iter().filter_map(|n| san(n)).collect();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "aiwebengine self-signed");
    dn.push(DnType::OrganizationName, "aiwebengine");
    params.distinguished_name = dn;
    // A day of slack for clients whose clocks run behind.
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + VALIDITY;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(gen)?;
    let cert = params.self_signed(&key).map_err(gen)?;
    Ok(Stored {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        not_after: params.not_after.unix_timestamp(),
        names: names.to_vec(),
    })
}

/// An IP literal becomes an IP SAN; anything else ASCII a DNS SAN.
fn san(name: &str) -> Option<SanType> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Some(SanType::IpAddress(ip));
    }
    match name.try_into() {
        Ok(dns) => Some(SanType::DnsName(dns)),
        Err(_) => {
            tracing::warn!("TLS name {name:?} is not ASCII; left out of the certificate");
            None
        }
    }
}

/// `localhost`, the hostname, loopback and every interface address, then
/// the configured names; in that order, without duplicates.
fn local_names(configured: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    if let Some(host) = gethostname::gethostname().to_str() {
        names.push(host.to_string());
    }
    names.push("127.0.0.1".into());
    names.push("::1".into());
    // Failing to list interfaces only loses some names; not worth failing for.
    for iface in if_addrs::get_if_addrs().unwrap_or_default() {
        let ip = iface.ip();
        let link_local_v6 = matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
        if !link_local_v6 {
            names.push(ip.to_string());
        }
    }
    names.extend(configured.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| !n.is_empty() && seen.insert(n.clone()));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The port over a memory cell: the rules, not the data file, are tested here
    /// (`store::tls` and the integration tests cover the data file).
    #[derive(Default)]
    struct Cell(std::sync::Mutex<Option<Stored>>);

    impl TlsRepo for Cell {
        fn self_signed(&self) -> Result<Option<Stored>, StorageError> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn put_self_signed(&self, s: &Stored) -> Result<(), StorageError> {
            *self.0.lock().unwrap() = Some(s.clone());
            Ok(())
        }
        fn uploaded(&self) -> Result<Option<crate::tls::upload::Stored>, StorageError> {
            Ok(None)
        }
        fn put_uploaded(&self, _: &crate::tls::upload::Stored) -> Result<(), StorageError> {
            Ok(())
        }
        fn remove_uploaded(&self) -> Result<bool, StorageError> {
            Ok(false)
        }
    }

    #[test]
    fn reused_until_thirty_days_before_expiry_then_renewed() {
        let repo = Cell::default();
        let t0 = OffsetDateTime::now_utc();
        let first = load_or_create(&repo, &[], t0).unwrap();
        assert_eq!(first.outcome, Outcome::Created);
        let later = t0 + time::Duration::days(300);
        let again = load_or_create(&repo, &[], later).unwrap();
        assert_eq!(again.outcome, Outcome::Reused);
        assert_eq!(again.pair.fingerprint(), first.pair.fingerprint());
        let due = t0 + time::Duration::days(340);
        let renewed = load_or_create(&repo, &[], due).unwrap();
        assert_eq!(renewed.outcome, Outcome::Renewed);
        assert_ne!(renewed.pair.fingerprint(), first.pair.fingerprint());
        assert!(renewed.not_after > first.not_after);
    }

    #[test]
    fn a_new_configured_name_makes_a_new_certificate() {
        let repo = Cell::default();
        let now = OffsetDateTime::now_utc();
        load_or_create(&repo, &[], now).unwrap();
        let names = vec!["app.example.test".to_string()];
        let next = load_or_create(&repo, &names, now).unwrap();
        assert_eq!(next.outcome, Outcome::NamesChanged);
        assert!(next.names.contains(&names[0]));
        assert!(next.names.iter().any(|n| n == "127.0.0.1"));
    }
}
