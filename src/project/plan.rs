//! What `deploy` would change: the folder against the server's list, by
//! content hash.

use std::collections::BTreeMap;

use super::{LocalFile, Project};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Script,
    Asset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Change,
    Remove,
}

/// One change: `name` is the script name or asset path on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub op: Op,
    pub kind: Kind,
    pub name: String,
    /// The local file (none for a removal).
    pub local: Option<LocalFile>,
}

impl Step {
    /// How the plan shows it: the local file (`public/…` for assets), or
    /// for a removal the name on the server.
    pub fn line(&self) -> String {
        let mark = match self.op {
            Op::Add => '+',
            Op::Change => '~',
            Op::Remove => '-',
        };
        let shown = match (&self.local, self.kind) {
            (Some(f), _) => f.shown.clone(),
            (None, Kind::Script) => self.name.clone(),
            (None, Kind::Asset) => format!("public/{}", self.name),
        };
        format!("{mark} {shown}")
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    /// In the order they are applied: script removals, assets, scripts,
    /// asset removals (a route and an asset at the same path must not
    /// both exist at any point).
    pub steps: Vec<Step>,
    pub unchanged: usize,
    /// On the server, not in the folder, and kept (no `--prune`).
    pub kept: usize,
}

impl Plan {
    /// Compares `local` with the server's `name -> sha256` lists.
    pub fn new(
        local: &Project,
        scripts: &BTreeMap<String, String>,
        assets: &BTreeMap<String, String>,
        prune: bool,
    ) -> Plan {
        let mut plan = Plan::default();
        let script_removals = plan.removals(Kind::Script, &local.scripts, scripts, prune);
        let asset_removals = plan.removals(Kind::Asset, &local.assets, assets, prune);
        plan.steps.extend(script_removals);
        let asset_order = local.assets.keys().map(String::as_str).collect();
        plan.uploads(Kind::Asset, asset_order, &local.assets, assets);
        // Imported scripts first: a module's imports must exist when it loads.
        plan.uploads(Kind::Script, local.script_order(), &local.scripts, scripts);
        plan.steps.extend(asset_removals);
        plan
    }

    fn uploads(
        &mut self,
        kind: Kind,
        order: Vec<&str>,
        local: &BTreeMap<String, LocalFile>,
        remote: &BTreeMap<String, String>,
    ) {
        for (name, file) in order.into_iter().filter_map(|n| local.get_key_value(n)) {
            let op = match remote.get(name) {
                None => Op::Add,
                Some(h) if *h == file.sha256 => {
                    self.unchanged += 1;
                    continue;
                }
                Some(_) => Op::Change,
            };
            let local = Some(file.clone());
            let name = name.clone();
            self.steps.push(Step {
                op,
                kind,
                name,
                local,
            });
        }
    }

    fn removals(
        &mut self,
        kind: Kind,
        local: &BTreeMap<String, LocalFile>,
        remote: &BTreeMap<String, String>,
        prune: bool,
    ) -> Vec<Step> {
        let gone = remote.keys().filter(|n| !local.contains_key(*n));
        if !prune {
            self.kept += gone.count();
            return Vec::new();
        }
        gone.map(|name| Step {
            op: Op::Remove,
            kind,
            name: name.clone(),
            local: None,
        })
        .collect()
    }

    /// `N to add, N to change, N to remove, N unchanged` (and what
    /// `--prune` would remove).
    pub fn summary(&self) -> String {
        let count = |op| self.steps.iter().filter(|s| s.op == op).count();
        let mut line = format!(
            "{} to add, {} to change, {} to remove, {} unchanged",
            count(Op::Add),
            count(Op::Change),
            count(Op::Remove),
            self.unchanged
        );
        if self.kept > 0 {
            line.push_str(&format!(
                "; {} on the server but not in the folder (kept; --prune removes them)",
                self.kept
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(shown: &str, sha: &str) -> LocalFile {
        LocalFile {
            imports: Vec::new(),
            path: shown.into(),
            shown: shown.into(),
            sha256: sha.into(),
        }
    }

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn compares_by_hash_and_prunes_only_when_asked() {
        let mut p = Project::default();
        p.scripts.insert("a.js".into(), file("a.js", "1"));
        p.scripts.insert("api/b.js".into(), file("api/b.js", "2"));
        p.assets.insert("x.css".into(), file("public/x.css", "3"));
        let scripts = map(&[("a.js", "1"), ("api/b.js", "old"), ("gone.js", "9")]);
        let assets = map(&[("old.png", "8")]);

        let plan = Plan::new(&p, &scripts, &assets, false);
        let lines: Vec<String> = plan.steps.iter().map(Step::line).collect();
        assert_eq!(lines, ["+ public/x.css", "~ api/b.js"]);
        assert_eq!(
            plan.summary(),
            "1 to add, 1 to change, 0 to remove, 1 unchanged; 2 on the server but not in the folder (kept; --prune removes them)"
        );

        let plan = Plan::new(&p, &scripts, &assets, true);
        let lines: Vec<String> = plan.steps.iter().map(Step::line).collect();
        assert_eq!(
            lines,
            [
                "- gone.js",
                "+ public/x.css",
                "~ api/b.js",
                "- public/old.png"
            ]
        );
        assert_eq!(
            plan.summary(),
            "1 to add, 1 to change, 2 to remove, 1 unchanged"
        );
    }
}
