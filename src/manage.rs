//! Script management on someone's behalf, for scripts themselves: the
//! `scripts.*` JS API and the older engine's globals (`listScripts`,
//! `getScript`, `upsertScript`, `deleteScript`, `listLogs`).
//!
//! The rules are the management API's: admins may do everything, editors
//! what they own (directly or through a group) or were granted, everyone
//! else nothing. Every change and every refusal is audited.

use std::sync::{Arc, OnceLock, Weak};

use serde_json::{json, Value};

use crate::auth::{Member, Principal};
use crate::scripts::{rfc3339, validate_name, Access, ScriptError, ScriptRecord};
use crate::state::Inner;

/// Who a call acts for.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A request without a logged-in user: may do nothing.
    Anonymous,
    User(Principal),
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Actor::Anonymous => "anonymous".into(),
            Actor::User(p) => p.email.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Internal(String),
}

/// Bound to the engine once it is built (the JS host exists before the
/// services it reaches here), and held weakly: no cycle keeps an engine alive.
pub struct ScriptManager {
    engine: OnceLock<Weak<Inner>>,
    /// The engine's multi-thread runtime, where the work runs whichever
    /// thread (a JS worker, an I/O thread) asked for it.
    handle: tokio::runtime::Handle,
}

impl ScriptManager {
    pub fn new(handle: tokio::runtime::Handle) -> ScriptManager {
        ScriptManager {
            engine: OnceLock::new(),
            handle,
        }
    }

    pub fn bind(&self, engine: Weak<Inner>) {
        let _ = self.engine.set(engine);
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    fn engine(&self) -> Result<Arc<Inner>, ManageError> {
        self.engine
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| ManageError::Internal("the engine is shutting down".into()))
    }

    /// The request's user (by id), or `Anonymous` without one.
    pub fn actor_for_user(&self, user_id: Option<&str>) -> Actor {
        let engine = self.engine().ok();
        let principal = user_id
            .zip(engine.as_ref())
            .and_then(|(id, e)| e.auth.directory().principal(id));
        principal.map_or(Actor::Anonymous, Actor::User)
    }

    /// The owner of `script` (a user, or a group with editor rights); for
    /// a script being saved for the first time, its author.
    pub fn actor_for_owner(&self, script: &str) -> Actor {
        let principal = self.engine().ok().and_then(|e| {
            let dir = e.auth.directory();
            dir.owner_principal(script).or_else(|| {
                let author = e.scripts.saving_author(script)?;
                let id = dir.user_by_email(&author)?.id.clone();
                dir.principal(&id)
            })
        });
        principal.map_or(Actor::Anonymous, Actor::User)
    }

    /// Runs `f` on the engine's runtime and waits for it, from a thread that
    /// may itself be inside a (current-thread) runtime: the wait happens on
    /// a short-lived helper thread, so no runtime is blocked re-entrantly.
    /// Used by the older engine's synchronous globals only.
    pub fn wait<T: Send>(&self, f: impl std::future::Future<Output = T> + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| self.handle.block_on(f))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    pub async fn list(&self, actor: &Actor) -> Result<Vec<Value>, ManageError> {
        let e = self.engine()?;
        let p = self.editor(&e, actor, "script.list", "*").await?;
        let all = e.scripts.list().await.map_err(internal)?;
        let dir = e.auth.directory();
        Ok(all
            .iter()
            .filter(|r| p.is_admin() || dir.access(&p.user, &p.groups, &r.name).is_some())
            .map(summary)
            .collect())
    }

