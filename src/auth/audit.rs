//! The audit log: every change on the management API, and every refusal,
//! with time, user, action, target and result. Admins page through it.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{optional, AuthService};
use crate::store::{decode, encode, tables, StoreError};

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
        let write = self.store.write(|txn| {
            let mut t = txn.open_table(tables::AUDIT)?;
            let id = t.last()?.map_or(1, |(k, _)| k.value() + 1);
            let e = AuditEntry {
                id,
                time: crate::domain::now_millis(),
                user: user.to_string(),
                action: action.to_string(),
                target: target.to_string(),
                result: result.to_string(),
            };
            t.insert(id, encode(&e)?.as_slice())?;
            if id > KEEP {
                t.retain_in(..=id - KEEP, |_, _| false)?;
            }
            Ok(())
        });
        if let Err(e) = write {
            tracing::error!("could not write the audit log: {e}");
        }
    }

    /// Blocking: up to `limit` entries older than `before`, newest first.
    pub fn audit_page(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.read(|txn| {
            let Some(t) = optional(txn, tables::AUDIT)? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for row in t.range(..before.unwrap_or(u64::MAX))?.rev().take(limit) {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })
    }
}
