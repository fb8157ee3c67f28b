//! Saving a version: the runtime registers the source, the route, asset
//! and GraphQL checks run against the serving catalog, then record and
//! version row are written in one transaction.

use std::sync::Arc;

use super::catalog::{serving, CatalogEntry};
use super::routes::{is_reserved, LoadedScript, Lookup, Pattern, RouteSpec, RouteTable};
use super::runtime::Registration;
use super::service::blocking;
use super::{now_millis, validate_name, ScriptError, ScriptRecord, ScriptService, ScriptVersion};
use crate::domain::{GqlSpec, McpSpecs, Outcome};

pub struct SaveOutcome {
    pub record: ScriptRecord,
    pub created: bool,
}

/// The record and version row that follow `existing` (none: a new script)
/// when `author` saves `source` at `now`. Keeps `enabled`, the owner and
/// the grants; a new script is owned by its author.
pub fn next_version(
    existing: Option<&ScriptRecord>,
    name: &str,
    source: String,
    author: &str,
    reg: Registration,
    now: i64,
) -> (ScriptRecord, ScriptVersion) {
    let record = ScriptRecord {
        name: name.to_string(),
        version: existing.map_or(1, |r| r.version + 1),
        enabled: existing.is_none_or(|r| r.enabled),
        created_at: existing.map_or(now, |r| r.created_at),
        updated_at: now,
        owner: existing
            .and_then(|r| r.owner.clone())
            .or_else(|| Some(author.to_string())),
        owner_user: existing.and_then(|r| r.owner_user.clone()),
        owner_group: existing.and_then(|r| r.owner_group.clone()),
        grants: existing.map(|r| r.grants.clone()).unwrap_or_default(),
        routes: reg.routes,
        graphql: reg.graphql,
        mcp: reg.mcp,
        size: source.len() as u64,
        sha256: Some(super::source_sha256(&source)),
        error: None,
    };
    let version = ScriptVersion {
        source,
        created_at: now,
        author: author.to_string(),
    };
    (record, version)
}

impl ScriptService {
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
        let reg = self.register(name, &source, author).await?;
        let _guard = self.write_lock.lock().await;
        if expect_new && self.catalog.load().entries.contains_key(name) {
            return Err(ScriptError::Exists(name.to_string()));
        }
        self.check_against_catalog(name, &source, &reg)?;
        let repo = self.repo.clone();
        let (name_s, author) = (name.to_string(), author.to_string());
        let src = source.clone();
        let outcome = blocking(move || {
            let mut out = Outcome::new();
            let r = repo.write(&mut |tx| {
                let existing = tx.record(&name_s)?;
                let (record, version) = next_version(
                    existing.as_ref(),
                    &name_s,
                    src.clone(),
                    &author,
                    reg.clone(),
                    now_millis(),
                );
                tx.put_version(&name_s, record.version, &version)?;
                tx.put_record(&record)?;
                let created = existing.is_none();
                out.put(Ok::<_, ScriptError>(SaveOutcome { record, created }))
            });
            out.finish(r)
        })
        .await?;
        self.install(&outcome.record, source.into());
        Ok(outcome)
    }

    /// Everything a save checks, without saving: the source loads, its
    /// routes are not reserved and (for an enabled script) clash with no
    /// other script's routes, assets, GraphQL types or MCP names. The top-level code
    /// runs, as it does for a save.
    pub async fn check(
        &self,
        name: &str,
        source: &str,
        author: &str,
    ) -> Result<Registration, ScriptError> {
        let reg = self.register(name, source, author).await?;
        self.check_against_catalog(name, source, &reg)?;
        Ok(reg)
    }

    /// For an enabled (or new) script: its routes, MCP names and GraphQL
    /// types clash with no other script's.
    fn check_against_catalog(
        &self,
        name: &str,
        source: &str,
        reg: &Registration,
    ) -> Result<(), ScriptError> {
        let enabled = self
            .catalog
            .load()
            .entries
            .get(name)
            .is_none_or(|e| e.enabled);
        if enabled {
            self.check_conflicts(name, &reg.routes)?;
            self.check_mcp(name, &reg.mcp)?;
            self.check_graphql(name, source, &reg.graphql, &reg.mcp)?;
        }
        Ok(())
    }

    /// Runs the source's top-level code in a throwaway context: what it
    /// registered, or why it does not load.
    async fn register(
        &self,
        name: &str,
        source: &str,
        author: &str,
    ) -> Result<Registration, ScriptError> {
        validate_name(name).map_err(ScriptError::InvalidName)?;
        if source.len() > self.max_script_bytes {
            return Err(ScriptError::TooLarge {
                size: source.len(),
                limit: self.max_script_bytes,
            });
        }
        if super::is_test_script(name) {
            return Ok(Registration::default());
        }
        let rt = self.runtime.clone();
        let (n, s) = (name.to_string(), source.to_string());
        self.authors.insert(name, author);
        let reg = blocking(move || rt.register(&n, &s).map_err(ScriptError::Load)).await;
        self.authors.remove(name);
        let reg = reg?;
        if let Some(r) = reg.routes.iter().find(|r| is_reserved(&r.path)) {
            return Err(ScriptError::Reserved {
                path: r.path.clone(),
            });
        }
        Ok(reg)
    }

    /// Asks the hooks (the GraphQL schema, the MCP registry) about the catalog as it would
    /// be with this version, so that an SDL error or a type clash refuses
    /// the save and the old schema stays.
    pub(super) fn check_graphql(
        &self,
        name: &str,
        source: &str,
        specs: &[GqlSpec],
        mcp: &McpSpecs,
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
            mcp: mcp.clone(),
            enabled: true,
        }));
        self.hook.check(&next).map_err(ScriptError::Schema)
    }

    pub(super) fn check_conflicts(
        &self,
        name: &str,
        routes: &[RouteSpec],
    ) -> Result<(), ScriptError> {
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
}
