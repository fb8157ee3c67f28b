//! Route patterns and the immutable route table derived from stored scripts.
//!
//! The table is rebuilt after every committed change and swapped in whole,
//! so a request sees either the old table or the new one, never a mix.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One `register(path, handler, method, opts)` call, as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub max_body_bytes: Option<u64>,
    /// A Server-Sent Events stream (`registerWebStream`), not a handler.
    #[serde(default)]
    pub stream: bool,
}

impl RouteSpec {
    /// Key a worker uses to find the handler inside the script's context.
    pub fn handler_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The largest `maxBodyBytes` a route may ask for (1 GiB). A constant for
/// now; a `server.max_route_body_bytes` setting could replace it.
pub const MAX_ROUTE_BODY_BYTES: u64 = 1 << 30;

pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
    Wildcard,
}

/// A parsed path such as `/users/:id`, `/users/{id}` or `/files/*`.
#[derive(Clone, Debug)]
pub struct Pattern {
    segments: Vec<Segment>,
}

impl Pattern {
    pub fn parse(path: &str) -> Result<Pattern, String> {
        if !path.starts_with('/') {
            return Err(format!("route path '{path}' must start with '/'"));
        }
        if path.chars().any(|c| c.is_control() || c == '?' || c == '#') {
            return Err(format!(
                "route path '{path}' contains a control character, '?' or '#'"
            ));
        }
        let parts: Vec<&str> = path[1..].split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let seg = if *part == "*" {
                if i + 1 != parts.len() {
                    return Err(format!(
                        "route path '{path}': '*' is allowed only as the last segment"
                    ));
                }
                Segment::Wildcard
            } else if let Some(name) = part.strip_prefix(':') {
                Segment::Param(param_name(path, name)?)
            } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Segment::Param(param_name(path, name)?)
            } else if *part == ".." || *part == "." {
                return Err(format!("route path '{path}' contains '{part}'"));
            } else {
                Segment::Literal((*part).to_string())
            };
            segments.push(seg);
        }
        Ok(Pattern { segments })
    }

    /// The pattern with parameter names erased: `/users/:id` and
    /// `/users/{name}` are the same route for conflict purposes.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        for seg in &self.segments {
            s.push('/');
            match seg {
                Segment::Literal(l) => s.push_str(l),
                Segment::Param(_) => s.push(':'),
                Segment::Wildcard => s.push('*'),
            }
        }
        s
    }

    fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    /// Specificity for ordering: literals first, wildcards last.
    fn rank(&self) -> (usize, usize) {
        let params = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Param(_)))
            .count();
        let wild = usize::from(matches!(self.segments.last(), Some(Segment::Wildcard)));
        (wild, params)
    }

    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut rest = Some(path.strip_prefix('/')?);
        let mut params = Vec::new();
        for seg in &self.segments {
            if let Segment::Wildcard = seg {
                params.push(("*".to_string(), decode(rest.unwrap_or(""))));
                return Some(params);
            }
            let current = rest?;
            let (part, tail) = match current.find('/') {
                Some(i) => (&current[..i], Some(&current[i + 1..])),
                None => (current, None),
            };
            rest = tail;
            match seg {
                Segment::Literal(l) if part == l => {}
                Segment::Param(name) if !part.is_empty() => {
                    params.push((name.clone(), decode(part)))
                }
                _ => return None,
            }
        }
        rest.is_none().then_some(params)
    }
}

fn param_name(path: &str, name: &str) -> Result<String, String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "route path '{path}': parameter name '{name}' must be letters, digits or '_'"
        ));
    }
    Ok(name.to_string())
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The immutable code and identity of one enabled script version.
#[derive(Debug)]
pub struct LoadedScript {
    pub name: Arc<str>,
    pub version: u64,
    pub source: Arc<str>,
    /// Set once a run of this version was slow or hit a limit: from then on
    /// it is served by the JS pool, never inline on an I/O thread.
    slow: AtomicBool,
    /// Fast runs seen so far (saturating at [`PROMOTE_AFTER`]). A new
    /// version is served by the pool until it has shown it is fast.
    fast_runs: AtomicU32,
}

/// Fast runs after which a script version is called inline.
pub const PROMOTE_AFTER: u32 = 32;

impl LoadedScript {
    pub fn new(name: Arc<str>, version: u64, source: Arc<str>) -> LoadedScript {
        LoadedScript {
            name,
            version,
            source,
            slow: AtomicBool::new(false),
            fast_runs: AtomicU32::new(0),
        }
    }

