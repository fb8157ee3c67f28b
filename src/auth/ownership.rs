//! Script ownership and grants (stored on the script record), and named
//! permissions. Only admins call these; the HTTP layer checks that.

use redb::ReadableTable;

use super::groups::Member;
use super::{AuthError, AuthService, Permission};
use crate::scripts::{Access, ScriptGrant, ScriptRecord};
use crate::store::{encode, get_value, tables};

impl AuthService {
    /// Blocking: a user (by id) or a group becomes the owner.
    pub fn set_owner(&self, script: &str, m: &Member) -> Result<ScriptRecord, AuthError> {
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
    ) -> Result<ScriptRecord, AuthError> {
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
    pub fn remove_grant(&self, script: &str, m: &Member) -> Result<ScriptRecord, AuthError> {
        self.edit_script(script, |r| {
            r.grants
                .retain(|g| !(g.user == m.user && g.group == m.group));
        })
    }

    fn edit_script(
        &self,
        name: &str,
        f: impl FnOnce(&mut ScriptRecord),
    ) -> Result<ScriptRecord, AuthError> {
        self.change(|txn| {
            let mut t = txn.open_table(tables::SCRIPTS)?;
            let Some(mut r) = get_value::<ScriptRecord>(&t, name)? else {
                return Ok(Err(AuthError::NotFound(format!("no script named {name}"))));
            };
            f(&mut r);
            t.insert(name, encode(&r)?.as_slice())?;
            Ok(Ok(r))
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
        self.change(|txn| {
            let mut t = txn.open_table(tables::PERMISSIONS)?;
            if t.get(name)?.is_some() {
                return Ok(Err(AuthError::Conflict(format!(
                    "a permission named {name} already exists"
                ))));
            }
            let p = Permission {
                name: name.to_string(),
                description: description.to_string(),
                ..Permission::default()
            };
            t.insert(name, encode(&p)?.as_slice())?;
            Ok(Ok(p))
        })
    }

    /// Blocking.
    pub fn delete_permission(&self, name: &str) -> Result<(), AuthError> {
        self.change(
            |txn| match txn.open_table(tables::PERMISSIONS)?.remove(name)? {
                Some(_) => Ok(Ok(())),
                None => Ok(Err(AuthError::NotFound(format!(
                    "no permission named {name}"
                )))),
            },
        )
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
        self.change(|txn| {
            let mut t = txn.open_table(tables::PERMISSIONS)?;
            let Some(mut p) = get_value::<Permission>(&t, name)? else {
                return Ok(Err(AuthError::NotFound(format!(
                    "no permission named {name}"
                ))));
            };
            p.users.retain(|u| Some(u) != m.user.as_ref());
            p.groups.retain(|g| Some(g) != m.group.as_ref());
            if add {
                p.users.extend(m.user.clone());
                p.groups.extend(m.group.clone());
            }
            t.insert(name, encode(&p)?.as_slice())?;
            Ok(Ok(p))
        })
    }
}
