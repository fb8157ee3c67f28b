//! [`AssetRepo`] over redb: `assets` (path -> record), `asset_chunks`
//! ((blob, index) -> raw bytes, no envelope: content, not records),
//! `asset_staging` (blob -> start time) and `asset_variants`.
//!
//! Staged chunk writes commit with [`Durability::None`]: they matter only
//! once a durable commit points a record at the blob, and that commit makes
//! every earlier one durable too. A blob is read from one
//! [`redb::ReadOnlyTable`], which pins its read transaction's snapshot.

use redb::{Durability, ReadOnlyTable, ReadableTable, WriteTransaction};

use super::{decode, encode, get_value, tables, Store, StoreError};
use crate::assets::image::VariantRecord;
use crate::assets::repo::{AssetRepo, AssetWrite, BlobSnapshot};
use crate::assets::AssetRecord;
use crate::domain::StorageError;

/// The asset tables of one data file.
pub struct RedbAssets {
    store: Store,
}

impl RedbAssets {
    pub fn new(store: Store) -> RedbAssets {
        RedbAssets { store }
    }
}

impl AssetRepo for RedbAssets {
    fn assets(&self) -> Result<Vec<AssetRecord>, StorageError> {
        let all = self.store.read(|txn| {
            let t = match txn.open_table(tables::ASSETS) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            t.iter()?
                .map(|row| decode::<AssetRecord>(row?.1.value()))
                .collect()
        })?;
        Ok(all)
    }

    fn write_staged(&self, blob: u64, first: u32, chunks: &[&[u8]]) -> Result<(), StorageError> {
        self.store.write_with(Durability::None, |txn| {
            if first == 0 {
                txn.open_table(tables::ASSET_STAGING)?
                    .insert(blob, crate::domain::now_millis() as u64)?;
            }
            let mut t = txn.open_table(tables::ASSET_CHUNKS)?;
            for (i, c) in chunks.iter().enumerate() {
                t.insert((blob, first + i as u32), *c)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    fn staged(&self) -> Result<Vec<u64>, StorageError> {
        let staged = self
            .store
            .read(|txn| match txn.open_table(tables::ASSET_STAGING) {
                Ok(t) => t.iter()?.map(|r| Ok(r?.0.value())).collect(),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
                Err(e) => Err(e.into()),
            })?;
        Ok(staged)
    }

    fn variant(&self, key: &str) -> Result<Option<VariantRecord>, StorageError> {
        let v = self
            .store
            .read(|txn| match txn.open_table(tables::ASSET_VARIANTS) {
                Ok(t) => get_value(&t, key),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
                Err(e) => Err(e.into()),
            })?;
        Ok(v)
    }

    fn open_blob(&self, blob: u64) -> Result<Option<Box<dyn BlobSnapshot>>, StorageError> {
        let table = self
            .store
            .read(|txn| Ok(txn.open_table(tables::ASSET_CHUNKS)?))?;
        if table.get((blob, 0)).map_err(StoreError::from)?.is_none() {
            return Ok(None);
        }
        Ok(Some(Box::new(Chunks { table, blob })))
    }

    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn AssetWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        self.store.write(|txn| Ok(body(&mut Txn { txn })?))?;
        Ok(())
    }
}

/// A blob's chunks, pinned to the snapshot the table was opened in.
struct Chunks {
    table: ReadOnlyTable<(u64, u32), &'static [u8]>,
    blob: u64,
}

impl BlobSnapshot for Chunks {
    fn chunk(&self, index: u32) -> Result<Option<Vec<u8>>, StorageError> {
        let v = self
            .table
            .get((self.blob, index))
            .map_err(StoreError::from)?;
        Ok(v.map(|v| v.value().to_vec()))
    }
}

struct Txn<'a> {
    txn: &'a WriteTransaction,
}

impl Txn<'_> {
    fn variants_of(&self, prefix: &str) -> Result<Vec<(String, VariantRecord)>, StoreError> {
        let t = self.txn.open_table(tables::ASSET_VARIANTS)?;
        let mut out = Vec::new();
        for row in t.range(prefix..)? {
            let (k, v) = row?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_string(), decode(v.value())?));
        }
        Ok(out)
    }

    fn delete_blob_in(&self, blob: u64) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::ASSET_CHUNKS)?
            .retain_in((blob, 0)..=(blob, u32::MAX), |_, _| false)?;
        self.txn.open_table(tables::ASSET_STAGING)?.remove(blob)?;
        Ok(())
    }
}

