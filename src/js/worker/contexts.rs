//! The worker's warm contexts: one per script version (or per request under
//! `isolation = "request"`), keyed by generation, the newest version of each
//! script marked current, and at most `max_contexts_per_worker` kept.

use std::sync::Arc;

use super::Worker;
use crate::js::context::{ScriptContext, TimerSink};
use crate::js::{FailureKind, Isolation, ScriptFailure};
use crate::scripts::routes::LoadedScript;

pub(super) struct Entry {
    pub sc: ScriptContext,
    pub script: Arc<LoadedScript>,
    pub last_used: u64,
    pub pending: usize,
}

impl Entry {
    /// No parked request and no open stream needs this context.
    pub(super) fn idle(&self) -> bool {
        self.pending == 0 && self.sc.shared.streams.is_empty()
    }
}

impl Worker {
    /// Every script the context imported still serves the source it
    /// evaluated (a module script's context is rebuilt after a save of
    /// anything it imports). Scripts without imports pay one check.
    fn imports_current(&self, e: &Entry) -> bool {
        let imports = e.sc.shared.imports.borrow();
        imports.is_empty()
            || imports.iter().all(|(name, source)| {
                self.setup
                    .host
                    .module_source(name)
                    .is_some_and(|now| Arc::ptr_eq(&now, source))
            })
    }

    /// Finds or builds the context for this script version.
    pub(super) fn context_for(&mut self, script: &Arc<LoadedScript>) -> Result<u64, ScriptFailure> {
        let per_request = self.setup.cfg.isolation == Isolation::Request;
        if !per_request {
            if let Some(&g) = self.current.get(&script.name) {
                // The same source, not only the same version number: a
                // script deleted or renamed away may leave an idle context
                // under a name that a new script (at version 1 again) takes.
                if self.entries.get(&g).is_some_and(|e| {
                    e.script.version == script.version
                        && Arc::ptr_eq(&e.script.source, &script.source)
                        && self.imports_current(e)
                }) {
                    return Ok(g);
                }
            }
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        let sink = TimerSink {
            handle: self.setup.handle.clone(),
            deliver: self.setup.deliver.clone(),
            generation,
        };
        let sc = ScriptContext::new(
            &self.setup.cfg,
            script.name.clone(),
            self.setup.host.clone(),
            Some(sink),
            false,
            self.setup.preludes.clone(),
        )
        .and_then(|sc| sc.load(&script.source).map(|_| sc))
        .map_err(|e| ScriptFailure {
            kind: FailureKind::Unavailable,
            message: format!("script {} could not be loaded: {}", script.name, e.message),
            stack: None,
            line: e.line,
            column: e.column,
            best_effort: None,
        })?;
        let newest = self
            .current
            .get(&script.name)
            .and_then(|g| self.entries.get(g))
            .is_none_or(|e| e.script.version <= script.version);
        if !per_request && newest {
            if let Some(old) = self.current.insert(script.name.clone(), generation) {
                self.retire_if_idle(old);
            }
        }
        self.entries.insert(
            generation,
            Entry {
                sc,
                script: script.clone(),
                last_used: self.clock,
                pending: 0,
            },
        );
        self.evict(generation);
        Ok(generation)
    }

    pub(super) fn is_current(&self, generation: u64) -> bool {
        self.entries
            .get(&generation)
            .is_some_and(|e| self.current.get(&e.script.name) == Some(&generation))
    }

    pub(super) fn retire_if_idle(&mut self, generation: u64) {
        if self.entries.get(&generation).is_some_and(|e| e.idle()) && !self.is_current(generation) {
            self.entries.remove(&generation);
        }
    }

    /// Bounds warm contexts per worker, least recently used first. `keep`
    /// (the context about to serve) is never the victim, even when it is the
    /// only idle one or ties on `last_used`: the bound is exceeded while
    /// parked requests pin the others, and restored by a later eviction.
    fn evict(&mut self, keep: u64) {
        let max = self.setup.cfg.max_contexts_per_worker.max(1);
        while self.entries.len() > max {
            let victim = self
                .entries
                .iter()
                .filter(|(g, e)| **g != keep && e.idle())
                .min_by_key(|(_, e)| e.last_used)
                .map(|(g, _)| *g);
            let Some(g) = victim else { break };
            self.entries.remove(&g);
            self.current.retain(|_, v| *v != g);
        }
    }
}
