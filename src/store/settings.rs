//! The settings layer's rows in the data file's SETTINGS table: config
//! values under `config:KEY`, each the JSON text of the value (edited with
//! `PUT /engine/api/config`, the admin UI's Settings page, or `aiwebengine
//! config set`). Other SETTINGS rows (the self-signed certificate) are not
//! config. [`RedbSettings`] is `config::Live`'s `SettingsRepo`.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{ReadTransaction, ReadableDatabase};

use super::{decode, encode, tables, Store, StoreError, WeakStore};
use crate::domain::StorageError;

/// Config key -> JSON value, as the config layers read it.
pub type Settings = BTreeMap<String, serde_json::Value>;

impl crate::config::SettingsRepo for RedbSettings {
    fn settings(&self) -> Result<Settings, StorageError> {
        RedbSettings::settings(self)
    }

    fn set(&self, key: &str, value: Option<&serde_json::Value>) -> Result<(), StorageError> {
        RedbSettings::set(self, key, value)
    }
}

/// The settings port of `store`; it does not keep the file open.
pub fn settings_repo(store: &Store) -> std::sync::Arc<dyn crate::config::SettingsRepo> {
    std::sync::Arc::new(RedbSettings::new(store))
}

const PREFIX: &str = "config:";

fn from_txn(txn: &ReadTransaction) -> Result<Settings, StoreError> {
    let table = match txn.open_table(tables::SETTINGS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Settings::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Settings::new();
    for row in table.range(PREFIX..)? {
        let (k, v) = row?;
        let Some(key) = k.value().strip_prefix(PREFIX) else {
            break;
        };
        let text: String = decode(v.value())?;
        if let Ok(value) = serde_json::from_str(&text) {
            out.insert(key.to_string(), value);
        }
    }
    Ok(out)
}

/// The settings of an open store. Blocks: call off the reactor.
pub fn read(store: &Store) -> Result<Settings, StoreError> {
    store.read(from_txn)
}

/// Sets (or with `None` deletes) one setting. Blocks.
pub fn write(
    store: &Store,
    key: &str,
    value: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    let row = format!("{PREFIX}{key}");
    let bytes = value.map(|v| encode(&v.to_string())).transpose()?;
    store.write(|txn| {
        let mut t = txn.open_table(tables::SETTINGS)?;
        match &bytes {
            Some(b) => {
                t.insert(row.as_str(), b.as_slice())?;
            }
            None => {
                t.remove(row.as_str())?;
            }
        }
        Ok(())
    })
}

/// The settings rows of a served data file, through a handle that does not
/// keep the file open: once the server has closed it, every call fails
/// with [`StorageError::closed`].
pub struct RedbSettings {
    store: WeakStore,
}

impl RedbSettings {
    pub fn new(store: &Store) -> RedbSettings {
        RedbSettings {
            store: store.downgrade(),
        }
    }

    fn store(&self) -> Result<Store, StorageError> {
        self.store.upgrade().ok_or_else(StorageError::closed)
    }

    /// See [`read`].
    pub fn settings(&self) -> Result<Settings, StorageError> {
        Ok(read(&self.store()?)?)
    }

    /// See [`write`].
    pub fn set(&self, key: &str, value: Option<&serde_json::Value>) -> Result<(), StorageError> {
        Ok(write(&self.store()?, key, value)?)
    }
}

/// What `config show --data FILE` could read without a server.
pub enum Offline {
    /// No data file yet: defaults apply.
    Missing,
    /// A running server holds it.
    Held,
    /// Damaged, or not closed cleanly; the reason.
    Unreadable(String),
    Read(Settings),
}

/// Reads the settings of a data file no server holds, never writing it.
pub fn read_offline(path: &Path) -> Offline {
    if !path.exists() {
        return Offline::Missing;
    }
    let opened = std::panic::catch_unwind(|| redb::Builder::new().open_read_only(path));
    let db = match opened {
        Ok(Ok(db)) => db,
        Ok(Err(redb::DatabaseError::DatabaseAlreadyOpen)) => return Offline::Held,
        Ok(Err(e)) => return Offline::Unreadable(e.to_string()),
        Err(_) => return Offline::Unreadable("the file is damaged".into()),
    };
    let read = db
        .begin_read()
        .map_err(StoreError::from)
        .and_then(|txn| from_txn(&txn));
    match read {
        Ok(s) => Offline::Read(s),
        Err(e) => Offline::Unreadable(e.to_string()),
    }
}
