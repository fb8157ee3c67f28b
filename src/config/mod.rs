//! Settings: command-line flags > `AIWEBENGINE_*` environment variables >
//! config files (TOML, YAML, JSON, JSON5) > the data file's settings >
//! defaults (REQ-CFG-001..004). The only module that reads config files and
//! the environment; every error names the key, where it was set, the bad
//! value and what is allowed.
//!
//! - [`schema`]: every key: kind, default, reload, docs.
//! - [`sections`]: the structs the layers deserialize into.
//! - `layers`/`resolve`: figment merging, sources, validation.
//! - [`secrets`]: `env:`, `file:` and `enc:` values.
//! - [`settings`]: the port of the data file's settings layer ([`SettingsRepo`]).
//! - [`live`]: the running config, reloads and what they applied.

pub mod auth;
mod layers;
pub mod live;
mod locate;
pub mod oauth;
mod report;
mod resolve;
pub mod schema;
pub mod secrets;
mod sections;
pub mod security;
pub mod settings;
pub mod telemetry;

use std::path::PathBuf;

use crate::js::{Isolation, JsConfig};

pub use layers::{Check, Format, Inputs, Settings};
pub use live::Live;
pub use report::{ConfigError, Source};
pub use resolve::{resolve, Entry, Resolved};
pub use sections::*;
pub use settings::SettingsRepo;

/// Everything `serve` needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub data: PathBuf,
    pub http: String,
    pub https: Option<String>,
    pub dev: bool,
    pub server: ServerSection,
    pub js: JsSection,
    pub tls: TlsSection,
    pub storage: StorageSection,
    pub kv: KvSection,
    pub security: SecuritySection,
    pub logging: LoggingSection,
    pub metrics: MetricsSection,
    pub graphql: GraphqlSection,
    pub assets: crate::assets::AssetsSection,
    pub auth: auth::AuthSection,
    pub mcp: McpSection,
    pub oauth: oauth::OAuthSection,
}

/// One key as `GET /engine/api/config` (and `config show --json`) shows
/// it: `editable` when no layer above the data file's settings sets it.
pub fn entry_json(e: &Entry, pending_restart: bool) -> serde_json::Value {
    serde_json::json!({
        "key": e.key.path,
        "value": e.shown(),
        "source": e.source.tag(),
        "secret": e.secret,
        "editable": e.key.settable() && !e.source.overrides_settings(),
        "reload": if e.key.live { "live" } else { "restart" },
        "pending_restart": pending_restart,
        "env": e.key.env_name(),
    })
}

/// `{"values": [...]}` for every key, in schema order.
pub fn view(resolved: &Resolved, pending_restart: impl Fn(&str) -> bool) -> serde_json::Value {
    let values: Vec<serde_json::Value> = resolved
        .entries
        .iter()
        .map(|e| entry_json(e, pending_restart(e.key.path)))
        .collect();
    serde_json::json!({ "values": values })
}

impl Config {
    /// The defaults alone (for tools that only need, say, the JS limits).
    pub fn defaults() -> Config {
        Config::from_sections(FileConfig::default())
    }

    /// Flattens the merged sections; not yet validated.
    pub fn from_sections(f: FileConfig) -> Config {
        let https = Some(f.server.https.clone()).filter(|h| h != "off");
        Config {
            data: f.storage.data.clone(),
            http: f.server.http.clone(),
            https,
            dev: f.server.dev,
            server: f.server,
            js: f.js,
            tls: f.tls,
            storage: f.storage,
            security: f.security,
            logging: f.logging,
            metrics: f.metrics,
            graphql: f.graphql,
            kv: f.kv,
            assets: f.assets,
            auth: f.auth,
            mcp: f.mcp,
            oauth: f.oauth,
        }
    }

    /// The first problem, as "invalid config: KEY = VALUE; allowed: ...".
    pub(crate) fn validate(&self) -> Result<(), String> {
        let bad = |key: &str, value: String, allowed: &str| {
            Err(format!(
                "invalid config: {key} = {value}; allowed: {allowed}"
            ))
        };
        if !matches!(self.js.isolation.as_str(), "worker" | "request") {
            return bad(
                "js.isolation",
                format!("{:?}", self.js.isolation),
                "\"worker\" or \"request\"",
            );
        }
        if self.js.memory_limit_bytes < 1024 * 1024 {
            return bad(
                "js.memory_limit_bytes",
                self.js.memory_limit_bytes.to_string(),
                "at least 1048576 (1 MiB)",
            );
        }
        if self.js.stack_size_bytes < 64 * 1024 {
            return bad(
                "js.stack_size_bytes",
                self.js.stack_size_bytes.to_string(),
                "at least 65536",
            );
        }
        if self.js.time_limit_ms == 0 {
            return bad("js.time_limit_ms", "0".into(), "1 or more milliseconds");
        }
        if self.server.request_timeout_ms == 0 {
            return bad(
                "server.request_timeout_ms",
                "0".into(),
                "1 or more milliseconds",
            );
        }
        if self.server.write_timeout_ms < 100 {
            return bad(
                "server.write_timeout_ms",
                self.server.write_timeout_ms.to_string(),
                "100 or more milliseconds",
            );
        }
        if let Err(e) = self.auth.totp_roles() {
            return bad(
                "auth.require_totp_for",
                format!("{:?}", self.auth.require_totp_for),
                &format!("a list of role names ({e})"),
            );
        }
        if !matches!(self.mcp.auth.as_str(), "required" | "optional") {
            return bad(
                "mcp.auth",
                format!("{:?}", self.mcp.auth),
                "\"required\" or \"optional\"",
            );
        }
        self.oauth.validate()?;
        self.validate_tls()?;
        self.auth.validate()
    }

    fn validate_tls(&self) -> Result<(), String> {
        let tls = &self.tls;
        let allowed = |key: &str, value: &str, ok: &[&str]| {
            if ok.contains(&value) {
                return Ok(());
            }
            let list = ok.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>();
            Err(format!(
                "invalid config: {key} = {value:?}; allowed: {}",
                list.join(", ")
            ))
        };
        allowed(
            "tls.https_redirect",
            &tls.https_redirect,
            &["non-loopback", "always", "never"],
        )?;
        allowed("tls.hsts", &tls.hsts, &["auto", "always", "never"])?;
        match (&tls.cert, &tls.key) {
            (Some(_), None) => Err(
                "invalid config: tls.cert is set but tls.key is not; give both PEM files, or neither for the self-signed certificate".into(),
            ),
            (None, Some(_)) => Err(
                "invalid config: tls.key is set but tls.cert is not; give both PEM files, or neither for the self-signed certificate".into(),
            ),
            _ => Ok(()),
        }
    }

    pub fn js_config(&self) -> JsConfig {
        JsConfig {
            workers: self.js.workers,
            memory_limit_bytes: self.js.memory_limit_bytes,
            time_limit_ms: self.js.time_limit_ms,
            stack_size_bytes: self.js.stack_size_bytes,
            isolation: if self.js.isolation == "request" {
                Isolation::Request
            } else {
                Isolation::Worker
            },
            eval: self.js.eval,
            console: self.js.console,
            max_contexts_per_worker: self.js.max_contexts_per_worker,
            dev: self.dev,
            slow_after: std::time::Duration::from_millis(self.js.inline_slow_ms),
        }
    }
}
