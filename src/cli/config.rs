//! `aiwebengine config show|check|encrypt|genkey`.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgMatches, Args, Subcommand};

use super::{config_fail, fail, ServeArgs};
use crate::config::{resolve, schema, secrets, Inputs, Resolved, Settings};
use crate::store::settings::{read_offline, Offline};
use crate::store::Store;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective config: every key, its value and where it came
    /// from (secrets masked). Takes the same flags as `serve`.
    Show(ShowArgs),
    /// Validate config files on their own (exit 0, or 2 with the problems).
    Check(CheckArgs),
    /// Keep a value in the data file's settings (the server must be
    /// stopped; while it runs, use PUT /engine/api/config).
    Set(SetArgs),
    /// Remove a value from the data file's settings.
    Unset(UnsetArgs),
    /// Encrypt a secret read from standard input into an `enc:` value.
    Encrypt(EncryptArgs),
    /// Print a new random key for AIWEBENGINE_SECRET_KEY.
    Genkey,
    /// Print the key table of docs/CONFIGURATION.md.
    #[command(hide = true)]
    Docs,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Print JSON, in the shape of `GET /engine/api/config`.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Config files, layered in order as `--config` would.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct SetArgs {
    /// A key such as js.time_limit_ms.
    key: String,
    /// JSON (`2000`, `true`, `["a"]`, `"text"`), or plain text for a string.
    value: String,
    #[arg(long, env = "AIWEBENGINE_DATA", default_value = "./aiwebengine.redb")]
    data: PathBuf,
}

#[derive(Args)]
pub struct UnsetArgs {
    key: String,
    #[arg(long, env = "AIWEBENGINE_DATA", default_value = "./aiwebengine.redb")]
    data: PathBuf,
}

#[derive(Args)]
pub struct EncryptArgs {
    /// File holding the key; default: AIWEBENGINE_SECRET_KEY.
    #[arg(long)]
    key_file: Option<PathBuf>,
}

pub fn run(cmd: ConfigCommand, m: Option<&ArgMatches>) -> ExitCode {
    match cmd {
        ConfigCommand::Show(args) => match m {
            Some(m) => show(&args, m),
            None => ExitCode::from(2),
        },
        ConfigCommand::Check(args) => check(&args),
        ConfigCommand::Set(args) => {
            let value = serde_json::from_str(&args.value)
                .unwrap_or(serde_json::Value::String(args.value.clone()));
            store_setting(&args.data, &args.key, Some(value))
        }
        ConfigCommand::Unset(args) => store_setting(&args.data, &args.key, None),
        ConfigCommand::Encrypt(args) => encrypt(&args),
        ConfigCommand::Genkey => {
            println!("{}", secrets::generate_key());
            ExitCode::SUCCESS
        }
        ConfigCommand::Docs => {
            print!("{}", crate::config::schema::markdown());
            ExitCode::SUCCESS
        }
    }
}

fn show(args: &ShowArgs, m: &ArgMatches) -> ExitCode {
    let inputs = super::inputs(&args.serve, m);
    let first = match resolve(&inputs, &Settings::new()) {
        Ok(r) => r,
        Err(e) => return config_fail(&e),
    };
    let data = first.config.data.clone();
    let shown = data.display();
    let (settings, note) = match read_offline(&data) {
        Offline::Missing => (
            Settings::new(),
            format!("no data file at {shown} yet: defaults and the layers above only"),
        ),
        Offline::Held => (
            Settings::new(),
            format!("the data file {shown} is held by a running server, so the settings stored in it are not shown; GET /engine/api/config (admin) on that server shows the full view"),
        ),
        Offline::Unreadable(why) => (
            Settings::new(),
            format!("the settings in {shown} cannot be read ({why}); shown without them"),
        ),
        Offline::Read(s) => (s, format!("settings read from {shown}")),
    };
    let resolved = match settings.is_empty() {
        true => first,
        false => match resolve(&inputs, &settings) {
            Ok(r) => r,
            Err(e) => return config_fail(&e),
        },
    };
    if args.json {
        let mut view = crate::config::view(&resolved, |_| false);
        view["note"] = serde_json::Value::String(note);
        println!(
            "{}",
            serde_json::to_string_pretty(&view).unwrap_or_default()
        );
    } else {
        print_text(&resolved, &note);
    }
    ExitCode::SUCCESS
}

fn print_text(resolved: &Resolved, note: &str) {
    println!(
        "# effective config: flags > environment > config files > data-file settings > defaults"
    );
    println!("# {note}");
    let lines: Vec<(String, String)> = resolved
        .entries
        .iter()
        .map(|e| (format!("{} = {}", e.key.path, e.shown()), e.source.tag()))
        .collect();
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (line, source) in lines {
        println!("{line:width$}  # {source}");
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let inputs = Inputs {
        files: args.files.clone(),
        no_env: true,
        ..Inputs::new(crate::state::CONFIG_CHECKS)
    };
    match resolve(&inputs, &Settings::new()) {
        Ok(r) => {
            for w in &r.warnings {
                eprintln!("warning: {w}");
            }
            let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
            println!("{}: valid", names.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => config_fail(&e),
    }
}

/// Validates the stored settings with the change (on their own, as no other
/// layer is known here) and writes it.
fn store_setting(data: &Path, key: &str, value: Option<serde_json::Value>) -> ExitCode {
    // Removing is always allowed: a setting left by an older version must
    // be removable even when its key is gone.
    let known = schema::find(key);
    if known.is_none() && value.is_some() {
        let hint = schema::suggest(key)
            .map(|s| format!("; did you mean {s}?"))
            .unwrap_or_default();
        return fail(2, format!("invalid config: unknown key {key}{hint}"));
    }
    if known.is_some_and(|k| !k.settable()) && value.is_some() {
        return fail(2, format!("{key} cannot be kept in the data file; set it with a flag, an environment variable or a config file"));
    }
    let js = crate::config::Config::defaults().js_config();
    let store = match Store::open(
        data,
        &crate::store::scripts::seeder(|| crate::seed::scripts(&js)),
    ) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    let mut settings = match crate::store::settings::read(&store) {
        Ok(s) => s,
        Err(e) => return fail(1, e),
    };
    match &value {
        Some(v) => settings.insert(key.to_string(), v.clone()),
        None => settings.remove(key),
    };
    let alone = Inputs {
        no_env: true,
        ..Inputs::new(crate::state::CONFIG_CHECKS)
    };
    if let Err(e) = resolve(&alone, &settings) {
        return config_fail(&e);
    }
    if let Err(e) = crate::store::settings::write(&store, key, value.as_ref()) {
        return fail(1, e);
    }
    let verb = if value.is_some() { "set" } else { "removed" };
    println!("{verb} {key} in the settings of {}", data.display());
    ExitCode::SUCCESS
}

fn encrypt(args: &EncryptArgs) -> ExitCode {
    let key = match &args.key_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))
            .and_then(|t| secrets::parse_key(&t)),
        None => secrets::key_from_env(),
    };
    let key = match key {
        Ok(k) => k,
        Err(e) => return fail(2, e),
    };
    let mut line = String::new();
    if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
        return fail(
            1,
            format!("cannot read the secret from standard input: {e}"),
        );
    }
    let plain = line.trim_end_matches(['\r', '\n']);
    match secrets::encrypt(plain, &key) {
        Ok(enc) => {
            println!("{enc}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}
