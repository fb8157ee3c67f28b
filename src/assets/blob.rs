//! Blob contents: reading from one snapshot, streaming, and the start-up
//! sweep of interrupted uploads. Chunks are raw bytes: content, not records.

use super::repo::{AssetRepo, BlobSnapshot};
use super::{AssetError, CHUNK_SIZE};
use crate::domain::StorageError;

/// A fresh blob id (random, so uploads need no shared counter).
pub fn new_id() -> u64 {
    rand::random::<u64>().max(1)
}

/// Blocking: deletes what uploads interrupted by a crash left behind.
/// Runs at start, before any upload can be in flight.
pub fn sweep_staging(repo: &dyn AssetRepo) -> Result<usize, StorageError> {
    let staged = repo.staged()?;
    if !staged.is_empty() {
        repo.write(&mut |tx| staged.iter().try_for_each(|b| tx.delete_blob(*b)))?;
    }
    Ok(staged.len())
}

/// A blob read from one snapshot: a replace committed after
/// [`BlobReader::open`] is invisible to it.
pub struct BlobReader {
    snapshot: Option<Box<dyn BlobSnapshot>>,
    blob: u64,
    chunks: u32,
    size: u64,
}

impl BlobReader {
    /// Blocking. [`AssetError::Changed`] when the blob is gone (the asset
    /// was replaced or deleted after its metadata was read).
    pub fn open(
        repo: &dyn AssetRepo,
        what: &str,
        blob: u64,
        chunks: u32,
        size: u64,
    ) -> Result<BlobReader, AssetError> {
        if chunks == 0 {
            return Ok(BlobReader {
                snapshot: None,
                blob,
                chunks,
                size,
            });
        }
        let Some(snapshot) = repo.open_blob(blob)? else {
            return Err(AssetError::Changed(what.to_string()));
        };
        Ok(BlobReader {
            snapshot: Some(snapshot),
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
            AssetError::Store(StorageError::corrupt(format!(
                "stored value could not be decoded: blob {} lacks chunk {index} of {}",
                self.blob, self.chunks
            )))
        };
        let snapshot = self.snapshot.as_ref().ok_or_else(missing)?;
        snapshot.chunk(index)?.ok_or_else(missing)
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

#[cfg(test)]
mod tests {
    /// Serving moves a reader between blocking tasks.
    #[test]
    fn reader_is_send() {
        fn send<T: Send + 'static>() {}
        send::<super::BlobReader>();
    }
}
