//! The in-memory snapshot of who is who: users, groups and their transitive
//! closure, named permissions, script ownership and API token hashes. Built
//! from the store on every change, never on a request.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::repo::{AuthRead, AuthRepo};
use super::{ApiToken, Role};
use crate::domain::{Access, Principal, RequestAuth, ScriptGrant, StorageError, UserInfo};

/// A group: users (by id) and other groups (by name).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub created_at: i64,
}

/// A named permission, granted to users and groups (inherited through nesting).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Permission {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Who may do what with one script.
#[derive(Clone, Debug, Default)]
struct ScriptAcl {
    owner_user: Option<String>,
    owner_group: Option<String>,
    grants: Vec<ScriptGrant>,
}

#[derive(Default)]
pub struct Directory {
    pub users: HashMap<String, Arc<UserInfo>>,
    pub groups: BTreeMap<String, Group>,
    pub permissions: BTreeMap<String, Permission>,
    effective: HashMap<String, Arc<[String]>>,
    scripts: BTreeMap<String, ScriptAcl>,
    /// Secret hash -> token.
    pub(super) tokens: HashMap<String, ApiToken>,
    /// What `req.auth` is built from, per user.
    js: HashMap<String, Arc<RequestAuth>>,
}

impl Directory {
    /// Blocking: reads every table it mirrors in one snapshot.
    pub fn load(repo: &dyn AuthRepo) -> Result<Directory, StorageError> {
        let mut d = Directory::default();
        repo.read(&mut |r| {
            d = Directory::read(r)?;
            Ok(())
        })?;
        d.compute();
        Ok(d)
    }

    fn read(r: &dyn AuthRead) -> Result<Directory, StorageError> {
        let mut d = Directory::default();
        for u in r.users()? {
            let info = UserInfo {
                id: u.id.clone(),
                email: u.email,
                name: u.name,
                role: u.role,
                disabled: u.disabled,
                provider: u.provider,
            };
            d.users.insert(u.id, Arc::new(info));
        }
        for g in r.groups()? {
            d.groups.insert(g.name.clone(), g);
        }
        for p in r.permissions()? {
            d.permissions.insert(p.name.clone(), p);
        }
        for tok in r.api_tokens()? {
            d.tokens.insert(tok.hash.clone(), tok);
        }
        let by_email: HashMap<String, String> = d
            .users
            .values()
            .map(|u| (u.email.to_lowercase(), u.id.clone()))
            .collect();
        for a in r.script_accesses()? {
            let owner_user = match (&a.owner_user, &a.owner_group, &a.owner) {
                (Some(id), _, _) => Some(id.clone()),
                (None, None, Some(email)) => by_email.get(&email.to_lowercase()).cloned(),
                _ => None,
            };
            let acl = ScriptAcl {
                owner_user,
                owner_group: a.owner_group,
                grants: a.grants,
            };
            d.scripts.insert(a.name, acl);
        }
        Ok(d)
    }

    fn compute(&mut self) {
        let ids: Vec<String> = self.users.keys().cloned().collect();
        for id in &ids {
            let groups: Arc<[String]> = self.closure_of_user(id).into_iter().collect();
            self.effective.insert(id.clone(), groups);
        }
        for id in &ids {
            let js = self.request_auth(id);
            self.js.insert(id.clone(), Arc::new(js));
        }
    }

    /// Groups containing the user, directly or through nesting.
    fn closure_of_user(&self, id: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<&str> = self
            .groups
            .values()
            .filter(|g| g.users.iter().any(|u| u == id))
            .map(|g| g.name.as_str())
            .collect();
        while let Some(name) = todo.pop() {
            if out.insert(name.to_string()) {
                todo.extend(
                    self.groups
                        .values()
                        .filter(|g| g.groups.iter().any(|m| m == name))
                        .map(|g| g.name.as_str()),
                );
            }
        }
        out
    }