    /// The script with its source, or None when there is no such script.
    pub async fn get(&self, actor: &Actor, name: &str) -> Result<Option<Value>, ManageError> {
        let e = self.engine()?;
        check_name(name)?;
        self.require(&e, actor, name, Access::Read, "script.get")
            .await?;
        match e.scripts.get(name).await {
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
        let e = self.engine()?;
        check_name(name)?;
        let exists = e.scripts.catalog().entries.contains_key(name)
            || e.auth.directory().script_exists(name);
        let p = if exists {
            self.require(&e, actor, name, Access::Write, "script.save")
                .await?
        } else {
            self.editor(&e, actor, "script.create", name).await?
        };
        let out = match e.scripts.save(name, source, &p.email, !exists).await {
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
        let (auth, script) = (e.clone(), name.to_string());
        let created = out.created;
        blocking(move || {
            if let (true, Some(g)) = (created, group) {
                let m = Member {
                    user: None,
                    group: Some(g),
                };
                auth.auth.set_owner(&script, &m).map_err(internal)?;
            }
            auth.auth.reload().map_err(internal)
        })
        .await?;
        let action = if out.created {
            "script.create"
        } else {
            "script.save"
        };
        audit(&e, &p.email, action, name, "ok").await;
        let r = &out.record;
        Ok(
            json!({ "ok": true, "name": r.name, "version": r.version, "created": out.created, "enabled": r.enabled }),
        )
    }

    /// True when a script was deleted, false when there was none.
    pub async fn delete(&self, actor: &Actor, name: &str) -> Result<bool, ManageError> {
        let e = self.engine()?;
        check_name(name)?;
        let exists = e.scripts.catalog().entries.contains_key(name)
            || e.auth.directory().script_exists(name);
        let p = self
            .require(&e, actor, name, Access::Write, "script.delete")
            .await?;
        if !exists {
            return Ok(false);
        }
        match e.scripts.delete(name).await {
            Ok(()) => {}
            Err(ScriptError::NotFound(_)) => return Ok(false),
            Err(other) => return Err(internal(other)),
        }
        let auth = e.clone();
        blocking(move || auth.auth.reload().map_err(internal)).await?;
        audit(&e, &p.email, "script.delete", name, "ok").await;
        Ok(true)
    }

    /// Newest first: one script's log, or (`None`) every script the actor may read.
    pub async fn logs(
        &self,
        actor: &Actor,
        name: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Value>, ManageError> {
        let e = self.engine()?;
        let p = match name {
            Some(n) => {
                check_name(n)?;
                self.require(&e, actor, n, Access::Read, "script.logs")
                    .await?
            }
            None => self.editor(&e, actor, "script.logs", "*").await?,
        };
        let entries = e
            .logs
            .read(name.map(str::to_string), limit.clamp(1, 10_000))
            .await
            .map_err(internal)?;
        let dir = e.auth.directory();
        Ok(entries
            .into_iter()
            .filter(|(s, _)| p.is_admin() || dir.access(&p.user, &p.groups, s).is_some())
            .map(|(script, l)| json!({ "script": script, "time": rfc3339(l.time), "level": l.level, "message": l.message, "requestId": l.request_id }))
            .collect())
    }

    /// The actor, when it is at least an editor.
    async fn editor(
        &self,
        e: &Arc<Inner>,
        actor: &Actor,
        action: &str,
        target: &str,
    ) -> Result<Principal, ManageError> {
        match actor {
            Actor::User(p) if p.role >= crate::domain::Role::Editor => Ok(p.clone()),
            _ => {
                audit(e, &actor.label(), action, target, "denied").await;
                Err(ManageError::Forbidden(format!(
                    "{action} needs an editor or admin; this call acts for {} (scripts.* acts for the request's user; scripts.asOwner() for the script's owner)",
                    actor.label()
                )))
            }
        }
    }

    async fn require(
        &self,
        e: &Arc<Inner>,
        actor: &Actor,
        name: &str,
        need: Access,
        action: &str,
    ) -> Result<Principal, ManageError> {
        let p = self.editor(e, actor, action, name).await?;
        let ok = p.is_admin()
            || e.auth
                .directory()
                .access(&p.user, &p.groups, name)
                .is_some_and(|a| a >= need)
            // A script nobody owns yet does not exist: an editor may create it.
            || !e.auth.directory().script_exists(name) && need == Access::Read;
        if ok {
            return Ok(p);
        }
        audit(e, &p.email, action, name, "denied").await;
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

async fn audit(e: &Arc<Inner>, user: &str, action: &str, target: &str, result: &str) {
    let e = e.clone();
    let (u, a, t, r) = (
        user.to_string(),
        action.to_string(),
        target.to_string(),
        result.to_string(),
    );
    let _ = tokio::task::spawn_blocking(move || e.auth.audit(&u, &a, &t, &r)).await;
}
