//! Listeners, the `listening on` lines, and graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::state::{AppState, StartError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot listen on {addr}: {source}; pick another address with --http")]
    Bind { addr: String, source: std::io::Error },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs until SIGINT/SIGTERM, then lets in-flight requests finish (up to
/// `server.shutdown_grace_ms`) and closes the data file.
pub async fn run(config: Config) -> Result<(), ServeError> {
    let state = AppState::start(config.clone()).await?;
    let listener = TcpListener::bind(&config.http)
        .await
        .map_err(|source| ServeError::Bind { addr: config.http.clone(), source })?;
    let addr = listener.local_addr()?;
    if let Some(https) = &config.https {
        tracing::warn!("--https {https}: HTTPS is not available in this build yet; serving plain HTTP only");
    }
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tracing::info!(data = %config.data.display(), "aiwebengine {} serving", crate::VERSION_LINE);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = crate::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        let _ = stop_tx.send(());
    });
    let grace = Duration::from_millis(config.server.shutdown_grace_ms);
    tokio::select! {
        r = server => r?,
        _ = async { let _ = stop_rx.await; tokio::time::sleep(grace).await } => {
            tracing::warn!("in-flight requests did not finish within {} ms; closing them", grace.as_millis());
        }
    }
    state.shutdown().await;
    tracing::info!("data file closed; bye");
    Ok(())
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
