//! Format 1: creates every table and the secret that signs session tokens.

use rand::RngCore;
use redb::{ReadableTable, WriteTransaction};

use crate::store::{tables::*, StoreError};

pub fn apply(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(SCRIPTS)?;
    txn.open_table(SCRIPT_VERSIONS)?;
    txn.open_table(SCRIPT_LOGS)?;
    txn.open_table(USERS)?;
    txn.open_table(USER_EMAILS)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(GROUPS)?;
    txn.open_table(SETTINGS)?;
    txn.open_table(ASSETS)?;
    txn.open_table(KV)?;
    txn.open_table(API_TOKENS)?;
    txn.open_table(PERMISSIONS)?;
    txn.open_table(AUDIT)?;
    let mut meta = txn.open_table(META)?;
    if meta.get("jwt_secret")?.is_none() {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        meta.insert("jwt_secret", &secret[..])?;
    }
    Ok(())
}
