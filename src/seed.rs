//! What a new data file starts with, embedded from `seed/`: disabled
//! example scripts and the welcome page. Seeding yields plain records;
//! the store writes them into the new file (`store::scripts::put_seed`).

use std::sync::Arc;

use rust_embed::RustEmbed;

use crate::domain::StorageError;
use crate::js::{registration_pass, Host, JsConfig, LogLevel, Preludes, Publish, ScriptLog};
use crate::scripts::{next_version, now_millis, ScriptRecord, ScriptVersion};

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

/// Every `seed/scripts/*.js` and `seed/examples/*.js` as a disabled,
/// unowned script at version 1. A seed script that does not load is a
/// build defect: the new data file is not made.
pub fn scripts(js: &JsConfig) -> Result<Vec<(ScriptRecord, ScriptVersion)>, StorageError> {
    let host: Arc<dyn Host> = Arc::new(SilentHost);
    let preludes = Arc::new(Preludes::compile().map_err(StorageError::io)?);
    let mut out = Vec::new();
    for path in SeedFiles::iter()
        .filter(|p| (p.starts_with("scripts/") || p.starts_with("examples/")) && p.ends_with(".js"))
    {
        let Some(file) = SeedFiles::get(&path) else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or(&path);
        let source = String::from_utf8_lossy(&file.data).into_owned();
        let reg = registration_pass(js, &preludes, host.clone(), name, &source).map_err(|e| {
            StorageError::io(format!("seed script {name} does not load: {}", e.message))
        })?;
        let (mut record, version) = next_version(None, name, source, "seed", reg, now_millis());
        record.enabled = false;
        record.owner = None;
        out.push((record, version));
    }
    Ok(out)
}
