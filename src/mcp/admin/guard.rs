//! Who may do what, how a refusal reads, and the audit trail. The rules
//! are the management API's: admins everything; editors the scripts they
//! own (directly or through a group) or were granted, and new scripts.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::AdminTools;
use crate::domain::{Access, Principal, Role};
use crate::scripts::ScriptError;

pub(super) fn is_editor(p: &Principal) -> bool {
    p.role >= Role::Editor
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Denied,
    Invalid,
    NotFound,
    Internal,
}

impl Kind {
    /// The `result` column of the audit log.
    pub(super) fn audit_result(self) -> &'static str {
        match self {
            Kind::Denied => "denied",
            Kind::Invalid => "invalid",
            Kind::NotFound => "not_found",
            Kind::Internal => "error",
        }
    }
}

/// A failed call; its message becomes the tool's `isError` text.
#[derive(Debug)]
pub(super) struct Fail {
    pub kind: Kind,
    pub message: String,
}

impl Fail {
    pub(super) fn invalid(message: impl Into<String>) -> Fail {
        Fail {
            kind: Kind::Invalid,
            message: message.into(),
        }
    }
    pub(super) fn denied(message: impl Into<String>) -> Fail {
        Fail {
            kind: Kind::Denied,
            message: message.into(),
        }
    }
    pub(super) fn not_found(message: impl Into<String>) -> Fail {
        Fail {
            kind: Kind::NotFound,
            message: message.into(),
        }
    }
    pub(super) fn internal(e: impl std::fmt::Display) -> Fail {
        Fail {
            kind: Kind::Internal,
            message: format!("internal error: {e}"),
        }
    }
}

impl From<ScriptError> for Fail {
    fn from(e: ScriptError) -> Fail {
        match e {
            ScriptError::NotFound(_) | ScriptError::VersionNotFound { .. } => {
                Fail::not_found(e.to_string())
            }
            ScriptError::Store(_) | ScriptError::Task(_) => Fail::internal(e),
            other => Fail::invalid(other.to_string()),
        }
    }
}

/// The arguments as `T`, or a message naming what is wrong with them.
pub(super) fn parse<T: DeserializeOwned>(args: Value) -> Result<T, Fail> {
    let args = if args.is_null() {
        Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| {
        Fail::invalid(format!(
            "invalid arguments: {e}; the tool's inputSchema lists what it takes"
        ))
    })
}

/// What a call is about, for the audit log: its script, asset or path.
pub(super) fn target_of(args: &Value) -> String {
    ["name", "script", "path"]
        .iter()
        .find_map(|k| args.get(k).and_then(Value::as_str))
        .unwrap_or("*")
        .to_string()
}

/// Runs blocking work (the data file, the audit log) off the reactor.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Fail> + Send + 'static,
) -> Result<T, Fail> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Fail::internal)?
}

impl AdminTools {
    /// The caller's access to a script (admins: write to every script).
    pub(super) fn access(&self, p: &Principal, script: &str) -> Option<Access> {
        self.deps
            .auth
            .directory()
            .access(&p.user, &p.groups, script)
    }

    /// Refuses unless the caller has `need` on `script`. Editors get the
    /// same refusal whether or not the script exists, so names do not leak.
    pub(super) fn require(&self, p: &Principal, script: &str, need: Access) -> Result<(), Fail> {
        if p.is_admin() || self.access(p, script).is_some_and(|a| a >= need) {
            return Ok(());
        }
        let what = match need {
            Access::Read => "read",
            Access::Write => "change",
        };
        Err(Fail::denied(format!(
            "{} may not {what} script {script}; ask its owner or an admin for a grant",
            p.email
        )))
    }

    /// Whether a script exists (the catalog knows it as soon as it
    /// commits, the directory once it reloads).
    pub(super) fn exists(&self, script: &str) -> bool {
        self.deps.scripts.catalog().entries.contains_key(script)
            || self.deps.auth.directory().script_exists(script)
    }

    /// Before a save: write access to an existing script; any editor may
    /// create a new one.
    pub(super) fn require_save(&self, p: &Principal, script: &str) -> Result<bool, Fail> {
        let exists = self.exists(script);
        if exists {
            self.require(p, script, Access::Write)?;
        }
        Ok(exists)
    }

    /// Appends an audit entry (off the reactor).
    pub(super) async fn audit(&self, user: &str, action: &str, target: &str, result: &str) {
        let auth = self.deps.auth.clone();
        let (u, a, t, r) = (
            user.to_string(),
            action.to_string(),
            target.to_string(),
            result.to_string(),
        );
        let _ = tokio::task::spawn_blocking(move || auth.audit(&u, &a, &t, &r)).await;
    }

    /// Ownership lives in the auth directory; a new or deleted script
    /// changes it.
    pub(super) async fn reload_acl(&self) -> Result<(), Fail> {
        let auth = self.deps.auth.clone();
        blocking(move || auth.reload().map_err(Fail::internal)).await
    }
}
