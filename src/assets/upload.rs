//! Storing assets: an [`Upload`] takes the content piece by piece and
//! writes it as staged chunks, [`Assets::commit`] publishes one or more
//! finished uploads in one transaction, [`Assets::delete`] removes one.
//!
//! Invariant: a record only ever points at a blob whose chunks are all
//! committed, and a blob no record points at is either staged (and swept
//! at start) or deleted in the transaction that unlinks it.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::repo::{AssetRepo, AssetWrite};
use super::{blob, kind, path, Actor, AssetError, AssetRecord, Assets, CHUNK_SIZE};
use crate::domain::{Outcome, StorageError};

/// Chunks buffered before a staging write: 1 MiB per transaction.
pub(crate) const CHUNKS_PER_WRITE: usize = 4;

/// An upload in progress. Every call blocks on the store; dropping it
/// unfinished deletes what it staged.
pub struct Upload {
    repo: Arc<dyn AssetRepo>,
    path: String,
    content_type: String,
    limit: u64,
    blob: u64,
    written: u32,
    buf: Vec<u8>,
    size: u64,
    sha: ring::digest::Context,
    head: Vec<u8>,
    checked: bool,
    done: bool,
}

/// A finished upload, not yet visible; dropping it deletes its chunks.
pub struct Staged {
    upload: Upload,
    sha256: String,
}

impl Staged {
    pub fn path(&self) -> &str {
        &self.upload.path
    }
}

impl Upload {
    pub fn push(&mut self, data: &[u8]) -> Result<(), AssetError> {
        self.size += data.len() as u64;
        if self.size > self.limit {
            return Err(AssetError::TooLarge { limit: self.limit });
        }
        self.sha.update(data);
        if self.head.len() < kind::HEAD_BYTES {
            let n = (kind::HEAD_BYTES - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_SIZE * CHUNKS_PER_WRITE {
            self.flush(false)?;
        }
        Ok(())
    }

    /// Writes the whole chunks buffered (and, at the end, the rest). The
    /// magic bytes are checked before anything is written.
    fn flush(&mut self, last: bool) -> Result<(), AssetError> {
        if !self.checked {
            kind::check_magic(&self.content_type, &self.head, self.size)?;
            self.checked = true;
        }
        let whole = if last {
            self.buf.len()
        } else {
            self.buf.len() / CHUNK_SIZE * CHUNK_SIZE
        };
        if whole == 0 {
            return Ok(());
        }
        let chunks: Vec<&[u8]> = self.buf[..whole].chunks(CHUNK_SIZE).collect();
        let n = chunks.len() as u32;
        self.repo.write_staged(self.blob, self.written, &chunks)?;
        self.written += n;
        self.buf.drain(..whole);
        Ok(())
    }

    pub fn finish(mut self) -> Result<Staged, AssetError> {
        self.flush(true)?;
        let digest = std::mem::replace(
            &mut self.sha,
            ring::digest::Context::new(&ring::digest::SHA256),
        )
        .finish();
        let sha256 = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Staged {
            upload: self,
            sha256,
        })
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.done || self.written == 0 {
            return;
        }
        let (repo, blob) = (self.repo.clone(), self.blob);
        let clean = move || {
            if let Err(e) = repo.write(&mut |tx| tx.delete_blob(blob)) {
                tracing::warn!(
                    "could not delete an abandoned asset upload (swept at next start): {e}"
                );
            }
        };
        // Dropped on the reactor when a client goes away mid-upload.
        match tokio::runtime::Handle::try_current() {
            Ok(h) => drop(h.spawn_blocking(clean)),
            Err(_) => clean(),
        }
    }
}

/// What one commit did to one path.
pub struct Committed {
    pub record: AssetRecord,
    pub created: bool,
    /// The previous content's sha256, when it differed.
    replaced: Option<String>,
}

impl Assets {
    /// Starts an upload after [`Assets::check_write`] allowed it.
    pub fn begin(&self, asset_path: &str, content_type: &str) -> Upload {
        Upload {
            repo: self.repo.clone(),
            path: asset_path.to_string(),
            content_type: content_type.to_string(),
            limit: self.config.max_upload_bytes,
            blob: blob::new_id(),
            written: 0,
            buf: Vec::new(),
            size: 0,
            sha: ring::digest::Context::new(&ring::digest::SHA256),
            head: Vec::new(),
            checked: false,
            done: false,
        }
    }

    /// Blocking: publishes finished uploads in one transaction, checking
    /// ownership and routes again against what is stored now.
    pub fn commit(
        &self,
        actor: &Actor,
        mut staged: Vec<Staged>,
    ) -> Result<Vec<Committed>, AssetError> {
        let _guard = self.change.lock().unwrap_or_else(|e| e.into_inner());
        for s in &staged {
            self.check_route(s.path())?;
        }
        let now = crate::domain::now_millis();
        let mut out = Outcome::new();
        let r = self
            .repo
            .write(&mut |tx| out.put(publish_in(tx, actor, &staged, now)));
        let out = out.finish(r)?;
        for s in &mut staged {
            s.upload.done = true;
        }
        self.publish(
            out.iter()
                .map(|c| (c.record.path.clone(), Some(c.record.clone())))
                .collect(),
        );
        for sha in out.iter().filter_map(|c| c.replaced.as_deref()) {
            self.forget_variants(sha);
        }
        Ok(out)
    }

