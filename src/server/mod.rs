//! Listeners, the `listening on` lines, and graceful shutdown.
//!
//! Requests are served by one I/O thread per core, each a current-thread
//! runtime with its own inline JS worker: a fast handler runs on the thread
//! that read its request, with no hop. A new script version starts on the
//! shared JS pool and moves inline after `PROMOTE_AFTER` fast runs; one seen
//! to be slow, or that hit a limit, stays on the pool (DESIGN.md, "Dispatch").

mod io_thread;

use std::time::Duration;

use crate::config::Config;
use crate::state::{AppState, StartError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot listen on {addr}: {source}; pick another address with --http")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs until SIGINT/SIGTERM, then lets in-flight requests finish (up to
/// `server.shutdown_grace_ms`) and closes the data file.
pub async fn run(config: Config) -> Result<(), ServeError> {
    let state = AppState::start(config.clone()).await?;
    let listener =
        std::net::TcpListener::bind(&config.http).map_err(|source| ServeError::Bind {
            addr: config.http.clone(),
            source,
        })?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    if let Some(https) = &config.https {
        tracing::warn!(
            "--https {https}: HTTPS is not available in this build yet; serving plain HTTP only"
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = Duration::from_millis(config.server.shutdown_grace_ms);
    let mut threads = Vec::new();
    for i in 0..io_threads(&config) {
        let (l, st, stop) = (listener.try_clone()?, state.clone(), stop_rx.clone());
        let t = std::thread::Builder::new()
            .name(format!("http-{i}"))
            .stack_size(config.js.stack_size_bytes + 8 * 1024 * 1024)
            .spawn(move || io_thread::run(l, st, stop, grace))?;
        threads.push(t);
    }
    drop(listener);
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tracing::info!(data = %config.data.display(), "aiwebengine {} serving", crate::VERSION_LINE);
    shutdown_signal().await;
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
    let _ = stop_tx.send(true);
    let _ = tokio::task::spawn_blocking(move || {
        for t in threads {
            let _ = t.join();
        }
    })
    .await;
    state.shutdown().await;
    tracing::info!("data file closed; bye");
    Ok(())
}

fn io_threads(config: &Config) -> usize {
    match config.js.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
