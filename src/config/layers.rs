//! The layers, lowest first: defaults (the structs' own), the data file's
//! settings, each config file, each `AIWEBENGINE_*` variable, each flag.
//! figment merges them key by key; every layer is its own provider, so
//! `find_metadata` tells which one a value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::providers::{Format as _, Json, Yaml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::report::{ConfigError, Source};
use super::schema::{self, Kind};

/// A config file's format, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
    Json,
    Json5,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format, String> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext.to_ascii_lowercase().as_str() {
            "toml" => Ok(Format::Toml),
            "yaml" | "yml" => Ok(Format::Yaml),
            "json" => Ok(Format::Json),
            "json5" => Ok(Format::Json5),
            _ => Err(format!(
                "config file {}: unknown format {ext:?}; allowed extensions: .toml, .yaml, .yml, .json, .json5",
                path.display()
            )),
        }
    }
}

/// What the layers are read from, kept so that a reload reads them again.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// Checks that the modules acting on a section add to the schema's own
    /// (header values, CORS policies, log filters); run after every resolve.
    pub checks: &'static [Check],
    /// `--config` files (or `AIWEBENGINE_CONFIG`), later ones win.
    pub files: Vec<PathBuf>,
    /// `(flag, key, value)` for flags given on the command line.
    pub flags: Vec<(String, String, serde_json::Value)>,
    /// Leave the process environment out (`config check`).
    pub no_env: bool,
}

impl Inputs {
    /// No files, no flags, the environment read; `checks` as given.
    pub fn new(checks: &'static [Check]) -> Inputs {
        Inputs {
            checks,
            files: Vec::new(),
            flags: Vec::new(),
            no_env: false,
        }
    }
}

/// A module's own validation of the sections it acts on; the error names
/// the key (`invalid config: security.cors ...`).
pub type Check = fn(&super::Config) -> Result<(), String>;

/// Settings stored in the data file: key -> JSON value.
pub type Settings = BTreeMap<String, serde_json::Value>;

/// One layer's values, and where they came from.
pub struct Layer {
    pub source: Source,
    dict: Dict,
}

struct Provide<'a>(usize, &'a Dict);

impl Provider for Provide<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("layer {}", self.0))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.1.clone()))
    }
}

/// The merged layers, with the file texts for line numbers.
pub struct Merged {
    pub figment: Figment,
    pub layers: Vec<Layer>,
    pub texts: BTreeMap<PathBuf, (Format, String)>,
    pub warnings: Vec<String>,
}

impl Merged {
    /// Where the effective value of `key` came from.
    pub fn source_of(&self, key: &str) -> Source {
        let Some(md) = self.figment.find_metadata(key) else {
            return Source::Default;
        };
        md.name
            .strip_prefix("layer ")
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| self.layers.get(i))
            .map_or(Source::Default, |l| l.source.clone())
    }

    /// "config file F line N", "environment variable X", ...
    pub fn describe(&self, key: &str) -> String {
        let source = self.source_of(key);
        let line = match &source {
            Source::File(p) => self
                .texts
                .get(p)
                .and_then(|(f, t)| super::locate::line_of(t, *f, key)),
            _ => None,
        };
        source.describe(line)
    }
}

/// Reads every layer and merges them. Errors are collected, not stopped at.
pub fn merge(inputs: &Inputs, settings: &Settings) -> Result<Merged, ConfigError> {
    let mut errors = Vec::new();
    let mut merged = Merged {
        figment: Figment::new(),
        layers: Vec::new(),
        texts: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let mut dict = Dict::new();
    for (key, value) in settings {
        match serde_json::from_value::<Value>(value.clone()) {
            Ok(v) => dict = dict_merge(dict, nest(key, v)),
            Err(e) => merged
                .warnings
                .push(format!("ignoring the stored setting {key}: {e}")),
        }
    }
    merged.layers.push(Layer {
        source: Source::Settings,
        dict,
    });
    for path in &inputs.files {
        match read_file(path) {
            Ok((format, text, dict)) => {
                merged.texts.insert(path.clone(), (format, text));
                merged.layers.push(Layer {
                    source: Source::File(path.clone()),
                    dict,
                });
            }
            Err(e) => errors.push(e),
        }
    }
    if !inputs.no_env {
        let mut vars: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with(schema::ENV_PREFIX))
            .collect();
        vars.sort();
        for (name, raw) in vars {
            match env_layer(&name, &raw) {
                Ok(Some(layer)) => merged.layers.push(layer),
                Ok(None) => {}
                Err(EnvProblem::Error(e)) => errors.push(e),
                Err(EnvProblem::Ignored(w)) => merged.warnings.push(w),
            }
        }
    }
    for (flag, key, value) in &inputs.flags {
        let v = serde_json::from_value::<Value>(value.clone()).unwrap_or(Value::from(""));
        merged.layers.push(Layer {
            source: Source::Flag(flag.clone()),
            dict: nest(key, v),
        });
    }
    if !errors.is_empty() {
        return Err(ConfigError(errors));
    }
    let mut fig = Figment::new();
    for (i, layer) in merged.layers.iter().enumerate() {
        fig = fig.merge(Provide(i, &layer.dict));
    }
    merged.figment = fig;
    Ok(merged)
}

