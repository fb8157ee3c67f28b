//! The redb adapter of [`crate::auth::repo::AuthRepo`]: the auth tables,
//! and the access fields of script records.
//!
//! The adapter reads and rewrites whole script records around their access
//! fields; it is generic over the record type (`R`, the scripts service's
//! [`ScriptRecord`] in the engine) so that its tests can use a stand-in.

use std::marker::PhantomData;

use redb::{ReadTransaction, ReadableTable, TableDefinition, TableHandle, WriteTransaction};
use serde::{de::DeserializeOwned, Serialize};

use super::{decode, encode, get_value, tables, Store, StoreError};
use crate::auth::oauth::{OAuthClient, OAuthGrant};
use crate::auth::repo::{AuthRead, AuthRepo, AuthWrite, ScriptAccess};
use crate::auth::{ApiToken, AuditEntry, Group, Identity, Permission, Session, TotpRecord, User};
use crate::domain::StorageError;
use crate::scripts::ScriptRecord;

/// A stored script record, as far as the auth adapter needs it.
pub trait ScriptAclRecord: Serialize + DeserializeOwned + 'static {
    fn access(&self) -> ScriptAccess;
    fn set_access(&mut self, a: &ScriptAccess);
}

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

/// The auth repository of `store` (the engine's, and `admin create`'s).
pub fn auth_repo(store: &Store) -> std::sync::Arc<dyn AuthRepo> {
    std::sync::Arc::new(RedbAuthRepo::<ScriptRecord>::new(store.clone()))
}

/// The auth tables of one data file.
pub struct RedbAuthRepo<R> {
    store: Store,
    record: PhantomData<fn() -> R>,
}

impl<R> RedbAuthRepo<R> {
    pub fn new(store: Store) -> RedbAuthRepo<R> {
        RedbAuthRepo {
            store,
            record: PhantomData,
        }
    }
}

type StrTable = TableDefinition<'static, &'static str, &'static [u8]>;

impl<R: ScriptAclRecord> AuthRepo for RedbAuthRepo<R> {
    fn read(
        &self,
        body: &mut dyn FnMut(&dyn AuthRead) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let r = self.store.read(|txn| {
            let snap = Snapshot::<R> {
                txn,
                record: PhantomData,
            };
            body(&snap).map_err(StoreError::from)
        });
        Ok(r?)
    }

    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn AuthWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let r = self.store.write(|txn| {
            let mut tx = Txn::<R> {
                txn,
                record: PhantomData,
            };
            body(&mut tx).map_err(StoreError::from)
        });
        Ok(r?)
    }

    fn append_audit(&self, mut entry: AuditEntry, keep: u64) -> Result<(), StorageError> {
        let r = self.store.write(|txn| {
            let mut t = txn.open_table(tables::AUDIT)?;
            let id = t.last()?.map_or(1, |(k, _)| k.value() + 1);
            entry.id = id;
            t.insert(id, encode(&entry)?.as_slice())?;
            if id > keep {
                t.retain_in(..=id - keep, |_, _| false)?;
            }
            Ok(())
        });
        Ok(r?)
    }

    fn audit_page(
        &self,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Vec<AuditEntry>, StorageError> {
        let r = self.store.read(|txn| {
            let t = match txn.open_table(tables::AUDIT) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out = Vec::new();
            for row in t.range(..before.unwrap_or(u64::MAX))?.rev().take(limit) {
                out.push(decode(row?.1.value())?);
            }
            Ok(out)
        });
        Ok(r?)
    }
}

/// Every value of a string-keyed table, in key order.
fn all<T: DeserializeOwned>(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in t.iter()? {
        out.push(decode(row?.1.value())?);
    }
    Ok(out)
}

/// Reads of one table, in a snapshot or a write transaction.
trait Tables {
    /// A table created after format 1 shipped reads as empty when absent.
    fn values<T: DeserializeOwned>(&self, def: StrTable) -> Result<Vec<T>, StoreError>;
    fn value<T: DeserializeOwned>(&self, def: StrTable, key: &str)
        -> Result<Option<T>, StoreError>;
    fn email(&self, email_lower: &str) -> Result<Option<String>, StoreError>;
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Tables the migrations create; a snapshot without one is damaged. The
/// others were added after format 1 shipped, and are absent in older files.
fn required(def: StrTable) -> bool {
    ![
        tables::API_TOKENS,
        tables::PERMISSIONS,
        tables::USER_IDENTITIES,
        tables::TOTP,
        tables::OAUTH_CLIENTS,
        tables::OAUTH_GRANTS,
    ]
    .iter()
    .any(|d| d.name() == def.name())
}

struct Snapshot<'a, R> {
    txn: &'a ReadTransaction,
    record: PhantomData<fn() -> R>,
}

