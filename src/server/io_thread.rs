//! One I/O thread: accepts on the shared listeners (plain HTTP and, when on,
//! HTTPS), serves HTTP/1.1, h2c and h2 with hyper, runs proven-fast script
//! handlers inline, and hands everything under the reserved paths to the axum
//! router.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use tower::ServiceExt;

use super::balance::{Balance, Handoff};
use super::edge::Edge;
use crate::domain::is_reserved;
use crate::http::AppState;
use crate::js::{InlineWorker, Invoker};

/// Spawns hyper's per-connection tasks (h2 streams) on this thread.
#[derive(Clone, Copy)]
struct LocalExec;

impl<F> hyper::rt::Executor<F> for LocalExec
where
    F: std::future::Future + 'static,
{
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}

/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What every I/O thread accepts on (clones of the same sockets).
pub struct Listeners {
    pub http: std::net::TcpListener,
    pub https: Option<(std::net::TcpListener, tokio_rustls::TlsAcceptor)>,
    pub edge: Arc<Edge>,
}

/// Which I/O thread this is, and how it shares connections with the others.
pub(super) struct Seat {
    pub index: usize,
    pub balance: Arc<Balance>,
    pub inbox: tokio::sync::mpsc::UnboundedReceiver<Handoff>,
}

/// Per connection: who is calling, and whether over TLS.
#[derive(Clone, Copy)]
struct Conn {
    peer: SocketAddr,
    secure: bool,
}

pub(super) fn run(
    listeners: Listeners,
    seat: Seat,
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start an I/O thread: {e}");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, serve(listeners, seat, state, stop, grace));
}

async fn serve(
    listeners: Listeners,
    mut seat: Seat,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let Listeners { http, https, edge } = listeners;
    let https =
        https.map(|(l, acceptor)| tokio::net::TcpListener::from_std(l).map(|l| (l, acceptor)));
    let (listener, https) = match (tokio::net::TcpListener::from_std(http), https.transpose()) {
        (Ok(l), Ok(h)) => (l, h),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("cannot use the listener: {e}");
            return;
        }
    };
    let server = Server::new(&state, edge, https.as_ref().map(|h| h.1.clone()));
    loop {
        let (r, secure) = tokio::select! {
            r = listener.accept() => (r, false),
            r = accept_on(https.as_ref().map(|h| &h.0)) => (r, true),
            Some(h) = seat.inbox.recv() => {
                match tokio::net::TcpStream::from_std(h.stream) {
                    Ok(stream) => server.spawn(stream, Conn { peer: h.peer, secure: h.secure }, h.open),
                    Err(e) => {
                        h.open.dec();
                        tracing::warn!(peer = %h.peer, "cannot take over a connection: {e}");
                    }
                }
                continue;
            }
            _ = stop.changed() => break,
        };
        let (stream, peer) = match r {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let metrics = &state.observe().metrics;
        if metrics.connections.get() >= server.max_connections {
            // Over the limit: close at once rather than queue (slowloris).
            metrics.connections_refused.inc();
            drop(stream);
            continue;
        }
        let conn = Conn { peer, secure };
        let (to, open) = seat.balance.choose(seat.index);
        if to == seat.index {
            server.spawn(stream, conn, open);
            continue;
        }
        let handoff = stream.into_std().map(|stream| Handoff {
            stream,
            peer,
            secure,
            open: open.clone(),
        });
        match handoff.map(|h| seat.balance.send(to, h)) {
            Ok(Ok(())) => {}
            // That thread is stopping: so is this one; the client retries.
            Ok(Err(h)) => {
                h.open.dec();
            }
            Err(e) => {
                open.dec();
                tracing::warn!(%peer, "cannot hand a connection over: {e}");
            }
        }
    }
    drop((listener, https));
    tokio::select! {
        _ = server.graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!("in-flight requests did not finish within {} ms; closing them", grace.as_millis());
        }
    }
}

/// What one I/O thread serves its connections with.
struct Server {
    state: AppState,
    router: axum::Router,
    inline: Rc<InlineWorker>,
    edge: Arc<Edge>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    builder: auto::Builder<LocalExec>,
    graceful: GracefulShutdown,
    max_connections: i64,
    write_timeout: Duration,
    stalled: Counter,
    header_timeouts: Counter,
}

impl Server {
    fn new(state: &AppState, edge: Arc<Edge>, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let inline = Rc::new(InlineWorker::start(
            state.config().js_config(),
            state.runtime().preludes(),
            state.host().clone(),
        ));
        let mut builder = auto::Builder::new(LocalExec);
        let header_timeout = Duration::from_millis(state.config().server.header_read_timeout_ms);
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        builder.http2().timer(TokioTimer::new());
        let metrics = &state.observe().metrics;
        Server {
            state: state.clone(),
            router: crate::app(state.clone()),
            inline,
            edge,
            tls,
            builder,
            graceful: GracefulShutdown::new(),
            max_connections: state.config().server.max_connections as i64,
            write_timeout: Duration::from_millis(state.config().server.write_timeout_ms),
            stalled: metrics.write_timeouts.clone(),
            header_timeouts: metrics.header_timeouts.clone(),
        }
    }

