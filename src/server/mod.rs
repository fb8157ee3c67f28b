//! Listeners, the `listening on` lines, and graceful shutdown.
//!
//! Requests are served by one I/O thread per core, each a current-thread
//! runtime with its own inline JS worker: a fast handler runs on the thread
//! that read its request, with no hop. A new script version starts on the
//! shared JS pool and moves inline after `PROMOTE_AFTER` fast runs; one seen
//! to be slow, or that hit a limit, stays on the pool (DESIGN.md, "Dispatch").
//!
//! HTTPS ([`tls`]) is served by the same threads: each accepts on both
//! listeners. Plain HTTP redirects to it and HTTPS adds HSTS ([`edge`]).
//!
//! [`serve`] is the binary's (signals, HTTPS, the `listening on` lines);
//! [`run`] serves an engine built elsewhere on a bound listener until a
//! future completes (embedding, the in-process test harness).

mod balance;
mod edge;
mod framing;
mod io_thread;
mod notify;
mod reload;
mod stall;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Live};
use crate::http::AppState;
use crate::store::StoreError;
use crate::tls;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}; pick another address with {flag}")]
    Bind {
        addr: String,
        flag: &'static str,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    /// 2 for what the operator must fix in the configuration, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Tls(e) if e.is_config() => 2,
            _ => 1,
        }
    }
}

/// What is settled before the data file opens: configured PEM files are
/// read and checked, the open-file limit raised, signals listened for.
pub struct Prepared {
    files: Option<tls::CertPair>,
    signals: Signals,
}

impl Prepared {
    /// The configured certificate files, for starting HTTPS.
    pub fn take_files(&mut self) -> Option<tls::CertPair> {
        self.files.take()
    }
}

pub fn prepare(config: &Config) -> Result<Prepared, ServeError> {
    let files = match (
        &config.https,
        tls::Source::of(
            config.tls.cert.as_deref(),
            config.tls.key.as_deref(),
            &config.tls.names,
        ),
    ) {
        (Some(_), tls::Source::Files { cert, key }) => Some(tls::load_files(&cert, &key)?),
        _ => None,
    };
    raise_fd_limit();
    Ok(Prepared {
        files,
        signals: Signals::install(),
    })
}

/// Serves `state` until SIGINT/SIGTERM, then lets in-flight requests finish
/// (up to `server.shutdown_grace_ms`) and closes the data file. SIGHUP and
/// the management API reload the config's layers (REQ-CFG-004).
pub async fn serve(
    prepared: Prepared,
    live: Arc<Live>,
    state: AppState,
    started: Option<tls::Started>,
) -> Result<(), ServeError> {
    let config = live.current().config.clone();
    let mut signals = prepared.signals;
    let (listener, addr) = bind(&config.http, "--http")?;
    let mut https = None;
    if let (Some(https_addr), Some(started)) = (&config.https, started) {
        let (l, addr) = bind(https_addr, "--https")?;
        live.on_reload(reload::tls_hook(started.tls.slot.clone()));
        https = Some((l, addr, started));
    }
    let sighup = reload::on_sighup(live.clone());
    let edge = Arc::new(edge::Edge::new(
        &config.tls,
        https.as_ref().map(|h| h.1.port()),
        https.as_ref().is_none_or(|h| h.2.self_signed),
    ));
    let https_listener = match &https {
        Some((l, _, s)) => Some((l.try_clone()?, s.tls.acceptor.clone())),
        None => None,
    };
    let threads = IoThreads::spawn(&listener, https_listener, edge, &state, &config)?;
    drop(listener);
    // The http line comes last: once it is out, every listener is serving.
    let mut renewal = None;
    let browser = browser_base(addr, https.as_ref().map(|h| h.1));
    if let Some((l, https_addr, started)) = https {
        drop(l);
        println!("listening on https://{https_addr}");
        println!("SHA-256 fingerprint: {}", started.fingerprint);
        renewal = started.renewal;
    }
    println!("listening on http://{addr}");
    if let Some(token) = state.auth().issue_setup_token() {
        println!("no administrator yet: open {browser}/engine/admin/setup?token={token} within an hour to create one (or run `aiwebengine admin create`)");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tracing::info!(data = %config.data.display(), "aiwebengine {} serving", crate::VERSION_LINE);
    notify::ready();
    signals.recv().await;
    notify::stopping();
    state.observe().set_draining();
    let delay = Duration::from_millis(config.server.drain_delay_ms);
    if !delay.is_zero() {
        tracing::info!(
            ?delay,
            "draining: /health/ready answers 503; still accepting requests"
        );
        // A second signal skips the wait.
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = signals.recv() => {}
        }
    }
    for task in [renewal, sighup].into_iter().flatten() {
        task.abort();
    }
    threads.stop(&state).await;
    Ok(())
}

