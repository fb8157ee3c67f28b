//! The auth service's repository over the data file. The redb adapter
//! rewrites script records (ownership and grants) without the store naming
//! the scripts module; the record type and its access fields are named here.

use std::sync::Arc;

use crate::auth::{AuthRepo, ScriptAccess};
use crate::scripts::ScriptRecord;
use crate::store::auth::{RedbAuthRepo, ScriptAclRecord};
use crate::store::Store;

impl ScriptAclRecord for ScriptRecord {
    fn access(&self) -> ScriptAccess {
        ScriptAccess {
            name: self.name.clone(),
            owner: self.owner.clone(),
            owner_user: self.owner_user.clone(),
            owner_group: self.owner_group.clone(),
            grants: self.grants.clone(),
        }
    }

    fn set_access(&mut self, a: &ScriptAccess) {
        self.owner = a.owner.clone();
        self.owner_user = a.owner_user.clone();
        self.owner_group = a.owner_group.clone();
        self.grants = a.grants.clone();
    }
}

/// The auth repository of `store` (also for `admin create`).
pub fn auth_repo(store: &Store) -> Arc<dyn AuthRepo> {
    Arc::new(RedbAuthRepo::<ScriptRecord>::new(store.clone()))
}
