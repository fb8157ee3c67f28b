//! The files of an app folder: test files, app scripts by relative path
//! (`api/users.js`), and `public/` as assets. `node_modules/` and dot
//! folders are skipped.

use std::path::{Path, PathBuf};

use super::App;

/// True for a script name that is a test file (never served).
pub fn is_test_file(name: &str) -> bool {
    name.ends_with(".test.js")
}

/// `(relative name, source)` of the test files, and the app under `dir`.
pub fn scan(dir: &Path) -> std::io::Result<(Vec<(String, String)>, App)> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let public = dir.join("public");
    let mut tests = Vec::new();
    let mut app = App::default();
    for path in files {
        let rel = relative(dir, &path);
        if path.starts_with(&public) {
            let bytes = std::fs::read(&path)?;
            app.assets.push((relative(&public, &path), bytes));
        } else if is_test_file(&rel) {
            tests.push((rel, std::fs::read_to_string(&path)?));
        } else if rel.ends_with(".js") {
            app.scripts.push((rel, std::fs::read_to_string(&path)?));
        }
    }
    Ok((tests, app))
}

fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
    parts.join("/")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
