//! The management rules, carried out: admins may do everything, editors
//! what they own (directly or through a group) or were granted, everyone
//! else nothing. Every change and every refusal is audited.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{Actor, ManageError, Op};
use crate::auth::{AuthService, Member};
use crate::domain::{rfc3339, Access, Principal};
use crate::logs::LogService;
use crate::scripts::{validate_name, ScriptError, ScriptRecord, ScriptService};

/// Carries out management calls with the services it was built with; runs
/// behind [`super::ManageClient`]'s channel (see [`super::channel`]).
pub struct ScriptManager {
    scripts: Arc<ScriptService>,
    auth: Arc<AuthService>,
    logs: Arc<LogService>,
}

impl ScriptManager {
    pub fn new(
        scripts: Arc<ScriptService>,
        auth: Arc<AuthService>,
        logs: Arc<LogService>,
    ) -> ScriptManager {
        ScriptManager {
            scripts,
            auth,
            logs,
        }
    }

    /// Answers every request the clients send, each in its own task, until
    /// every client is gone.
    pub async fn serve(self, mut inbox: super::Inbox) {
        let me = Arc::new(self);
        while let Some(req) = inbox.recv().await {
            let me = me.clone();
            tokio::spawn(async move {
                let r = me.run(&req.actor, req.op).await;
                let _ = req.reply.send(r);
            });
        }
    }

    async fn run(&self, actor: &Actor, op: Op) -> Result<Value, ManageError> {
        Ok(match op {
            Op::List => Value::Array(self.list(actor).await?),
            Op::Get(name) => self.get(actor, &name).await?.unwrap_or(Value::Null),
            Op::Put(name, source) => self.put(actor, &name, source).await?,
            Op::Delete(name) => Value::Bool(self.delete(actor, &name).await?),
            Op::Logs(name, limit) => Value::Array(self.logs(actor, name.as_deref(), limit).await?),
        })
    }

    pub async fn list(&self, actor: &Actor) -> Result<Vec<Value>, ManageError> {
        let p = self.editor(actor, "script.list", "*").await?;
        let all = self.scripts.list().await.map_err(internal)?;
        let dir = self.auth.directory();
        Ok(all
            .iter()
            .filter(|r| p.is_admin() || dir.access(&p.user, &p.groups, &r.name).is_some())
            .map(summary)
            .collect())
    }

    /// The script with its source, or None when there is no such script.
    pub async fn get(&self, actor: &Actor, name: &str) -> Result<Option<Value>, ManageError> {
        check_name(name)?;
        self.require(actor, name, Access::Read, "script.get")
            .await?;
        match self.scripts.get(name).await {
            Ok((rec, ver)) => {
                let mut v = summary(&rec);
                v["source"] = ver.source.into();
                Ok(Some(v))
            }
            Err(ScriptError::NotFound(_)) => Ok(None),
            Err(other) => Err(internal(other)),
        }
    }

    /// Saves a version. A script that does not load is not an exception:
    /// the answer is `{ok: false, error, line, column}`, as the editor shows it.
    pub async fn put(
        &self,
        actor: &Actor,
        name: &str,
        source: String,
    ) -> Result<Value, ManageError> {
        check_name(name)?;
        let exists = self.scripts.catalog().entries.contains_key(name)
            || self.auth.directory().script_exists(name);
        let p = if exists {
            self.require(actor, name, Access::Write, "script.save")
                .await?
        } else {
            self.editor(actor, "script.create", name).await?
        };
        let out = match self.scripts.save(name, source, &p.email, !exists).await {
            Ok(out) => out,
            Err(ScriptError::Load(l)) => {
                return Ok(
                    json!({ "ok": false, "error": l.message, "line": l.line, "column": l.column }),
                )
            }
            Err(ScriptError::Store(s)) => return Err(internal(s)),
            Err(other) => {
                return Ok(
                    json!({ "ok": false, "error": other.to_string(), "line": null, "column": null }),
                )
            }
        };
        let group = p.user.id.strip_prefix("group:").map(str::to_string);
        let (auth, script) = (self.auth.clone(), name.to_string());
        let created = out.created;
        blocking(move || {
            if let (true, Some(g)) = (created, group) {
                let m = Member {
                    user: None,
                    group: Some(g),
                };
                auth.set_owner(&script, &m).map_err(internal)?;
            }
            auth.reload().map_err(internal)
        })
        .await?;
        let action = if out.created {
            "script.create"
        } else {
            "script.save"
        };
        audit(self, &p.email, action, name, "ok").await;
        let r = &out.record;
        Ok(
            json!({ "ok": true, "name": r.name, "version": r.version, "created": out.created, "enabled": r.enabled }),
        )
    }

