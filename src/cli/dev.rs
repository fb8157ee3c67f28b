//! `aiwebengine dev [DIR]`: a server on `DIR/.aiwebengine/dev.redb` with
//! HTTPS off and development errors on, that keeps the folder's scripts
//! and `public/` assets loaded as files change ([`super::dev_sync`]).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::dev_sync::Sync;
use super::fail;
use crate::config::{schema, Inputs, Live, Settings};

#[derive(Args)]
pub struct DevArgs {
    /// The project folder: every *.js under it is a script named by its
    /// relative path, every file under public/ an asset.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Data file (default: DIR/.aiwebengine/dev.redb).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Listen address instead of 127.0.0.1 (dev mode shows detailed
    /// errors; only bind elsewhere on a network you trust).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Open the site in the browser (xdg-open / open) once it serves.
    #[arg(long)]
    open: bool,
}

/// The admin account the browser on this machine acts as (REQ-DEV-001:
/// the admin UI opens without a login, on loopback only).
const DEV_USER: &str = "dev@localhost";

fn inputs(data: &std::path::Path, http: &str, loopback: bool) -> Inputs {
    let values = [
        ("--data", serde_json::json!(data)),
        ("--http", serde_json::json!(http)),
        ("--https", serde_json::json!("off")),
        ("--dev", serde_json::json!(true)),
    ];
    let mut flags: Vec<_> = values
        .into_iter()
        .filter_map(|(flag, value)| {
            let (_, key) = schema::FLAGS.iter().find(|(f, _)| *f == flag)?;
            Some((flag.to_string(), key.to_string(), value))
        })
        .collect();
    if loopback {
        let key = "server.dev_user".to_string();
        flags.push(("aiwebengine dev".into(), key, serde_json::json!(DEV_USER)));
    }
    Inputs {
        flags,
        ..Inputs::new(crate::state::CONFIG_CHECKS)
    }
}

pub fn run(args: DevArgs) -> ExitCode {
    let dir = match std::fs::canonicalize(&args.dir) {
        Ok(d) if d.is_dir() => d,
        _ => {
            let shown = args.dir.display();
            return fail(
                2,
                format!(
                    "{shown} is not a folder; run `aiwebengine dev DIR` with your project folder"
                ),
            );
        }
    };
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| dir.join(".aiwebengine/dev.redb"));
    if let Some(parent) = data.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return fail(1, format!("cannot create {}: {e}", parent.display()));
        }
    }
    let listener = match TcpListener::bind((args.host.as_str(), args.port)) {
        Ok(l) => l,
        Err(e) => {
            let hint = "pass --port with a free port, or --port 0 for any";
            return fail(
                1,
                format!("cannot listen on {}:{}: {e}; {hint}", args.host, args.port),
            );
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(1, e),
    };
    let inputs = inputs(&data, &addr.to_string(), addr.ip().is_loopback());
    let resolved = match crate::config::resolve(&inputs, &Settings::new()) {
        Ok(r) => r,
        Err(e) => return super::config_fail(&e),
    };
    let live = Arc::new(Live::new(inputs, resolved));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, format!("cannot start the async runtime: {e}")),
    };
    match rt.block_on(serve(live, listener, addr, dir, args.open)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, e),
    }
}

async fn serve(
    live: Arc<Live>,
    listener: TcpListener,
    addr: std::net::SocketAddr,
    dir: PathBuf,
    open: bool,
) -> Result<(), String> {
    let (state, _) = crate::state::start_live(live, None)
        .await
        .map_err(|e| e.to_string())?;
    if addr.ip().is_loopback() {
        dev_account(&state).await?;
    }
    let mut sync = Sync::new(state.clone(), dir.clone());
    sync.once().await;
    let watcher = sync
        .watch()
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    tokio::spawn(super::dev_log::print_errors(state.clone(), dir.clone()));
    println!("listening on http://{addr}");
    println!("watching {} (Ctrl-C stops)", dir.display());
    if open {
        open_browser(&format!("http://{addr}/"));
    }
    let stop = async {
        stopped().await;
        println!("stopping");
    };
    let served = crate::server::run(listener, state, stop).await;
    drop(watcher);
    served.map_err(|e| e.to_string())
}

/// Makes sure the admin account of `server.dev_user` exists. Its password
/// is random and never shown: it is only ever used without one, from
/// loopback (`http::dev_user`).
async fn dev_account(state: &crate::AppState) -> Result<(), String> {
    if state.auth().directory().user_by_email(DEV_USER).is_some() {
        return Ok(());
    }
    let st = state.clone();
    let password = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let made = tokio::task::spawn_blocking(move || {
        let auth = st.auth();
        auth.create_user(DEV_USER, &password, Some("dev"), crate::auth::Role::Admin)?;
        auth.reload().map_err(crate::auth::AuthError::from)
    })
    .await;
    match made {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("cannot create the dev account {DEV_USER}: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("could not run {opener} to open {url}: {e}; open it yourself");
    }
}
