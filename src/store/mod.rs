//! The one redb data file: opening, format checks, migrations and seeding.
//!
//! Every call into this module blocks on disk; callers on the async side go
//! through [`Store::read`]/[`Store::write`] from `spawn_blocking` or a JS
//! worker thread, never from the reactor.

pub mod assets;
pub mod auth;
pub mod backup;
pub mod codec;
pub mod guard;
mod handle;
pub mod kv;
pub mod logs;
pub mod scripts;
pub mod settings;
pub mod sim;
pub mod tables;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction,
};

pub use codec::{decode, encode};
pub use handle::Opener;

/// The format version this build writes. Bumped by each step in `migrations/`.
pub const FORMAT_VERSION: u32 = crate::migrations::LATEST;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data file {path} is in use by another process (is an aiwebengine server running on it? stop it first)")]
    InUse { path: String },
    #[error("the data file {path} is not a readable aiwebengine data file: {detail}. It was left untouched; restore it from a backup or point --data at another path")]
    Corrupt { path: String, detail: String },
    #[error("the data file {path} was written by a newer aiwebengine (format {found}, this build reads up to {supported}); upgrade the binary")]
    NewerFormat {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("cannot create the data file {path}: {detail}")]
    Create { path: String, detail: String },
    #[error("the data file {path} cannot be opened for writing: {detail}. The server needs to write it: check its owner and mode, and that its filesystem is not mounted read-only (use `aiwebengine backup` or a copy to read a file you cannot write)")]
    NotWritable { path: String, detail: String },
    /// The filesystem cannot hold the write (see [`guard`]).
    #[error("{0}")]
    Full(String),
    #[error("storage error: {0}")]
    Redb(String),
    /// The device under the data file failed a read, write or sync; the
    /// database is reopened by the next operation (see [`handle`]).
    #[error("storage I/O error: {0}")]
    Device(String),
    #[error("stored value could not be decoded: {0}")]
    Codec(String),
    /// A file the store was fed from (a spooled upload) could not be read.
    #[error("{0}")]
    Io(String),
    /// A repository port's body failed (a rollback, or a failure it met):
    /// passed through the adapter unchanged.
    #[error("{0}")]
    Port(crate::domain::StorageError),
}

impl From<crate::domain::StorageError> for StoreError {
    fn from(e: crate::domain::StorageError) -> StoreError {
        StoreError::Port(e)
    }
}

const PREVIOUS_IO: &str =
    "an earlier I/O error stopped the use of the data file; the next operation reopens it";

/// An I/O failure of the device (which makes redb stop using the file
/// until it is reopened), or any other storage error.
fn from_storage(e: redb::StorageError) -> StoreError {
    match e {
        redb::StorageError::Io(io) => StoreError::Device(io.to_string()),
        redb::StorageError::PreviousIo => StoreError::Device(PREVIOUS_IO.into()),
        other => StoreError::Redb(other.to_string()),
    }
}

macro_rules! redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Redb(e.to_string()) }
        }
    )*};
}
redb_errors!(redb::SetDurabilityError);

macro_rules! redb_storage_errors {
    ($($t:ident),*) => {$(
        impl From<redb::$t> for StoreError {
            fn from(e: redb::$t) -> Self {
                match e {
                    redb::$t::Storage(s) => from_storage(s),
                    other => StoreError::Redb(other.to_string()),
                }
            }
        }
    )*};
}
redb_storage_errors!(TransactionError, TableError, CommitError);

impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        from_storage(e)
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::Io(io) => StoreError::Device(io.to_string()),
            redb::Error::PreviousIo | redb::Error::DatabaseClosed => {
                StoreError::Device(PREVIOUS_IO.into())
            }
            other => StoreError::Redb(other.to_string()),
        }
    }
}

impl From<StoreError> for crate::domain::StorageError {
    fn from(e: StoreError) -> crate::domain::StorageError {
        use crate::domain::StorageError as S;
        match e {
            StoreError::Port(inner) => inner,
            StoreError::Codec(m) => S::corrupt(format!("stored value could not be decoded: {m}")),
            StoreError::Corrupt { .. } | StoreError::NewerFormat { .. } => {
                S::corrupt(e.to_string())
            }
            StoreError::Full(m) => S::full(m),
            StoreError::Redb(ref m) | StoreError::Device(ref m) if is_disk_full(m) => {
                S::full(e.to_string())
            }
            other => S::io(other.to_string()),
        }
    }
}

/// redb reports a full disk as an I/O error whose text is the OS's.
fn is_disk_full(message: &str) -> bool {
    message.contains("No space left on device") || message.contains("os error 28")
}

