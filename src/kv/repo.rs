//! The kv service's repository port: rows of `(namespace, encoded key) ->`
//! [`Stored`], the commit counter behind versionstamps, and the expiry
//! index. The adapter over the data file is `store::kv`.
//!
//! Reads are one snapshot each and called on the caller's (blocking)
//! thread: no hop and no copy beyond decoding the row. The writer thread
//! applies a whole batch of queued operations in one [`KvRepo::write`]
//! body, so a batch is one transaction (group commit).

use super::value::Stored;
use crate::domain::StorageError;

/// Rows read from one snapshot, and the last versionstamp committed in it.
#[derive(Debug)]
pub struct Rows {
    pub stamp: u64,
    pub rows: Vec<Option<Stored>>,
}

pub trait KvRepo: Send + Sync {
    /// The rows at `keys` in `ns`, in order, from one snapshot; expired
    /// rows are returned too (the service filters them).
    fn get_many(&self, ns: &str, keys: &[Vec<u8>]) -> Result<Rows, StorageError>;

    /// Visits the rows of `ns` with `lo <= key < hi`, in key order (from
    /// `hi` down when `reverse`), from one snapshot, until `visit` returns
    /// false.
    fn scan(
        &self,
        ns: &str,
        range: (&[u8], &[u8]),
        reverse: bool,
        visit: &mut dyn FnMut(&[u8], Stored) -> bool,
    ) -> Result<(), StorageError>;

    /// Runs `body` in one durable write transaction; commits only when it
    /// returns `Ok`, and nothing is written when it fails.
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn KvWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// Removes up to `max` rows whose expiry is at or before `now` (ms),
    /// with their index entries, in one write transaction; a no-op (no
    /// transaction) when nothing is due.
    fn sweep_expired(&self, now: i64, max: usize) -> Result<(), StorageError>;
}

/// Inside one write transaction. Each `put`/`remove` sees the ones before
/// it and keeps the expiry index in step with the row's `expires_at`.
pub trait KvWrite {
    /// The last versionstamp committed (0 before the first commit).
    fn versionstamp(&self) -> Result<u64, StorageError>;
    fn set_versionstamp(&mut self, stamp: u64) -> Result<(), StorageError>;
    /// The row as stored, expired or not.
    fn get(&self, ns: &str, key: &[u8]) -> Result<Option<Stored>, StorageError>;
    fn put(&mut self, ns: &str, key: &[u8], row: &Stored) -> Result<(), StorageError>;
    fn remove(&mut self, ns: &str, key: &[u8]) -> Result<(), StorageError>;
}
