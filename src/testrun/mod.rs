//! `aiwebengine test`: runs `*.test.js` files against a throwaway engine
//! holding an app's scripts. The harness (a QuickJS context with `test`,
//! `expect` and `request`) and the TAP report live here; the engine a
//! file runs against comes through the [`Engines`] port, which the
//! composition root implements with a real engine on a temp data file.

mod js;
pub mod tap;

use std::sync::Arc;
use std::time::Duration;

pub use js::run_file;

/// An app's files as the engine is given them.
#[derive(Debug, Clone, Default)]
pub struct App {
    /// `(script name, source)`; test files are not among them.
    pub scripts: Vec<(String, String)>,
    /// `(asset path, bytes)` from the app's `public/` folder (`img/a.png`).
    pub assets: Vec<(String, Vec<u8>)>,
}

/// A response as the test sees it; the body is read as UTF-8 (lossily).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One request to the engine under test. Blocking; within `timeout`.
pub trait Target: Send + Sync {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Reply, String>;
}

/// Makes a fresh engine (its own kv and assets) holding `app`, once per
/// test file. Blocking.
pub trait Engines: Send + Sync {
    fn fresh(&self, app: &App) -> Result<Arc<dyn Target>, String>;
}

/// How the tests of one run are chosen and bounded.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only tests whose name contains this run.
    pub filter: Option<String>,
    pub timeout: Duration,
}

/// One test's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// `file:line:column` of the failing line in the test file, when known.
    pub location: Option<String>,
}

/// A test file's outcomes, or why it could not run at all.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub outcomes: Vec<Outcome>,
    pub load_error: Option<String>,
}

/// Every test file of an app, each against its own fresh engine.
pub fn run_suite(
    engines: &dyn Engines,
    app: &App,
    files: &[(String, String)],
    opts: &Options,
) -> Vec<FileReport> {
    files
        .iter()
        .map(|(file, source)| match engines.fresh(app) {
            Ok(target) => run_file(file, source, target, opts),
            Err(e) => FileReport {
                file: file.clone(),
                outcomes: Vec::new(),
                load_error: Some(format!("the app did not load: {e}")),
            },
        })
        .collect()
}
