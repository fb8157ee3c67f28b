//! Config files: any text as a `--config` file in each format (TOML, YAML,
//! JSON, JSON5), resolved with the checks `serve` runs, never panics. A
//! refusal is a non-empty message naming the file or a key; an accepted
//! file gives a config whose every value can be shown (`config show`).
#![no_main]

use aiwebengine::config::{resolve, Inputs, Settings};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    format: u8,
    text: String,
}

const EXTENSIONS: [&str; 4] = ["toml", "yaml", "json", "json5"];

thread_local! {
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("a temp dir");
}

fuzz_target!(|input: Input| {
    let ext = EXTENSIONS[usize::from(input.format) % EXTENSIONS.len()];
    DIR.with(|dir| {
        let path = dir.path().join(format!("fuzz.{ext}"));
        std::fs::write(&path, &input.text).expect("write the config file");
        let inputs = Inputs {
            files: vec![path],
            no_env: true,
            ..Inputs::new(aiwebengine::state::CONFIG_CHECKS)
        };
        match resolve(&inputs, &Settings::new()) {
            Ok(resolved) => {
                let shown = aiwebengine::config::view(&resolved, |_| false);
                assert!(!shown.is_null(), "config show of {:?}: {shown}", input.text);
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    !msg.trim().is_empty(),
                    "an empty refusal of {:?}",
                    input.text
                );
                assert!(
                    msg.contains("fuzz.") || msg.contains("config") || msg.contains('.'),
                    "a refusal that names nothing: {msg:?} for {:?}",
                    input.text
                );
            }
        }
    });
});