impl<R> Tables for Snapshot<'_, R> {
    fn values<T: DeserializeOwned>(&self, def: StrTable) -> Result<Vec<T>, StoreError> {
        match self.txn.open_table(def) {
            Ok(t) => all(&t),
            Err(redb::TableError::TableDoesNotExist(_)) if !required(def) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    fn value<T: DeserializeOwned>(
        &self,
        def: StrTable,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        match self.txn.open_table(def) {
            Ok(t) => get_value(&t, key),
            Err(redb::TableError::TableDoesNotExist(_)) if !required(def) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn email(&self, email_lower: &str) -> Result<Option<String>, StoreError> {
        let t = self.txn.open_table(tables::USER_EMAILS)?;
        let id = t.get(email_lower)?.map(|v| v.value().to_string());
        Ok(id)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.txn.open_table(tables::META)?;
        let v = t.get(key)?.map(|v| v.value().to_vec());
        Ok(v)
    }
}

struct Txn<'a, R> {
    txn: &'a WriteTransaction,
    record: PhantomData<fn() -> R>,
}

impl<R> Tables for Txn<'_, R> {
    fn values<T: DeserializeOwned>(&self, def: StrTable) -> Result<Vec<T>, StoreError> {
        all(&self.txn.open_table(def)?)
    }

    fn value<T: DeserializeOwned>(
        &self,
        def: StrTable,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        get_value(&self.txn.open_table(def)?, key)
    }

    fn email(&self, email_lower: &str) -> Result<Option<String>, StoreError> {
        let t = self.txn.open_table(tables::USER_EMAILS)?;
        let id = t.get(email_lower)?.map(|v| v.value().to_string());
        Ok(id)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.txn.open_table(tables::META)?;
        let v = t.get(key)?.map(|v| v.value().to_vec());
        Ok(v)
    }
}

impl<R> Txn<'_, R> {
    fn put<T: Serialize>(&self, def: StrTable, key: &str, v: &T) -> Result<(), StoreError> {
        self.txn
            .open_table(def)?
            .insert(key, encode(v)?.as_slice())?;
        Ok(())
    }

    fn remove(&self, def: StrTable, key: &str) -> Result<bool, StoreError> {
        Ok(self.txn.open_table(def)?.remove(key)?.is_some())
    }
}

/// The reads, for both the snapshot and the write transaction.
macro_rules! auth_read {
    ($t:ident) => {
        impl<R: ScriptAclRecord> AuthRead for $t<'_, R> {
            fn jwt_secret(&self) -> Result<Option<Vec<u8>>, StorageError> {
                Ok(self.meta("jwt_secret")?)
            }
            fn user(&self, id: &str) -> Result<Option<User>, StorageError> {
                Ok(self.value(tables::USERS, id)?)
            }
            fn users(&self) -> Result<Vec<User>, StorageError> {
                Ok(self.values(tables::USERS)?)
            }
            fn user_id_by_email(&self, email_lower: &str) -> Result<Option<String>, StorageError> {
                Ok(self.email(email_lower)?)
            }
            fn group(&self, name: &str) -> Result<Option<Group>, StorageError> {
                Ok(self.value(tables::GROUPS, name)?)
            }
            fn groups(&self) -> Result<Vec<Group>, StorageError> {
                Ok(self.values(tables::GROUPS)?)
            }
            fn permission(&self, name: &str) -> Result<Option<Permission>, StorageError> {
                Ok(self.value(tables::PERMISSIONS, name)?)
            }
            fn permissions(&self) -> Result<Vec<Permission>, StorageError> {
                Ok(self.values(tables::PERMISSIONS)?)
            }
            fn api_tokens(&self) -> Result<Vec<ApiToken>, StorageError> {
                Ok(self.values(tables::API_TOKENS)?)
            }
            fn api_token(&self, id: &str) -> Result<Option<ApiToken>, StorageError> {
                Ok(self.value(tables::API_TOKENS, id)?)
            }
            fn session(&self, id: &str) -> Result<Option<Session>, StorageError> {
                Ok(self.value(tables::SESSIONS, id)?)
            }
            fn sessions(&self) -> Result<Vec<Session>, StorageError> {
                Ok(self.values(tables::SESSIONS)?)
            }
            fn script_access(&self, name: &str) -> Result<Option<ScriptAccess>, StorageError> {
                let r: Option<R> = self.value(tables::SCRIPTS, name)?;
                Ok(r.map(|r| r.access()))
            }
            fn script_accesses(&self) -> Result<Vec<ScriptAccess>, StorageError> {
                let all: Vec<R> = self.values(tables::SCRIPTS)?;
                Ok(all.iter().map(R::access).collect())
            }
            fn totp(&self, user_id: &str) -> Result<Option<TotpRecord>, StorageError> {
                Ok(self.value(tables::TOTP, user_id)?)
            }
            fn totps(&self) -> Result<Vec<TotpRecord>, StorageError> {
                Ok(self.values(tables::TOTP)?)
            }
            fn identity(&self, key: &str) -> Result<Option<Identity>, StorageError> {
                Ok(self.value(tables::USER_IDENTITIES, key)?)
            }
            fn identities(&self) -> Result<Vec<Identity>, StorageError> {
                Ok(self.values(tables::USER_IDENTITIES)?)
            }
            fn oauth_client(&self, client_id: &str) -> Result<Option<OAuthClient>, StorageError> {
                Ok(self.value(tables::OAUTH_CLIENTS, client_id)?)
            }
            fn oauth_grant(&self, id: &str) -> Result<Option<OAuthGrant>, StorageError> {
                Ok(self.value(tables::OAUTH_GRANTS, id)?)
            }
            fn oauth_grants(&self) -> Result<Vec<OAuthGrant>, StorageError> {
                Ok(self.values(tables::OAUTH_GRANTS)?)
            }
        }
    };
}
auth_read!(Snapshot);
auth_read!(Txn);

