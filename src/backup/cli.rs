//! The `backup`, `restore` and `verify` subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args};

use super::{is_zst, remote, BackupError, FileFormat, Scratch};

#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["url", "data"])))]
pub struct BackupArgs {
    /// Output file; a name ending in `.zst` is zstd-compressed.
    out: PathBuf,
    /// Base URL of a running server, e.g. http://127.0.0.1:8080 (online backup).
    #[arg(long)]
    url: Option<String>,
    /// Admin bearer token for --url (from POST /engine/auth/login).
    #[arg(long, env = "AIWEBENGINE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// With an https --url: trust only the certificate with this SHA-256
    /// fingerprint (the `SHA-256 fingerprint:` line serve prints).
    #[arg(long, conflicts_with = "insecure")]
    fingerprint: Option<String>,
    /// With an https --url: accept any certificate (prefer --fingerprint).
    #[arg(long)]
    insecure: bool,
    /// Data file to copy offline (no server may hold it).
    #[arg(long)]
    data: Option<PathBuf>,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// Backup to restore: a data file or a `.zst`.
    backup: PathBuf,
    /// Data file to replace (or create); no server may hold it.
    #[arg(long, env = "AIWEBENGINE_DATA")]
    data: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Data file or backup (plain or `.zst`) to check.
    file: PathBuf,
}

fn report(result: Result<String, BackupError>) -> ExitCode {
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The format's reader may panic on a damaged file; the adapter turns such
/// panics into errors, so the default hook's message and backtrace would
/// only add noise.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

pub fn backup(format: &dyn FileFormat, args: BackupArgs) -> ExitCode {
    quiet_panics();
    report(run_backup(format, &args))
}

fn run_backup(format: &dyn FileFormat, args: &BackupArgs) -> Result<String, BackupError> {
    match (&args.url, &args.data) {
        (Some(url), _) => {
            let part = Scratch::beside(&args.out, "partial")?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| BackupError::Remote(format!("cannot start the runtime: {e}")))?;
            let remote = remote::Remote {
                url,
                token: args.token.as_deref(),
                insecure: args.insecure,
                fingerprint: args.fingerprint.as_deref(),
            };
            rt.block_on(remote::download(&remote, is_zst(&args.out), part.path()))?;
            part.persist(&args.out)?;
        }
        (None, Some(data)) => {
            super::snapshot_file(format, data, &args.out)?;
        }
        (None, None) => {
            return Err(BackupError::Remote("give --url URL or --data FILE".into()));
        }
    }
    let summary = super::verify(format, &args.out)?;
    Ok(format!(
        "backup written to {}: {summary}",
        args.out.display()
    ))
}

pub fn restore(format: &dyn FileFormat, args: RestoreArgs) -> ExitCode {
    quiet_panics();
    report(super::restore(format, &args.backup, &args.data).map(|r| {
        let kept = r
            .previous
            .map(|p| format!("; the previous data file was kept as {}", p.display()))
            .unwrap_or_default();
        format!(
            "restored {} to {} ({}){kept}",
            args.backup.display(),
            args.data.display(),
            r.summary
        )
    }))
}

pub fn verify(format: &dyn FileFormat, args: VerifyArgs) -> ExitCode {
    quiet_panics();
    report(super::verify(format, &args.file).map(|s| format!("ok: {}: {s}", args.file.display())))
}
