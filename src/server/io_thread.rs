//! One I/O thread: accepts on the shared listener, serves HTTP/1.1 and h2c
//! with hyper, runs proven-fast script handlers inline, and hands everything under
//! the reserved paths to the axum router.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt;

use crate::js::{InlineWorker, ScriptRuntime};
use crate::scripts::routes::is_reserved;
use crate::AppState;

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

pub fn run(
    listener: std::net::TcpListener,
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
    local.block_on(&rt, serve(listener, state, stop, grace));
}

async fn serve(
    listener: std::net::TcpListener,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot use the listener: {e}");
            return;
        }
    };
    let inline = Rc::new(InlineWorker::start(
        state.config.js_config(),
        state.host.clone(),
    ));
    let router = crate::app(state.clone());
    let mut builder = auto::Builder::new(LocalExec);
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let (state, router, inline) = (state.clone(), router.clone(), inline.clone());
        let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            handle(state.clone(), router.clone(), inline.clone(), peer, req)
        });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), svc)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!("in-flight requests did not finish within {} ms; closing them", grace.as_millis());
        }
    }
}

async fn handle(
    state: AppState,
    router: axum::Router,
    inline: Rc<InlineWorker>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Body>, Infallible> {
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(ConnectInfo(peer));
    if is_reserved(req.uri().path()) {
        return router.oneshot(req).await;
    }
    let pool = state.runtime.clone();
    let resp = crate::http::run_script(&state, req, move |inv| {
        if inv.script.runs_inline() {
            inline.invoke(inv)
        } else {
            pool.invoke(inv)
        }
    })
    .await;
    Ok(resp)
}
