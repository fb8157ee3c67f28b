//! The settings layer's port over the data file. The trait is config's and
//! the rows are the store's; it is joined here so that the store does not
//! depend on config (config depends on modules that still use the store).

use std::sync::Arc;

use crate::config::{Settings, SettingsRepo};
use crate::domain::StorageError;
use crate::store::settings::RedbSettings;
use crate::store::Store;

impl SettingsRepo for RedbSettings {
    fn settings(&self) -> Result<Settings, StorageError> {
        RedbSettings::settings(self)
    }

    fn set(&self, key: &str, value: Option<&serde_json::Value>) -> Result<(), StorageError> {
        RedbSettings::set(self, key, value)
    }
}

/// The settings port of `store`; it does not keep the file open.
pub fn settings_repo(store: &Store) -> Arc<dyn SettingsRepo> {
    Arc::new(RedbSettings::new(store))
}
