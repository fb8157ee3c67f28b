//! Blob contents in `asset_chunks`: writing staged chunks, reading from one
//! snapshot, deleting, and the start-up sweep of interrupted uploads.
//! Chunks are raw bytes (no envelope): they are content, not records.

use redb::{Durability, ReadOnlyTable, ReadableTable, WriteTransaction};

use super::{AssetError, CHUNK_SIZE};
use crate::store::{tables, Store, StoreError};

type ChunkTable = ReadOnlyTable<(u64, u32), &'static [u8]>;

/// A fresh blob id (random, so uploads need no shared counter).
pub fn new_id() -> u64 {
    rand::random::<u64>().max(1)
}

/// Writes `chunks` of `blob` from `first` on, marking the blob as staged.
///
/// Not durable on its own ([`Durability::None`], no fsync): staged chunks
/// matter only once the final, durable commit points a record at the blob,
/// and that commit makes every earlier one durable too. A crash before it
/// may lose some staged chunks (or keep them, with their staging mark),
/// which is harmless: nothing points at them and the start-up sweep deletes
/// whatever is staged.
pub fn write_staged(
    store: &Store,
    blob: u64,
    first: u32,
    chunks: &[&[u8]],
) -> Result<(), StoreError> {
    store.write_with(Durability::None, |txn| {
        if first == 0 {
            txn.open_table(tables::ASSET_STAGING)?
                .insert(blob, crate::domain::now_millis() as u64)?;
        }
        let mut t = txn.open_table(tables::ASSET_CHUNKS)?;
        for (i, c) in chunks.iter().enumerate() {
            t.insert((blob, first + i as u32), *c)?;
        }
        Ok(())
    })
}

/// Deletes a blob's chunks (and its staging mark) inside `txn`.
pub fn delete_in(txn: &WriteTransaction, blob: u64) -> Result<(), StoreError> {
    txn.open_table(tables::ASSET_CHUNKS)?
        .retain_in((blob, 0)..=(blob, u32::MAX), |_, _| false)?;
    txn.open_table(tables::ASSET_STAGING)?.remove(blob)?;
    Ok(())
}

/// Blocking: deletes what uploads interrupted by a crash left behind.
/// Runs at start, before any upload can be in flight.
pub fn sweep_staging(store: &Store) -> Result<usize, StoreError> {
    let staged: Vec<u64> = store.read(|txn| match txn.open_table(tables::ASSET_STAGING) {
        Ok(t) => t.iter()?.map(|r| Ok(r?.0.value())).collect(),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    })?;
    if !staged.is_empty() {
        store.write(|txn| staged.iter().try_for_each(|b| delete_in(txn, *b)))?;
    }
    Ok(staged.len())
}

/// A blob read from one snapshot: a replace committed after
/// [`BlobReader::open`] is invisible to it.
pub struct BlobReader {
    table: Option<ChunkTable>,
    blob: u64,
    chunks: u32,
    size: u64,
}

impl BlobReader {
    /// Blocking. [`AssetError::Changed`] when the blob is gone (the asset
    /// was replaced or deleted after its metadata was read).
    pub fn open(
        store: &Store,
        what: &str,
        blob: u64,
        chunks: u32,
        size: u64,
    ) -> Result<BlobReader, AssetError> {
        if chunks == 0 {
            return Ok(BlobReader {
                table: None,
                blob,
                chunks,
                size,
            });
        }
        let table = store.read(|txn| Ok(txn.open_table(tables::ASSET_CHUNKS)?))?;
        if table.get((blob, 0))?.is_none() {
            return Err(AssetError::Changed(what.to_string()));
        }
        Ok(BlobReader {
            table: Some(table),
            blob,
            chunks,
            size,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Blocking: chunk `index`, whole.
    pub fn chunk(&self, index: u32) -> Result<Vec<u8>, AssetError> {
        let missing = || {
            AssetError::Store(StoreError::Codec(format!(
                "blob {} lacks chunk {index} of {}",
                self.blob, self.chunks
            )))
        };
        let table = self.table.as_ref().ok_or_else(missing)?;
        let v = table.get((self.blob, index))?.ok_or_else(missing)?;
        Ok(v.value().to_vec())
    }

    /// Blocking: bytes `start..end` (end exclusive) of the content, at
    /// most one chunk's worth, starting at `start`.
    pub fn read_at(&self, start: u64, end: u64) -> Result<Vec<u8>, AssetError> {
        let index = (start / CHUNK_SIZE as u64) as u32;
        let offset = (start % CHUNK_SIZE as u64) as usize;
        let chunk = self.chunk(index)?;
        let len = ((end - start) as usize).min(chunk.len().saturating_sub(offset));
        Ok(chunk[offset..offset + len].to_vec())
    }

    /// Blocking: the whole content.
    pub fn read_all(&self) -> Result<Vec<u8>, AssetError> {
        let mut out = Vec::with_capacity(self.size as usize);
        for i in 0..self.chunks {
            out.extend_from_slice(&self.chunk(i)?);
        }
        Ok(out)
    }
}

/// Bytes `start..end` of a blob as a stream of chunks, each read on the
/// blocking pool from the reader's snapshot.
pub fn stream(
    reader: BlobReader,
    start: u64,
    end: u64,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold((Some(reader), start), move |(reader, pos)| async move {
        let reader = reader?;
        if pos >= end {
            return None;
        }
        let stop = end.min((pos / CHUNK_SIZE as u64 + 1) * CHUNK_SIZE as u64);
        let read = tokio::task::spawn_blocking(move || {
            let r = reader.read_at(pos, stop);
            (reader, r)
        })
        .await;
        match read {
            Ok((reader, Ok(b))) => Some((Ok(bytes::Bytes::from(b)), (Some(reader), stop))),
            Ok((_, Err(e))) => Some((Err(std::io::Error::other(e.to_string())), (None, end))),
            Err(e) => Some((Err(std::io::Error::other(e)), (None, end))),
        }
    })
}

/// For `verify`: every asset and variant has all its chunks.
pub fn check_complete(txn: &redb::ReadTransaction) -> Result<(), StoreError> {
    let open = |def| match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(StoreError::from(e)),
    };
    let Some(chunks) = (match txn.open_table(tables::ASSET_CHUNKS) {
        Ok(t) => Some(t),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(e.into()),
    }) else {
        return Ok(());
    };
    let mut blobs: Vec<(String, u64, u32)> = Vec::new();
    if let Some(t) = open(tables::ASSETS)? {
        for row in t.iter()? {
            let r: super::AssetRecord = crate::store::decode(row?.1.value())?;
            blobs.push((format!("asset {}", r.path), r.blob, r.chunks));
        }
    }
    if let Some(t) = open(tables::ASSET_VARIANTS)? {
        for row in t.iter()? {
            let (k, v) = row?;
            let v: super::image::VariantRecord = crate::store::decode(v.value())?;
            blobs.push((format!("image variant {}", k.value()), v.blob, v.chunks));
        }
    }
    for (what, blob, n) in blobs {
        for i in 0..n {
            if chunks.get((blob, i))?.is_none() {
                return Err(StoreError::Codec(format!(
                    "{what} lacks chunk {i} of {n} in asset_chunks"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Serving moves a reader between blocking tasks.
    #[test]
    fn reader_is_send() {
        fn send<T: Send + 'static>() {}
        send::<super::BlobReader>();
    }
}
