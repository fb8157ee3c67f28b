//! HTTPS: the rustls server config and the certificate it serves, either
//! PEM files named by `tls.cert`/`tls.key` or the self-signed one kept in
//! the data file (see [`self_signed`]).
//!
//! The certificate sits behind an atomic swap inside a rustls cert resolver,
//! so a renewal (or, later, a reload) takes effect for the next handshake on
//! every I/O thread without rebuilding the acceptor.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::pki_types::pem::{Error as PemError, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use time::OffsetDateTime;

use crate::domain::StorageError;

mod check;
pub mod repo;
pub mod self_signed;
pub mod upload;

pub use repo::TlsRepo;

use self_signed::{Loaded, Outcome};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls.{key} {path}: {detail}")]
    Pem {
        key: &'static str,
        path: String,
        detail: String,
    },
    #[error("tls.key {key} does not match the certificate in tls.cert {cert} (their public keys differ); give the private key that was issued with this certificate")]
    Mismatch { cert: String, key: String },
    #[error("cannot make the self-signed certificate: {0}")]
    Generate(String),
    #[error("cannot keep the self-signed certificate in the data file: {0}")]
    Store(#[from] StorageError),
    #[error("TLS set-up failed: {0}")]
    Rustls(#[from] rustls::Error),
}

impl TlsError {
    /// Errors in what the operator configured (exit status 2), as opposed
    /// to failures at run time.
    pub fn is_config(&self) -> bool {
        matches!(self, TlsError::Pem { .. } | TlsError::Mismatch { .. })
    }
}

/// A certificate chain with its private key, in DER, plus where it came from.
#[derive(Clone)]
pub struct CertPair {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<PrivateKeyDer<'static>>,
    pub self_signed: bool,
}

impl CertPair {
    /// Upper-case hex pairs of the SHA-256 of the leaf certificate's DER,
    /// as browsers show it.
    pub fn fingerprint(&self) -> String {
        self.chain
            .first()
            .map(|c| fingerprint(c))
            .unwrap_or_default()
    }
}

pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

/// Reads `tls.cert` and `tls.key` and checks that they belong together.
pub fn load_files(cert: &Path, key: &Path) -> Result<CertPair, TlsError> {
    let pem_err = |key: &'static str, path: &Path, detail: String| TlsError::Pem {
        key,
        path: path.display().to_string(),
        detail,
    };
    let chain = read(cert)
        .map_err(|d| pem_err("cert", cert, d))
        .and_then(|bytes| {
            let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
            match certs {
                Ok(c) if !c.is_empty() => Ok(c),
                Ok(_) => Err(pem_err("cert", cert, "no CERTIFICATE block found; expected a PEM certificate chain (-----BEGIN CERTIFICATE-----)".into())),
                Err(e) => Err(pem_err("cert", cert, format!("not a valid PEM certificate: {}", pem_detail(&e)))),
            }
        })?;
    let der = read(key).map_err(|d| pem_err("key", key, d)).and_then(|bytes| {
        PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
            pem_err("key", key, format!("no usable private key ({}); expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block", pem_detail(&e)))
        })
    })?;
    let pair = CertPair {
        chain,
        key: Arc::new(der),
        self_signed: false,
    };
    certified(&pair).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
            cert: cert.display().to_string(),
            key: key.display().to_string(),
        },
        other => pem_err("key", key, other.to_string()),
    })?;
    Ok(pair)
}

fn pem_detail(e: &PemError) -> String {
    match e {
        PemError::NoItemsFound => "no PEM block of that kind".into(),
        PemError::MissingSectionEnd { .. } => {
            "a -----BEGIN----- line has no matching -----END----- line".into()
        }
        PemError::IllegalSectionStart { .. } => "a malformed -----BEGIN----- line".into(),
        PemError::Base64Decode(_) => "the base64 inside a PEM block is damaged".into(),
        other => other.to_string(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))
}

/// Parses the key with the ring provider and checks that it matches the leaf.
fn certified(pair: &CertPair) -> Result<CertifiedKey, rustls::Error> {
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(pair.chain.clone(), pair.key.clone_key(), &provider)
}

/// The certificate every handshake gets; swapped whole on renewal.
#[derive(Debug)]
pub struct CertSlot(ArcSwap<CertifiedKey>);

impl CertSlot {
    pub fn replace(&self, pair: &CertPair) -> Result<(), TlsError> {
        self.0.store(Arc::new(certified(pair)?));
        Ok(())
    }
}

impl ResolvesServerCert for CertSlot {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.load_full())
    }
}

/// Everything the I/O threads and the renewal task share.
pub struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub slot: Arc<CertSlot>,
}

impl Tls {
    /// TLS 1.2 and 1.3 with rustls' default suites; ALPN h2, then http/1.1.
    pub fn new(pair: &CertPair) -> Result<Tls, TlsError> {
        let slot = Arc::new(CertSlot(ArcSwap::from_pointee(certified(pair)?)));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_cert_resolver(slot.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            slot,
        })
    }
}