impl<R: ScriptAclRecord> AuthWrite for Txn<'_, R> {
    fn put_user(&mut self, u: &User) -> Result<(), StorageError> {
        Ok(self.put(tables::USERS, &u.id, u)?)
    }
    fn remove_user(&mut self, id: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::USERS, id)?)
    }
    fn put_user_email(&mut self, email_lower: &str, id: &str) -> Result<(), StorageError> {
        let put = || -> Result<(), StoreError> {
            self.txn
                .open_table(tables::USER_EMAILS)?
                .insert(email_lower, id)?;
            Ok(())
        };
        Ok(put()?)
    }
    fn remove_user_email(&mut self, email_lower: &str) -> Result<bool, StorageError> {
        let remove = || -> Result<bool, StoreError> {
            let mut t = self.txn.open_table(tables::USER_EMAILS)?;
            let gone = t.remove(email_lower)?.is_some();
            Ok(gone)
        };
        Ok(remove()?)
    }
    fn put_group(&mut self, g: &Group) -> Result<(), StorageError> {
        Ok(self.put(tables::GROUPS, &g.name, g)?)
    }
    fn remove_group(&mut self, name: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::GROUPS, name)?)
    }
    fn put_permission(&mut self, p: &Permission) -> Result<(), StorageError> {
        Ok(self.put(tables::PERMISSIONS, &p.name, p)?)
    }
    fn remove_permission(&mut self, name: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::PERMISSIONS, name)?)
    }
    fn put_api_token(&mut self, t: &ApiToken) -> Result<(), StorageError> {
        Ok(self.put(tables::API_TOKENS, &t.id, t)?)
    }
    fn remove_api_token(&mut self, id: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::API_TOKENS, id)?)
    }
    fn put_session(&mut self, s: &Session) -> Result<(), StorageError> {
        Ok(self.put(tables::SESSIONS, &s.id, s)?)
    }
    fn remove_session(&mut self, id: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::SESSIONS, id)?)
    }
    fn put_script_access(&mut self, a: &ScriptAccess) -> Result<bool, StorageError> {
        let Some(mut r): Option<R> = self.value(tables::SCRIPTS, &a.name)? else {
            return Ok(false);
        };
        r.set_access(a);
        self.put(tables::SCRIPTS, &a.name, &r)?;
        Ok(true)
    }
    fn put_totp(&mut self, t: &TotpRecord) -> Result<(), StorageError> {
        Ok(self.put(tables::TOTP, &t.user_id, t)?)
    }
    fn remove_totp(&mut self, user_id: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::TOTP, user_id)?)
    }
    fn put_identity(&mut self, key: &str, i: &Identity) -> Result<(), StorageError> {
        Ok(self.put(tables::USER_IDENTITIES, key, i)?)
    }
    fn remove_identity(&mut self, key: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::USER_IDENTITIES, key)?)
    }
    fn put_oauth_client(&mut self, c: &OAuthClient) -> Result<(), StorageError> {
        Ok(self.put(tables::OAUTH_CLIENTS, &c.client_id, c)?)
    }
    fn put_oauth_grant(&mut self, g: &OAuthGrant) -> Result<(), StorageError> {
        Ok(self.put(tables::OAUTH_GRANTS, &g.id, g)?)
    }
    fn remove_oauth_grant(&mut self, id: &str) -> Result<bool, StorageError> {
        Ok(self.remove(tables::OAUTH_GRANTS, id)?)
    }
}

#[cfg(test)]
mod tests;
