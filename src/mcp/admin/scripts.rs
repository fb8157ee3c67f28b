//! The script tools: list, get, put, edit, check, delete, versions.
//! A save that does not load is an answer (`ok: false` with the message,
//! line and column), not a failure: the agent reads it and fixes the
//! draft it left (see `edit`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::edit::{self, Edit};
use super::guard::{parse, Fail};
use super::AdminTools;
use crate::domain::{rfc3339, Access, Principal};
use crate::scripts::routes::RouteSpec;
use crate::scripts::{ScriptError, ScriptRecord};

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Put {
    name: String,
    source: String,
}

#[derive(Deserialize)]
struct EditArgs {
    name: String,
    #[serde(flatten)]
    edit: Edit,
}

#[derive(Deserialize)]
struct Check {
    name: String,
    source: Option<String>,
}

#[derive(Deserialize)]
struct Restore {
    name: String,
    version: u64,
}

pub(super) fn routes_json(routes: &[RouteSpec]) -> Value {
    routes
        .iter()
        .map(|r| json!({ "method": r.method, "path": r.path, "stream": r.stream }))
        .collect()
}

fn summary(r: &ScriptRecord) -> Value {
    json!({
        "name": r.name,
        "version": r.version,
        "enabled": r.enabled,
        "size": r.size,
        "owner": r.owner,
        "createdAt": rfc3339(r.created_at),
        "updatedAt": rfc3339(r.updated_at),
        "routes": routes_json(&r.routes),
        "error": r.error,
    })
}

/// `{ok: false, ...}` for a save or check the script did not pass.
fn not_passed(e: &ScriptError) -> Option<Value> {
    match e {
        ScriptError::Load(l) => Some(json!({
            "ok": false, "error": l.message, "line": l.line, "column": l.column,
        })),
        ScriptError::Schema(r) => Some(json!({
            "ok": false, "error": r.message, "line": r.line, "column": r.column,
        })),
        ScriptError::TooLarge { .. }
        | ScriptError::Reserved { .. }
        | ScriptError::Conflict { .. }
        | ScriptError::AssetConflict { .. } => Some(json!({
            "ok": false, "error": e.to_string(), "line": null, "column": null,
        })),
        _ => None,
    }
}

impl AdminTools {
    pub(super) async fn list_scripts(&self, p: &Principal) -> Result<Value, Fail> {
        let all = self.deps.scripts.list().await?;
        let list: Vec<Value> = all
            .iter()
            .filter(|r| p.is_admin() || self.access(p, &r.name).is_some())
            .map(summary)
            .collect();
        Ok(json!({ "scripts": list }))
    }

    pub(super) async fn get_script(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let Named { name } = parse(args)?;
        let draft = self.drafts.get(&p.id, &name).map(
            |d| json!({ "source": d.source, "error": d.error, "line": d.line, "column": d.column }),
        );
        // A new script's draft is its creator's, whoever may read the name.
        if draft.is_some() && !self.exists(&name) {
            return Ok(json!({ "name": name, "saved": false, "draft": draft }));
        }
        self.require(p, &name, Access::Read)?;
        let (rec, ver) = self.deps.scripts.get(&name).await?;
        let mut v = summary(&rec);
        v["saved"] = true.into();
        v["source"] = ver.source.into();
        v["draft"] = draft.unwrap_or(Value::Null);
        Ok(v)
    }

    pub(super) async fn put_script(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let Put { name, source } = parse(args)?;
        self.save(p, &name, source).await
    }

