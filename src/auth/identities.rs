//! Accounts at sign-in providers linked to users: the one place where a
//! user verified by an OpenID provider becomes a session
//! ([`AuthService::finish_oidc_login`]), creating or linking the account
//! on first sight, and the list and removal of links.

use serde::{Deserialize, Serialize};

use super::oidc::Verified;
use super::repo::AuthWrite;
use super::{AuthError, AuthService, LoginStep, Role, User};

/// One provider account linked to a user; keyed by [`identity_key`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub user_id: String,
    /// The email the provider gave at the last sign-in.
    #[serde(default)]
    pub email: Option<String>,
    pub linked_at: i64,
}

/// `provider` and `subject` joined by a unit separator, which neither holds
/// (provider names are `[a-z0-9_-]`; subjects are printable, OIDC Core 2).
pub fn identity_key(provider: &str, subject: &str) -> String {
    format!("{provider}\u{1f}{subject}")
}

/// What a provider's config says about accounts it brings in.
#[derive(Clone, Debug)]
pub struct NewAccounts {
    pub default_role: Role,
    pub link_by_verified_email: bool,
}

impl AuthService {
    /// Blocking: the user `v` names (by a linked identity, by a verified
    /// email when linking is on, or a new account), then a session for
    /// them. With `v.link_to`, the identity is linked to that (logged-in)
    /// user instead. Disabled users are refused.
    pub fn finish_oidc_login(
        &self,
        v: &Verified,
        rules: &NewAccounts,
        ip: &str,
    ) -> Result<LoginStep, AuthError> {
        let user = self.change(|tx| resolve(tx, v, rules, v.link_to.as_deref()))?;
        if user.disabled {
            return Err(AuthError::Forbidden(format!(
                "the account {} is disabled; ask an admin to enable it",
                user.email
            )));
        }
        self.audit(&user.email, "login", &v.provider, "ok");
        // The same second step as a password login (TOTP when on or required).
        self.finish_login(user, ip)
    }

    /// Blocking: the provider accounts linked to a user.
    pub fn identities_of(&self, user_id: &str) -> Result<Vec<Identity>, AuthError> {
        let mut out = Vec::new();
        self.repo.read(&mut |r| {
            out = r.identities()?;
            Ok(())
        })?;
        out.retain(|i| i.user_id == user_id);
        Ok(out)
    }

    /// Blocking: removes the link of `user_id` to `provider`.
    pub fn unlink_identity(&self, user_id: &str, provider: &str) -> Result<(), AuthError> {
        self.change(|tx| {
            let found: Vec<Identity> = tx
                .identities()?
                .into_iter()
                .filter(|i| i.user_id == user_id && i.provider == provider)
                .collect();
            if found.is_empty() {
                return Err(AuthError::NotFound(format!(
                    "user {user_id} has no account at {provider} linked"
                )));
            }
            for i in found {
                tx.remove_identity(&identity_key(&i.provider, &i.subject))?;
            }
            Ok(())
        })
    }
}

fn resolve(
    tx: &mut dyn AuthWrite,
    v: &Verified,
    rules: &NewAccounts,
    link_to: Option<&str>,
) -> Result<User, AuthError> {
    let key = identity_key(&v.provider, &v.subject);
    let email = v.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(mut id) = tx.identity(&key)? {
        if link_to.is_some_and(|u| u != id.user_id) {
            return Err(AuthError::Conflict(format!(
                "this {} account is already linked to another user; unlink it there first",
                v.provider
            )));
        }
        let user = tx
            .user(&id.user_id)?
            .ok_or_else(|| AuthError::NotFound("the linked user no longer exists".into()))?;
        if id.email.as_deref() != email {
            id.email = email.map(str::to_string);
            tx.put_identity(&key, &id)?;
        }
        return Ok(user);
    }
    let link = |tx: &mut dyn AuthWrite, user: User| -> Result<User, AuthError> {
        let id = Identity {
            provider: v.provider.clone(),
            subject: v.subject.clone(),
            user_id: user.id.clone(),
            email: email.map(str::to_string),
            linked_at: crate::domain::now_millis(),
        };
        tx.put_identity(&key, &id)?;
        Ok(user)
    };
    if let Some(uid) = link_to {
        let user = tx
            .user(uid)?
            .ok_or_else(|| AuthError::NotFound(format!("no user with id {uid}")))?;
        return link(tx, user);
    }
    let Some(email) = email else {
        return Err(AuthError::Forbidden(format!(
            "{} gave no email for this account; add the email scope to auth.providers.{}.scopes",
            v.provider, v.provider
        )));
    };
    if let Some(uid) = tx.user_id_by_email(&email.to_lowercase())? {
        if !(rules.link_by_verified_email && v.email_verified) {
            return Err(AuthError::Conflict(format!(
                "an account with the email {email} already exists; log in to it and link {} from the account page, or set auth.providers.{}.link_by_verified_email",
                v.provider, v.provider
            )));
        }
        let user = tx
            .user(&uid)?
            .ok_or_else(|| AuthError::NotFound(format!("no user with id {uid}")))?;
        return link(tx, user);
    }
    let user = new_user(email, v, rules.default_role)?;
    tx.put_user_email(&email.to_lowercase(), &user.id)?;
    tx.put_user(&user)?;
    link(tx, user)
}

fn new_user(email: &str, v: &Verified, role: Role) -> Result<User, AuthError> {
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(AuthError::InvalidEmail(email.to_string()));
    }
    let name = v
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 100 && !n.contains(char::is_control))
        .map(str::to_string)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
    Ok(User {
        id: uuid::Uuid::new_v4().simple().to_string(),
        email: email.to_string(),
        name,
        // No password: such a user signs in through a provider only (an
        // empty hash never verifies).
        password_hash: String::new(),
        role,
        disabled: false,
        created_at: crate::domain::now_millis(),
        last_login: None,
        provider: v.provider.clone(),
    })
}
