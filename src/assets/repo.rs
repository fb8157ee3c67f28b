//! The asset service's port to the data file: records, blob chunks, the
//! staging marks of uploads in flight, and image variants. The adapter is
//! `store::assets`; nothing here knows how rows are stored.
//!
//! Durability contract: [`AssetRepo::write_staged`] may commit without
//! waiting for the disk (a crash may lose it); every other write is
//! durable when it returns, and makes every earlier staged write durable
//! with it. A blob's chunks are only ever published by a durable
//! [`AssetRepo::write`] that points a record at them.

use super::image::VariantRecord;
use super::AssetRecord;
use crate::domain::StorageError;

pub trait AssetRepo: Send + Sync {
    /// Every stored asset record (the start-up index); none when the
    /// table was never made.
    fn assets(&self) -> Result<Vec<AssetRecord>, StorageError>;

    /// Writes `chunks` of `blob` from index `first` on, in one commit that
    /// need not be durable; `first == 0` also marks the blob as staged.
    fn write_staged(&self, blob: u64, first: u32, chunks: &[&[u8]]) -> Result<(), StorageError>;

    /// Blobs marked as staged (uploads a crash interrupted, at start).
    fn staged(&self) -> Result<Vec<u64>, StorageError>;

    /// The cached image variant under `key`.
    fn variant(&self, key: &str) -> Result<Option<VariantRecord>, StorageError>;

    /// A blob's chunks as of one snapshot taken now: a write committed
    /// later is invisible to it. None when that snapshot has no chunk 0
    /// of `blob` (it was deleted, or never written).
    fn open_blob(&self, blob: u64) -> Result<Option<Box<dyn BlobSnapshot>>, StorageError>;

    /// Runs `body` in one durable write transaction; commits only when it
    /// returns Ok.
    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn AssetWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;
}

/// One blob as of one snapshot. Moved between blocking tasks while a
/// response streams.
pub trait BlobSnapshot: Send {
    /// Chunk `index`, whole; None when the snapshot lacks it.
    fn chunk(&self, index: u32) -> Result<Option<Vec<u8>>, StorageError>;
}

/// What one write transaction can do to the asset tables.
pub trait AssetWrite {
    fn asset(&self, path: &str) -> Result<Option<AssetRecord>, StorageError>;
    fn put_asset(&mut self, rec: &AssetRecord) -> Result<(), StorageError>;
    fn remove_asset(&mut self, path: &str) -> Result<(), StorageError>;
    /// Clears the staging mark of a blob a record now points at.
    fn unstage(&mut self, blob: u64) -> Result<(), StorageError>;
    /// Deletes a blob's chunks and its staging mark.
    fn delete_blob(&mut self, blob: u64) -> Result<(), StorageError>;
    fn variant(&self, key: &str) -> Result<Option<VariantRecord>, StorageError>;
    /// Every variant whose key starts with `prefix`, in key order.
    fn variants(&self, prefix: &str) -> Result<Vec<(String, VariantRecord)>, StorageError>;
    fn put_variant(&mut self, key: &str, v: &VariantRecord) -> Result<(), StorageError>;
    fn remove_variant(&mut self, key: &str) -> Result<(), StorageError>;
}
