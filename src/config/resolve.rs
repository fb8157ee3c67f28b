//! From merged layers to a validated [`Config`], with the effective value
//! and source of every key. All problems found are reported together.

use figment::value::{Dict, Value};

use super::layers::{self, Inputs, Merged, Settings};
use super::report::{key_of, with_where, ConfigError, Source};
use super::schema::{self, Key, Kind, KEYS};
use super::sections::FileConfig;
use super::{secrets, Config};

/// One key's effective value, as given (a secret reference unresolved).
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: &'static Key,
    pub value: serde_json::Value,
    pub source: Source,
    /// Never shown: a secret key, or a value given as a secret reference.
    pub secret: bool,
}

impl Entry {
    /// The value for display: secrets masked.
    pub fn shown(&self) -> serde_json::Value {
        if self.secret && !self.value.is_null() {
            serde_json::Value::String("********".into())
        } else {
            let mut v = self.value.clone();
            mask_nested(&mut v);
            v
        }
    }
}

/// Secret fields inside tables (a provider's `client_secret`) masked.
fn mask_nested(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if (k == "client_secret" || k == "private_key") && !x.is_null() {
                    *x = serde_json::Value::String(super::auth::MASK.into());
                } else {
                    mask_nested(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(mask_nested),
        _ => {}
    }
}

/// A validated config and where each of its values came from.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub config: Config,
    pub entries: Vec<Entry>,
    /// Harmless oddities (an ignored variable), for the log.
    pub warnings: Vec<String>,
}

impl Resolved {
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key.path == key)
    }
}

pub fn resolve(inputs: &Inputs, settings: &Settings) -> Result<Resolved, ConfigError> {
    let merged = layers::merge(inputs, settings)?;
    let tree: Dict = merged.figment.extract().unwrap_or_default();
    let mut errors = Vec::new();
    unknown_keys(&merged, &tree, "", &mut errors);
    let mut typed = serde_json::Map::new();
    let mut entries = Vec::new();
    for key in KEYS {
        let (value, source) = match merged.figment.find_value(key.path) {
            Ok(v) => (to_json(&v), merged.source_of(key.path)),
            Err(_) => (key.default_json(), Source::Default),
        };
        let secret = key.secret() || value.as_str().is_some_and(secrets::is_reference);
        if source != Source::Default {
            match check(key, &value, secret) {
                Ok(v) => insert(&mut typed, key.path, v),
                Err(msg) => errors.push(with_where(&msg, &merged.describe(key.path))),
            }
        }
        entries.push(Entry {
            key,
            value,
            source,
            secret,
        });
    }
    if !errors.is_empty() {
        return Err(ConfigError(errors));
    }
    let sections: FileConfig = serde_json::from_value(serde_json::Value::Object(typed))
        .map_err(|e| ConfigError::one(format!("invalid config: {e}")))?;
    let config = Config::from_sections(sections);
    std::iter::once(Config::validate as super::Check)
        .chain(inputs.checks.iter().copied())
        .try_for_each(|check| check(&config))
        .map_err(|msg| ConfigError::one(locate(&merged, &msg)))?;
    Ok(Resolved {
        config,
        entries,
        warnings: merged.warnings,
    })
}

/// Adds where the offending value was set, unless it is a default.
fn locate(merged: &Merged, msg: &str) -> String {
    let Some(mut key) = key_of(msg) else {
        return msg.to_string();
    };
    while schema::find(key).is_none() {
        match key.rsplit_once('.') {
            Some((head, _)) => key = head,
            None => return msg.to_string(),
        }
    }
    match merged.source_of(key) {
        Source::Default => msg.to_string(),
        _ => with_where(msg, &merged.describe(key)),
    }
}

fn to_json(v: &Value) -> serde_json::Value {
    v.deserialize::<serde_json::Value>()
        .unwrap_or(serde_json::Value::Null)
}

/// Resolves a secret reference and checks the value's type on its own,
/// so that each bad key gets its own message.
fn check(key: &Key, value: &serde_json::Value, secret: bool) -> Result<serde_json::Value, String> {
    let shown = if secret {
        "********".to_string()
    } else {
        value.to_string()
    };
    let mut value = value.clone();
    if key.kind == Kind::Str {
        if let Some(s) = value.as_str().filter(|s| secrets::is_reference(s)) {
            let plain = secrets::resolve(s)
                .map_err(|e| format!("invalid config: {} = {shown}; allowed: {e}", key.path))?;
            value = serde_json::Value::String(plain);
        }
    }
    let mut one = serde_json::Map::new();
    insert(&mut one, key.path, value.clone());
    match serde_json::from_value::<FileConfig>(serde_json::Value::Object(one)) {
        Ok(_) => Ok(value),
        Err(e) => {
            let detail = e.to_string();
            let allowed =
                if detail.starts_with("invalid type") || detail.starts_with("invalid value") {
                    key.kind.expected().to_string()
                } else {
                    detail
                };
            Err(format!(
                "invalid config: {} = {shown}; allowed: {allowed}",
                key.path
            ))
        }
    }
}

fn insert(tree: &mut serde_json::Map<String, serde_json::Value>, path: &str, v: serde_json::Value) {
    match path.split_once('.') {
        None => {
            tree.insert(path.to_string(), v);
        }
        Some((head, rest)) => {
            let sub = tree
                .entry(head.to_string())
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let serde_json::Value::Object(m) = sub {
                insert(m, rest, v);
            }
        }
    }
}

/// Keys no section has, with a suggestion.
fn unknown_keys(merged: &Merged, dict: &Dict, prefix: &str, errors: &mut Vec<String>) {
    for (k, v) in dict {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if schema::find(&path).is_some() {
            continue;
        }
        if schema::is_section(&path) {
            match v {
                Value::Dict(_, d) => unknown_keys(merged, d, &path, errors),
                other => errors.push(format!(
                    "invalid config: {path} = {} ({}); allowed: a table ([{path}]) of its keys",
                    to_json(other),
                    merged.describe(&path)
                )),
            }
            continue;
        }
        let hint = match schema::suggest(&path) {
            Some(s) if matches!(merged.source_of(&path), Source::Env(_)) => {
                format!("; did you mean {}?", schema::env_name(&s))
            }
            Some(s) => format!("; did you mean {s}?"),
            None => String::new(),
        };
        errors.push(format!(
            "invalid config: unknown key {path} ({}){hint}",
            merged.describe(&path)
        ));
    }
}