    /// Groups that `name` contains, directly or through nesting (and itself).
    pub fn descendants(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            if out.insert(n.clone()) {
                if let Some(g) = self.groups.get(&n) {
                    todo.extend(g.groups.iter().cloned());
                }
            }
        }
        out
    }

    pub fn groups_of(&self, user_id: &str) -> Arc<[String]> {
        self.effective
            .get(user_id)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    pub fn user_by_email(&self, email: &str) -> Option<&Arc<UserInfo>> {
        let key = email.trim().to_lowercase();
        self.users.values().find(|u| u.email.to_lowercase() == key)
    }

    pub fn has_admin(&self) -> bool {
        self.users
            .values()
            .any(|u| u.role == Role::Admin && !u.disabled)
    }

    pub fn principal(&self, user_id: &str) -> Option<Principal> {
        let user = self.users.get(user_id).filter(|u| !u.disabled)?.clone();
        Some(Principal {
            groups: self.groups_of(user_id),
            user,
            session_id: None,
            token_id: None,
        })
    }

    /// A group acting as a script's owner: editor rights over what the
    /// group (or a group containing it) owns or was granted.
    pub fn group_principal(&self, name: &str) -> Option<Principal> {
        let group = self.groups.get(name)?;
        let groups: Arc<[String]> = self
            .groups
            .keys()
            .filter(|g| self.descendants(g).contains(name))
            .cloned()
            .collect();
        let user = UserInfo {
            id: format!("group:{}", group.name),
            email: format!("group {}", group.name),
            name: group.name.clone(),
            role: Role::Editor,
            disabled: false,
            provider: "group".into(),
        };
        Some(Principal {
            user: Arc::new(user),
            groups,
            session_id: None,
            token_id: None,
        })
    }

    /// The owner of `script` as a principal: its owning user, or its group.
    pub fn owner_principal(&self, script: &str) -> Option<Principal> {
        let acl = self.scripts.get(script)?;
        match (&acl.owner_user, &acl.owner_group) {
            (Some(id), _) => self.principal(id),
            (None, Some(g)) => self.group_principal(g),
            _ => None,
        }
    }

    /// The named permissions a user holds (admins hold every one).
    pub fn permissions_of(&self, user_id: &str) -> Vec<String> {
        let groups = self.groups_of(user_id);
        self.permissions
            .values()
            .filter(|p| {
                p.users.iter().any(|u| u == user_id) || p.groups.iter().any(|g| groups.contains(g))
            })
            .map(|p| p.name.clone())
            .collect()
    }

    /// What `user` may do with `script`: None (not even see it), read, or
    /// write. Admins and owners (directly or through a group) get write.
    pub fn access(&self, user: &UserInfo, groups: &[String], script: &str) -> Option<Access> {
        if user.role == Role::Admin {
            return Some(Access::Write);
        }
        if user.role != Role::Editor {
            return None;
        }
        let acl = self.scripts.get(script)?;
        let owner = acl.owner_user.as_deref() == Some(user.id.as_str())
            || acl.owner_group.as_ref().is_some_and(|g| groups.contains(g));
        if owner {
            return Some(Access::Write);
        }
        acl.grants
            .iter()
            .filter(|g| {
                g.user.as_deref() == Some(user.id.as_str())
                    || g.group.as_ref().is_some_and(|n| groups.contains(n))
            })
            .map(|g| g.access)
            .max()
    }

    pub fn script_exists(&self, name: &str) -> bool {
        self.scripts.contains_key(name)
    }

    pub fn request_auth_of(&self, user_id: &str) -> Option<Arc<RequestAuth>> {
        self.js.get(user_id).cloned()
    }

    fn request_auth(&self, id: &str) -> RequestAuth {
        let u = &self.users[id];
        let groups = self.groups_of(id);
        let scripts = (u.role != Role::Admin).then(|| {
            self.scripts
                .keys()
                .filter(|s| self.access(u, &groups, s) == Some(Access::Write))
                .cloned()
                .collect()
        });
        RequestAuth {
            user_id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            provider: u.provider.clone(),
            role: u.role.as_str(),
            groups,
            permissions: self.permissions_of(id).into(),
            scripts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, users: &[&str], groups: &[&str]) -> Group {
        Group {
            name: name.into(),
            users: users.iter().map(|s| s.to_string()).collect(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
            created_at: 0,
        }
    }

    #[test]
    fn closure_goes_through_every_level() {
        let mut d = Directory::default();
        for g in [
            group("a", &["u1"], &[]),
            group("b", &[], &["a"]),
            group("c", &[], &["b"]),
            group("x", &["u2"], &[]),
        ] {
            d.groups.insert(g.name.clone(), g);
        }
        let got: Vec<_> = d.closure_of_user("u1").into_iter().collect();
        assert_eq!(got, ["a", "b", "c"]);
        assert!(d.descendants("c").contains("a"));
        assert!(!d.descendants("a").contains("c"));
    }
}
