//! The command line. `main` calls [`main`]; everything else is a library.
//!
//! Exit status: 0 success, 1 runtime failure (one line on stderr), 2 usage
//! or configuration error.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::auth::{create_user, Role};
use crate::config::Config;
use crate::store::Store;

#[derive(Parser)]
#[command(name = "aiwebengine", version = crate::VERSION_LINE, about = "Runs JavaScript web apps from one data file")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP and HTTPS from the data file.
    Serve(ServeArgs),
    /// Offline administration of the data file.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Back up the data file: from a running server (--url) or offline (--data).
    Backup(crate::backup::cli::BackupArgs),
    /// Replace the data file with a verified backup (the server must be stopped).
    Restore(crate::backup::cli::RestoreArgs),
    /// Check a data file or a backup: signature, format, every record.
    Verify(crate::backup::cli::VerifyArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Data file; created on first run.
    #[arg(long, env = "AIWEBENGINE_DATA", default_value = "./aiwebengine.redb")]
    data: PathBuf,
    /// HTTP listen address (port 0 picks a free port).
    #[arg(long, env = "AIWEBENGINE_HTTP", default_value = "0.0.0.0:8080")]
    http: String,
    /// HTTPS listen address (port 0 picks a free port), or `off`.
    #[arg(long, env = "AIWEBENGINE_HTTPS", default_value = "0.0.0.0:8443")]
    https: String,
    /// Config file (TOML); may be given more than once, later files win.
    #[arg(long, env = "AIWEBENGINE_CONFIG", value_delimiter = ',')]
    config: Vec<PathBuf>,
    /// Development mode: detailed script errors and best-effort responses.
    #[arg(long)]
    dev: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator account.
    Create(CreateArgs),
}

#[derive(Args)]
struct CreateArgs {
    email: String,
    #[arg(
        long,
        required_unless_present = "password_stdin",
        conflicts_with = "password_stdin"
    )]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    #[arg(long, env = "AIWEBENGINE_DATA", default_value = "./aiwebengine.redb")]
    data: PathBuf,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    // Process-wide by nature; the server also names ring explicitly, so this
    // only serves code that asks rustls for the default provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Admin(AdminCommand::Create(args)) => admin_create(args),
        Command::Backup(args) => crate::backup::cli::backup(args),
        Command::Restore(args) => crate::backup::cli::restore(args),
        Command::Verify(args) => crate::backup::cli::verify(args),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AIWEBENGINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

fn serve(args: ServeArgs) -> ExitCode {
    let https = Some(args.https);
    let config = match Config::new(args.data, args.http, https, args.dev, &args.config) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, format!("cannot start the async runtime: {e}")),
    };
    match rt.block_on(crate::server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e.exit_code(), e),
    }
}

fn admin_create(args: CreateArgs) -> ExitCode {
    let password = match (args.password, args.password_stdin) {
        (Some(p), _) => p,
        (None, _) => {
            let mut line = String::new();
            if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
                return fail(
                    1,
                    format!("cannot read the password from standard input: {e}"),
                );
            }
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let js = Config::new(args.data.clone(), String::new(), None, false, &[]).map(|c| c.js_config());
    let js = match js {
        Ok(js) => js,
        Err(e) => return fail(2, e),
    };
    let store = match Store::open(&args.data, &|txn| crate::seed::seed(txn, &js)) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    match create_user(&store, &args.email, &password, Role::Admin) {
        Ok(u) => {
            println!(
                "created administrator {} in {}",
                u.email,
                args.data.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}