    /// True when a script was deleted, false when there was none.
    pub async fn delete(&self, actor: &Actor, name: &str) -> Result<bool, ManageError> {
        check_name(name)?;
        let exists = self.scripts.catalog().entries.contains_key(name)
            || self.auth.directory().script_exists(name);
        let p = self
            .require(actor, name, Access::Write, "script.delete")
            .await?;
        if !exists {
            return Ok(false);
        }
        match self.scripts.delete(name).await {
            Ok(()) => {}
            Err(ScriptError::NotFound(_)) => return Ok(false),
            Err(other) => return Err(internal(other)),
        }
        let auth = self.auth.clone();
        blocking(move || auth.reload().map_err(internal)).await?;
        audit(self, &p.email, "script.delete", name, "ok").await;
        Ok(true)
    }

    /// Newest first: one script's log, or (`None`) every script the actor may read.
    pub async fn logs(
        &self,
        actor: &Actor,
        name: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Value>, ManageError> {
        let p = match name {
            Some(n) => {
                check_name(n)?;
                self.require(actor, n, Access::Read, "script.logs").await?
            }
            None => self.editor(actor, "script.logs", "*").await?,
        };
        let entries = self
            .logs
            .read(name.map(str::to_string), limit.clamp(1, 10_000))
            .await
            .map_err(internal)?;
        let dir = self.auth.directory();
        Ok(entries
            .into_iter()
            .filter(|(s, _)| p.is_admin() || dir.access(&p.user, &p.groups, s).is_some())
            .map(|(script, l)| json!({ "script": script, "time": rfc3339(l.time), "level": l.level, "message": l.message, "requestId": l.request_id }))
            .collect())
    }

    /// The actor, when it is at least an editor.
    async fn editor(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
    ) -> Result<Principal, ManageError> {
        match actor {
            Actor::User(p) if p.role >= crate::domain::Role::Editor => Ok(p.clone()),
            _ => {
                audit(self, &actor.label(), action, target, "denied").await;
                Err(ManageError::Forbidden(format!(
                    "{action} needs an editor or admin; this call acts for {} (scripts.* acts for the request's user; scripts.asOwner() for the script's owner)",
                    actor.label()
                )))
            }
        }
    }

    async fn require(
        &self,
        actor: &Actor,
        name: &str,
        need: Access,
        action: &str,
    ) -> Result<Principal, ManageError> {
        let p = self.editor(actor, action, name).await?;
        let ok = p.is_admin()
            || self.auth
                .directory()
                .access(&p.user, &p.groups, name)
                .is_some_and(|a| a >= need)
            // A script nobody owns yet does not exist: an editor may create it.
            || !self.auth.directory().script_exists(name) && need == Access::Read;
        if ok {
            return Ok(p);
        }
        audit(self, &p.email, action, name, "denied").await;
        let what = if need == Access::Read {
            "read"
        } else {
            "change"
        };
        Err(ManageError::Forbidden(format!(
            "{} may not {what} script {name}; ask its owner or an admin for a grant",
            p.email
        )))
    }
}

fn check_name(name: &str) -> Result<(), ManageError> {
    if name.contains('/') || name.contains(':') {
        return Err(ManageError::Invalid(format!(
            "script names are now flat, like blog.js; {name:?} looks like the older engine's URL names"
        )));
    }
    validate_name(name).map_err(ManageError::Invalid)
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
        "error": r.error,
        "routes": r.routes.iter().map(|x| json!({"method": x.method, "path": x.path})).collect::<Vec<_>>(),
    })
}

fn internal(e: impl std::fmt::Display) -> ManageError {
    ManageError::Internal(e.to_string())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ManageError> + Send + 'static,
) -> Result<T, ManageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ManageError::Internal(e.to_string()))?
}

async fn audit(e: &ScriptManager, user: &str, action: &str, target: &str, result: &str) {
    let auth = e.auth.clone();
    let (u, a, t, r) = (
        user.to_string(),
        action.to_string(),
        target.to_string(),
        result.to_string(),
    );
    let _ = tokio::task::spawn_blocking(move || auth.audit(&u, &a, &t, &r)).await;
}
