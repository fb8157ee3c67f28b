//! The command line. `main` calls [`main`]; everything else is a library.
//!
//! Exit status: 0 success, 1 runtime failure (one line on stderr), 2 usage
//! or configuration error.

mod config;
mod dev;
mod dev_log;
mod dev_sync;
mod mcp;
mod mcp_bridge;
mod test;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::auth::{create_user, Role};
use crate::config::{schema, Config, ConfigError, Inputs, Live, Settings};
use crate::observe::logging::Logging;
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
    /// Inspect and check configuration; make encrypted secrets.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Serve the data file's scripts as an MCP server over stdin/stdout.
    Mcp(mcp::McpArgs),
    /// Serve a project folder for development, reloading files as they change.
    Dev(dev::DevArgs),
    /// Upload a project folder's changed scripts and public/ assets to a server.
    Deploy(crate::project::cli::DeployArgs),
    /// Write a server's scripts and assets into a project folder.
    Pull(crate::project::cli::PullArgs),
    /// Run the app folder's `*.test.js` files against a throwaway engine.
    Test(test::TestArgs),
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Data file; created on first run.
    #[arg(long, env = "AIWEBENGINE_DATA", default_value = "./aiwebengine.redb")]
    data: PathBuf,
    /// HTTP listen address (port 0 picks a free port).
    #[arg(long, env = "AIWEBENGINE_HTTP", default_value = "0.0.0.0:8080")]
    http: String,
    /// HTTPS listen address (port 0 picks a free port), or `off`.
    #[arg(long, env = "AIWEBENGINE_HTTPS", default_value = "0.0.0.0:8443")]
    https: String,
    /// Config file (.toml, .yaml, .yml, .json, .json5); may be given more
    /// than once, later files win.
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
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // Process-wide by nature; the server also names ring explicitly, so this
    // only serves code that asks rustls for the default provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some((_, sub)) = matches.subcommand() else {
        return ExitCode::from(2);
    };
    // `serve` installs the log from its config; the rest log plainly.
    let _logging = match &cli.command {
        Command::Serve(_) | Command::Test(_) => None,
        _ => Some(Logging::console_only()),
    };
    match cli.command {
        Command::Serve(args) => serve(&args, sub),
        Command::Admin(AdminCommand::Create(args)) => admin_create(args),
        Command::Backup(args) => crate::backup::cli::backup(&crate::state::file_format(), args),
        Command::Restore(args) => crate::backup::cli::restore(&crate::state::file_format(), args),
        Command::Verify(args) => crate::backup::cli::verify(&crate::state::file_format(), args),
        Command::Config(cmd) => config::run(cmd, sub.subcommand().map(|(_, m)| m)),
        Command::Mcp(args) => mcp::run(args),
        Command::Dev(args) => dev::run(args),
        Command::Deploy(args) => crate::project::cli::deploy(args),
        Command::Pull(args) => crate::project::cli::pull(args),
        Command::Test(args) => test::run(args),
    }
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(code)
}

/// Every problem on its own `error:` line; exit status 2.
fn config_fail(e: &ConfigError) -> ExitCode {
    for line in &e.0 {
        eprintln!("error: {line}");
    }
    ExitCode::from(2)
}

/// The layers `serve` (and `config show`) read: the files, and the flags
/// given on the command line (clap's defaults and the variables it reads
/// are left to the config's own layers).
fn inputs(args: &ServeArgs, m: &ArgMatches) -> Inputs {
    let given = |id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let mut flags = Vec::new();
    let values = [
        ("data", serde_json::json!(args.data)),
        ("http", serde_json::json!(args.http)),
        ("https", serde_json::json!(args.https)),
        ("dev", serde_json::json!(args.dev)),
    ];
    for (id, value) in values {
        let flag = format!("--{id}");
        if let Some((_, key)) = schema::FLAGS.iter().find(|(f, _)| *f == flag) {
            if given(id) {
                flags.push((flag, key.to_string(), value));
            }
        }
    }
    Inputs {
        files: args.config.clone(),
        flags,
        ..Inputs::new(crate::state::CONFIG_CHECKS)
    }
}

/// The settings kept in the data file, read before the server opens it
/// (a held file fails here as it would at open).
fn stored_settings(config: &Config) -> Result<Settings, crate::store::StoreError> {
    if !config.data.exists() {
        return Ok(Settings::new());
    }
    let store = Store::open(&config.data, &|_| Ok(()))?;
    crate::store::settings::read(&store)
}

fn serve(args: &ServeArgs, m: &ArgMatches) -> ExitCode {
    let inputs = inputs(args, m);
    let first = match crate::config::resolve(&inputs, &Settings::new()) {
        Ok(r) => r,
        Err(e) => return config_fail(&e),
    };
    let settings = match stored_settings(&first.config) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let resolved = match settings.is_empty() {
        true => first,
        false => match crate::config::resolve(&inputs, &settings) {
            Ok(r) => r,
            Err(e) => return config_fail(&e),
        },
    };
    let logging = match Logging::install(&resolved.config.logging) {
        Ok(l) => l,
        Err(e) => return fail(1, format!("cannot open the log file (logging.file): {e}")),
    };
    for w in &resolved.warnings {
        tracing::warn!("{w}");
    }
    let live = Arc::new(Live::new(inputs, resolved));
    live.on_reload(logging.hook());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, format!("cannot start the async runtime: {e}")),
    };
    match rt.block_on(crate::state::serve(live)) {
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
    let js = Config::defaults().js_config();
    let store = match Store::open(
        &args.data,
        &crate::store::scripts::seeder(|| crate::seed::scripts(&js)),
    ) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let repo = crate::state::auth_repo(&store);
    match create_user(repo.as_ref(), &args.email, &password, Role::Admin) {
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