/// Where the certificate comes from, decided by config alone (`tls.cert`,
/// `tls.key`, `tls.names`; `tls` does not read the config itself, so that
/// the storage layer below the config can implement [`TlsRepo`]).
pub enum Source {
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned { names: Vec<String> },
}

impl Source {
    /// The files when both are set, otherwise self-signed for `names`.
    pub fn of(cert: Option<&Path>, key: Option<&Path>, names: &[String]) -> Source {
        match (cert, key) {
            (Some(cert), Some(key)) => Source::Files {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
            },
            _ => Source::SelfSigned {
                names: names.to_vec(),
            },
        }
    }
}

/// How often a running server checks whether its self-signed certificate
/// is due for renewal.
const RENEW_CHECK: Duration = Duration::from_secs(12 * 3600);

/// The HTTPS side of a started server.
pub struct Started {
    pub tls: Tls,
    pub fingerprint: String,
    pub self_signed: bool,
    /// Where the served certificate comes from.
    pub source: upload::CertSource,
    /// Checks for renewal while the server runs; abort it on shutdown.
    pub renewal: Option<tokio::task::JoinHandle<()>>,
}

/// Serves `files` when given (already checked by [`load_files`]), otherwise
/// a certificate uploaded in the admin UI ([`upload`]), otherwise the
/// self-signed certificate from the data file, made or renewed as needed.
pub async fn start(
    files: Option<CertPair>,
    names: &[String],
    repo: &Arc<dyn TlsRepo>,
) -> Result<Started, TlsError> {
    if let Some(pair) = files {
        return Ok(Started {
            tls: Tls::new(&pair)?,
            fingerprint: pair.fingerprint(),
            self_signed: false,
            source: upload::CertSource::Files,
            renewal: None,
        });
    }
    if let Some((pair, _)) = upload::for_start(repo).await {
        let tls = Tls::new(&pair)?;
        // Keeps the self-signed one fresh for a later delete of the upload.
        let renewal = tokio::spawn(renew_loop(repo.clone(), names.to_vec(), tls.slot.clone()));
        return Ok(Started {
            tls,
            fingerprint: pair.fingerprint(),
            self_signed: false,
            source: upload::CertSource::Uploaded,
            renewal: Some(renewal),
        });
    }
    let loaded = load_self_signed(repo.clone(), names.to_vec()).await?;
    log_loaded(&loaded);
    let tls = Tls::new(&loaded.pair)?;
    let renewal = tokio::spawn(renew_loop(repo.clone(), names.to_vec(), tls.slot.clone()));
    Ok(Started {
        tls,
        fingerprint: loaded.pair.fingerprint(),
        self_signed: true,
        source: upload::CertSource::SelfSigned,
        renewal: Some(renewal),
    })
}

async fn load_self_signed(repo: Arc<dyn TlsRepo>, names: Vec<String>) -> Result<Loaded, TlsError> {
    tokio::task::spawn_blocking(move || {
        self_signed::load_or_create(repo.as_ref(), &names, OffsetDateTime::now_utc())
    })
    .await
    .map_err(|e| TlsError::Generate(e.to_string()))?
}

async fn renew_loop(repo: Arc<dyn TlsRepo>, names: Vec<String>, slot: Arc<CertSlot>) {
    let mut tick = tokio::time::interval(RENEW_CHECK);
    tick.tick().await; // the first tick is immediate; start-up just checked
    loop {
        tick.tick().await;
        match load_self_signed(repo.clone(), names.clone()).await {
            Ok(l) if l.outcome == Outcome::Reused => {}
            // Renewed in the data file, but an uploaded certificate serves.
            Ok(_) if upload::is_stored(&repo).await => {}
            Ok(l) => match slot.replace(&l.pair) {
                Ok(()) => log_loaded(&l),
                Err(e) => tracing::error!("cannot serve the renewed TLS certificate: {e}"),
            },
            Err(e) => tracing::error!("TLS certificate renewal failed (will retry): {e}"),
        }
    }
}

fn log_loaded(l: &Loaded) {
    let until = humantime::format_rfc3339_seconds(l.not_after);
    let fp = l.pair.fingerprint();
    match l.outcome {
        Outcome::Reused => {
            tracing::info!(fingerprint = %fp, "self-signed TLS certificate from the data file, valid until {until}")
        }
        Outcome::Created => tracing::info!(
            fingerprint = %fp, names = ?l.names,
            "made a self-signed TLS certificate, valid until {until}"
        ),
        Outcome::Renewed => tracing::warn!(
            fingerprint = %fp, names = ?l.names,
            "renewed the self-signed TLS certificate (it was within 30 days of expiry); the new one is valid until {until}"
        ),
        Outcome::NamesChanged => tracing::warn!(
            fingerprint = %fp, names = ?l.names,
            "made a new self-signed TLS certificate for the names in tls.names, valid until {until}"
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_is_upper_case_hex_pairs() {
        let f = super::fingerprint(b"abc");
        assert_eq!(f.len(), 32 * 3 - 1);
        assert!(f.starts_with("BA:78:16:BF:"), "{f}");
    }
}
