//! User accounts: create, list, change, delete. Emails are unique without
//! regard to case; passwords are argon2id hashes.

use super::repo::{AuthRead, AuthRepo, AuthWrite};
use super::{
    default_provider, hash_password, AuthError, AuthService, Role, User, MIN_PASSWORD_LEN,
};
use crate::domain::StorageError;

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
    repo: &dyn AuthRepo,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, AuthError> {
    let email = email.trim();
    let name = email.split('@').next().unwrap_or(email).to_string();
    super::transact(repo, |tx| insert_user(tx, email, password, &name, role))
}

fn insert_user(
    tx: &mut dyn AuthWrite,
    email: &str,
    password: &str,
    name: &str,
    role: Role,
) -> Result<User, AuthError> {
    check_email(email)?;
    check_password(password)?;
    let key = email.to_lowercase();
    if tx.user_id_by_email(&key)?.is_some() {
        return Err(AuthError::EmailTaken(email.to_string()));
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
    tx.put_user_email(&key, &user.id)?;
    tx.put_user(&user)?;
    Ok(user)
}

/// True when some other enabled admin than `except` exists.
fn other_admin(tx: &dyn AuthRead, except: &str) -> Result<bool, StorageError> {
    let users = tx.users()?;
    Ok(users
        .iter()
        .any(|u| u.id != except && u.role == Role::Admin && !u.disabled))
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
        self.change(|tx| insert_user(tx, email, password, &name, role))
    }

    /// Blocking: every user, by email.
    pub fn list_users(&self) -> Result<Vec<User>, AuthError> {
        let mut out = Vec::new();
        self.repo.read(&mut |r| {
            out = r.users()?;
            Ok(())
        })?;
        out.sort_by_key(|u| u.email.to_lowercase());
        Ok(out)
    }

    /// Blocking.
    pub fn get_user(&self, id: &str) -> Result<User, AuthError> {
        let mut user = None;
        self.repo.read(&mut |r| {
            user = r.user(id)?;
            Ok(())
        })?;
        user.ok_or_else(|| AuthError::NotFound(format!("no user with id {id}")))
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
        let (user, revoke) = self.change(|tx| {
            let Some(mut u) = tx.user(id)? else {
                return Err(AuthError::NotFound(format!("no user with id {id}")));
            };
            let demoted = role.is_some_and(|r| r != Role::Admin) || patch.disabled == Some(true);
            if u.role == Role::Admin && demoted && !other_admin(tx, id)? {
                return Err(last_admin());
            }
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
            tx.put_user(&u)?;
            Ok((u, revoke))
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
        self.change(|tx| {
            let Some(u) = tx.user(id)? else {
                return Err(AuthError::NotFound(format!("no user with id {id}")));
            };
            if u.role == Role::Admin && !other_admin(tx, id)? {
                return Err(last_admin());
            }
            tx.remove_user(id)?;
            tx.remove_user_email(&u.email.to_lowercase())?;
            for mut g in tx.groups()? {
                let n = g.users.len();
                g.users.retain(|m| m != id);
                if g.users.len() != n {
                    tx.put_group(&g)?;
                }
            }
            for mut p in tx.permissions()? {
                let n = p.users.len();
                p.users.retain(|m| m != id);
                if p.users.len() != n {
                    tx.put_permission(&p)?;
                }
            }
            for t in tx.api_tokens()?.iter().filter(|t| t.user_id == id) {
                tx.remove_api_token(&t.id)?;
            }
            tx.remove_totp(id)?;
            for i in tx.identities()?.iter().filter(|i| i.user_id == id) {
                tx.remove_identity(&super::identity_key(&i.provider, &i.subject))?;
            }
            Ok(())
        })?;
        self.revoke_user_sessions(id)?;
        Ok(())
    }
}

fn last_admin() -> AuthError {
    AuthError::Conflict("this is the last enabled admin; make another user admin first".into())
}
