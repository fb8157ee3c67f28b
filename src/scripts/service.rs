//! Saving, loading and serving scripts. A save is one write transaction
//! (record + version row + derived routes); the in-memory catalog and route
//! table are swapped only after it commits.

use std::collections::BTreeMap;
use std::sync::Arc;

use redb::{ReadableTable, ReadableTableMetadata};

use super::catalog::{serving, Catalog, CatalogCell, CatalogEntry, SaveAuthors};
use super::routes::{is_reserved, LoadedScript, Lookup, Pattern, RouteSpec, RouteTable};
use super::runtime::{CatalogHook, LoadError, Refusal, Registration, ScriptRuntime};
use super::{now_millis, validate_name, ScriptRecord, ScriptVersion};
use crate::domain::GqlSpec;
use crate::events::Streams;
use crate::store::{decode, encode, get_value, tables, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("{0}")]
    InvalidName(String),
    #[error(
        "script is {size} bytes, over the limit of {limit} bytes (config js.max_script_bytes)"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("script failed to load: {}", .0.message)]
    Load(LoadError),
    #[error("{path} is reserved for the engine (/engine, /health, /metrics, /graphql, /mcp); choose another path")]
    Reserved { path: String },
    #[error("{method} {path} is already registered by script {owner}; change the path or disable {owner} first")]
    Conflict {
        method: String,
        path: String,
        owner: String,
    },
    #[error("{method} {path} would hide the stored asset /{asset}; change the route or delete the asset first")]
    AssetConflict {
        method: String,
        path: String,
        asset: String,
    },
    #[error("{}", .0.message)]
    Schema(Refusal),
    #[error("no script named {0}")]
    NotFound(String),
    #[error(
        "script {0} was just created by someone else; load it and save again if you may change it"
    )]
    Exists(String),
    #[error(
        "a script named {0} already exists; choose another name, or delete or rename {0} first"
    )]
    NameTaken(String),
    #[error("script {name} has no version {version}")]
    VersionNotFound { name: String, version: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal task failed: {0}")]
    Task(String),
}

/// Finds a stored asset whose public path (`/img/a.png`) a predicate
/// accepts; bound by the engine, so scripts know nothing else of assets.
pub type AssetProbe = Box<dyn Fn(&dyn Fn(&str) -> bool) -> Option<String> + Send + Sync>;

pub struct SaveOutcome {
    pub record: ScriptRecord,
    pub created: bool,
}

/// What the script service is built from; the composition root makes the
/// shared handles (`catalog`, `authors`) first and hands clones to the
/// services that read them.
pub struct ScriptDeps {
    pub store: Store,
    pub runtime: Arc<dyn ScriptRuntime>,
    pub streams: Arc<Streams>,
    pub hook: Arc<dyn CatalogHook>,
    /// Stored assets, for the route/asset conflict check.
    pub assets: AssetProbe,
    pub catalog: CatalogCell,
    pub authors: SaveAuthors,
    pub max_script_bytes: usize,
}

pub struct ScriptService {
    store: Store,
    runtime: Arc<dyn ScriptRuntime>,
    catalog: CatalogCell,
    streams: Arc<Streams>,
    hook: Arc<dyn CatalogHook>,
    max_script_bytes: usize,
    /// Serializes changes so that conflict check, commit and swap are atomic.
    write_lock: tokio::sync::Mutex<()>,
    assets: AssetProbe,
    authors: SaveAuthors,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ScriptError> + Send + 'static,
) -> Result<T, ScriptError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ScriptError::Task(e.to_string()))?
}

impl ScriptService {
    /// Loads every stored script's current version (no JS runs here).
    pub fn open(deps: ScriptDeps) -> Result<Self, StoreError> {
        let store = deps.store;
        let entries = store.read(|txn| {
            let scripts = txn.open_table(tables::SCRIPTS)?;
            let versions = txn.open_table(tables::SCRIPT_VERSIONS)?;
            let mut entries = BTreeMap::new();
            for row in scripts.iter()? {
                let (_, v) = row?;
                let rec: ScriptRecord = decode(v.value())?;
                let Some(ver) = versions.get((rec.name.as_str(), rec.version))? else {
                    continue;
                };
                let ver: ScriptVersion = decode(ver.value())?;
                let name: Arc<str> = rec.name.as_str().into();
                let script = Arc::new(LoadedScript::new(
                    name.clone(),
                    rec.version,
                    ver.source.into(),
                ));
                entries.insert(
                    name,
                    Arc::new(CatalogEntry {
                        script,
                        routes: rec.routes,
                        graphql: rec.graphql,
                        enabled: rec.enabled,
                    }),
                );
            }
            Ok(entries)
        })?;
        let catalog = Arc::new(Catalog::rebuilt(entries));
        deps.streams.sync(&catalog.stream_paths());
        deps.catalog.store(catalog.clone());
        deps.hook.published(&serving(&catalog.entries));
        Ok(ScriptService {
            store,
            runtime: deps.runtime,
            catalog: deps.catalog,
            streams: deps.streams,
            hook: deps.hook,
            max_script_bytes: deps.max_script_bytes,
            write_lock: tokio::sync::Mutex::new(()),
            assets: deps.assets,
            authors: deps.authors,
        })
    }

