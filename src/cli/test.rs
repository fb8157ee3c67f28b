//! `aiwebengine test [DIR] [--filter PATTERN]`: the folder's `*.test.js`
//! files, each against a fresh throwaway engine holding the folder's app
//! scripts and `public/` assets; TAP on stdout, non-zero exit on failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::testrun::{run_suite, tap, App, Options};

#[derive(Args)]
pub(crate) struct TestArgs {
    /// The app folder: its `*.test.js` files run against its other `*.js`
    /// files and `public/` (node_modules/ and dot folders are skipped).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Only the tests whose name contains PATTERN.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// Milliseconds each test may take.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    timeout: u64,
}

/// The folder as `deploy` and `dev` see it (`project::scan`): its test
/// files `(name, source)` and the app (the other scripts, `public/`).
fn read_app(dir: &std::path::Path) -> Result<(Vec<(String, String)>, App), String> {
    let project = crate::project::scan(dir).map_err(|e| e.to_string())?;
    let read = |f: &crate::project::LocalFile| {
        std::fs::read(&f.path).map_err(|e| format!("{}: {e}", f.shown))
    };
    let mut tests = Vec::new();
    let mut app = App::default();
    // Imported scripts first: a module's imports must exist when it loads.
    for (name, file) in project
        .script_order()
        .into_iter()
        .filter_map(|n| project.scripts.get_key_value(n))
    {
        let source = String::from_utf8(read(file)?)
            .map_err(|_| format!("{}: is not UTF-8 text", file.shown))?;
        match crate::scripts::is_test_script(name) {
            true => tests.push((name.clone(), source)),
            false => app.scripts.push((name.clone(), source)),
        }
    }
    for (path, file) in &project.assets {
        app.assets.push((path.clone(), read(file)?));
    }
    Ok((tests, app))
}

pub(crate) fn run(args: TestArgs) -> ExitCode {
    let (files, app) = match read_app(&args.dir) {
        Ok(found) => found,
        Err(e) => return super::fail(1, format!("cannot read {}: {e}", args.dir.display())),
    };
    if files.is_empty() {
        let msg = format!(
            "no *.test.js files under {}: write one (see docs/testing.md) or name the app folder",
            args.dir.display()
        );
        return super::fail(1, msg);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return super::fail(1, format!("cannot start the async runtime: {e}")),
    };
    let engines = crate::state::Throwaway::new(rt.handle().clone());
    let opts = Options {
        filter: args.filter,
        timeout: Duration::from_millis(args.timeout),
    };
    let reports = run_suite(&engines, &app, &files, &opts);
    print!("{}", tap::render(&reports));
    drop(engines);
    rt.shutdown_timeout(Duration::from_secs(5));
    match tap::counts(&reports).1 {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
