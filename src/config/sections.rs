//! The sections of the config schema. Every struct is `deny_unknown_fields`
//! with container defaults, so a layer may give any subset of keys.
//! [`super::schema`] describes each key (default, reload, secrecy) and a
//! unit test keeps the two in step.

use std::path::PathBuf;

use serde::Deserialize;

pub use super::security::SecuritySection;
pub use super::telemetry::{LoggingSection, MetricsSection};

/// `[server]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// HTTP listen address (`--http`, `AIWEBENGINE_HTTP`).
    pub http: String,
    /// HTTPS listen address or "off" (`--https`, `AIWEBENGINE_HTTPS`).
    pub https: String,
    /// Development mode (`--dev`).
    pub dev: bool,
    /// `aiwebengine dev`: the account that same-origin requests from
    /// loopback clients act as without a login ("" = nobody).
    pub dev_user: String,
    pub request_timeout_ms: u64,
    pub body_limit_bytes: u64,
    pub shutdown_grace_ms: u64,
    /// After SIGTERM: still accepting, but not ready (see `/health/ready`).
    pub drain_delay_ms: u64,
    /// Slowloris guard: a connection that has not sent a whole request
    /// head within this time is closed.
    pub header_read_timeout_ms: u64,
    /// Slow readers: a connection whose writes make no progress for this
    /// long is closed (`server::stall`).
    pub write_timeout_ms: u64,
    /// Open connections per server; beyond it new ones are closed at once.
    pub max_connections: usize,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            http: "0.0.0.0:8080".into(),
            https: "0.0.0.0:8443".into(),
            dev: false,
            dev_user: String::new(),
            request_timeout_ms: 5000,
            body_limit_bytes: 1024 * 1024,
            shutdown_grace_ms: 10_000,
            drain_delay_ms: 0,
            header_read_timeout_ms: 10_000,
            write_timeout_ms: 30_000,
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

/// redb page cache of a served data file unless `storage.cache_bytes`
/// says otherwise (the schema's default; the store's own `DEFAULT_CACHE_BYTES`
/// is the same for tools that open a file without a config).
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Space kept allocated past the end of the data file unless
/// `storage.reserve_bytes` says otherwise (the store's
/// `guard::DEFAULT_RESERVE_BYTES` is the same).
pub const DEFAULT_RESERVE_BYTES: u64 = 16 * 1024 * 1024;

/// `[storage]` in the config file: scheduled backups (docs/operations.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    /// The data file (`--data`, `AIWEBENGINE_DATA`).
    pub data: PathBuf,
    /// Directory for scheduled `.redb.zst` backups; none means no schedule.
    pub backup_dir: Option<PathBuf>,
    /// Time between scheduled backups, e.g. "6h" or "1d" (at least 1s).
    #[serde(deserialize_with = "interval")]
    pub backup_interval: std::time::Duration,
    /// How many scheduled backups to keep; older ones are deleted.
    pub backup_keep: std::num::NonZeroUsize,
    /// redb's page cache; bounds how much memory store reads and writes
    /// (a large upload, say) may keep.
    pub cache_bytes: usize,
    /// Bytes kept allocated past the end of the data file, so a full disk
    /// refuses writes before redb meets it (store/guard.rs).
    pub reserve_bytes: u64,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            data: PathBuf::from("./aiwebengine.redb"),
            cache_bytes: DEFAULT_CACHE_BYTES,
            reserve_bytes: DEFAULT_RESERVE_BYTES,
            backup_dir: None,
            backup_interval: std::time::Duration::from_secs(24 * 3600),
            backup_keep: std::num::NonZeroUsize::new(7).unwrap_or(std::num::NonZeroUsize::MIN),
        }
    }
}

fn interval<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::time::Duration, D::Error> {
    let text = String::deserialize(d)?;
    match humantime::parse_duration(&text) {
        Ok(t) if t >= std::time::Duration::from_secs(1) => Ok(t),
        _ => Err(serde::de::Error::custom(
            "a duration of 1s or more, such as \"30m\", \"6h\" or \"1d\"",
        )),
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
    /// Memory for kv rows read recently; 0 turns the read cache off.
    pub cache_bytes: usize,
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
            cache_bytes: d.cache_bytes,
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
            cache_bytes: self.cache_bytes,
        }
    }
}

/// Every section, as the layers merge into it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    pub server: ServerSection,
    pub js: JsSection,
    pub storage: StorageSection,
    pub tls: TlsSection,
    pub kv: KvSection,
    pub security: SecuritySection,
    pub logging: LoggingSection,
    pub metrics: MetricsSection,
    pub graphql: GraphqlSection,
    pub assets: crate::assets::AssetsSection,
    pub auth: super::auth::AuthSection,
    pub mcp: McpSection,
    pub oauth: super::oauth::OAuthSection,
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

/// `[mcp]`: the MCP server at `/mcp` (docs/mcp.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpSection {
    /// `"required"`: every request needs a bearer token or the session
    /// cookie; `"optional"`: anonymous callers are served too.
    pub auth: String,
    /// Browser origins allowed to call `/mcp`; a request with any other
    /// `Origin` header is refused (requests without one pass).
    pub allowed_origins: Vec<String>,
    /// `Host` values `/mcp` answers (DNS-rebinding protection); empty means
    /// any host.
    pub allowed_hosts: Vec<String>,
    /// Offer the engine's built-in admin tools to admins and editors.
    pub admin_tools: bool,
    /// Largest JSON-RPC request body.
    pub max_body_bytes: usize,
}

impl Default for McpSection {
    fn default() -> Self {
        McpSection {
            auth: "required".into(),
            allowed_origins: Vec::new(),
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            admin_tools: false,
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}
