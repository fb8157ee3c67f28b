//! The auth service's repository port: the records it keeps (users and
//! their email index, sessions, groups, permissions, API tokens, the audit
//! log) and the access part of script records, which it reads and edits.
//!
//! A change that touches several records (deleting a user rewrites groups,
//! permissions and tokens; the last-admin check reads every user) runs as
//! one body in [`AuthRepo::write`], so the adapter commits it as one
//! transaction. The adapter over the data file is `store::auth`.

use super::oauth::{OAuthClient, OAuthGrant};
use super::{ApiToken, AuditEntry, Group, Identity, Permission, Session, TotpRecord, User};
use crate::domain::{ScriptGrant, StorageError};

/// Who owns a script and who was granted what: the part of a script record
/// the auth service reads (for the directory) and edits (ownership, grants).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptAccess {
    pub name: String,
    /// Display name of the owner: the creator's email, or the owning group.
    pub owner: Option<String>,
    pub owner_user: Option<String>,
    pub owner_group: Option<String>,
    pub grants: Vec<ScriptGrant>,
}

pub trait AuthRepo: Send + Sync {
    /// Runs `body` on one consistent snapshot.
    fn read(
        &self,
        body: &mut dyn FnMut(&dyn AuthRead) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// Runs `body` in one durable write transaction; commits only when it
    /// returns `Ok`, and nothing is written when it fails.
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn AuthWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// Appends `entry` under the next sequence number (its `id` is ignored
    /// and set), then drops all but the newest `keep` entries.
    fn append_audit(&self, entry: AuditEntry, keep: u64) -> Result<(), StorageError>;

    /// Up to `limit` audit entries with an id below `before`, newest first.
    fn audit_page(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<AuditEntry>, StorageError>;
}

/// Reads inside a snapshot or a write transaction. Lists come back in key
/// order.
pub trait AuthRead {
    /// The secret login tokens and CSRF tokens are signed with.
    fn jwt_secret(&self) -> Result<Option<Vec<u8>>, StorageError>;
    fn user(&self, id: &str) -> Result<Option<User>, StorageError>;
    fn users(&self) -> Result<Vec<User>, StorageError>;
    /// The id of the user with this lower-cased email.
    fn user_id_by_email(&self, email_lower: &str) -> Result<Option<String>, StorageError>;
    fn group(&self, name: &str) -> Result<Option<Group>, StorageError>;
    fn groups(&self) -> Result<Vec<Group>, StorageError>;
    fn permission(&self, name: &str) -> Result<Option<Permission>, StorageError>;
    fn permissions(&self) -> Result<Vec<Permission>, StorageError>;
    fn api_tokens(&self) -> Result<Vec<ApiToken>, StorageError>;
    fn api_token(&self, id: &str) -> Result<Option<ApiToken>, StorageError>;
    fn session(&self, id: &str) -> Result<Option<Session>, StorageError>;
    fn sessions(&self) -> Result<Vec<Session>, StorageError>;
    fn script_access(&self, name: &str) -> Result<Option<ScriptAccess>, StorageError>;
    fn script_accesses(&self) -> Result<Vec<ScriptAccess>, StorageError>;
    /// The user's second factor, if they began enrolling one.
    fn totp(&self, user_id: &str) -> Result<Option<TotpRecord>, StorageError>;
    fn totps(&self) -> Result<Vec<TotpRecord>, StorageError>;
    /// The provider account under [`super::identity_key`].
    fn identity(&self, key: &str) -> Result<Option<Identity>, StorageError>;
    fn identities(&self) -> Result<Vec<Identity>, StorageError>;
    fn oauth_client(&self, client_id: &str) -> Result<Option<OAuthClient>, StorageError>;
    /// The grant whose session has this id.
    fn oauth_grant(&self, id: &str) -> Result<Option<OAuthGrant>, StorageError>;
    fn oauth_grants(&self) -> Result<Vec<OAuthGrant>, StorageError>;
}

/// Writes inside one transaction. Records are keyed by their id (users,
/// sessions, tokens) or name (groups, permissions); `remove_*` says whether
/// there was one.
pub trait AuthWrite: AuthRead {
    fn put_user(&mut self, u: &User) -> Result<(), StorageError>;
    fn remove_user(&mut self, id: &str) -> Result<bool, StorageError>;
    fn put_user_email(&mut self, email_lower: &str, id: &str) -> Result<(), StorageError>;
    fn remove_user_email(&mut self, email_lower: &str) -> Result<bool, StorageError>;
    fn put_group(&mut self, g: &Group) -> Result<(), StorageError>;
    fn remove_group(&mut self, name: &str) -> Result<bool, StorageError>;
    fn put_permission(&mut self, p: &Permission) -> Result<(), StorageError>;
    fn remove_permission(&mut self, name: &str) -> Result<bool, StorageError>;
    fn put_api_token(&mut self, t: &ApiToken) -> Result<(), StorageError>;
    fn remove_api_token(&mut self, id: &str) -> Result<bool, StorageError>;
    fn put_session(&mut self, s: &Session) -> Result<(), StorageError>;
    fn remove_session(&mut self, id: &str) -> Result<bool, StorageError>;
    /// Sets the owner and grants of the script `a.name`, leaving the rest
    /// of its record alone; false when there is no such script.
    fn put_script_access(&mut self, a: &ScriptAccess) -> Result<bool, StorageError>;
    fn put_totp(&mut self, t: &TotpRecord) -> Result<(), StorageError>;
    fn remove_totp(&mut self, user_id: &str) -> Result<bool, StorageError>;
    fn put_identity(&mut self, key: &str, i: &Identity) -> Result<(), StorageError>;
    fn remove_identity(&mut self, key: &str) -> Result<bool, StorageError>;
    fn put_oauth_client(&mut self, c: &OAuthClient) -> Result<(), StorageError>;
    fn put_oauth_grant(&mut self, g: &OAuthGrant) -> Result<(), StorageError>;
    fn remove_oauth_grant(&mut self, id: &str) -> Result<bool, StorageError>;
}
