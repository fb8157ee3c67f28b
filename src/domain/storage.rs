//! What every repository port speaks: the one storage failure type, and
//! [`Outcome`], which carries a domain result out of a transaction body.
//!
//! Each domain service owns a narrow repository trait (its port) whose
//! methods return [`StorageError`]; the redb adapter in `store/` implements
//! them, and a PostgreSQL adapter will implement the same traits. A port's
//! transactional entry points take a `&mut dyn FnMut(&mut dyn …Txn) ->
//! Result<(), StorageError>` body: the adapter runs it inside one write
//! transaction (or one snapshot) and commits only when it returns `Ok`.

use std::fmt;

/// What kind of storage failure happened; decides the HTTP status above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The disk or the database engine failed (I/O error, lost connection).
    Io,
    /// The disk (or the database's quota) is full: writes fail, reads work.
    Full,
    /// A stored value could not be decoded, or the file is damaged.
    Corrupt,
    /// The data file is closed (the server is shutting down).
    Closed,
    /// A transaction body returned a domain error; nothing was written.
    RolledBack,
}

/// A failure of the storage behind a repository port. The message names
/// what failed (table or record, and the underlying cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    kind: StorageErrorKind,
    message: String,
}

impl StorageError {
    pub fn new(kind: StorageErrorKind, message: impl Into<String>) -> StorageError {
        StorageError {
            kind,
            message: message.into(),
        }
    }

    pub fn io(message: impl Into<String>) -> StorageError {
        StorageError::new(StorageErrorKind::Io, message)
    }

    pub fn full(message: impl Into<String>) -> StorageError {
        StorageError::new(StorageErrorKind::Full, message)
    }

    pub fn corrupt(message: impl Into<String>) -> StorageError {
        StorageError::new(StorageErrorKind::Corrupt, message)
    }

    pub fn closed() -> StorageError {
        StorageError::new(StorageErrorKind::Closed, "the data file is closed")
    }

    pub fn kind(&self) -> StorageErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StorageError {}

/// Carries a transaction body's domain result past a port's
/// `Result<(), StorageError>` body type. A body that fails with a domain
/// error makes the adapter roll back; [`Outcome::finish`] then returns that
/// domain error rather than the rollback.
///
/// ```
/// use aiwebengine::domain::{Outcome, StorageError};
/// #[derive(Debug, PartialEq)]
/// enum MyError { Empty, Storage(String) }
/// impl From<StorageError> for MyError {
///     fn from(e: StorageError) -> MyError { MyError::Storage(e.to_string()) }
/// }
/// // A port entry point: runs the body once, as an adapter would.
/// fn write(body: &mut dyn FnMut(&mut Vec<u8>) -> Result<(), StorageError>) -> Result<(), StorageError> {
///     let mut rows = Vec::new();
///     body(&mut rows)
/// }
/// let mut out = Outcome::new();
/// let r = write(&mut |rows| out.put(if rows.is_empty() { Err(MyError::Empty) } else { Ok(1) }));
/// assert_eq!(out.finish(r), Err(MyError::Empty));
/// ```
pub struct Outcome<T, E> {
    value: Option<Result<T, E>>,
}

impl<T, E> Default for Outcome<T, E> {
    fn default() -> Self {
        Outcome { value: None }
    }
}

impl<T, E> Outcome<T, E> {
    pub fn new() -> Outcome<T, E> {
        Outcome::default()
    }

    /// Keeps the body's result; tells the adapter to commit (`Ok`) or to
    /// roll back (`Err`).
    pub fn put(&mut self, r: Result<T, E>) -> Result<(), StorageError> {
        let rollback = r.is_err();
        self.value = Some(r);
        if rollback {
            Err(StorageError::new(
                StorageErrorKind::RolledBack,
                "the transaction was rolled back",
            ))
        } else {
            Ok(())
        }
    }

    /// The body's result, or the storage failure that stopped it.
    pub fn finish(self, adapter: Result<(), StorageError>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        match (adapter, self.value) {
            (_, Some(Err(e))) => Err(e),
            (Ok(()), Some(Ok(v))) => Ok(v),
            (Err(s), _) => Err(s.into()),
            (Ok(()), None) => Err(StorageError::io("the transaction body never ran").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum E {
        Domain,
        Storage(StorageErrorKind),
    }
    impl From<StorageError> for E {
        fn from(s: StorageError) -> E {
            E::Storage(s.kind())
        }
    }

    fn adapter(
        fail: Option<StorageError>,
        body: &mut dyn FnMut(&mut u32) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut row = 7;
        body(&mut row)?;
        fail.map_or(Ok(()), Err)
    }

    #[test]
    fn a_committed_body_returns_its_value() {
        let mut out = Outcome::new();
        let r = adapter(None, &mut |row| out.put(Ok::<u32, E>(*row)));
        assert_eq!(out.finish(r), Ok(7));
    }

    #[test]
    fn a_domain_error_rolls_back_and_is_returned_as_itself() {
        let mut out = Outcome::<u32, E>::new();
        let r = adapter(None, &mut |_| out.put(Err(E::Domain)));
        assert_eq!(
            r.as_ref().map_err(|e| e.kind()),
            Err(StorageErrorKind::RolledBack)
        );
        assert_eq!(out.finish(r), Err(E::Domain));
    }

    #[test]
    fn a_failed_commit_is_a_storage_error() {
        let mut out = Outcome::new();
        let r = adapter(Some(StorageError::full("disk full")), &mut |row| {
            out.put(Ok::<u32, E>(*row))
        });
        assert_eq!(out.finish(r), Err(E::Storage(StorageErrorKind::Full)));
    }
}
