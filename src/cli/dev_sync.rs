//! Keeps a running dev engine in step with its project folder: on start
//! and after every (debounced) change, the folder is scanned and compared
//! with the engine by content hash, so a save reloads exactly the script
//! that changed. Files deleted from disk are deleted from the engine.
//! Load errors print as `file:line:column` with a code frame; the
//! previous version keeps serving.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::Watcher;

use crate::assets::owner::Actor;
use crate::project::{scan, Kind, Op, Plan, Step};
use crate::scripts::ScriptError;
use crate::AppState;

/// How long the folder must be quiet before a sync (editors write a file
/// in several steps).
const DEBOUNCE: Duration = Duration::from_millis(10);
const AUTHOR: &str = "aiwebengine dev";

pub struct Sync {
    state: AppState,
    dir: PathBuf,
    actor: Actor,
}

impl Sync {
    pub fn new(state: AppState, dir: PathBuf) -> Sync {
        let actor = Actor {
            label: AUTHOR.to_string(),
            user_id: None,
            group: None,
            admin: true,
            editor: true,
            groups: Arc::from(Vec::new()),
        };
        Sync { state, dir, actor }
    }

    /// Watches the folder; every burst of changes ends in one [`Sync::once`].
    /// The returned watcher stops watching when dropped.
    pub fn watch(mut self) -> notify::Result<notify::RecommendedWatcher> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let root = self.dir.clone();
        let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            let relevant = match ev {
                Ok(ev) => ev.paths.iter().any(|p| watched(&root, p)),
                Err(_) => true,
            };
            if relevant {
                let _ = tx.send(());
            }
        })?;
        watcher.watch(&self.dir, notify::RecursiveMode::Recursive)?;
        tokio::spawn(async move {
            while rx.recv().await.is_some() {
                while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
                self.once().await;
            }
        });
        Ok(watcher)
    }

    /// Scans the folder and applies what differs, printing each change.
    pub async fn once(&mut self) {
        let started = Instant::now();
        let local = match scan(&self.dir) {
            Ok(p) => p,
            Err(e) => return eprintln!("error: {e}"),
        };
        let (scripts, assets) = match self.engine_lists().await {
            Ok(l) => l,
            Err(e) => return eprintln!("error: cannot read the engine's scripts: {e}"),
        };
        let plan = Plan::new(&local, &scripts, &assets, true);
        for step in &plan.steps {
            match self.apply(step).await {
                Ok(what) => println!(
                    "{} {what} ({} ms)",
                    step.line(),
                    started.elapsed().as_millis()
                ),
                Err(report) => eprintln!("{report}"),
            }
        }
    }

    async fn engine_lists(
        &self,
    ) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>), ScriptError> {
        let scripts = self.state.scripts().list().await?;
        let scripts = scripts
            .into_iter()
            .map(|r| (r.name, r.sha256.unwrap_or_default()))
            .collect();
        let assets = self.state.assets().list("");
        let assets = assets
            .iter()
            .map(|r| (r.path.clone(), r.sha256.clone()))
            .collect();
        Ok((scripts, assets))
    }

    async fn apply(&self, step: &Step) -> Result<String, String> {
        let shown = step.line();
        let read = |p: &Path| std::fs::read(p).map_err(|e| format!("error: {}: {e}", p.display()));
        match (step.kind, step.op, &step.local) {
            (Kind::Script, Op::Remove, _) => {
                let r = self.state.scripts().delete(&step.name).await;
                r.map_err(|e| format!("error: {shown}: {e}"))?;
                self.reload_acl().await;
                Ok("removed".into())
            }
            (Kind::Script, op, Some(file)) => {
                let bytes = read(&file.path)?;
                if bytes.is_empty() {
                    // An editor that truncates and then writes shows an
                    // empty file for a moment; loading it would drop every
                    // route until the next save.
                    return Err(format!(
                        "note: {} is empty, so it was not loaded; the previous version keeps serving (delete the file to remove the script)",
                        file.shown
                    ));
                }
                let source = String::from_utf8(bytes)
                    .map_err(|_| format!("error: {}: a script must be UTF-8 text", file.shown))?;
                let saved = self
                    .state
                    .scripts()
                    .save(&step.name, source.clone(), AUTHOR, op == Op::Add)
                    .await;
                match saved {
                    Ok(out) => {
                        if out.created {
                            self.reload_acl().await;
                        }
                        Ok(format!("loaded v{}", out.record.version))
                    }
                    Err(ScriptError::Load(l)) => Err(load_report(&file.shown, &source, &l)),
                    Err(e) => Err(format!(
                        "error: {}: {e}; the previous version keeps serving",
                        file.shown
                    )),
                }
            }
            (Kind::Asset, Op::Remove, _) => {
                let (assets, actor, path) = (
                    self.state.assets().clone(),
                    self.actor.clone(),
                    step.name.clone(),
                );
                let done = tokio::task::spawn_blocking(move || assets.delete(&actor, &path)).await;
                match done {
                    Ok(Ok(_)) => Ok("removed".into()),
                    Ok(Err(e)) => Err(format!("error: {shown}: {e}")),
                    Err(e) => Err(format!("error: {shown}: {e}")),
                }
            }
            (Kind::Asset, _, Some(file)) => {
                let bytes = read(&file.path)?;
                let (assets, actor, path) = (
                    self.state.assets().clone(),
                    self.actor.clone(),
                    step.name.clone(),
                );
                let done = tokio::task::spawn_blocking(move || {
                    assets.put_bytes(&actor, &path, None, &bytes)
                })
                .await;
                match done {
                    Ok(Ok(_)) => Ok("stored".into()),
                    Ok(Err(e)) => Err(format!("error: {}: {e}", file.shown)),
                    Err(e) => Err(format!("error: {}: {e}", file.shown)),
                }
            }
            (_, _, None) => Err(format!("error: {shown}: no local file")),
        }
    }

    /// Script ownership lives in the auth directory; a new or deleted
    /// script changes it.
    async fn reload_acl(&self) {
        let st = self.state.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || st.auth().reload()).await {
            eprintln!("error: could not reload the script owners: {e}");
        }
    }
}

