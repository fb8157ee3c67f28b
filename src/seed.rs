//! What a new data file starts with, embedded from `seed/`: disabled
//! example scripts and the welcome page.

use std::sync::Arc;

use redb::WriteTransaction;
use rust_embed::RustEmbed;

use crate::js::{registration_pass, Host, JsConfig, LogLevel, Publish, ScriptLog};
use crate::store::{encode, tables, StoreError};

#[derive(RustEmbed)]
#[folder = "seed/"]
struct SeedFiles;

/// The page `/` shows until a script registers `/`.
pub fn welcome_page() -> Vec<u8> {
    SeedFiles::get("welcome.html")
        .map(|f| f.data.into_owned())
        .unwrap_or_default()
}

struct SilentHost;

impl ScriptLog for SilentHost {
    fn script_log(&self, _: &str, _: LogLevel, _: String, _: Option<&str>) {}
}

impl Publish for SilentHost {
    fn publish(&self, _: Option<&str>, _: crate::domain::StreamMessage) {}
}

impl Host for SilentHost {}

/// Stores every `seed/scripts/*.js` and `seed/examples/*.js` as a disabled script.
pub fn seed(txn: &WriteTransaction, js: &JsConfig) -> Result<(), StoreError> {
    let host: Arc<dyn Host> = Arc::new(SilentHost);
    for path in SeedFiles::iter()
        .filter(|p| (p.starts_with("scripts/") || p.starts_with("examples/")) && p.ends_with(".js"))
    {
        let Some(file) = SeedFiles::get(&path) else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or(&path);
        let source = String::from_utf8_lossy(&file.data).into_owned();
        let reg = registration_pass(js, host.clone(), name, &source).map_err(|e| {
            StoreError::Codec(format!("seed script {name} does not load: {}", e.message))
        })?;
        let mut out = crate::scripts::write_version(txn, name, source, "seed", reg)?;
        out.record.enabled = false;
        out.record.owner = None;
        txn.open_table(tables::SCRIPTS)?
            .insert(name, encode(&out.record)?.as_slice())?;
    }
    Ok(())
}
