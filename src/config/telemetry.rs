//! `[logging]` and `[metrics]` in the config file.

use serde::Deserialize;

/// `[logging]`: the server's own log (REQ-LOG-001/002, see
/// `observe::logging`) and the access log (docs/operations.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// `EnvFilter` directives: "info", "warn,aiwebengine::http=debug", ...
    pub level: String,
    /// "pretty" (human text) or "json" (one object per line).
    pub format: String,
    /// Write the log to stderr.
    pub console: bool,
    /// Also write it to this file, rotated beside it.
    pub file: Option<std::path::PathBuf>,
    /// "hourly", "daily", "weekly" or "never" ("minutely" exists for tests).
    pub rotation: String,
    /// Log files kept, the current one included; 0 keeps all.
    pub retention_files: usize,
    /// Rotated files older than this many days are deleted; 0 keeps all.
    pub retention_days: u64,
    /// Rotated files are compressed: "gzip", "zstd" or "none".
    pub compress: String,
    /// "common", "combined", "json" or "off".
    pub access_format: String,
    /// Append access lines to this file instead of the server log
    /// (target `access`, level info).
    pub access_file: Option<std::path::PathBuf>,
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection {
            level: "info".into(),
            format: "pretty".into(),
            console: true,
            file: None,
            rotation: "daily".into(),
            retention_files: 7,
            retention_days: 0,
            compress: "gzip".into(),
            access_format: "off".into(),
            access_file: None,
        }
    }
}

/// `[metrics]`: who may read `GET /metrics`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Bearer token for scrapers that are not on loopback; without it only
    /// loopback clients are answered.
    pub token: Option<String>,
    /// Answer loopback clients without the token (default true).
    pub loopback_open: bool,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            token: None,
            loopback_open: true,
        }
    }
}
