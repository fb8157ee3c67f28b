//! `POST /engine/api/scripts/{name}/test`: the admin UI's Tests tab. Runs
//! the script's `*.test.js` companion (`foo.js` → `foo.test.js`) against a
//! throwaway engine holding the current enabled scripts (fresh kv, no
//! assets), one run at a time, each test bounded in time (and the test
//! context in memory).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::access::require;
use super::auth::EditorUser;
use super::error::ApiError;
use super::extract::ApiPath;
use crate::http::AppState;
use crate::scripts::{is_test_script, Access};
use crate::testrun::{run_suite, tap, App, Engines, FileReport, Options};

/// Each test's time limit in a UI run.
const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Throwaway engines, and the one UI test run allowed at a time.
pub struct ScriptTests {
    engines: Arc<dyn Engines>,
    busy: tokio::sync::Semaphore,
}

impl ScriptTests {
    pub fn new(engines: Arc<dyn Engines>) -> ScriptTests {
        ScriptTests {
            engines,
            busy: tokio::sync::Semaphore::new(1),
        }
    }
}

/// `foo.js` → `foo.test.js`; a test file is its own companion.
pub fn companion(name: &str) -> String {
    if is_test_script(name) {
        return name.to_string();
    }
    let stem = name.strip_suffix(".js").unwrap_or(name);
    format!("{stem}.test.js")
}

pub async fn run(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Read, "script.test").await?;
    let file = companion(&name);
    if file != name {
        require(&state, &user, &file, Access::Read, "script.test").await?;
    }
    let (source, app) = {
        let catalog = state.scripts().catalog();
        let Some(test) = catalog.entries.get(file.as_str()) else {
            return Err(ApiError::not_found(format!(
                "script {name} has no test file: save its tests as {file} (see docs/testing.md)"
            )));
        };
        let scripts = catalog
            .entries
            .values()
            .filter(|e| e.enabled && !is_test_script(&e.script.name))
            .map(|e| (e.script.name.to_string(), e.script.source.to_string()))
            .collect();
        let app = App {
            scripts,
            assets: Vec::new(),
        };
        (test.script.source.to_string(), app)
    };
    let tests = state.script_tests().clone();
    let Ok(_running) = tests.busy.try_acquire() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "tests_running",
            "another test run is going on this server; try again when it has finished",
        ));
    };
    let opts = Options {
        filter: None,
        timeout: TEST_TIMEOUT,
    };
    let engines = tests.engines.clone();
    let files = vec![(file, source)];
    let reports = tokio::task::spawn_blocking(move || run_suite(&*engines, &app, &files, &opts))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(report_json(&reports)))
}

fn report_json(reports: &[FileReport]) -> Value {
    let (passed, failed) = tap::counts(reports);
    let r = reports.first();
    let tests: Vec<Value> = r
        .map(|r| r.outcomes.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|o| match &o.failure {
            None => json!({ "name": o.name, "ok": true }),
            Some(f) => json!({
                "name": o.name, "ok": false, "message": f.message,
                "expected": f.expected, "actual": f.actual, "location": f.location,
            }),
        })
        .collect();
    json!({
        "file": r.map(|r| r.file.clone()),
        "load_error": r.and_then(|r| r.load_error.clone()),
        "tests": tests,
        "passed": passed,
        "failed": failed,
        "summary": format!("{passed} passed, {failed} failed"),
        "tap": tap::render(reports),
    })
}
