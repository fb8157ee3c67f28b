//! Reads a project folder: every `*.js` under it is a script named by its
//! relative path (`api/users.js`; `*.test.js` files are scripts too, the
//! tests of their neighbours), every file under `public/` an asset at its
//! path below `public/`. Skipped: `node_modules/`, `.aiwebengine/`, and
//! every file or folder whose name starts with '.', except
//! `public/.well-known/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{sha256_hex, ProjectError};

/// One file of the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFile {
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its path relative to the folder, with '/' (`public/img/a.png`).
    pub shown: String,
    pub sha256: String,
    /// A script's static `import` specifiers (none for an asset).
    pub imports: Vec<String>,
}

/// Scripts by name and assets by path, each sorted.
#[derive(Debug, Default)]
pub struct Project {
    pub scripts: BTreeMap<String, LocalFile>,
    pub assets: BTreeMap<String, LocalFile>,
}

impl Project {
    /// Names of the `*.test.js` scripts.
    pub fn tests(&self) -> impl Iterator<Item = &str> {
        self.scripts
            .keys()
            .map(String::as_str)
            .filter(|n| n.ends_with(".test.js"))
    }

    /// Script names in the order to save them: every script after the
    /// scripts of the folder it imports (name order otherwise).
    pub fn script_order(&self) -> Vec<&str> {
        let graph = self
            .scripts
            .iter()
            .map(|(name, f)| (name.as_str(), f.imports.clone()))
            .collect();
        crate::domain::import_order(&graph)
    }
}

/// Reads `dir`. A script whose relative path is not a valid script name
/// is an error naming the file and the rule.
pub fn scan(dir: &Path) -> Result<Project, ProjectError> {
    if !dir.is_dir() {
        return Err(ProjectError::Local(format!(
            "{} is not a folder; give the project folder that holds your *.js files",
            dir.display()
        )));
    }
    let mut project = Project::default();
    walk(dir, "", &mut |rel, path| {
        let Some(asset) = rel.strip_prefix("public/") else {
            if rel.ends_with(".js") {
                crate::scripts::validate_name(rel)
                    .map_err(|m| ProjectError::Local(format!("{rel}: cannot be a script: {m}")))?;
                project.scripts.insert(rel.to_string(), file(path, rel)?);
            }
            return Ok(());
        };
        project.assets.insert(asset.to_string(), file(path, rel)?);
        Ok(())
    })?;
    Ok(project)
}

fn file(path: &Path, rel: &str) -> Result<LocalFile, ProjectError> {
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    let imports = match rel.ends_with(".js") && !rel.starts_with("public/") {
        true => crate::domain::static_imports(&String::from_utf8_lossy(&bytes)),
        false => Vec::new(),
    };
    Ok(LocalFile {
        path: path.to_path_buf(),
        shown: rel.to_string(),
        sha256: sha256_hex(&bytes),
        imports,
    })
}

pub(super) fn io(path: &Path, e: std::io::Error) -> ProjectError {
    ProjectError::Local(format!("{}: {e}", path.display()))
}

fn skipped(rel: &str, name: &str, is_dir: bool) -> bool {
    let well_known = rel == "public/.well-known";
    (name.starts_with('.') && !well_known)
        || (is_dir && (name == "node_modules" || name == ".aiwebengine"))
}

/// Calls `each(relative path, path)` for every file under `dir`, in name
/// order. Symbolic links are followed.
fn walk(
    dir: &Path,
    prefix: &str,
    each: &mut dyn FnMut(&str, &Path) -> Result<(), ProjectError>,
) -> Result<(), ProjectError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue; // not UTF-8: cannot be a script name or an asset path
        };
        let rel = format!("{prefix}{name}");
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|e| io(&path, e))?;
        if skipped(&rel, name, meta.is_dir()) {
            continue;
        }
        if meta.is_dir() {
            walk(&path, &format!("{rel}/"), each)?;
        } else if meta.is_file() {
            each(&rel, &path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    #[test]
    fn scripts_assets_and_what_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (p, body) in [
            ("index.js", "a"),
            ("api/users.js", "b"),
            ("api/users.test.js", "c"),
            ("api/notes.md", "d"),
            ("public/css/site.css", "e"),
            ("public/app.js", "f"),
            ("public/.well-known/security.txt", "g"),
            ("public/.DS_Store", "h"),
            ("node_modules/x/index.js", "i"),
            (".aiwebengine/dev.redb", "j"),
            (".git/hooks/a.js", "k"),
            ("lib/.hidden.js", "l"),
        ] {
            let path = d.join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, body).unwrap();
        }
        let p = super::scan(d).unwrap();
        let names: Vec<&str> = p.scripts.keys().map(String::as_str).collect();
        assert_eq!(names, ["api/users.js", "api/users.test.js", "index.js"]);
        let assets: Vec<&str> = p.assets.keys().map(String::as_str).collect();
        assert_eq!(
            assets,
            [".well-known/security.txt", "app.js", "css/site.css"]
        );
        assert_eq!(p.tests().collect::<Vec<_>>(), ["api/users.test.js"]);
        assert_eq!(p.assets["css/site.css"].shown, "public/css/site.css");
        assert_eq!(
            p.scripts["index.js"].sha256,
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
    }

    #[test]
    fn a_file_that_cannot_be_a_script_name_is_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("my app")).unwrap();
        fs::write(dir.path().join("my app/x.js"), "").unwrap();
        let e = super::scan(dir.path()).unwrap_err().to_string();
        assert!(e.starts_with("my app/x.js: cannot be a script"), "{e}");
    }
}