/// Told how long each committed write transaction took (metrics).
pub type WriteObserver = Box<dyn Fn(std::time::Duration) + Send + Sync>;

/// Cheap to clone; all clones share one open database.
#[derive(Clone)]
pub struct Store {
    db: Arc<handle::Handle>,
    path: Arc<PathBuf>,
    on_write: Arc<std::sync::OnceLock<WriteObserver>>,
    guard: Option<Arc<guard::Guard>>,
}

/// A [`Store`] handle that does not keep the file open, for background
/// jobs that must not outlive the server (scheduled backups).
#[derive(Clone)]
pub struct WeakStore {
    db: std::sync::Weak<handle::Handle>,
    path: Arc<PathBuf>,
    on_write: Arc<std::sync::OnceLock<WriteObserver>>,
    guard: Option<Arc<guard::Guard>>,
}

impl WeakStore {
    /// The store, while some [`Store`] still holds it open.
    pub fn upgrade(&self) -> Option<Store> {
        Some(Store {
            db: self.db.upgrade()?,
            path: self.path.clone(),
            on_write: self.on_write.clone(),
            guard: self.guard.clone(),
        })
    }
}

/// Fills a brand-new data file (seed scripts, welcome page, secrets).
pub type Seeder<'a> = &'a dyn Fn(&WriteTransaction) -> Result<(), StoreError>;

/// redb page cache of a served data file unless `storage.cache_bytes` says otherwise.
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// First bytes of every redb file.
const REDB_MAGIC: &[u8] = b"redb";

impl Store {
    /// Opens `path`, creating and seeding it first when it does not exist.
    /// A new file is built under a temporary name and renamed into place only
    /// when complete, so a crash never leaves a half-made data file.
    pub fn open(path: &Path, seed: Seeder<'_>) -> Result<Store, StoreError> {
        Store::open_with_cache(path, seed, DEFAULT_CACHE_BYTES, 0)
    }

    /// As [`Store::open`], with redb's page cache bounded to `cache_bytes`.
    /// redb's own default is 1 GiB, which a large upload can fill: RSS
    /// would grow with every page written until the cache is full.
    /// `reserve_bytes` are kept allocated past the end of the file so a
    /// full disk refuses writes cleanly (see [`guard`]); 0 turns that off.
    pub fn open_with_cache(
        path: &Path,
        seed: Seeder<'_>,
        cache_bytes: usize,
        reserve_bytes: u64,
    ) -> Result<Store, StoreError> {
        if !path.exists() {
            create_new(path, seed)?;
        }
        check_magic(path)?;
        let guard = guard::Guard::open(path, reserve_bytes)?;
        let cache = cache_bytes.max(1024 * 1024);
        let file = path.to_path_buf();
        // `open`, not `create`: a reopen after an I/O error must not make a
        // new empty database if the file is gone (the guard reports that).
        let open: Opener = Box::new(move || redb::Builder::new().set_cache_size(cache).open(&file));
        let db = open().map_err(|e| open_error(path, e))?;
        let store = Store {
            db: Arc::new(handle::Handle::new(db, open, path.display().to_string())),
            path: Arc::new(path.to_path_buf()),
            on_write: Default::default(),
            guard: Some(Arc::new(guard)),
        };
        store.migrate()?;
        Ok(store)
    }

    /// A store over any redb storage backend that `open` (re)opens, named
    /// `label` in messages: fault injection in tests and fuzzing. A new
    /// (empty) database is migrated and seeded as a new data file is; there
    /// is no file, so no disk-space reserve and no replaced-file check.
    pub fn open_on(label: &str, open: Opener, seed: Seeder<'_>) -> Result<Store, StoreError> {
        let db = open().map_err(|e| open_error(Path::new(label), e))?;
        let store = Store {
            db: Arc::new(handle::Handle::new(db, open, label.to_string())),
            path: Arc::new(PathBuf::from(label)),
            on_write: Default::default(),
            guard: None,
        };
        if store.read(read_format_version)?.is_none() {
            store.write(|txn| {
                crate::migrations::apply(txn, 0)?;
                seed(txn)
            })?;
        }
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn downgrade(&self) -> WeakStore {
        WeakStore {
            db: Arc::downgrade(&self.db),
            path: self.path.clone(),
            on_write: self.on_write.clone(),
            guard: self.guard.clone(),
        }
    }

    /// Why the data file path no longer names the open file, if it does not
    /// (it was replaced or removed underneath the server).
    pub fn replaced(&self) -> Option<String> {
        self.guard.as_ref().and_then(|g| g.replaced())
    }

    fn display(&self) -> String {
        self.path.display().to_string()
    }

    /// Sets what is told the duration of every committed write (once).
    pub fn observe_writes(&self, f: WriteObserver) {
        let _ = self.on_write.set(f);
    }

    /// Runs `f` in one read transaction (an MVCC snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let db = self.db.database()?;
        let result = db
            .begin_read()
            .map_err(StoreError::from)
            .and_then(|txn| f(&txn));
        if let Err(e) = &result {
            self.db.failed(&db, e);
        }
        result
    }