    /// Saves `source`; what did not pass becomes the caller's draft.
    async fn save(&self, p: &Principal, name: &str, source: String) -> Result<Value, Fail> {
        crate::scripts::validate_name(name).map_err(Fail::invalid)?;
        let exists = self.require_save(p, name)?;
        let kept = source.clone();
        match self
            .deps
            .scripts
            .save(name, source, &p.email, !exists)
            .await
        {
            Ok(out) => {
                self.drafts.clear(&p.id, name);
                if out.created {
                    self.reload_acl().await?;
                }
                let r = &out.record;
                Ok(json!({
                    "ok": true, "name": r.name, "version": r.version, "created": out.created,
                    "enabled": r.enabled, "routes": routes_json(&r.routes),
                }))
            }
            Err(e) => {
                let Some(mut answer) = not_passed(&e) else {
                    return Err(e.into());
                };
                let at = (
                    answer["line"].as_u64().map(|n| n as u32),
                    answer["column"].as_u64().map(|n| n as u32),
                );
                let error = answer["error"].as_str().unwrap_or_default().to_string();
                self.drafts.keep(&p.id, name, kept, error, at);
                answer["saved"] = false.into();
                answer["hint"] = "not saved; the source is kept as your draft of this script: fix it with edit_script (which edits the draft) or send put_script again".into();
                Ok(answer)
            }
        }
    }

    pub(super) async fn edit_script(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let both = args.get("oldText").is_some()
            && (args.get("startLine").is_some() || args.get("endLine").is_some());
        if both {
            return Err(Fail::invalid(
                "give oldText, or startLine and endLine, not both",
            ));
        }
        let EditArgs { name, edit } = parse(args)?;
        self.require_save(p, &name)?;
        let (base, source) = match self.drafts.get(&p.id, &name) {
            Some(d) => ("draft", d.source),
            None => match self.deps.scripts.get(&name).await {
                Ok((_, ver)) => ("saved", ver.source),
                Err(ScriptError::NotFound(_)) => {
                    return Err(Fail::not_found(format!(
                        "there is no script {name} and no draft of it to edit; create it with put_script"
                    )))
                }
                Err(e) => return Err(e.into()),
            },
        };
        let edited = edit::apply(&source, &edit)
            .map_err(|m| Fail::invalid(format!("{m} (editing the {base} source of {name})")))?;
        let mut answer = self.save(p, &name, edited).await?;
        answer["edited"] = base.into();
        Ok(answer)
    }

    pub(super) async fn check_script(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let Check { name, source } = parse(args)?;
        crate::scripts::validate_name(&name).map_err(Fail::invalid)?;
        self.require_save(p, &name)?;
        let source = match source {
            Some(s) => s,
            None => match self.drafts.get(&p.id, &name) {
                Some(d) => d.source,
                None => self.deps.scripts.get(&name).await?.1.source,
            },
        };
        match self.deps.scripts.check(&name, &source, &p.email).await {
            Ok(reg) => Ok(json!({ "ok": true, "routes": routes_json(&reg.routes) })),
            Err(e) => not_passed(&e).ok_or_else(|| e.into()),
        }
    }

    pub(super) async fn delete_script(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let Named { name } = parse(args)?;
        self.require(p, &name, Access::Write)?;
        self.drafts.clear(&p.id, &name);
        let deleted = match self.deps.scripts.delete(&name).await {
            Ok(()) => true,
            Err(ScriptError::NotFound(_)) => false,
            Err(e) => return Err(e.into()),
        };
        self.reload_acl().await?;
        Ok(json!({ "name": name, "deleted": deleted }))
    }

    pub(super) async fn list_versions(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let Named { name } = parse(args)?;
        self.require(p, &name, Access::Read)?;
        let versions = self.deps.scripts.versions(&name).await?;
        let list: Vec<Value> = versions
            .iter()
            .rev()
            .map(|(n, v)| json!({ "version": n, "createdAt": rfc3339(v.created_at), "size": v.source.len(), "author": v.author }))
            .collect();
        Ok(json!({ "name": name, "versions": list }))
    }

    pub(super) async fn restore_version(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let Restore { name, version } = parse(args)?;
        self.require(p, &name, Access::Write)?;
        match self.deps.scripts.restore(&name, version, &p.email).await {
            Ok(out) => {
                self.drafts.clear(&p.id, &name);
                let r = &out.record;
                Ok(json!({
                    "ok": true, "name": r.name, "version": r.version, "created": false,
                    "enabled": r.enabled, "routes": routes_json(&r.routes),
                }))
            }
            Err(e) => not_passed(&e).ok_or_else(|| e.into()),
        }
    }
}
