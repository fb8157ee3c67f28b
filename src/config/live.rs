//! The running config: what `GET /engine/api/config` shows, and reloads
//! (SIGHUP, `POST /engine/api/config/reload`, a settings change) that read
//! every layer again and hand the new config to the parts that can take it
//! live (REQ-CFG-004). A reload is all or nothing: every part first
//! prepares (a bad certificate fails here), then all commit.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;

use super::report::{ConfigError, Source};
use super::schema;
use super::{resolve, Config, Inputs, Resolved, Settings, SettingsRepo};
use crate::domain::StorageErrorKind;

/// Runs after every part prepared; may say what it did.
pub type Commit = Box<dyn FnOnce() -> Option<String> + Send>;
/// Given the old and new config: what to do, or why the new one is refused.
pub type Hook = Box<dyn Fn(&Config, &Config) -> Result<Prepared, String> + Send + Sync>;

/// A part's answer to a new config.
#[derive(Default)]
pub struct Prepared {
    pub commit: Option<Commit>,
    /// Live keys this part cannot change this time (they wait for a restart).
    pub deferred: Vec<&'static str>,
}

impl Prepared {
    pub fn nothing() -> Prepared {
        Prepared::default()
    }

    pub fn commit(c: Commit) -> Prepared {
        Prepared {
            commit: Some(c),
            deferred: Vec::new(),
        }
    }
}

/// What a reload did.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    /// Changed keys now in effect.
    pub applied: Vec<String>,
    /// Changed keys that take effect at the next start.
    pub restart_required: Vec<String>,
    /// What the live parts reported (a certificate read again, ...).
    pub notes: Vec<String>,
}

/// Why a settings change was refused.
#[derive(Debug)]
pub enum SetError {
    /// A bad key or value: 400 with the message.
    Invalid(String),
    /// A higher layer sets the key: 409.
    Overridden(String),
    /// Storage failed: 500.
    Store(String),
}

pub struct Live {
    /// None when the engine was started from a bare `Config` (no layers).
    inputs: Option<Inputs>,
    started: Arc<Resolved>,
    current: ArcSwap<Resolved>,
    settings: Mutex<Option<Arc<dyn SettingsRepo>>>,
    hooks: Mutex<Vec<Hook>>,
    /// Live keys a part could not apply: pending a restart.
    deferred: Mutex<std::collections::BTreeSet<&'static str>>,
    /// One reload or settings change at a time.
    busy: Mutex<()>,
}

impl Live {
    pub fn new(inputs: Inputs, resolved: Resolved) -> Live {
        let started = Arc::new(resolved);
        Live {
            inputs: Some(inputs),
            current: ArcSwap::new(started.clone()),
            started,
            settings: Mutex::new(None),
            hooks: Mutex::new(Vec::new()),
            deferred: Mutex::new(Default::default()),
            busy: Mutex::new(()),
        }
    }

    /// A config that did not come from layers (embedding, tests): shown
    /// as defaults, never reloaded.
    pub fn fixed(config: Config) -> Live {
        let entries = schema::KEYS
            .iter()
            .map(|key| super::Entry {
                key,
                value: key.default_json(),
                source: Source::Default,
                secret: key.secret(),
            })
            .collect();
        let mut live = Live::new(
            Inputs::new(&[]),
            Resolved {
                config,
                entries,
                warnings: Vec::new(),
            },
        );
        live.inputs = None;
        live
    }

    pub fn current(&self) -> Arc<Resolved> {
        self.current.load_full()
    }

    /// Changed since start, but only in effect after a restart.
    pub fn pending_restart(&self, key: &str) -> bool {
        let now = self.current();
        let (Some(a), Some(b)) = (now.entry(key), self.started.entry(key)) else {
            return false;
        };
        a.value != b.value && (!a.key.live || lock(&self.deferred).contains(a.key.path))
    }

    /// Where the settings layer is read and written.
    pub fn attach_settings(&self, repo: Arc<dyn SettingsRepo>) {
        *lock(&self.settings) = Some(repo);
    }

