//! A certificate uploaded through the management API (`PUT /engine/api/tls`,
//! the admin UI's TLS certificate page): checked, kept in the data file
//! (through [`TlsRepo`]) and swapped into the running HTTPS listener for
//! the next handshake. It replaces the self-signed certificate until it is
//! deleted; `tls.cert`/`tls.key` files in the config take precedence over
//! both.
//!
//! [`TlsControl`] is the handle the HTTP layer holds: what is served now,
//! and upload or delete.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::check::check;
pub use super::check::{validate, CertInfo, UploadError};
use super::{CertPair, CertSlot, Started, TlsRepo};
use crate::domain::StorageError;

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

/// Runs a repository call off the reactor.
async fn blocking<T: Send + 'static>(
    repo: &Arc<dyn TlsRepo>,
    f: impl FnOnce(&dyn TlsRepo) -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    let repo = repo.clone();
    tokio::task::spawn_blocking(move || f(repo.as_ref()))
        .await
        .map_err(|e| StorageError::io(format!("storage error: a blocking task failed: {e}")))?
}

/// The stored upload, if any.
pub async fn load(repo: &Arc<dyn TlsRepo>) -> Result<Option<Stored>, StorageError> {
    blocking(repo, |r| r.uploaded()).await
}

/// Whether an upload is stored (the renewal must not replace it).
pub async fn is_stored(repo: &Arc<dyn TlsRepo>) -> bool {
    matches!(load(repo).await, Ok(Some(_)))
}

/// The stored upload to serve at start, when there is one that parses.
/// A damaged one is logged and skipped (the self-signed one serves); an
/// expired one still serves, with a warning, as the admin chose it.
pub async fn for_start(repo: &Arc<dyn TlsRepo>) -> Option<(CertPair, CertInfo)> {
    let stored = match load(repo).await {
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
    /// Where uploads are kept.
    repo: Arc<dyn TlsRepo>,
    source: Mutex<CertSource>,
    /// One upload or delete at a time.
    busy: tokio::sync::Mutex<()>,
}

impl TlsControl {
    /// Over the certificate HTTPS started with, or (None) HTTPS off.
    pub fn new(started: Option<&Started>, repo: Arc<dyn TlsRepo>) -> TlsControl {
        TlsControl {
            attached: started.map(|s| s.tls.slot.clone()),
            repo,
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

    /// The stored upload, if any (served or not).
    pub async fn stored(&self) -> Result<Option<Stored>, StorageError> {
        load(&self.repo).await
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
        blocking(&self.repo, move |r| r.put_uploaded(&stored)).await?;
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
        files: Option<(String, String)>,
        names: &[String],
    ) -> Result<Changed, UploadError> {
        self.refuse_with_files(files)?;
        let _busy = self.busy.lock().await;
        blocking(&self.repo, |r| r.remove_uploaded()).await?;
        let Some(slot) = self.attached.as_ref() else {
            return Ok(Changed {
                info: None,
                applied: false,
            });
        };
        let loaded = super::load_self_signed(self.repo.clone(), names.to_vec()).await?;
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
