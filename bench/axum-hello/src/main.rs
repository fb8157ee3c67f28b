//! Bare axum reference server for `bench/run.sh`: `GET /hello?name=bob` ->
//! 200 `text/plain; charset=utf-8` "Hello bob", parsing the whole query into
//! a map as the engine and `bench/node_hello.js` do.
//!
//! Usage: `axum-hello [HOST:PORT]` (default `127.0.0.1:0`). Prints
//! `listening on http://IP:PORT` once bound, like the engine.
//!
//! Threading mirrors the engine's I/O threads: one current-thread runtime per
//! available core (1 under `taskset -c 0`), each accepting on a clone of the
//! same listening socket.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;

use axum::extract::Query;
use axum::routing::get;
use axum::Router;

async fn hello(Query(query): Query<HashMap<String, String>>) -> String {
    let name = query.get("name").map(String::as_str).unwrap_or("undefined");
    format!("Hello {name}")
}

fn serve(listener: TcpListener) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = Router::new().route("/hello", get(hello));
        axum::serve(listener, app).await
    })
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut handles = Vec::with_capacity(threads);
    for _ in 1..threads {
        let l = listener.try_clone()?;
        handles.push(std::thread::spawn(move || serve(l)));
    }
    let local = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{local}")?;
    out.flush()?;
    drop(out);
    serve(listener)?;
    for h in handles {
        h.join()
            .map_err(|_| std::io::Error::other("an I/O thread panicked"))??;
    }
    Ok(())
}
