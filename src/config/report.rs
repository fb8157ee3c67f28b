//! Where a value came from, and config errors that say so.

use std::path::PathBuf;

/// The layer a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    /// The data file's settings (edited in the admin UI).
    Settings,
    File(PathBuf),
    /// The variable's name.
    Env(String),
    /// The flag, such as `--http`.
    Flag(String),
}

impl Source {
    /// `default`, `settings`, `file:/path`, `env:NAME` or `flag`, as the
    /// management API and `config show` print it.
    pub fn tag(&self) -> String {
        match self {
            Source::Default => "default".into(),
            Source::Settings => "settings".into(),
            Source::File(p) => format!("file:{}", p.display()),
            Source::Env(n) => format!("env:{n}"),
            Source::Flag(_) => "flag".into(),
        }
    }

    /// For error messages: "config file a.toml line 3", ...
    pub fn describe(&self, line: Option<usize>) -> String {
        match self {
            Source::Default => "the default".into(),
            Source::Settings => "the data file's settings (change it in the admin UI or with `aiwebengine config set/unset`)".into(),
            Source::File(p) => match line {
                Some(l) => format!("config file {} line {l}", p.display()),
                None => format!("config file {}", p.display()),
            },
            Source::Env(n) => format!("environment variable {n}"),
            Source::Flag(f) => format!("flag {f}"),
        }
    }

    /// Whether a layer above the data file's settings set it.
    pub fn overrides_settings(&self) -> bool {
        matches!(self, Source::File(_) | Source::Env(_) | Source::Flag(_))
    }
}

/// One or more problems, one line each; `serve` exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl ConfigError {
    pub fn one(msg: impl Into<String>) -> ConfigError {
        ConfigError(vec![msg.into()])
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

pub fn edit_distance(a: &str, b: &str) -> usize {
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

/// The key an "invalid config: KEY ..." message is about.
pub fn key_of(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("invalid config: ")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|k| !k.is_empty())
}

/// Puts "(WHERE)" after the value: before "; allowed" when there is one.
pub fn with_where(msg: &str, place: &str) -> String {
    match msg.find("; allowed") {
        Some(i) => format!("{} ({place}){}", &msg[..i], &msg[i..]),
        None => format!("{msg} ({place})"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_of_and_where() {
        let m = "invalid config: js.isolation = \"x\"; allowed: \"worker\"";
        assert_eq!(super::key_of(m), Some("js.isolation"));
        assert_eq!(
            super::with_where(m, "config file a.toml line 2"),
            "invalid config: js.isolation = \"x\" (config file a.toml line 2); allowed: \"worker\""
        );
        let t = "invalid config: security.rate_limit.trusted_proxies: bad";
        assert_eq!(
            super::key_of(t),
            Some("security.rate_limit.trusted_proxies")
        );
    }
}
