//! Config reload wiring on the server side: SIGHUP, and the reload part
//! that serves new PEM files (REQ-CFG-004).

use std::sync::Arc;

use crate::config::live::{Commit, Hook, Prepared};
use crate::config::Live;
use crate::tls::{self, CertSlot, Source};

/// Reads `tls.cert`/`tls.key` again on every reload (a renewed certificate
/// at the same path is picked up) and swaps them in for the next handshake.
/// A bad file rejects the whole reload. Moving between the self-signed
/// certificate and PEM files waits for a restart.
pub fn tls_hook(slot: Arc<CertSlot>) -> Hook {
    Box::new(move |old, new| {
        let source = |t: &crate::config::TlsSection| {
            Source::of(t.cert.as_deref(), t.key.as_deref(), &t.names)
        };
        let (was, now) = (source(&old.tls), source(&new.tls));
        let (cert, key) = match (was, now) {
            (Source::Files { .. }, Source::Files { cert, key }) => (cert, key),
            (Source::SelfSigned { .. }, Source::SelfSigned { .. }) => {
                return Ok(Prepared::nothing())
            }
            _ => {
                return Ok(Prepared {
                    commit: None,
                    deferred: vec!["tls.cert", "tls.key"],
                })
            }
        };
        let pair = tls::load_files(&cert, &key).map_err(|e| format!("invalid config: {e}"))?;
        let slot = slot.clone();
        let commit: Commit = Box::new(move || match slot.replace(&pair) {
            Ok(()) => Some(format!(
                "TLS certificate read from {} (SHA-256 fingerprint {})",
                cert.display(),
                pair.fingerprint()
            )),
            Err(e) => Some(format!("TLS certificate unchanged: {e}")),
        });
        Ok(Prepared::commit(commit))
    })
}

/// Reloads on every SIGHUP until the server stops. Installed before the
/// `listening on` lines, so a SIGHUP after them never kills the process.
#[cfg(unix)]
pub fn on_sighup(live: Arc<Live>) -> Option<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("no config reload on SIGHUP: {e}");
            return None;
        }
    };
    Some(tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let l = live.clone();
            match tokio::task::spawn_blocking(move || l.reload()).await {
                Ok(Ok(o)) => tracing::info!(
                    applied = ?o.applied, restart_required = ?o.restart_required, notes = ?o.notes,
                    "config reloaded on SIGHUP"
                ),
                Ok(Err(e)) => tracing::error!(
                    "config reload on SIGHUP rejected, the running config stays: {e}"
                ),
                Err(e) => tracing::error!("config reload on SIGHUP failed: {e}"),
            }
        }
    }))
}

#[cfg(not(unix))]
pub fn on_sighup(_live: Arc<Live>) -> Option<tokio::task::JoinHandle<()>> {
    None
}