    /// Publishes a new catalog; the streams follow it.
    fn swap(&self, entries: BTreeMap<Arc<str>, Arc<CatalogEntry>>) {
        let catalog = Arc::new(Catalog::rebuilt(entries));
        self.streams.sync(&catalog.stream_paths());
        self.catalog.store(catalog.clone());
        self.hook.published(&serving(&catalog.entries));
    }

    /// The current catalog; lock-free, for the request path.
    pub fn catalog(&self) -> arc_swap::Guard<Arc<Catalog>> {
        self.catalog.load()
    }

    pub fn count(&self) -> usize {
        self.catalog.load().entries.len()
    }

    /// Saves a new version. `expect_new` is the caller's view that the
    /// script does not exist yet (so it only checked the right to create);
    /// when someone else created it meanwhile, the save is refused instead
    /// of silently becoming a version of their script.
    pub async fn save(
        &self,
        name: &str,
        source: String,
        author: &str,
        expect_new: bool,
    ) -> Result<SaveOutcome, ScriptError> {
        validate_name(name).map_err(ScriptError::InvalidName)?;
        if source.len() > self.max_script_bytes {
            return Err(ScriptError::TooLarge {
                size: source.len(),
                limit: self.max_script_bytes,
            });
        }
        let rt = self.runtime.clone();
        let (n, s) = (name.to_string(), source.clone());
        self.authors.insert(name, author);
        let reg = blocking(move || rt.register(&n, &s).map_err(ScriptError::Load)).await;
        self.authors.remove(name);
        let reg = reg?;
        if let Some(r) = reg.routes.iter().find(|r| is_reserved(&r.path)) {
            return Err(ScriptError::Reserved {
                path: r.path.clone(),
            });
        }
        let _guard = self.write_lock.lock().await;
        if expect_new && self.catalog.load().entries.contains_key(name) {
            return Err(ScriptError::Exists(name.to_string()));
        }
        let enabled = self
            .catalog
            .load()
            .entries
            .get(name)
            .is_none_or(|e| e.enabled);
        if enabled {
            self.check_conflicts(name, &reg.routes)?;
            self.check_graphql(name, &source, &reg.graphql)?;
        }
        let store = self.store.clone();
        let (name_s, author) = (name.to_string(), author.to_string());
        let src = source.clone();
        let outcome =
            blocking(
                move || Ok(store.write(|txn| write_version(txn, &name_s, src, &author, reg))?),
            )
            .await?;
        self.install(&outcome.record, source.into());
        Ok(outcome)
    }

    /// Asks the hooks (the GraphQL schema) about the catalog as it would
    /// be with this version, so that an SDL error or a type clash refuses
    /// the save and the old schema stays.
    fn check_graphql(
        &self,
        name: &str,
        source: &str,
        specs: &[GqlSpec],
    ) -> Result<(), ScriptError> {
        let current = self.catalog.load();
        let mut next: Vec<_> = serving(&current.entries)
            .into_iter()
            .filter(|e| &*e.script.name != name)
            .collect();
        next.push(Arc::new(CatalogEntry {
            script: Arc::new(LoadedScript::new(name.into(), 0, source.into())),
            routes: Vec::new(),
            graphql: specs.to_vec(),
            enabled: true,
        }));
        self.hook.check(&next).map_err(ScriptError::Schema)
    }

    fn check_conflicts(&self, name: &str, routes: &[RouteSpec]) -> Result<(), ScriptError> {
        let catalog = self.catalog.load();
        for r in routes {
            let canon = Pattern::parse(&r.path)
                .map(|p| p.canonical())
                .unwrap_or_default();
            if let Some(owner) = catalog.table.owner_of(&r.method, &canon) {
                if owner != name {
                    return Err(ScriptError::Conflict {
                        method: r.method.clone(),
                        path: r.path.clone(),
                        owner: owner.to_string(),
                    });
                }
            }
        }
        self.check_assets(routes)
    }

