//! Script ownership and grants (stored on the script record), and named
//! permissions. Only admins call these; the HTTP layer checks that.

use super::groups::Member;
use super::{AuthError, AuthService, Permission, ScriptAccess};
use crate::domain::{Access, ScriptGrant};

impl AuthService {
    /// Blocking: a user (by id) or a group becomes the owner.
    pub fn set_owner(&self, script: &str, m: &Member) -> Result<ScriptAccess, AuthError> {
        m.check(self)?;
        let display = match (&m.user, &m.group) {
            (Some(u), _) => self.directory().users.get(u).map(|u| u.email.clone()),
            (_, g) => g.clone(),
        };
        self.edit_script(script, |r| {
            r.owner = display;
            r.owner_user = m.user.clone();
            r.owner_group = m.group.clone();
        })
    }

    /// Blocking: adds or replaces the grant of one user or group.
    pub fn set_grant(
        &self,
        script: &str,
        m: &Member,
        access: Access,
    ) -> Result<ScriptAccess, AuthError> {
        m.check(self)?;
        self.edit_script(script, |r| {
            r.grants
                .retain(|g| !(g.user == m.user && g.group == m.group));
            r.grants.push(ScriptGrant {
                user: m.user.clone(),
                group: m.group.clone(),
                access,
            });
        })
    }

    /// Blocking.
    pub fn remove_grant(&self, script: &str, m: &Member) -> Result<ScriptAccess, AuthError> {
        self.edit_script(script, |r| {
            r.grants
                .retain(|g| !(g.user == m.user && g.group == m.group));
        })
    }

    fn edit_script(
        &self,
        name: &str,
        f: impl FnOnce(&mut ScriptAccess),
    ) -> Result<ScriptAccess, AuthError> {
        let not_found = || AuthError::NotFound(format!("no script named {name}"));
        self.change(|tx| {
            let mut a = tx.script_access(name)?.ok_or_else(not_found)?;
            f(&mut a);
            match tx.put_script_access(&a)? {
                true => Ok(a),
                false => Err(not_found()),
            }
        })
    }

    /// Blocking.
    pub fn create_permission(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Permission, AuthError> {
        let ok = !name.is_empty()
            && name.len() <= 100
            && name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_.:-".contains(&c));
        if !ok {
            return Err(AuthError::Invalid(format!(
                "invalid permission name {name:?}: use letters, digits and _ . : - (e.g. orders.refund)"
            )));
        }
        self.change(|tx| {
            if tx.permission(name)?.is_some() {
                return Err(AuthError::Conflict(format!(
                    "a permission named {name} already exists"
                )));
            }
            let p = Permission {
                name: name.to_string(),
                description: description.to_string(),
                ..Permission::default()
            };
            tx.put_permission(&p)?;
            Ok(p)
        })
    }

    /// Blocking.
    pub fn delete_permission(&self, name: &str) -> Result<(), AuthError> {
        self.change(|tx| match tx.remove_permission(name)? {
            true => Ok(()),
            false => Err(AuthError::NotFound(format!("no permission named {name}"))),
        })
    }

    /// Blocking: grants (`add`) or takes back a permission.
    pub fn grant_permission(
        &self,
        name: &str,
        m: &Member,
        add: bool,
    ) -> Result<Permission, AuthError> {
        if add {
            m.check(self)?;
        }
        self.change(|tx| {
            let Some(mut p) = tx.permission(name)? else {
                return Err(AuthError::NotFound(format!("no permission named {name}")));
            };
            p.users.retain(|u| Some(u) != m.user.as_ref());
            p.groups.retain(|g| Some(g) != m.group.as_ref());
            if add {
                p.users.extend(m.user.clone());
                p.groups.extend(m.group.clone());
            }
            tx.put_permission(&p)?;
            Ok(p)
        })
    }
}