impl AssetWrite for Txn<'_> {
    fn asset(&self, path: &str) -> Result<Option<AssetRecord>, StorageError> {
        Ok(get_value(
            &self
                .txn
                .open_table(tables::ASSETS)
                .map_err(StoreError::from)?,
            path,
        )?)
    }

    fn put_asset(&mut self, rec: &AssetRecord) -> Result<(), StorageError> {
        let bytes = encode(rec)?;
        let mut t = self
            .txn
            .open_table(tables::ASSETS)
            .map_err(StoreError::from)?;
        t.insert(rec.path.as_str(), bytes.as_slice())
            .map_err(StoreError::from)?;
        Ok(())
    }

    fn remove_asset(&mut self, path: &str) -> Result<(), StorageError> {
        let mut t = self
            .txn
            .open_table(tables::ASSETS)
            .map_err(StoreError::from)?;
        t.remove(path).map_err(StoreError::from)?;
        Ok(())
    }

    fn unstage(&mut self, blob: u64) -> Result<(), StorageError> {
        let mut t = self
            .txn
            .open_table(tables::ASSET_STAGING)
            .map_err(StoreError::from)?;
        t.remove(blob).map_err(StoreError::from)?;
        Ok(())
    }

    fn delete_blob(&mut self, blob: u64) -> Result<(), StorageError> {
        Ok(self.delete_blob_in(blob)?)
    }

    fn variant(&self, key: &str) -> Result<Option<VariantRecord>, StorageError> {
        let t = self
            .txn
            .open_table(tables::ASSET_VARIANTS)
            .map_err(StoreError::from)?;
        Ok(get_value(&t, key)?)
    }

    fn variants(&self, prefix: &str) -> Result<Vec<(String, VariantRecord)>, StorageError> {
        Ok(self.variants_of(prefix)?)
    }

    fn put_variant(&mut self, key: &str, v: &VariantRecord) -> Result<(), StorageError> {
        let bytes = encode(v)?;
        let mut t = self
            .txn
            .open_table(tables::ASSET_VARIANTS)
            .map_err(StoreError::from)?;
        t.insert(key, bytes.as_slice()).map_err(StoreError::from)?;
        Ok(())
    }

    fn remove_variant(&mut self, key: &str) -> Result<(), StorageError> {
        let mut t = self
            .txn
            .open_table(tables::ASSET_VARIANTS)
            .map_err(StoreError::from)?;
        t.remove(key).map_err(StoreError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::assets::{Actor, AssetError, Assets, AssetsSection, CHUNKS_PER_WRITE, CHUNK_SIZE};

    fn admin() -> Actor {
        Actor {
            label: "admin@example.com".into(),
            user_id: Some("u1".into()),
            group: None,
            admin: true,
            editor: true,
            groups: Arc::from(Vec::new()),
        }
    }

    fn chunk_rows(store: &Store) -> usize {
        store
            .read(|txn| Ok(txn.open_table(tables::ASSET_CHUNKS)?.iter()?.count()))
            .unwrap()
    }

    #[test]
    fn replace_keeps_open_readers_whole_and_sweep_removes_interrupted_uploads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap();
        let assets = Assets::open(
            Arc::new(RedbAssets::new(store.clone())),
            AssetsSection::default(),
            crate::assets::Hooks::inert(),
        )
        .unwrap();
        let big = vec![b'a'; CHUNK_SIZE * 5 + 7];
        let first = assets
            .put_bytes(&admin(), "a.txt", Some("text/plain"), &big)
            .unwrap();
        assert!(first.created);
        let reader = assets.reader(&first.record).unwrap();
        let second = assets
            .put_bytes(&admin(), "a.txt", Some("text/plain"), b"b")
            .unwrap();
        assert!(!second.created);
        // The reader keeps its snapshot; the old blob is gone for new readers.
        assert!(reader.read_all().unwrap() == big);
        assert!(matches!(
            assets.reader(&first.record),
            Err(AssetError::Changed(_))
        ));
        assert_eq!(chunk_rows(&store), 1);

        // An upload that never finishes (a crash): its chunks are staged.
        let mut up = assets.begin("b.txt", "text/plain");
        up.push(&vec![b'c'; CHUNK_SIZE * CHUNKS_PER_WRITE]).unwrap();
        std::mem::forget(up);
        assert_eq!(chunk_rows(&store), 1 + CHUNKS_PER_WRITE);
        drop(assets);
        let assets = Assets::open(
            Arc::new(RedbAssets::new(store.clone())),
            AssetsSection::default(),
            crate::assets::Hooks::inert(),
        )
        .unwrap();
        assert_eq!(chunk_rows(&store), 1);
        assert_eq!(assets.get("a.txt").unwrap().size, 1);
        assert!(assets.get("b.txt").is_none());

        // An abandoned (dropped) upload cleans up at once.
        let mut up = assets.begin("c.txt", "text/plain");
        up.push(&vec![b'c'; CHUNK_SIZE * CHUNKS_PER_WRITE]).unwrap();
        drop(up);
        assert_eq!(chunk_rows(&store), 1);
        assert!(assets.delete(&admin(), "a.txt").unwrap());
        assert_eq!(chunk_rows(&store), 0);
    }
}
