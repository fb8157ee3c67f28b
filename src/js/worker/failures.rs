//! The failures a worker reports for limit hits, and how it logs failures
//! to the script's log.

use std::sync::Arc;

use super::{Entry, Worker};
use crate::js::{FailureKind, JsConfig, LogLevel, ScriptFailure};

impl Worker {
    pub(super) fn log_failure(&self, generation: u64, rid: &Arc<str>, f: &ScriptFailure) {
        let Some(entry) = self.entries.get(&generation) else {
            return;
        };
        let cfg = &self.setup.cfg;
        let limit = match f.kind {
            FailureKind::Timeout => format!(" (limit js.time_limit_ms = {} ms)", cfg.time_limit_ms),
            FailureKind::Memory => format!(
                " (limit js.memory_limit_bytes = {} bytes)",
                cfg.memory_limit_bytes
            ),
            FailureKind::Stack => format!(
                " (limit js.stack_size_bytes = {} bytes)",
                cfg.stack_size_bytes
            ),
            _ => String::new(),
        };
        let mut msg = format!("{}: {}{}", f.kind.code(), f.message, limit);
        if let Some(stack) = &f.stack {
            msg.push('\n');
            msg.push_str(stack);
        }
        // In --dev an invalid response is served best-effort: a warning.
        let level = if f.best_effort.is_some() {
            LogLevel::Warn
        } else {
            LogLevel::Error
        };
        self.setup
            .host
            .script_log(&entry.script.name, level, msg, Some(rid));
    }
}

pub(super) fn time_failure(ms: u64) -> ScriptFailure {
    ScriptFailure {
        kind: FailureKind::Timeout,
        message: format!("script ran longer than {ms} ms of JavaScript time"),
        stack: None,
        line: None,
        column: None,
        best_effort: None,
    }
}

pub(super) fn limit_failure(entry: &Entry, cfg: &JsConfig) -> ScriptFailure {
    let kind = match entry.sc.shared.limit_hit.get() {
        _ if entry.sc.shared.interrupted.get() => FailureKind::Timeout,
        Some(kind) => kind,
        None => FailureKind::Timeout,
    };
    let message = match kind {
        FailureKind::Memory => format!(
            "script used more than {} bytes of memory",
            cfg.memory_limit_bytes
        ),
        FailureKind::Stack => format!(
            "script used more than {} bytes of stack",
            cfg.stack_size_bytes
        ),
        _ => return time_failure(cfg.time_limit_ms),
    };
    ScriptFailure {
        kind,
        message,
        stack: None,
        line: None,
        column: None,
        best_effort: None,
    }
}
