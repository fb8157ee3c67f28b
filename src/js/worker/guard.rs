//! The panic guard around every worker job. A panic is an engine bug, but it
//! must cost only the requests and the context it touched: the worker thread
//! (and with it every other warm context and parked request) keeps running.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::Worker;
use crate::js::{FailureKind, Outcome, ScriptFailure};

/// What the running job has touched, so that a panic can be cleaned up.
#[derive(Default)]
pub(super) struct Active {
    /// The context the job runs JS in, once known.
    pub generation: Option<u64>,
    /// The request being served, until it is answered or parked.
    pub reply: Option<(Arc<str>, oneshot::Sender<Outcome>)>,
}

impl Worker {
    /// Runs `job`; after a panic, answers the affected requests with an
    /// internal failure and discards the context the job was using.
    pub(super) fn guarded(&mut self, job: impl FnOnce(&mut Worker)) {
        let result = catch_unwind(AssertUnwindSafe(|| job(self)));
        let active = std::mem::take(&mut self.active);
        if let Err(panic) = result {
            self.recover(active, &panic_message(&*panic));
        }
    }

    fn recover(&mut self, active: Active, panic: &str) {
        let script = active
            .generation
            .and_then(|g| self.entries.get(&g))
            .map(|e| e.script.name.clone());
        let name = script.as_deref().unwrap_or("(none)");
        let failure = || ScriptFailure {
            kind: FailureKind::Internal,
            message: format!(
                "the JS worker panicked while running script {name}: {panic}; \
                 its context was discarded (this is an engine bug: please report it)"
            ),
            stack: None,
            line: None,
            column: None,
            best_effort: None,
        };
        let mut lost = Vec::new();
        if let Some((_, reply)) = active.reply {
            lost.push(reply);
        }
        if let Some(g) = active.generation {
            self.entries.remove(&g);
            self.current.retain(|_, v| *v != g);
            let (gone, kept) = std::mem::take(&mut self.parked)
                .into_iter()
                .partition(|p| p.generation == g);
            self.parked = kept;
            lost.extend(gone.into_iter().map(|p| p.reply));
        }
        // Each answered request is logged once, under its own id, by the
        // HTTP layer; a panic that hit no request is logged here.
        if lost.is_empty() {
            tracing::error!(script = name, "{}", failure().message);
        }
        for reply in lost {
            let _ = reply.send(Err(failure()));
        }
    }
}

/// The context vanished between `context_for` and the call; should not
/// happen, but is answered rather than panicking.
pub(super) fn lost_context(script: &str) -> ScriptFailure {
    ScriptFailure {
        kind: FailureKind::Internal,
        message: format!("the JS worker lost the context of script {script} before calling it"),
        stack: None,
        line: None,
        column: None,
        best_effort: None,
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests;
