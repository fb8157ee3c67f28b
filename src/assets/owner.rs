//! Who may change an asset: admins any; editors (and scripts acting for
//! their owner) what they own, directly or through a group. The uploader
//! owns a new asset; a script's uploads belong to the script's owner.

use std::sync::Arc;

use super::{AssetError, AssetRecord};
use crate::domain::{Principal, Role};

/// Someone storing or deleting assets.
#[derive(Clone, Debug)]
pub struct Actor {
    /// For messages and the audit log: an email or `group NAME`.
    pub label: String,
    pub user_id: Option<String>,
    /// Set when a group acts (a script a group owns).
    pub group: Option<String>,
    pub admin: bool,
    /// Editors and admins; an owning group acts as an editor.
    pub editor: bool,
    /// Every group the actor is in, through nesting too.
    pub groups: Arc<[String]>,
}

impl Actor {
    /// A logged-in user, or the principal a group-owned script acts as
    /// (whose id is `group:NAME`).
    pub fn from_principal(p: &Principal) -> Actor {
        let group = p.id.strip_prefix("group:").map(str::to_string);
        Actor {
            label: p.email.clone(),
            user_id: group.is_none().then(|| p.id.clone()),
            group,
            admin: p.role == Role::Admin,
            editor: p.role >= Role::Editor,
            groups: p.groups.clone(),
        }
    }

    pub fn owns(&self, rec: &AssetRecord) -> bool {
        let by_user = self.user_id.is_some() && rec.owner_user == self.user_id;
        let by_group = rec
            .owner_group
            .as_ref()
            .is_some_and(|g| self.group.as_ref() == Some(g) || self.groups.contains(g));
        by_user || by_group
    }

    /// Refuses unless the actor may create `path` (when `existing` is None)
    /// or change the existing asset.
    pub fn check(&self, path: &str, existing: Option<&AssetRecord>) -> Result<(), AssetError> {
        if !self.editor {
            return Err(AssetError::Forbidden(format!(
                "{} may not change assets: that needs the editor or admin role",
                self.label
            )));
        }
        match existing {
            Some(rec) if !self.admin && !self.owns(rec) => Err(AssetError::Forbidden(format!(
                "asset {path} belongs to {}; only its owner or an admin may replace or delete it",
                rec.owner.as_deref().unwrap_or("nobody (admins only)")
            ))),
            _ => Ok(()),
        }
    }

    /// `(owner, owner_user, owner_group)` of an asset this actor creates.
    pub fn owner_fields(&self) -> (Option<String>, Option<String>, Option<String>) {
        match &self.group {
            Some(g) => (Some(g.clone()), None, Some(g.clone())),
            None => (Some(self.label.clone()), self.user_id.clone(), None),
        }
    }
}

/// The owner of a script as an actor (None: nobody owns it).
pub type OwnerOf = Box<dyn Fn(&str) -> Option<Actor> + Send + Sync>;
/// `(route, script)` of a script route serving GET at a public path.
pub type RouteFor = Box<dyn Fn(&str) -> Option<(String, String)> + Send + Sync>;
/// Blocking: appends to the audit log `(user, action, target, result)`.
pub type Audit = Box<dyn Fn(&str, &str, &str, &str) + Send + Sync>;

/// Lookups that live elsewhere in the engine, handed in at open by the
/// composition root.
pub struct Hooks {
    pub owner_of: OwnerOf,
    pub route_for: RouteFor,
    pub audit: Audit,
}

#[cfg(test)]
impl Hooks {
    /// No owners, no routes, audit entries discarded: for unit tests of
    /// the asset service alone.
    pub fn inert() -> Hooks {
        Hooks {
            owner_of: Box::new(|_| None),
            route_for: Box::new(|_| None),
            audit: Box::new(|_, _, _, _| {}),
        }
    }
}