    /// Runs `f` in one write transaction and commits it when `f` succeeds;
    /// nothing is written when it fails.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_with(Durability::Immediate, f)
    }

    /// [`Store::write`] with a chosen durability. A [`Durability::None`]
    /// commit is visible at once but reaches the disk only with the next
    /// durable commit (any writer's); a crash before that loses it. Use it
    /// only for writes a later durable commit publishes, or a sweep removes.
    pub fn write_with<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let started = std::time::Instant::now();
        if let Some(guard) = &self.guard {
            guard.before_write()?;
        }
        let db = self.db.database()?;
        let result = Self::commit_with(&db, durability, f);
        match &result {
            Ok(_) => {
                if let Some(observe) = self.on_write.get() {
                    observe(started.elapsed());
                }
            }
            Err(e) => self.db.failed(&db, e),
        }
        result
    }

    fn commit_with<T>(
        db: &Database,
        durability: Durability,
        f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut txn = db.begin_write()?;
        txn.set_durability(durability)?;
        match f(&txn) {
            Ok(v) => {
                txn.commit()?;
                Ok(v)
            }
            Err(e) => {
                let _ = txn.abort();
                Err(e)
            }
        }
    }

    /// Health probe: can a read transaction open and see the meta table?
    /// Also fails when the data file was replaced underneath the server.
    pub fn check(&self) -> Result<u32, StoreError> {
        if let Some(why) = self.replaced() {
            return Err(StoreError::Io(why));
        }
        self.read(|t| read_format_version(t).map(|v| v.unwrap_or(0)))
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let found = self.read(read_format_version)?.unwrap_or(0);
        if found > FORMAT_VERSION {
            return Err(StoreError::NewerFormat {
                path: self.display(),
                found,
                supported: FORMAT_VERSION,
            });
        }
        if found == FORMAT_VERSION {
            return Ok(());
        }
        self.write(|txn| crate::migrations::apply(txn, found))
    }
}

fn read_format_version(txn: &ReadTransaction) -> Result<Option<u32>, StoreError> {
    let table = match txn.open_table(tables::META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(v) = table.get(tables::FORMAT_VERSION_KEY)? else {
        return Ok(None);
    };
    let bytes: [u8; 4] = v
        .value()
        .try_into()
        .map_err(|_| StoreError::Codec("format_version is not 4 bytes".into()))?;
    Ok(Some(u32::from_be_bytes(bytes)))
}

fn check_magic(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let mut head = [0u8; 4];
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.display().to_string(),
        detail,
    };
    let mut f = std::fs::File::open(path).map_err(|e| corrupt(e.to_string()))?;
    f.read_exact(&mut head)
        .map_err(|_| corrupt("the file is too short to be a redb database".into()))?;
    if head != REDB_MAGIC {
        return Err(corrupt(
            "it does not start with the redb file signature".into(),
        ));
    }
    Ok(())
}

fn open_error(path: &Path, e: redb::DatabaseError) -> StoreError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse {
            path: path.display().to_string(),
        },
        other => StoreError::Corrupt {
            path: path.display().to_string(),
            detail: other.to_string(),
        },
    }
}

fn create_new(path: &Path, seed: Seeder<'_>) -> Result<(), StoreError> {
    let create_err = |detail: String| StoreError::Create {
        path: path.display().to_string(),
        detail,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| create_err(e.to_string()))?;
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| create_err("the path has no file name".into()))?;
    let tmp = path.with_file_name(format!(
        ".{}.creating-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let db = Database::create(&tmp).map_err(|e| create_err(e.to_string()))?;
        let txn = db.begin_write()?;
        crate::migrations::apply(&txn, 0)?;
        seed(&txn)?;
        txn.commit()?;
        drop(db);
        std::fs::rename(&tmp, path).map_err(|e| create_err(e.to_string()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads one envelope-encoded value from a string-keyed table.
pub fn get_value<T: serde::de::DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}
