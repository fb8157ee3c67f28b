//! Settings: the command line and environment (parsed in `cli`), the
//! `--config` TOML file, and defaults. The only module that reads config
//! files; validation errors name the key and the source.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::js::{Isolation, JsConfig};

/// `[server]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    pub request_timeout_ms: u64,
    pub body_limit_bytes: u64,
    pub shutdown_grace_ms: u64,
    /// Slowloris guard: a connection that has not sent a whole request
    /// head within this time is closed.
    pub header_read_timeout_ms: u64,
    /// Open connections per server; beyond it new ones are closed at once.
    pub max_connections: usize,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            request_timeout_ms: 5000,
            body_limit_bytes: 1024 * 1024,
            shutdown_grace_ms: 10_000,
            header_read_timeout_ms: 10_000,
            max_connections: 10_000,
        }
    }
}

/// `[js]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsSection {
    pub workers: usize,
    pub memory_limit_bytes: usize,
    pub time_limit_ms: u64,
    pub stack_size_bytes: usize,
    pub max_script_bytes: usize,
    pub isolation: String,
    pub eval: bool,
    pub console: bool,
    pub log_ring: u64,
    pub max_contexts_per_worker: usize,
    pub inline_slow_ms: u64,
    /// `[js.fetch]`: outbound HTTP (off until a host is allowed).
    pub fetch: crate::fetch::FetchConfig,
}

impl Default for JsSection {
    fn default() -> Self {
        JsSection {
            workers: 0,
            memory_limit_bytes: 16 * 1024 * 1024,
            time_limit_ms: 1000,
            stack_size_bytes: 512 * 1024,
            max_script_bytes: 1024 * 1024,
            isolation: "worker".into(),
            eval: true,
            console: true,
            log_ring: 1000,
            max_contexts_per_worker: 64,
            inline_slow_ms: 10,
            fetch: crate::fetch::FetchConfig::default(),
        }
    }
}

/// `[tls]` in the config file (see docs/operations.md, "TLS").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// PEM certificate chain; with `key`, replaces the self-signed one.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) matching `cert`.
    pub key: Option<PathBuf>,
    /// Plain-HTTP requests answered with a 308 to HTTPS:
    /// "non-loopback", "always" or "never".
    pub https_redirect: String,
    /// `Strict-Transport-Security` over HTTPS: "auto" (only with a
    /// certificate that is not self-signed), "always" or "never".
    pub hsts: String,
    pub hsts_max_age_secs: u64,
    /// Extra subject alternative names for the self-signed certificate.
    pub names: Vec<String>,
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            cert: None,
            key: None,
            https_redirect: "non-loopback".into(),
            hsts: "auto".into(),
            hsts_max_age_secs: 31_536_000,
            names: Vec::new(),
        }
    }
}

/// `[storage]` in the config file: scheduled backups (docs/operations.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// Directory for scheduled `.redb.zst` backups; none means no schedule.
    pub backup_dir: Option<PathBuf>,
    /// Time between scheduled backups, e.g. "6h" or "1d" (at least 1s).
    #[serde(deserialize_with = "interval")]
    pub backup_interval: std::time::Duration,
    /// How many scheduled backups to keep; older ones are deleted.
    pub backup_keep: std::num::NonZeroUsize,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            backup_dir: None,
            backup_interval: std::time::Duration::from_secs(24 * 3600),
            backup_keep: std::num::NonZeroUsize::new(7).unwrap_or(std::num::NonZeroUsize::MIN),
        }
    }
}

pub use crate::http::hygiene::config::SecuritySection;
pub use crate::observe::config::{LoggingSection, MetricsSection};

fn interval<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::time::Duration, D::Error> {
    let text = String::deserialize(d)?;
    match humantime::parse_duration(&text) {
        Ok(t) if t >= std::time::Duration::from_secs(1) => Ok(t),
        _ => Err(serde::de::Error::custom(format!(
            "storage.backup_interval = {text:?}: allowed: a duration of 1s or more, such as \"30m\", \"6h\" or \"1d\""
        ))),
    }
}

/// `[kv]` in the config file: the scripts' data API (docs/javascript-apis.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KvSection {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    pub max_atomic_keys: usize,
    /// Shared namespaces any script may open with `kv.open(name)`.
    pub shared: Vec<String>,
    pub sweep_interval_ms: u64,
}

impl Default for KvSection {
    fn default() -> Self {
        let d = crate::kv::KvLimits::default();
        KvSection {
            max_key_bytes: d.max_key_bytes,
            max_value_bytes: d.max_value_bytes,
            max_atomic_keys: d.max_atomic_keys,
            shared: d.shared,
            sweep_interval_ms: d.sweep_interval.as_millis() as u64,
        }
    }
}