/// Serves `state` on an already bound plain-HTTP `listener` until
/// `shutdown` completes, then finishes in-flight requests (up to
/// `server.shutdown_grace_ms`) and closes the data file. The embedding
/// entry point (tests run engines in-process with it): no signals, no
/// HTTPS, no `listening on` lines, no drain delay; [`serve`] is the
/// binary's.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true)?;
    let config = state.config().clone();
    let edge = Arc::new(edge::Edge::new(&config.tls, None, true));
    let threads = IoThreads::spawn(&listener, None, edge, &state, &config)?;
    drop(listener);
    shutdown.await;
    state.observe().set_draining();
    threads.stop(&state).await;
    Ok(())
}

/// The I/O threads serving one engine, and the switch that stops them.
struct IoThreads {
    stop: tokio::sync::watch::Sender<bool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl IoThreads {
    fn spawn(
        http: &TcpListener,
        https: Option<(TcpListener, tokio_rustls::TlsAcceptor)>,
        edge: Arc<edge::Edge>,
        state: &AppState,
        config: &Config,
    ) -> Result<IoThreads, ServeError> {
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let grace = Duration::from_millis(config.server.shutdown_grace_ms);
        let mut threads = Vec::new();
        let n = io_threads(config);
        let metrics = &state.observe().metrics;
        let (balance, inboxes) = balance::Balance::new(
            (0..n)
                .map(|i| metrics.thread_connections(i as u32))
                .collect(),
        );
        let balance = Arc::new(balance);
        for (i, inbox) in inboxes.into_iter().enumerate() {
            let listeners = io_thread::Listeners {
                http: http.try_clone()?,
                https: match &https {
                    Some((l, acceptor)) => Some((l.try_clone()?, acceptor.clone())),
                    None => None,
                },
                edge: edge.clone(),
            };
            let seat = io_thread::Seat {
                index: i,
                balance: balance.clone(),
                inbox,
            };
            let (st, stop) = (state.clone(), stop_rx.clone());
            let t = std::thread::Builder::new()
                .name(format!("http-{i}"))
                .stack_size(config.js.stack_size_bytes + 8 * 1024 * 1024)
                .spawn(move || io_thread::run(listeners, seat, st, stop, grace))?;
            threads.push(t);
        }
        Ok(IoThreads { stop, threads })
    }

    /// No new connections; waits for in-flight requests, then closes the
    /// engine's data file.
    async fn stop(self, state: &AppState) {
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        let _ = self.stop.send(true);
        let threads = self.threads;
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
        state.shutdown().await;
        tracing::info!("data file closed; bye");
    }
}

/// The base URL a browser should use: HTTPS when it is on, and a real
/// address rather than the unspecified one.
fn browser_base(http: SocketAddr, https: Option<SocketAddr>) -> String {
    let (scheme, mut addr) = match https {
        Some(a) => ("https", a),
        None => ("http", http),
    };
    if addr.ip().is_unspecified() {
        let ip = if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.ip())
            .find(|ip| ip.is_ipv4() && !ip.is_loopback())
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        addr.set_ip(ip);
    }
    format!("{scheme}://{addr}")
}

fn bind(addr: &str, flag: &'static str) -> Result<(TcpListener, SocketAddr), ServeError> {
    let bind_err = |source| ServeError::Bind {
        addr: addr.to_string(),
        flag,
        source,
    };
    let listener = TcpListener::bind(addr).map_err(bind_err)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

fn io_threads(config: &Config) -> usize {
    match config.js.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    }
}

/// SIGINT and SIGTERM, listened for from the moment this is made: made
/// before the `listening on` lines, so a signal sent as soon as a client
/// sees them is a graceful shutdown, not the default kill.
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! { _ = next(&mut self.int) => {}, _ = next(&mut self.term) => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Each connection is a file descriptor; the usual soft limit of 1024 would
/// cap the server far below REQ-PERF-004's 10,000 connections.
fn raise_fd_limit() {
    #[cfg(unix)]
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!("open file limit: {n}"),
        Err(e) => tracing::warn!("could not raise the open file limit: {e}"),
    }
}