    /// Serves one connection on this thread until it ends; `open` is this
    /// thread's count, already holding it.
    fn spawn(&self, stream: tokio::net::TcpStream, conn: Conn, open: Gauge) {
        let open = OpenConn::new(&self.state, open);
        let _ = stream.set_nodelay(true);
        let (state, router, inline, edge) = (
            self.state.clone(),
            self.router.clone(),
            self.inline.clone(),
            self.edge.clone(),
        );
        // Boxed: hyper moves the request future into its in-flight slot,
        // and unboxed that is a copy of the whole (kilobytes-large) state
        // machine per request (issue 14: 13k of 101k instructions).
        let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            Box::pin(handle(
                state.clone(),
                router.clone(),
                inline.clone(),
                edge.clone(),
                conn,
                req,
            ))
        });
        let header_timeouts = self.header_timeouts.clone();
        if let (true, Some(acceptor)) = (conn.secure, &self.tls) {
            let (acceptor, builder, watcher, stalled, write_timeout) = (
                acceptor.clone(),
                self.builder.clone(),
                self.graceful.watcher(),
                self.stalled.clone(),
                self.write_timeout,
            );
            let peer = conn.peer;
            tokio::task::spawn_local(async move {
                let tls =
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => return tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                    };
                let conn = builder
                    .serve_connection_with_upgrades(
                        TokioIo::new(super::stall::WriteStall::new(tls, write_timeout, stalled)),
                        svc,
                    )
                    .into_owned();
                ended(watcher.watch(conn).await, &header_timeouts);
                drop(open);
            });
            return;
        }
        let conn = self
            .builder
            .serve_connection_with_upgrades(
                TokioIo::new(super::stall::WriteStall::new(
                    stream,
                    self.write_timeout,
                    self.stalled.clone(),
                )),
                svc,
            )
            .into_owned();
        let conn = self.graceful.watch(conn);
        tokio::task::spawn_local(async move {
            ended(conn.await, &header_timeouts);
            drop(open);
        });
    }
}

/// Counts a connection that hyper closed because no whole request head
/// arrived within `server.header_read_timeout_ms`; other endings (the
/// client left, a write timeout) are counted where they happen or not at all.
fn ended(r: Result<(), Box<dyn std::error::Error + Send + Sync>>, header_timeouts: &Counter) {
    if let Err(e) = r {
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
        {
            header_timeouts.inc();
        }
    }
}

/// Pends forever when there is no such listener, so `select!` ignores it.
async fn accept_on(
    listener: Option<&tokio::net::TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn handle(
    state: AppState,
    router: axum::Router,
    inline: Rc<InlineWorker>,
    edge: Arc<Edge>,
    conn: Conn,
    mut req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Body>, Infallible> {
    if conn.secure {
        req.extensions_mut().insert(crate::http::OverTls);
    } else if let Some(redirect) = edge.redirect(&req, conn.peer) {
        return Ok(redirect);
    }
    if let Some(refused) = super::framing::refuse(&req) {
        return Ok(refused);
    }
    let req = req.map(Body::new);
    let peer = conn.peer;
    let st = state.clone();
    // Boxed so that the layers around it (compression, CORS) move a
    // pointer, not the dispatch state machine.
    let next = move |req| {
        Box::pin(dispatch(
            st.clone(),
            router.clone(),
            inline.clone(),
            peer,
            req,
        ))
    };
    let mut resp = crate::http::hygiene::serve(&state, peer, req, next).await;
    if conn.secure {
        edge.add_hsts(resp.headers_mut());
    }
    Ok(resp)
}

/// Counts an open connection in the metrics until dropped: in all, and in
/// its thread's count (which the balancer raised when it chose the thread).
struct OpenConn(AppState, Gauge);

impl OpenConn {
    fn new(state: &AppState, thread: Gauge) -> OpenConn {
        state.observe().metrics.connections.inc();
        OpenConn(state.clone(), thread)
    }
}

impl Drop for OpenConn {
    fn drop(&mut self) {
        self.0.observe().metrics.connections.dec();
        self.1.dec();
    }
}

async fn dispatch(
    state: AppState,
    router: axum::Router,
    inline: Rc<InlineWorker>,
    peer: SocketAddr,
    req: hyper::Request<Body>,
) -> hyper::Response<Body> {
    let mut req = req;
    req.extensions_mut().insert(ConnectInfo(peer));
    if req.uri().path() == "/graphql" && req.method() == hyper::Method::POST {
        let pool = state.runtime().clone();
        return crate::http::graphql_post_local(&state, req, move |inv| {
            if inv.script.runs_inline() {
                inline.invoke(inv)
            } else {
                pool.invoke(inv)
            }
        })
        .await;
    }
    if is_reserved(req.uri().path()) {
        return match router.oneshot(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        };
    }
    let pool = state.runtime().clone();
    crate::http::run_script(&state, req, move |inv| {
        // Reading a spooled upload blocks on the disk: not on this thread.
        if inv.script.runs_inline() && !inv.request.has_spooled_files() {
            inline.invoke(inv)
        } else {
            pool.invoke(inv)
        }
    })
    .await
}