impl KvSection {
    pub fn limits(&self) -> crate::kv::KvLimits {
        crate::kv::KvLimits {
            max_key_bytes: self.max_key_bytes,
            max_value_bytes: self.max_value_bytes,
            max_atomic_keys: self.max_atomic_keys.max(1),
            shared: self.shared.clone(),
            sweep_interval: std::time::Duration::from_millis(self.sweep_interval_ms.max(10)),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FileConfig {
    server: ServerSection,
    js: JsSection,
    storage: StorageSection,
    tls: TlsSection,
    kv: KvSection,
    security: SecuritySection,
    logging: LoggingSection,
    metrics: MetricsSection,
    graphql: GraphqlSection,
}

/// `[graphql]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlSection {
    /// Introspection outside `--dev` (always on in `--dev`).
    pub introspection: bool,
    /// GraphiQL at `GET /graphql` outside `--dev` (always on in `--dev`).
    pub graphiql: bool,
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for GraphqlSection {
    fn default() -> Self {
        GraphqlSection {
            introspection: true,
            graphiql: false,
            max_depth: 32,
            max_complexity: 10_000,
        }
    }
}

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
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    pub fn new(
        data: PathBuf,
        http: String,
        https: Option<String>,
        dev: bool,
        files: &[PathBuf],
    ) -> Result<Config, ConfigError> {
        // Each file is checked on its own (so errors name the file and line),
        // then the tables are merged key by key: later files win.
        let mut merged = toml::Table::new();
        for path in files {
            merge(&mut merged, read_file(path)?);
        }
        let file: FileConfig = merged.try_into().map_err(|e: toml::de::Error| {
            ConfigError(format!("config files {}: {}", list(files), e.message()))
        })?;
        let https = https.filter(|h| h != "off");
        let cfg = Config {
            data,
            http,
            https,
            dev,
            server: file.server,
            js: file.js,
            tls: file.tls,
            storage: file.storage,
            security: file.security,
            logging: file.logging,
            metrics: file.metrics,
            graphql: file.graphql,
            kv: file.kv,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, value: String, allowed: &str| {
            Err(ConfigError(format!(
                "invalid config: {key} = {value}; allowed: {allowed}"
            )))
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
        self.validate_tls()?;
        crate::http::hygiene::validate(self).map_err(ConfigError)?;
        crate::observe::validate(self).map_err(ConfigError)
    }

    fn validate_tls(&self) -> Result<(), ConfigError> {
        let tls = &self.tls;
        let allowed = |key: &str, value: &str, ok: &[&str]| {
            if ok.contains(&value) {
                return Ok(());
            }
            let list = ok.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>();
            Err(ConfigError(format!(
                "invalid config: {key} = {value:?}; allowed: {}",
                list.join(", ")
            )))
        };
        allowed(
            "tls.https_redirect",
            &tls.https_redirect,
            &["non-loopback", "always", "never"],
        )?;
        allowed("tls.hsts", &tls.hsts, &["auto", "always", "never"])?;
        match (&tls.cert, &tls.key) {
            (Some(_), None) => Err(ConfigError(
                "invalid config: tls.cert is set but tls.key is not; give both PEM files, or neither for the self-signed certificate".into(),
            )),
            (None, Some(_)) => Err(ConfigError(
                "invalid config: tls.key is set but tls.cert is not; give both PEM files, or neither for the self-signed certificate".into(),
            )),
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

fn list(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
    let checked: Result<FileConfig, _> = toml::from_str(&text);
    checked
        .and_then(|_| toml::from_str::<toml::Table>(&text))
        .map_err(|e| {
            let msg = e.message().to_string();
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            let hint = suggestion(&msg);
            match line {
                Some(l) => ConfigError(format!(
                    "config file {} line {l}: {msg}{hint}",
                    path.display()
                )),
                None => ConfigError(format!("config file {}: {msg}{hint}", path.display())),
            }
        })
}

/// "unknown field `tim_limit_ms`, expected one of ..." -> a did-you-mean.
fn suggestion(msg: &str) -> String {
    let Some(rest) = msg.strip_prefix("unknown field `") else {
        return String::new();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return String::new();
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .min_by_key(|cand| edit_distance(field, cand))
        .filter(|cand| edit_distance(field, cand) <= 3)
        .map(|cand| format!(" (did you mean `{cand}`?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_keys() {
        let m = "unknown field `tim_limit_ms`, expected one of `workers`, `time_limit_ms`";
        assert_eq!(super::suggestion(m), " (did you mean `time_limit_ms`?)");
    }
}
