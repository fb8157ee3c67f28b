//! Format steps of the data file, one module per step.
//!
//! `apply(txn, from)` runs every step newer than `from` inside the caller's
//! single write transaction, then records the new format version. A step
//! never rewrites user data it does not understand.

mod v001_initial;

use redb::WriteTransaction;

use crate::store::{tables, StoreError};

/// The newest format version, the one this build writes.
pub const LATEST: u32 = 1;

type Step = fn(&WriteTransaction) -> Result<(), StoreError>;

const STEPS: &[(u32, Step)] = &[(1, v001_initial::apply)];

pub fn apply(txn: &WriteTransaction, from: u32) -> Result<(), StoreError> {
    for (version, step) in STEPS.iter().filter(|(v, _)| *v > from) {
        step(txn)?;
        let mut meta = txn.open_table(tables::META)?;
        meta.insert(tables::FORMAT_VERSION_KEY, &version.to_be_bytes()[..])?;
    }
    Ok(())
}