    /// Blocking: stores `bytes` at `path` in one go (scripts' `assets.put`).
    pub fn put_bytes(
        &self,
        actor: &Actor,
        asset_path: &str,
        declared: Option<&str>,
        bytes: &[u8],
    ) -> Result<Committed, AssetError> {
        self.put_from(actor, asset_path, declared, &mut &bytes[..], &|e| {
            AssetError::Store(StorageError::io(e.to_string()))
        })
    }

    /// Blocking: stores the file at `file` (a spooled upload) at `path`,
    /// copied a staging write at a time, never whole in memory.
    pub fn put_file(
        &self,
        actor: &Actor,
        asset_path: &str,
        declared: Option<&str>,
        file: &Path,
    ) -> Result<Committed, AssetError> {
        let unreadable = |e: std::io::Error| {
            AssetError::Store(StorageError::io(format!(
                "could not read the upload {}: {e}",
                file.display()
            )))
        };
        let mut f = std::fs::File::open(file).map_err(unreadable)?;
        self.put_from(actor, asset_path, declared, &mut f, &unreadable)
    }

    fn put_from(
        &self,
        actor: &Actor,
        asset_path: &str,
        declared: Option<&str>,
        src: &mut dyn Read,
        unreadable: &dyn Fn(std::io::Error) -> AssetError,
    ) -> Result<Committed, AssetError> {
        let content_type = kind::resolve(asset_path, declared);
        self.check_write(actor, asset_path, Some(&content_type))?;
        let mut up = self.begin(asset_path, &content_type);
        let mut piece = vec![0u8; CHUNK_SIZE];
        loop {
            match src.read(&mut piece) {
                Ok(0) => break,
                Ok(n) => up.push(&piece[..n])?,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(unreadable(e)),
            }
        }
        let staged = up.finish()?;
        let mut done = self.commit(actor, vec![staged])?;
        done.pop()
            .ok_or_else(|| AssetError::NotFound(asset_path.to_string()))
    }

    /// Blocking: false when there was no such asset.
    pub fn delete(&self, actor: &Actor, asset_path: &str) -> Result<bool, AssetError> {
        path::validate(asset_path)?;
        let _guard = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let mut gone = Outcome::new();
        let r = self.repo.write(&mut |tx| {
            gone.put(match tx.asset(asset_path) {
                Err(e) => Err(AssetError::Store(e)),
                Ok(None) => Ok(None),
                Ok(Some(old)) => actor.check(asset_path, Some(&old)).and_then(|()| {
                    tx.remove_asset(asset_path)?;
                    tx.delete_blob(old.blob)?;
                    Ok(Some(old.sha256))
                }),
            })
        });
        let gone = gone.finish(r)?;
        let Some(sha) = gone else { return Ok(false) };
        self.publish(vec![(asset_path.to_string(), None)]);
        self.forget_variants(&sha);
        Ok(true)
    }

    /// Blocking: the whole content of `rec`'s version (not a newer one).
    pub fn read(&self, rec: &AssetRecord) -> Result<Vec<u8>, AssetError> {
        self.reader(rec)?.read_all()
    }

    /// Blocking: a reader of `rec`'s content.
    pub fn reader(&self, rec: &AssetRecord) -> Result<blob::BlobReader, AssetError> {
        blob::BlobReader::open(
            self.repo.as_ref(),
            &rec.path,
            rec.blob,
            rec.chunks,
            rec.size,
        )
    }
}

/// Inside one write: points each path at its staged blob, checking the
/// actor against what is stored now, and deletes the blobs replaced.
fn publish_in(
    tx: &mut dyn AssetWrite,
    actor: &Actor,
    staged: &[Staged],
    now: i64,
) -> Result<Vec<Committed>, AssetError> {
    let mut out = Vec::with_capacity(staged.len());
    for s in staged {
        let u = &s.upload;
        let old = tx.asset(&u.path)?;
        actor.check(&u.path, old.as_ref())?;
        let (owner, owner_user, owner_group) = match &old {
            Some(o) => (o.owner.clone(), o.owner_user.clone(), o.owner_group.clone()),
            None => actor.owner_fields(),
        };
        let record = AssetRecord {
            path: u.path.clone(),
            content_type: u.content_type.clone(),
            size: u.size,
            sha256: s.sha256.clone(),
            owner,
            owner_user,
            owner_group,
            created: old.as_ref().map_or(now, |o| o.created),
            updated: now,
            blob: u.blob,
            chunks: u.written,
        };
        tx.put_asset(&record)?;
        tx.unstage(u.blob)?;
        if let Some(o) = &old {
            tx.delete_blob(o.blob)?;
        }
        out.push(Committed {
            created: old.is_none(),
            replaced: old.map(|o| o.sha256).filter(|sha| *sha != record.sha256),
            record,
        });
    }
    Ok(out)
}
