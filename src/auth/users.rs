//! User accounts: create, list, change, delete. Emails are unique without
//! regard to case; passwords are argon2id hashes.

use redb::ReadableTable;

use super::{
    default_provider, hash_password, AuthError, AuthService, Group, Permission, Role, User,
    MIN_PASSWORD_LEN,
};
use crate::store::{decode, encode, get_value, tables, Store, StoreError};

/// The fields `PATCH /engine/api/users/{id}` may change.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
}

fn check_email(email: &str) -> Result<(), AuthError> {
    let at = email.find('@');
    if !matches!(at, Some(i) if i > 0 && i + 1 < email.len()) || email.contains(char::is_whitespace)
    {
        return Err(AuthError::InvalidEmail(email.to_string()));
    }
    Ok(())
}

fn check_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AuthError::WeakPassword);
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.contains(char::is_control) {
        return Err(AuthError::Invalid(
            "name must be 1 to 100 characters, with no control characters".into(),
        ));
    }
    Ok(name.to_string())
}

/// Creates a user in one write transaction (used by `admin create` too).
pub fn create_user(
    store: &Store,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, AuthError> {
    let email = email.trim();
    let name = email.split('@').next().unwrap_or(email).to_string();
    store.write(|txn| insert_user(txn, email, password, &name, role))?
}

fn insert_user(
    txn: &redb::WriteTransaction,
    email: &str,
    password: &str,
    name: &str,
    role: Role,
) -> Result<Result<User, AuthError>, StoreError> {
    if let Err(e) = check_email(email).and_then(|_| check_password(password)) {
        return Ok(Err(e));
    }
    let key = email.to_lowercase();
    let mut emails = txn.open_table(tables::USER_EMAILS)?;
    if emails.get(key.as_str())?.is_some() {
        return Ok(Err(AuthError::EmailTaken(email.to_string())));
    }
    let user = User {
        id: uuid::Uuid::new_v4().simple().to_string(),
        email: email.to_string(),
        name: name.to_string(),
        password_hash: hash_password(password),
        role,
        disabled: false,
        created_at: crate::domain::now_millis(),
        last_login: None,
        provider: default_provider(),
    };
    emails.insert(key.as_str(), user.id.as_str())?;
    txn.open_table(tables::USERS)?
        .insert(user.id.as_str(), encode(&user)?.as_slice())?;
    Ok(Ok(user))
}

/// True when some other enabled admin than `except` exists.
fn other_admin(txn: &redb::WriteTransaction, except: &str) -> Result<bool, StoreError> {
    for row in txn.open_table(tables::USERS)?.iter()? {
        let u: User = decode(row?.1.value())?;
        if u.id != except && u.role == Role::Admin && !u.disabled {
            return Ok(true);
        }
    }
    Ok(false)
}

impl AuthService {
    /// Blocking: hashes with argon2 and writes the store.
    pub fn create_user(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
        role: Role,
    ) -> Result<User, AuthError> {
        let email = email.trim();
        let name = match name {
            Some(n) => check_name(n)?,
            None => email.split('@').next().unwrap_or(email).to_string(),
        };
        self.change(|txn| insert_user(txn, email, password, &name, role))
    }

    /// Blocking: every user, by email.
    pub fn list_users(&self) -> Result<Vec<User>, AuthError> {
        let mut out: Vec<User> = self.store.read(|txn| {
            let mut out = Vec::new();
            for row in txn.open_table(tables::USERS)?.iter()? {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        })?;
        out.sort_by_key(|u| u.email.to_lowercase());
        Ok(out)
    }

    /// Blocking.
    pub fn get_user(&self, id: &str) -> Result<User, AuthError> {
        self.store
            .read(|txn| get_value::<User>(&txn.open_table(tables::USERS)?, id))?
            .ok_or_else(|| AuthError::NotFound(format!("no user with id {id}")))
    }

    /// Blocking: a new password, a disabled flag or a lower role revokes
    /// the user's sessions at once. The last enabled admin stays one.
    pub fn patch_user(&self, id: &str, patch: UserPatch) -> Result<User, AuthError> {
        let role = patch.role.as_deref().map(Role::parse).transpose()?;
        let name = patch.name.as_deref().map(check_name).transpose()?;
        if let Some(p) = &patch.password {
            check_password(p)?;
        }
        let hash = patch.password.as_deref().map(hash_password);
        let (user, revoke) = self.change(|txn| {
            let Some(mut u) = get_value::<User>(&txn.open_table(tables::USERS)?, id)? else {
                return Ok(Err(AuthError::NotFound(format!("no user with id {id}"))));
            };
            let demoted = role.is_some_and(|r| r != Role::Admin) || patch.disabled == Some(true);
            if u.role == Role::Admin && demoted && !other_admin(txn, id)? {
                return Ok(Err(AuthError::Conflict(
                    "this is the last enabled admin; make another user admin first".into(),
                )));
            }
            let mut users = txn.open_table(tables::USERS)?;
            let revoke = hash.is_some()
                || (patch.disabled == Some(true) && !u.disabled)
                || role.is_some_and(|r| r < u.role);
            if let Some(n) = name {
                u.name = n;
            }
            if let Some(r) = role {
                u.role = r;
            }
            if let Some(h) = hash {
                u.password_hash = h;
            }
            if let Some(d) = patch.disabled {
                u.disabled = d;
            }
            users.insert(id, encode(&u)?.as_slice())?;
            Ok(Ok((u, revoke)))
        })?;
        if revoke {
            self.revoke_user_sessions(id)?;
        }
        Ok(user)
    }

    /// Blocking: removes the user, their sessions, API tokens, group
    /// memberships and permission grants. Scripts they own fall to admins.
    pub fn delete_user(&self, id: &str) -> Result<(), AuthError> {
        // The new snapshot no longer has the user, so their tokens fail from
        // the swap on; the sessions are then dropped from memory and store.
        self.change(|txn| {
            let Some(u) = get_value::<User>(&txn.open_table(tables::USERS)?, id)? else {
                return Ok(Err(AuthError::NotFound(format!("no user with id {id}"))));
            };
            if u.role == Role::Admin && !other_admin(txn, id)? {
                return Ok(Err(AuthError::Conflict(
                    "this is the last enabled admin; make another user admin first".into(),
                )));
            }
            txn.open_table(tables::USERS)?.remove(id)?;
            txn.open_table(tables::USER_EMAILS)?
                .remove(u.email.to_lowercase().as_str())?;
            rewrite::<Group>(txn, tables::GROUPS, |g| {
                let n = g.users.len();
                g.users.retain(|m| m != id);
                g.users.len() != n
            })?;
            rewrite::<Permission>(txn, tables::PERMISSIONS, |p| {
                let n = p.users.len();
                p.users.retain(|m| m != id);
                p.users.len() != n
            })?;
            super::tokens::remove_user_tokens(txn, id)?;
            Ok(Ok(()))
        })?;
        self.revoke_user_sessions(id)?;
        Ok(())
    }
}

/// Applies `f` to every record of a string-keyed table; writes back the
/// ones it changed.
pub(super) fn rewrite<T: serde::Serialize + serde::de::DeserializeOwned>(
    txn: &redb::WriteTransaction,
    def: redb::TableDefinition<&str, &[u8]>,
    mut f: impl FnMut(&mut T) -> bool,
) -> Result<(), StoreError> {
    let mut t = txn.open_table(def)?;
    let mut changed = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        let mut rec: T = decode(v.value())?;
        if f(&mut rec) {
            changed.push((k.value().to_string(), encode(&rec)?));
        }
    }
    for (k, v) in changed {
        t.insert(k.as_str(), v.as_slice())?;
    }
    Ok(())
}