    pub fn mark_slow(&self) {
        self.slow.store(true, Ordering::Relaxed);
    }

    pub fn note_fast_run(&self) {
        if self.fast_runs.load(Ordering::Relaxed) < PROMOTE_AFTER {
            self.fast_runs.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether an I/O thread may call this version inline.
    pub fn runs_inline(&self) -> bool {
        !self.slow.load(Ordering::Relaxed)
            && self.fast_runs.load(Ordering::Relaxed) >= PROMOTE_AFTER
    }
}

#[derive(Debug)]
pub struct Route {
    pub spec: RouteSpec,
    pub handler_key: Arc<str>,
    pub script: Arc<LoadedScript>,
    pattern: Pattern,
}

pub enum Lookup<'a> {
    Found {
        route: &'a Route,
        params: Vec<(String, String)>,
    },
    MethodNotAllowed(Vec<&'a str>),
    NotFound,
}

/// All routes of all enabled scripts. Built off the hot path; lookups
/// take no lock and read no store.
#[derive(Default, Debug)]
pub struct RouteTable {
    exact: HashMap<String, Vec<usize>>,
    dynamic: Vec<usize>,
    routes: Vec<Route>,
}

impl RouteTable {
    pub fn build(scripts: &[(Arc<LoadedScript>, Vec<RouteSpec>)]) -> RouteTable {
        let mut table = RouteTable::default();
        for (script, specs) in scripts {
            for spec in specs {
                let Ok(pattern) = Pattern::parse(&spec.path) else {
                    continue;
                };
                let idx = table.routes.len();
                if pattern.is_static() {
                    table.exact.entry(spec.path.clone()).or_default().push(idx);
                } else {
                    table.dynamic.push(idx);
                }
                table.routes.push(Route {
                    handler_key: spec.handler_key().into(),
                    spec: spec.clone(),
                    script: script.clone(),
                    pattern,
                });
            }
        }
        let routes = &table.routes;
        table.dynamic.sort_by_key(|&i| routes[i].pattern.rank());
        table
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn lookup(&self, method: &str, path: &str) -> Lookup<'_> {
        let mut allowed: Vec<&str> = Vec::new();
        if let Some(idxs) = self.exact.get(path) {
            if let Some(found) = self.pick(idxs.iter().copied(), method, &mut allowed, path) {
                return found;
            }
        }
        if allowed.is_empty() {
            let candidates = self.dynamic.iter().copied();
            if let Some(found) = self.pick(candidates, method, &mut allowed, path) {
                return found;
            }
        }
        if allowed.is_empty() {
            return Lookup::NotFound;
        }
        if allowed.contains(&"GET") && !allowed.contains(&"HEAD") {
            allowed.push("HEAD");
        }
        allowed.sort_unstable();
        allowed.dedup();
        Lookup::MethodNotAllowed(allowed)
    }

    fn pick<'a>(
        &'a self,
        idxs: impl Iterator<Item = usize>,
        method: &str,
        allowed: &mut Vec<&'a str>,
        path: &str,
    ) -> Option<Lookup<'a>> {
        let mut get_for_head = None;
        for i in idxs {
            let route = &self.routes[i];
            let Some(params) = route.pattern.matches(path) else {
                continue;
            };
            if route.spec.method == method {
                return Some(Lookup::Found { route, params });
            }
            if method == "HEAD" && route.spec.method == "GET" && get_for_head.is_none() {
                get_for_head = Some((route, params));
            }
            allowed.push(&route.spec.method);
        }
        get_for_head.map(|(route, params)| Lookup::Found { route, params })
    }

    /// Which enabled script owns `method canonical(path)`, if any.
    pub fn owner_of(&self, method: &str, canonical: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|r| r.spec.method == method && r.pattern.canonical() == canonical)
            .map(|r| &*r.script.name)
    }
}

pub use crate::domain::is_reserved;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_and_wildcards_match() {
        let p = Pattern::parse("/users/:id").unwrap();
        assert_eq!(
            p.matches("/users/42").unwrap(),
            vec![("id".into(), "42".into())]
        );
        assert!(p.matches("/users/42/x").is_none());
        assert!(p.matches("/users/").is_none());
        let w = Pattern::parse("/files/*").unwrap();
        assert_eq!(w.matches("/files/a/b.txt").unwrap()[0].1, "a/b.txt");
        assert_eq!(
            Pattern::parse("/u/{id}").unwrap().canonical(),
            Pattern::parse("/u/:x").unwrap().canonical()
        );
    }
}