/// Whether a changed path can matter (not the data file's folder, not a
/// dot folder, not node_modules).
fn watched(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    rel.components().all(|c| {
        let name = c.as_os_str().to_string_lossy();
        name == ".well-known" || !(name.starts_with('.') || name == "node_modules")
    })
}

/// `file:line:column: message`, the line with a caret under the column,
/// and what happens now.
fn load_report(file: &str, source: &str, l: &crate::scripts::LoadError) -> String {
    let mut out = match (l.line, l.column) {
        (Some(line), Some(col)) => format!("error: {file}:{line}:{col}: {}", l.message),
        (Some(line), None) => format!("error: {file}:{line}: {}", l.message),
        _ => format!("error: {file}: {}", l.message),
    };
    if let Some(line) = l.line.filter(|n| *n > 0) {
        if let Some(text) = source.lines().nth(line as usize - 1) {
            let num = line.to_string();
            out.push_str(&format!("\n  {num} | {text}"));
            if let Some(col) = l.column.filter(|c| *c > 0) {
                let pad = " ".repeat(num.len());
                let at = " ".repeat(col as usize - 1);
                out.push_str(&format!("\n  {pad} | {at}^"));
            }
        }
    }
    out.push_str("\n  the previous version keeps serving; save the file again to retry");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_load_error_shows_the_line_and_a_caret() {
        let l = crate::scripts::LoadError {
            message: "SyntaxError: unexpected token".into(),
            line: Some(2),
            column: Some(5),
        };
        let r = super::load_report("api/a.js", "// ok\nlet = 1;\n", &l);
        let want =
            "error: api/a.js:2:5: SyntaxError: unexpected token\n  2 | let = 1;\n    |     ^\n";
        assert!(r.starts_with(want), "{r}");
    }

    #[test]
    fn only_project_paths_are_watched() {
        let root = std::path::Path::new("/p");
        assert!(super::watched(root, "/p/api/a.js".as_ref()));
        assert!(super::watched(root, "/p/public/.well-known/x".as_ref()));
        assert!(!super::watched(root, "/p/.aiwebengine/dev.redb".as_ref()));
        assert!(!super::watched(root, "/p/node_modules/x/a.js".as_ref()));
        assert!(!super::watched(root, "/elsewhere/a.js".as_ref()));
    }
}
