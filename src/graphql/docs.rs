//! Parsed GraphQL documents, kept per schema build: clients send the same
//! few query strings over and over, and parsing (pest) costs more than
//! executing a one-field query. Bounded LRU; a schema rebuild starts a new
//! cache with the new `Built`.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{ExecutableDocument, OperationType};

/// Longer documents are parsed every time rather than kept.
const MAX_CACHED_LEN: usize = 16 * 1024;
const ENTRIES: usize = 512;

pub struct DocCache {
    docs: Mutex<lru::LruCache<Box<str>, Arc<CachedDoc>>>,
}

/// A parsed document, and whether it has passed strict validation once
/// (after which the fast-validating schema runs it).
pub struct CachedDoc {
    pub doc: ExecutableDocument,
    validated: AtomicBool,
}

impl CachedDoc {
    pub fn validated(&self) -> bool {
        self.validated.load(Ordering::Relaxed)
    }

    /// Call after a strict run that produced no errors.
    pub fn mark_validated(&self) {
        self.validated.store(true, Ordering::Relaxed);
    }
}

impl Default for DocCache {
    fn default() -> Self {
        DocCache {
            docs: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(ENTRIES).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl DocCache {
    /// The parsed document for `query`; `None` when it does not parse (the
    /// executor then parses it again and reports the error in its usual shape).
    pub fn get(&self, query: &str) -> Option<Arc<CachedDoc>> {
        if let Some(doc) = self.lock().get(query) {
            return Some(doc.clone());
        }
        let doc = Arc::new(CachedDoc {
            doc: async_graphql::parser::parse_query(query).ok()?,
            validated: AtomicBool::new(false),
        });
        if query.len() <= MAX_CACHED_LEN {
            self.lock().put(query.into(), doc.clone());
        }
        Some(doc)
    }

    /// Parses through the cache and hands the document to `req`, so the
    /// executor skips its own parse.
    pub fn prepare(&self, req: &mut async_graphql::Request) -> Option<Arc<CachedDoc>> {
        let doc = self.get(&req.query)?;
        req.set_parsed_query(doc.doc.clone());
        Some(doc)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<Box<str>, Arc<CachedDoc>>> {
        // A panic while holding the lock cannot leave the LRU half-updated
        // in a way that matters: at worst an entry is missing.
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether the operation `operation_name` picks (or the only one) is of type `ty`.
pub fn operation_is(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    ty: OperationType,
) -> bool {
    doc.operations.iter().any(|(name, op)| {
        let selected = operation_name.is_none_or(|want| name.is_some_and(|n| n.as_str() == want));
        selected && op.node.ty == ty
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_and_recognises_operations() {
        let cache = DocCache::default();
        let a = cache.get("mutation M { x } query Q { y }").unwrap();
        let b = cache.get("mutation M { x } query Q { y }").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(operation_is(&a.doc, Some("M"), OperationType::Mutation));
        assert!(!operation_is(&a.doc, Some("Q"), OperationType::Mutation));
        assert!(!a.validated());
        a.mark_validated();
        assert!(b.validated());
        assert!(cache.get("{ unclosed").is_none());
    }
}
