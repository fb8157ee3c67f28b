//! The settings layer's port: config values kept in the data file
//! (edited with `PUT /engine/api/config`, the admin UI's Settings page, or
//! `aiwebengine config set`), key -> JSON value. The redb rows are
//! `store::settings`; the composition root attaches the port to [`super::Live`].

use super::Settings;
use crate::domain::StorageError;

pub trait SettingsRepo: Send + Sync {
    /// Every setting. Fails with kind `Closed` once the data file is closed.
    fn settings(&self) -> Result<Settings, StorageError>;
    /// Sets (or with `None` removes) one setting, durably.
    fn set(&self, key: &str, value: Option<&serde_json::Value>) -> Result<(), StorageError>;
}
