//! Who is calling: roles, users as the request path sees them, the
//! authenticated principal, and what scripts see of it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Authenticated,
    Editor,
    Admin,
}

/// A role name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; use authenticated, editor or admin")]
pub struct UnknownRole(pub String);

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Authenticated => "authenticated",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, UnknownRole> {
        match s {
            "authenticated" => Ok(Role::Authenticated),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

/// A user as the request path needs it (no password hash).
#[derive(Clone, Debug)]
pub struct UserInfo {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub provider: String,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: Arc<UserInfo>,
    /// Every group the user is in, directly or through nesting, sorted.
    pub groups: Arc<[String]>,
    /// The login session, or None for an API token.
    pub session_id: Option<String>,
    /// The API token's id, when one was used.
    pub token_id: Option<String>,
}

impl std::ops::Deref for Principal {
    type Target = UserInfo;
    fn deref(&self) -> &UserInfo {
        &self.user
    }
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// The authenticated user of a request, as scripts see it (`req.auth`).
#[derive(Debug, Clone)]
pub struct RequestAuth {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub provider: String,
    /// `authenticated`, `editor` or `admin`.
    pub role: &'static str,
    pub groups: Arc<[String]>,
    pub permissions: Arc<[String]>,
    /// Scripts the user may change; None means every script (admins).
    pub scripts: Option<Arc<[String]>>,
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_round_trip_and_order() {
        for r in [Role::Authenticated, Role::Editor, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Authenticated);
        let e = Role::parse("root").unwrap_err().to_string();
        assert!(e.contains("\"root\"") && e.contains("editor"), "{e}");
    }
}
