//! `aiwebengine dev` prints what goes wrong in requests: every error and
//! warning a script's request writes to its log (an uncaught exception, a
//! limit hit, an invalid response), with its JS stack. A script's name is
//! its path in the project folder, so the stack's `api/notes.js:12:5`
//! frames point at the file; they are shown relative to where `dev` runs.

use std::path::{Path, PathBuf};

use tokio::sync::broadcast::error::RecvError;

/// Prints the log's errors and warnings until the log service stops.
pub async fn print_errors(state: crate::AppState, dir: PathBuf) {
    let mut live = state.logs().subscribe();
    loop {
        let entry = match live.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                eprintln!("({n} log entries skipped: too many at once)");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let (script, e) = &*entry;
        if e.level != "error" && e.level != "warn" {
            continue;
        }
        eprintln!(
            "{}",
            render(&dir, script, &e.level, &e.message, e.request_id.as_deref())
        );
    }
}

/// `error in api/notes.js (request ID): MESSAGE` and the stack, each frame
/// naming the file as seen from the current directory.
fn render(dir: &Path, script: &str, level: &str, message: &str, rid: Option<&str>) -> String {
    let label = if level == "warn" { "warning" } else { "error" };
    let shown = shown_path(dir, script);
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default();
    let mut out = match rid {
        Some(r) => format!("{label} in {shown} (request {r}): {first}"),
        None => format!("{label} in {shown}: {first}"),
    };
    for line in lines {
        out.push('\n');
        out.push_str(
            &line
                .replace(&format!("({script}:"), &format!("({shown}:"))
                .replace(&format!("at {script}:"), &format!("at {shown}:")),
        );
    }
    out
}

fn shown_path(dir: &Path, script: &str) -> String {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        return script.to_string();
    }
    dir.join(script).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_name_the_file_from_the_current_directory() {
        let msg = "runtime_error: Error: boom\n    at load (api/notes.js:12:5)\n    at <anonymous> (api/notes.js:20:3)";
        let got = render(Path::new("app"), "api/notes.js", "error", msg, Some("r1"));
        assert_eq!(
            got,
            "error in app/api/notes.js (request r1): runtime_error: Error: boom\n    at load (app/api/notes.js:12:5)\n    at <anonymous> (app/api/notes.js:20:3)"
        );
        let here = render(Path::new("."), "a.js", "warn", "bad response", None);
        assert_eq!(here, "warning in a.js: bad response");
    }
}