    /// A GET route (or stream) must not match a stored asset's path.
    fn check_assets(&self, routes: &[RouteSpec]) -> Result<(), ScriptError> {
        let probe = &self.assets;
        let nobody = Arc::new(LoadedScript::new("".into(), 0, "".into()));
        for r in routes.iter().filter(|r| r.method == "GET") {
            let table = RouteTable::build(&[(nobody.clone(), vec![r.clone()])]);
            let hit = |p: &str| matches!(table.lookup("GET", p), Lookup::Found { .. });
            if let Some(asset) = probe(&hit) {
                return Err(ScriptError::AssetConflict {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    asset,
                });
            }
        }
        Ok(())
    }

    /// Swaps in a catalog with this record's current version.
    fn install(&self, rec: &ScriptRecord, source: Arc<str>) {
        let current = self.catalog.load();
        let mut entries = current.entries.clone();
        let name: Arc<str> = rec.name.as_str().into();
        let script = Arc::new(LoadedScript::new(name.clone(), rec.version, source));
        entries.insert(
            name,
            Arc::new(CatalogEntry {
                script,
                routes: rec.routes.clone(),
                graphql: rec.graphql.clone(),
                enabled: rec.enabled,
            }),
        );
        self.swap(entries);
    }

    pub async fn list(&self) -> Result<Vec<ScriptRecord>, ScriptError> {
        let store = self.store.clone();
        blocking(move || {
            Ok(store.read(|txn| {
                let t = txn.open_table(tables::SCRIPTS)?;
                let mut out = Vec::with_capacity(t.len()? as usize);
                for row in t.iter()? {
                    out.push(decode(row?.1.value())?);
                }
                Ok(out)
            })?)
        })
        .await
    }

    pub async fn get(&self, name: &str) -> Result<(ScriptRecord, ScriptVersion), ScriptError> {
        let store = self.store.clone();
        let name = name.to_string();
        blocking(move || {
            let found = store.read(|txn| {
                let rec: Option<ScriptRecord> =
                    get_value(&txn.open_table(tables::SCRIPTS)?, &name)?;
                let Some(rec) = rec else { return Ok(None) };
                let versions = txn.open_table(tables::SCRIPT_VERSIONS)?;
                let ver = versions
                    .get((name.as_str(), rec.version))?
                    .map(|v| decode(v.value()))
                    .transpose()?;
                Ok(ver.map(|v| (rec, v)))
            })?;
            found.ok_or(ScriptError::NotFound(name))
        })
        .await
    }

    pub async fn delete(&self, name: &str) -> Result<(), ScriptError> {
        let _guard = self.write_lock.lock().await;
        let store = self.store.clone();
        let n = name.to_string();
        blocking(move || {
            Ok(store.write(|txn| {
                let existed = txn
                    .open_table(tables::SCRIPTS)?
                    .remove(n.as_str())?
                    .is_some();
                if existed {
                    txn.open_table(tables::SCRIPT_VERSIONS)?
                        .retain_in((n.as_str(), 0)..=(n.as_str(), u64::MAX), |_, _| false)?;
                    txn.open_table(tables::SCRIPT_LOGS)?
                        .retain_in((n.as_str(), 0)..=(n.as_str(), u64::MAX), |_, _| false)?;
                }
                Ok(existed)
            })?)
        })
        .await?
        .then_some(())
        .ok_or_else(|| ScriptError::NotFound(name.to_string()))?;
        let mut entries = self.catalog.load().entries.clone();
        entries.remove(name);
        self.swap(entries);
        Ok(())
    }

    /// Renames `from` to `to` with its versions, log and kv data. The
    /// routes stay the same, now served by `to`; ownership and grants are
    /// fields of the record and move with it.
    pub async fn rename(&self, from: &str, to: &str) -> Result<ScriptRecord, ScriptError> {
        validate_name(to).map_err(ScriptError::InvalidName)?;
        let _guard = self.write_lock.lock().await;
        let store = self.store.clone();
        let (f, t) = (from.to_string(), to.to_string());
        let moved =
            blocking(move || Ok(store.write(|txn| super::rename::move_script(txn, &f, &t))?))
                .await?
                .map_err(|r| match r {
                    super::rename::Refused::Missing => ScriptError::NotFound(from.to_string()),
                    super::rename::Refused::Taken => ScriptError::NameTaken(to.to_string()),
                })?;
        let (rec, source) = moved;
        let mut entries = self.catalog.load().entries.clone();
        entries.remove(from);
        // A new `LoadedScript` with a fresh source: JS workers never reuse
        // a context built for another script that had this name.
        let script = Arc::new(LoadedScript::new(to.into(), rec.version, source.into()));
        entries.insert(
            to.into(),
            Arc::new(CatalogEntry {
                script,
                routes: rec.routes.clone(),
                graphql: rec.graphql.clone(),
                enabled: rec.enabled,
            }),
        );
        self.swap(entries);
        Ok(rec)
    }

