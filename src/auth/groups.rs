//! Groups of users and groups, nested to any depth; a membership that would
//! make a cycle is refused.

use super::{AuthError, AuthService, Group};

/// A member of a group or a grantee: one user (by id) or one group (by name).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub user: Option<String>,
    pub group: Option<String>,
}

impl Member {
    /// Exactly one of the two, and it must exist.
    pub fn check(&self, auth: &AuthService) -> Result<(), AuthError> {
        let dir = auth.directory();
        match (&self.user, &self.group) {
            (Some(u), None) if dir.users.contains_key(u) => Ok(()),
            (Some(u), None) => Err(AuthError::NotFound(format!("no user with id {u}"))),
            (None, Some(g)) if dir.groups.contains_key(g) => Ok(()),
            (None, Some(g)) => Err(AuthError::NotFound(format!("no group named {g}"))),
            _ => Err(AuthError::Invalid(
                "send exactly one of {\"user\": ID} or {\"group\": NAME}".into(),
            )),
        }
    }
}

pub fn validate_group_name(name: &str) -> Result<(), AuthError> {
    let mut b = name.bytes();
    let ok = b.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
        && name.len() <= 64;
    if !ok {
        return Err(AuthError::Invalid(format!(
            "invalid group name {name:?}: use [A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}"
        )));
    }
    Ok(())
}

impl AuthService {
    /// Blocking.
    pub fn create_group(&self, name: &str) -> Result<Group, AuthError> {
        validate_group_name(name)?;
        self.change(|tx| {
            if tx.group(name)?.is_some() {
                return Err(AuthError::Conflict(format!(
                    "a group named {name} already exists"
                )));
            }
            let g = Group {
                name: name.to_string(),
                created_at: crate::domain::now_millis(),
                ..Group::default()
            };
            tx.put_group(&g)?;
            Ok(g)
        })
    }

    /// Blocking: also removes the group from other groups, permissions and
    /// script grants. Scripts it owned fall to admins.
    pub fn delete_group(&self, name: &str) -> Result<(), AuthError> {
        self.change(|tx| {
            if !tx.remove_group(name)? {
                return Err(AuthError::NotFound(format!("no group named {name}")));
            }
            for mut g in tx.groups()? {
                let n = g.groups.len();
                g.groups.retain(|m| m != name);
                if g.groups.len() != n {
                    tx.put_group(&g)?;
                }
            }
            for mut p in tx.permissions()? {
                let n = p.groups.len();
                p.groups.retain(|m| m != name);
                if p.groups.len() != n {
                    tx.put_permission(&p)?;
                }
            }
            Ok(())
        })
    }

    /// Blocking: adds a user or a group; a group that already contains
    /// `name` (at any depth) is refused, since it would make a cycle.
    pub fn add_member(&self, name: &str, m: &Member) -> Result<Group, AuthError> {
        m.check(self)?;
        // Checked under the change lock, against the snapshot of the last commit.
        self.edit_group(name, |g, dir| {
            if let Some(child) = &m.group {
                if dir.descendants(child).contains(name) {
                    return Err(AuthError::Cycle(format!(
                        "adding group {child} to {name} would make a cycle: {child} already contains {name}"
                    )));
                }
                if !g.groups.contains(child) {
                    g.groups.push(child.clone());
                }
            }
            if let Some(u) = m.user.as_ref().filter(|u| !g.users.contains(u)) {
                g.users.push(u.clone());
            }
            Ok(())
        })
    }

    /// Blocking.
    pub fn remove_member(&self, name: &str, m: &Member) -> Result<Group, AuthError> {
        self.edit_group(name, |g, _| {
            g.users.retain(|u| Some(u) != m.user.as_ref());
            g.groups.retain(|c| Some(c) != m.group.as_ref());
            Ok(())
        })
    }

    fn edit_group(
        &self,
        name: &str,
        f: impl FnOnce(&mut Group, &super::Directory) -> Result<(), AuthError>,
    ) -> Result<Group, AuthError> {
        self.change(|tx| {
            let Some(mut g) = tx.group(name)? else {
                return Err(AuthError::NotFound(format!("no group named {name}")));
            };
            f(&mut g, &self.directory())?;
            tx.put_group(&g)?;
            Ok(g)
        })
    }
}
