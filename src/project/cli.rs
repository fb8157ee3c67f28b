//! `aiwebengine deploy DIR` and `aiwebengine pull DIR`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::remote::{Remote, Target};
use super::{scan, sha256_hex, Kind, Op, Plan, ProjectError};

/// How to reach the server (shared by deploy and pull).
#[derive(Args)]
pub struct ServerArgs {
    /// Base URL of the running server, e.g. https://example.com:8443.
    #[arg(long, env = "AIWEBENGINE_URL")]
    url: String,
    /// Editor or admin bearer token (an API token, or from POST /engine/auth/login).
    #[arg(long, env = "AIWEBENGINE_TOKEN", hide_env_values = true)]
    token: String,
    /// With an https --url: trust only the certificate with this SHA-256
    /// fingerprint (the `SHA-256 fingerprint:` line serve prints).
    #[arg(long, conflicts_with = "insecure")]
    fingerprint: Option<String>,
    /// With an https --url: accept any certificate (prefer --fingerprint).
    #[arg(long)]
    insecure: bool,
}

#[derive(Args)]
pub struct DeployArgs {
    /// The project folder: every *.js under it is a script named by its
    /// relative path, every file under public/ an asset.
    dir: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
    /// Also delete the scripts and assets the folder does not have.
    #[arg(long)]
    prune: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
pub struct PullArgs {
    /// The folder to write into (created if missing): scripts at their
    /// names, assets under public/.
    dir: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
}

fn remote(s: &ServerArgs) -> Result<Remote, ProjectError> {
    Remote::new(&Target {
        url: &s.url,
        token: &s.token,
        insecure: s.insecure,
        fingerprint: s.fingerprint.as_deref(),
    })
}

fn run<F: std::future::Future<Output = Result<(), ProjectError>>>(f: F) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(f) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

pub fn deploy(args: DeployArgs) -> ExitCode {
    run(run_deploy(args))
}

async fn run_deploy(args: DeployArgs) -> Result<(), ProjectError> {
    let local = scan(&args.dir)?;
    let remote = remote(&args.server)?;
    let plan = Plan::new(
        &local,
        &remote.scripts().await?,
        &remote.assets().await?,
        args.prune,
    );
    println!("deploy {} to {}", args.dir.display(), args.server.url);
    for step in &plan.steps {
        println!("{}", step.line());
    }
    println!("{}", plan.summary());
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(());
    }
    for (done, step) in plan.steps.iter().enumerate() {
        let result = match (step.op, step.kind, &step.local) {
            (Op::Remove, Kind::Script, _) => remote.delete_script(&step.name).await,
            (Op::Remove, Kind::Asset, _) => remote.delete_asset(&step.name).await,
            (_, kind, Some(file)) => {
                let bytes =
                    std::fs::read(&file.path).map_err(|e| super::scan::io(&file.path, e))?;
                match kind {
                    Kind::Script => remote.put_script(&step.name, bytes, &file.shown).await,
                    Kind::Asset => remote.put_asset(&step.name, bytes, &file.shown).await,
                }
            }
            (_, _, None) => unreachable!("an upload step always has its file"),
        };
        if let Err(e) = result {
            let kept = match done {
                0 => "nothing was changed on the server".to_string(),
                n => format!("the {n} change(s) above it were applied and stay on the server"),
            };
            return Err(ProjectError::Local(format!(
                "{e}\n  stopped at {}: {kept}; fix it and run deploy again (unchanged files are skipped)",
                step.line()
            )));
        }
        println!("done {}", step.line());
    }
    println!("deployed: {} change(s)", plan.steps.len());
    Ok(())
}

pub fn pull(args: PullArgs) -> ExitCode {
    run(run_pull(args))
}

async fn run_pull(args: PullArgs) -> Result<(), ProjectError> {
    let remote = remote(&args.server)?;
    let (scripts, assets) = (remote.scripts().await?, remote.assets().await?);
    let (mut written, mut same) = (0, 0);
    for (name, sha) in &scripts {
        crate::scripts::validate_name(name).map_err(ProjectError::Remote)?;
        let dest = args.dir.join(name);
        if up_to_date(&dest, sha) {
            same += 1;
            continue;
        }
        let source = remote.script_source(name).await?;
        write(&dest, source.as_bytes())?;
        println!("wrote {name}");
        written += 1;
    }
    for (path, sha) in &assets {
        crate::assets::path::validate(path).map_err(|e| ProjectError::Remote(e.to_string()))?;
        let dest = args.dir.join("public").join(path);
        if up_to_date(&dest, sha) {
            same += 1;
            continue;
        }
        let bytes = remote.asset_bytes(path).await?;
        write(&dest, &bytes)?;
        println!("wrote public/{path}");
        written += 1;
    }
    println!(
        "pulled {} script(s) and {} asset(s) into {}: {written} written, {same} already up to date",
        scripts.len(),
        assets.len(),
        args.dir.display()
    );
    Ok(())
}

fn up_to_date(dest: &Path, sha: &str) -> bool {
    std::fs::read(dest).is_ok_and(|b| sha256_hex(&b) == sha)
}

fn write(dest: &Path, bytes: &[u8]) -> Result<(), ProjectError> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| super::scan::io(parent, e))?;
    }
    std::fs::write(dest, bytes).map_err(|e| super::scan::io(dest, e))
}