    pub async fn set_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<ScriptRecord, ScriptError> {
        let _guard = self.write_lock.lock().await;
        let entry = self
            .catalog
            .load()
            .entries
            .get(name)
            .cloned()
            .ok_or_else(|| ScriptError::NotFound(name.to_string()))?;
        if enabled && !entry.enabled {
            self.check_conflicts(name, &entry.routes)?;
            self.check_graphql(name, &entry.script.source, &entry.graphql)?;
        }
        let store = self.store.clone();
        let n = name.to_string();
        let rec = blocking(move || {
            Ok(store.write(|txn| {
                let mut t = txn.open_table(tables::SCRIPTS)?;
                let rec: Option<ScriptRecord> = get_value(&t, &n)?;
                let Some(mut rec) = rec else { return Ok(None) };
                rec.enabled = enabled;
                rec.updated_at = now_millis();
                t.insert(n.as_str(), encode(&rec)?.as_slice())?;
                Ok(Some(rec))
            })?)
        })
        .await?
        .ok_or_else(|| ScriptError::NotFound(name.to_string()))?;
        self.install(&rec, entry.script.source.clone());
        Ok(rec)
    }

    pub async fn versions(&self, name: &str) -> Result<Vec<(u64, ScriptVersion)>, ScriptError> {
        let store = self.store.clone();
        let n = name.to_string();
        let list = blocking(move || {
            Ok(store.read(|txn| {
                let t = txn.open_table(tables::SCRIPT_VERSIONS)?;
                let mut out = Vec::new();
                for row in t.range((n.as_str(), 0)..=(n.as_str(), u64::MAX))? {
                    let (k, v) = row?;
                    out.push((k.value().1, decode(v.value())?));
                }
                Ok(out)
            })?)
        })
        .await?;
        if list.is_empty() {
            return Err(ScriptError::NotFound(name.to_string()));
        }
        Ok(list)
    }

    pub async fn restore(
        &self,
        name: &str,
        version: u64,
        author: &str,
    ) -> Result<SaveOutcome, ScriptError> {
        let versions = self.versions(name).await?;
        let (_, v) = versions
            .into_iter()
            .find(|(n, _)| *n == version)
            .ok_or_else(|| ScriptError::VersionNotFound {
                name: name.to_string(),
                version,
            })?;
        self.save(name, v.source, author, false).await
    }
}

/// Writes the next version of `name` and its record; keeps `enabled`.
pub fn write_version(
    txn: &redb::WriteTransaction,
    name: &str,
    source: String,
    author: &str,
    reg: Registration,
) -> Result<SaveOutcome, StoreError> {
    let mut scripts = txn.open_table(tables::SCRIPTS)?;
    let existing: Option<ScriptRecord> = get_value(&scripts, name)?;
    let now = now_millis();
    let created = existing.is_none();
    let record = ScriptRecord {
        name: name.to_string(),
        version: existing.as_ref().map_or(1, |r| r.version + 1),
        enabled: existing.as_ref().is_none_or(|r| r.enabled),
        created_at: existing.as_ref().map_or(now, |r| r.created_at),
        updated_at: now,
        owner: existing
            .as_ref()
            .and_then(|r| r.owner.clone())
            .or_else(|| Some(author.to_string())),
        owner_user: existing.as_ref().and_then(|r| r.owner_user.clone()),
        owner_group: existing.as_ref().and_then(|r| r.owner_group.clone()),
        grants: existing
            .as_ref()
            .map(|r| r.grants.clone())
            .unwrap_or_default(),
        routes: reg.routes,
        graphql: reg.graphql,
        size: source.len() as u64,
        error: None,
    };
    let version = ScriptVersion {
        source,
        created_at: now,
        author: author.to_string(),
    };
    txn.open_table(tables::SCRIPT_VERSIONS)?
        .insert((name, record.version), encode(&version)?.as_slice())?;
    scripts.insert(name, encode(&record)?.as_slice())?;
    Ok(SaveOutcome { record, created })
}