    /// Registers a part that applies config live.
    pub fn on_reload(&self, hook: Hook) {
        lock(&self.hooks).push(hook);
    }

    /// Reads every layer again and applies what can be applied. Blocks.
    pub fn reload(&self) -> Result<Outcome, ConfigError> {
        let _busy = lock(&self.busy);
        let settings = self.read_settings().map_err(ConfigError::one)?;
        let (next, commits) = self.stage(&settings)?;
        Ok(self.commit(next, commits))
    }

    /// Sets (or with `None` removes) a data-file setting, validated as a
    /// whole config, then applied like a reload. Blocks.
    pub fn set(&self, key: &str, value: Option<serde_json::Value>) -> Result<Outcome, SetError> {
        let _busy = lock(&self.busy);
        let known = schema::find(key);
        if known.is_none() && value.is_some() {
            let hint = schema::suggest(key)
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_default();
            return Err(SetError::Invalid(format!(
                "invalid config: unknown key {key}{hint}"
            )));
        }
        if known.is_some_and(|k| !k.settable()) && value.is_some() {
            return Err(SetError::Invalid(format!(
                "{key} cannot be kept in the data file; set it with a flag, an environment variable or a config file"
            )));
        }
        let current = self.current();
        if let Some(e) = current.entry(key).filter(|e| e.source.overrides_settings()) {
            if value.is_some() {
                return Err(SetError::Overridden(format!(
                    "{key} is set by {}, which wins over the data file's settings; change it there",
                    e.source.tag()
                )));
            }
        }
        let mut settings = self.read_settings().map_err(SetError::Store)?;
        match &value {
            Some(v) => settings.insert(key.to_string(), v.clone()),
            None => settings.remove(key),
        };
        let (next, commits) = self
            .stage(&settings)
            .map_err(|e| SetError::Invalid(e.to_string()))?;
        let repo = self
            .repo()
            .ok_or_else(|| SetError::Store("the data file is closed".into()))?;
        repo.set(key, value.as_ref())
            .map_err(|e| SetError::Store(e.to_string()))?;
        Ok(self.commit(next, commits))
    }

    fn repo(&self) -> Option<Arc<dyn SettingsRepo>> {
        lock(&self.settings).clone()
    }

    /// No settings layer (none attached, or the data file closed) reads
    /// as empty: the other layers still apply.
    fn read_settings(&self) -> Result<Settings, String> {
        let Some(repo) = self.repo() else {
            return Ok(Settings::new());
        };
        match repo.settings() {
            Err(e) if e.kind() == StorageErrorKind::Closed => Ok(Settings::new()),
            other => other.map_err(|e| e.to_string()),
        }
    }

    fn stage(&self, settings: &Settings) -> Result<(Resolved, Vec<Prepared>), ConfigError> {
        let Some(inputs) = &self.inputs else {
            return Err(ConfigError::one(
                "this engine was started without config layers; restart it to change its config",
            ));
        };
        let next = resolve(inputs, settings)?;
        let old = self.current();
        let mut parts = Vec::new();
        for hook in lock(&self.hooks).iter() {
            parts.push(hook(&old.config, &next.config).map_err(ConfigError::one)?);
        }
        Ok((next, parts))
    }

    fn commit(&self, next: Resolved, parts: Vec<Prepared>) -> Outcome {
        let old = self.current();
        let mut out = Outcome::default();
        let mut deferred = lock(&self.deferred);
        for p in &parts {
            deferred.extend(p.deferred.iter().copied());
        }
        for e in &next.entries {
            if old.entry(e.key.path).is_some_and(|o| o.value != e.value) {
                let list = if e.key.live && !deferred.contains(e.key.path) {
                    &mut out.applied
                } else {
                    &mut out.restart_required
                };
                list.push(e.key.path.to_string());
            }
        }
        drop(deferred);
        for w in &next.warnings {
            tracing::warn!("{w}");
        }
        // The view first: whoever sees a new behaviour also sees its value.
        self.current.store(Arc::new(next));
        out.notes = parts
            .into_iter()
            .filter_map(|p| p.commit.and_then(|c| c()))
            .collect();
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
