//! The audit log: every change on the management API, and every refusal,
//! with time, user, action, target and result. Admins page through it.

use serde::{Deserialize, Serialize};

use super::{AuthError, AuthService};

/// The log keeps the newest this many entries.
const KEEP: u64 = 100_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(default)]
    pub id: u64,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// The acting user's email, or empty for an anonymous caller.
    pub user: String,
    pub action: String,
    pub target: String,
    /// `ok`, `denied` or an error code.
    pub result: String,
}

impl AuthService {
    /// Blocking: appends one entry.
    pub fn audit(&self, user: &str, action: &str, target: &str, result: &str) {
        let e = AuditEntry {
            id: 0,
            time: crate::domain::now_millis(),
            user: user.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            result: result.to_string(),
        };
        let write = self.repo.append_audit(e, KEEP);
        if let Err(e) = write {
            tracing::error!("could not write the audit log: {e}");
        }
    }

    /// Blocking: up to `limit` entries older than `before`, newest first.
    pub fn audit_page(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<AuditEntry>, AuthError> {
        Ok(self.repo.audit_page(limit, before)?)
    }
}
