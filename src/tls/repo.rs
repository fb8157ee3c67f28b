//! The port through which `tls` keeps its certificates in the data file:
//! the self-signed certificate and an uploaded one, each a single record.
//! The data-file adapter implements it in the store layer (`store/tls.rs`).

use crate::domain::StorageError;

use super::self_signed::Stored as SelfSigned;
use super::upload::Stored as Uploaded;

/// Each call is one read snapshot or one durable write transaction.
/// Blocking: call from `spawn_blocking`, never on the reactor.
pub trait TlsRepo: Send + Sync {
    /// The self-signed certificate, if one was made.
    fn self_signed(&self) -> Result<Option<SelfSigned>, StorageError>;
    /// Keeps `s` as the self-signed certificate, replacing any before it.
    fn put_self_signed(&self, s: &SelfSigned) -> Result<(), StorageError>;
    /// The certificate uploaded in the admin UI, if any.
    fn uploaded(&self) -> Result<Option<Uploaded>, StorageError>;
    /// Keeps `u` as the uploaded certificate, replacing any before it.
    fn put_uploaded(&self, u: &Uploaded) -> Result<(), StorageError>;
    /// Forgets the uploaded certificate; whether there was one.
    fn remove_uploaded(&self) -> Result<bool, StorageError>;
}
