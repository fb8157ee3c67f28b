//! The redb adapter of [`crate::tls::TlsRepo`]: both certificates are
//! single records in [`tables::SETTINGS`], each a codec envelope.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{encode, get_value, tables, Store, StoreError};
use crate::domain::StorageError;
use crate::tls::self_signed::Stored as SelfSigned;
use crate::tls::upload::Stored as Uploaded;
use crate::tls::TlsRepo;

/// Key in [`tables::SETTINGS`] holding the self-signed certificate.
pub const SELF_SIGNED_KEY: &str = "tls.self_signed";
/// Key in [`tables::SETTINGS`] holding the uploaded certificate.
pub const UPLOADED_KEY: &str = "tls.uploaded";

/// The TLS port over the data file.
pub struct RedbTls {
    store: Store,
}

impl RedbTls {
    pub fn new(store: Store) -> RedbTls {
        RedbTls { store }
    }
}

/// The port as the composition root hands it to `tls`.
pub fn repo(store: &Store) -> Arc<dyn TlsRepo> {
    Arc::new(RedbTls::new(store.clone()))
}

impl RedbTls {
    fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.store
            .read(|txn| match txn.open_table(tables::SETTINGS) {
                Ok(t) => get_value(&t, key),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
                Err(e) => Err(e.into()),
            })
    }

    fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let bytes = encode(value)?;
        self.store.write(|txn| {
            let mut t = txn.open_table(tables::SETTINGS)?;
            t.insert(key, bytes.as_slice())?;
            Ok(())
        })
    }
}

impl TlsRepo for RedbTls {
    fn self_signed(&self) -> Result<Option<SelfSigned>, StorageError> {
        Ok(self.get(SELF_SIGNED_KEY)?)
    }

    fn put_self_signed(&self, s: &SelfSigned) -> Result<(), StorageError> {
        Ok(self.put(SELF_SIGNED_KEY, s)?)
    }

    fn uploaded(&self) -> Result<Option<Uploaded>, StorageError> {
        Ok(self.get(UPLOADED_KEY)?)
    }

    fn put_uploaded(&self, u: &Uploaded) -> Result<(), StorageError> {
        Ok(self.put(UPLOADED_KEY, u)?)
    }

    fn remove_uploaded(&self) -> Result<bool, StorageError> {
        Ok(self.store.write(|txn| {
            let mut t = txn.open_table(tables::SETTINGS)?;
            let had = t.remove(UPLOADED_KEY)?.is_some();
            Ok(had)
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::self_signed::{load_or_create, Outcome};

    fn open(dir: &tempfile::TempDir) -> RedbTls {
        RedbTls::new(Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap())
    }

    #[test]
    fn the_self_signed_certificate_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let now = time::OffsetDateTime::now_utc();
        let first = load_or_create(&open(&dir), &[], now).unwrap();
        assert_eq!(first.outcome, Outcome::Created);
        let again = load_or_create(&open(&dir), &[], now).unwrap();
        assert_eq!(again.outcome, Outcome::Reused);
        assert_eq!(again.pair.fingerprint(), first.pair.fingerprint());
    }

    #[test]
    fn an_upload_is_kept_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = open(&dir);
        assert!(repo.uploaded().unwrap().is_none());
        assert!(!repo.remove_uploaded().unwrap());
        let up = Uploaded {
            cert_pem: "c\n".into(),
            key_pem: "k\n".into(),
            uploaded_at: 1,
            uploaded_by: "a@example.test".into(),
        };
        repo.put_uploaded(&up).unwrap();
        let got = repo.uploaded().unwrap().unwrap();
        assert_eq!(
            (got.cert_pem, got.uploaded_by),
            (up.cert_pem, up.uploaded_by)
        );
        assert!(repo.remove_uploaded().unwrap());
        assert!(repo.uploaded().unwrap().is_none());
    }
}
