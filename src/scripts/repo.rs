//! The script service's port to storage: records (table `scripts`) and
//! their versions (`script_versions`). The redb adapter is
//! `store::scripts`; the tests use an in-memory fake.
//!
//! A save reads the record and writes record + version in one
//! [`ScriptRepo::write`] body. Rename and delete are single port methods
//! because they also move or drop rows the script service does not own
//! (the script's log and its kv namespace), all in one transaction.

use super::{ScriptRecord, ScriptVersion};
use crate::domain::StorageError;

/// What [`ScriptRepo::rename`] did.
pub enum Renamed {
    /// The record (now named `to`) and its current source.
    Moved(Box<ScriptRecord>, String),
    /// No script is named `from`.
    Missing,
    /// A script named `to` exists already.
    Taken,
}

pub trait ScriptRepo: Send + Sync {
    /// Runs `body` on one consistent snapshot.
    fn read(
        &self,
        body: &mut dyn FnMut(&dyn ScriptRead) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// Runs `body` in one durable write transaction; commits only when it
    /// returns `Ok`.
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn ScriptWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// Removes the record, its versions and its log in one transaction;
    /// false when there was no such script (nothing changed).
    fn delete(&self, name: &str) -> Result<bool, StorageError>;

    /// Moves everything keyed by `from` to `to` in one transaction: the
    /// record (renamed, `updated_at` set to `at`), its versions, its log
    /// and its own kv namespace (shared namespaces stay).
    fn rename(&self, from: &str, to: &str, at: i64) -> Result<Renamed, StorageError>;
}

/// Reads inside a snapshot or a write transaction.
pub trait ScriptRead {
    fn record(&self, name: &str) -> Result<Option<ScriptRecord>, StorageError>;
    /// Every record, by name.
    fn records(&self) -> Result<Vec<ScriptRecord>, StorageError>;
    fn version(&self, name: &str, version: u64) -> Result<Option<ScriptVersion>, StorageError>;
    /// Every stored version of `name`, oldest first.
    fn versions(&self, name: &str) -> Result<Vec<(u64, ScriptVersion)>, StorageError>;
}

/// Writes inside one transaction.
pub trait ScriptWrite: ScriptRead {
    fn put_record(&mut self, record: &ScriptRecord) -> Result<(), StorageError>;
    fn put_version(
        &mut self,
        name: &str,
        version: u64,
        row: &ScriptVersion,
    ) -> Result<(), StorageError>;
}
