//! The open database behind a [`super::Store`], and its reopening after an
//! I/O error.
//!
//! redb stops using a file after one failed read, write or sync: every
//! later operation fails with "previous I/O error" until the database is
//! closed and opened again (its protection against writing on top of a
//! state it no longer knows). So when an operation meets an I/O error the
//! handle lets go of the database, and the next operation opens it again
//! (redb repairs it from the last durable commit). While the device still
//! fails, that reopen fails too and the caller gets an error naming the
//! first failure; once the device works again, the next operation finds
//! the file as it was at its last acknowledged commit.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use redb::Database;

use super::StoreError;

/// Opens (and reopens) the database: the data file, or for tests and
/// fuzzing any redb storage backend.
pub type Opener = Box<dyn Fn() -> Result<Database, redb::DatabaseError> + Send + Sync>;

pub(super) struct Handle {
    current: RwLock<Option<Arc<Database>>>,
    open: Opener,
    /// What made the handle let go of the database, until it reopens.
    failure: Mutex<Option<String>>,
    label: String,
}

impl Handle {
    pub(super) fn new(db: Database, open: Opener, label: String) -> Handle {
        Handle {
            current: RwLock::new(Some(Arc::new(db))),
            open,
            failure: Mutex::new(None),
            label,
        }
    }

    /// The open database, opening it again first after an I/O error.
    pub(super) fn database(&self) -> Result<Arc<Database>, StoreError> {
        if let Some(db) = &*self.current.read().unwrap_or_else(PoisonError::into_inner) {
            return Ok(db.clone());
        }
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = &*current {
            return Ok(db.clone());
        }
        let first = self
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_default();
        match (self.open)() {
            Ok(db) => {
                let db = Arc::new(db);
                *current = Some(db.clone());
                *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = None;
                tracing::warn!(data = %self.label, after = %first, "reopened the data file after an I/O error");
                Ok(db)
            }
            Err(e) => Err(StoreError::Device(format!(
                "the data file {} is unavailable after an I/O error ({first}); reopening it \
                 failed: {e}. Check the disk (dmesg, SMART); the engine retries on the next \
                 request, and nothing acknowledged before the error is lost",
                self.label
            ))),
        }
    }

    /// Called with the error an operation on `db` ended with: after an I/O
    /// error the database is let go, so that the next operation reopens it.
    pub(super) fn failed(&self, db: &Arc<Database>, e: &StoreError) {
        let StoreError::Device(why) = e else {
            return;
        };
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, db)) {
            *current = None;
            tracing::error!(data = %self.label, error = %why, "I/O error on the data file; it will be reopened");
            *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(why.clone());
        }
    }
}