fn nest(key: &str, value: Value) -> Dict {
    figment::util::nest(key, value)
        .into_dict()
        .unwrap_or_default()
}

fn dict_merge(mut into: Dict, from: Dict) -> Dict {
    for (k, v) in from {
        let v = match (into.remove(&k), v) {
            (Some(Value::Dict(_, a)), Value::Dict(t, b)) => Value::Dict(t, dict_merge(a, b)),
            (_, v) => v,
        };
        into.insert(k, v);
    }
    into
}

fn read_file(path: &Path) -> Result<(Format, String, Dict), String> {
    let format = Format::of(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    let shown = path.display();
    let dict = match format {
        Format::Toml => toml::from_str::<Dict>(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
            format!("config file {shown}{at}: {}", e.message().trim())
        }),
        Format::Yaml => figment_dict(Yaml::string(&text).data(), path),
        Format::Json => figment_dict(Json::string(&text).data(), path),
        Format::Json5 => json5::from_str::<Dict>(&text).map_err(|e| {
            let json5::Error::Message { msg, location } = &e;
            let at = location
                .as_ref()
                .map(|l| format!(" line {}", l.line))
                .unwrap_or_default();
            format!("config file {shown}{at}: {msg}")
        }),
    }?;
    Ok((format, text, dict))
}

/// YAML and JSON through figment's own providers (their messages carry
/// the line and column).
fn figment_dict(
    data: Result<Map<Profile, Dict>, figment::Error>,
    path: &Path,
) -> Result<Dict, String> {
    match data {
        Ok(mut m) => Ok(m.remove(&Profile::Default).unwrap_or_default()),
        Err(e) => Err(format!("config file {}: {}", path.display(), e.kind)),
    }
}

enum EnvProblem {
    Error(String),
    Ignored(String),
}

/// One `AIWEBENGINE_*` variable as a layer of its own.
fn env_layer(name: &str, raw: &str) -> Result<Option<Layer>, EnvProblem> {
    let key = match schema::FIXED_ENV.iter().find(|(n, _)| *n == name) {
        Some((_, None)) => return Ok(None),
        Some((_, Some(key))) => key.to_string(),
        None => {
            let rest = &name[schema::ENV_PREFIX.len()..];
            let key = rest.to_ascii_lowercase().replace("__", ".");
            if schema::find(&key).is_none() {
                return Err(unknown_env(name, &key, rest.contains("__")));
            }
            key
        }
    };
    let kind = schema::find(&key).map_or(Kind::Str, |k| k.kind);
    Ok(Some(Layer {
        source: Source::Env(name.to_string()),
        dict: nest(&key, env_value(kind, raw)),
    }))
}

/// Strings as they are; lists also as `a,b,c`; the rest parsed (numbers,
/// booleans, `[..]`, `{..}`).
fn env_value(kind: Kind, raw: &str) -> Value {
    match kind {
        k if k.is_text() => Value::from(raw.to_string()),
        Kind::List if !raw.trim_start().starts_with('[') => Value::from(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::from(s.to_string()))
                .collect::<Vec<_>>(),
        ),
        _ => raw.parse().unwrap_or_else(|_| Value::from(raw.to_string())),
    }
}

/// A variable in the scheme (with `__`) must name a key. One without `__`
/// is an error only when it looks like a mistyped key; other tools' own
/// `AIWEBENGINE_*` variables are left alone.
fn unknown_env(name: &str, key: &str, scheme: bool) -> EnvProblem {
    let guess = schema::suggest(key)
        .filter(|s| schema::find(s).is_some())
        .or_else(|| {
            let flat = key.replace('.', "_");
            schema::KEYS
                .iter()
                .find(|k| k.path.replace('.', "_") == flat)
                .map(|k| k.path.to_string())
        });
    let hint = guess
        .as_ref()
        .map(|g| format!("; did you mean {}?", schema::env_name(g)))
        .unwrap_or_default();
    let msg = format!(
        "invalid config: unknown key {key} (environment variable {name}){hint}; names are AIWEBENGINE_ plus the key in upper case with __ between its parts"
    );
    if scheme || guess.is_some() {
        EnvProblem::Error(msg)
    } else {
        EnvProblem::Ignored(format!(
            "ignoring the environment variable {name}: it is not a config key"
        ))
    }
}
