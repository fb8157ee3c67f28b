//! Turning QuickJS exceptions into failures that name the limit or the line.

use rquickjs::{CaughtError, Ctx, Value};

use super::context::Shared;
use super::FailureKind;

pub(crate) struct Described {
    pub kind: FailureKind,
    pub message: String,
    pub stack: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// Classifies the pending exception of `ctx` (or the non-exception error).
pub(crate) fn describe(ctx: &Ctx<'_>, err: rquickjs::Error, shared: &Shared) -> Described {
    let (message, stack) = match CaughtError::from_error(ctx, err) {
        CaughtError::Exception(ex) => {
            let name: Option<String> = ex.get("name").ok();
            let msg = ex.message().unwrap_or_default();
            let msg = match name {
                Some(n) if !n.is_empty() && n != "Error" => format!("{n}: {msg}"),
                _ => msg,
            };
            (msg, ex.stack())
        }
        // QuickJS throws a bare `null` when it cannot allocate even its own
        // out-of-memory error. A script's own `throw null` looks the same;
        // it is taken for running out of memory too (the context is then
        // rebuilt, which is safe), and the message says both.
        CaughtError::Value(v) if v.is_null() => (NULL_THROWN.to_string(), None),
        CaughtError::Value(v) => (format!("uncaught {}", value_text(ctx, &v)), None),
        CaughtError::Error(e) => (e.to_string(), None),
    };
    describe_message(message, stack, shared)
}

/// What a bare `null` exception is taken for: QuickJS throws one when it
/// cannot allocate even its own out-of-memory error. A script's own `throw
/// null` looks the same and is taken for running out of memory too (the
/// context is rebuilt, which is safe); the message says both.
const NULL_THROWN: &str = "out of memory: uncaught null (QuickJS's out-of-memory signal; a script's own `throw null` looks the same)";

/// Same classification for a rejection value or a caught value.
pub(crate) fn describe_value<'js>(ctx: &Ctx<'js>, v: &Value<'js>, shared: &Shared) -> Described {
    if let Some(obj) = v.as_object() {
        if let Some(ex) = rquickjs::Exception::from_object(obj.clone()) {
            let name: Option<String> = ex.get("name").ok();
            let msg = ex.message().unwrap_or_default();
            let msg = match name {
                Some(n) if !n.is_empty() && n != "Error" => format!("{n}: {msg}"),
                _ => msg,
            };
            return describe_message(msg, ex.stack(), shared);
        }
    }
    if v.is_null() {
        return describe_message(NULL_THROWN.to_string(), None, shared);
    }
    describe_message(format!("uncaught {}", value_text(ctx, v)), None, shared)
}

fn describe_message(message: String, stack: Option<String>, shared: &Shared) -> Described {
    let kind = if shared.interrupted.get() {
        FailureKind::Timeout
    } else if message.contains("out of memory") || message.contains("Allocation failed") {
        FailureKind::Memory
    } else if message.contains("Maximum call stack size exceeded")
        || message.contains("stack overflow")
    {
        FailureKind::Stack
    } else {
        FailureKind::Runtime
    };
    if matches!(kind, FailureKind::Memory | FailureKind::Stack) {
        shared.limit_hit.set(Some(kind));
    }
    let (line, column) = stack
        .as_deref()
        .and_then(|s| position(s, &shared.script))
        .unzip();
    Described {
        kind,
        message,
        stack,
        line,
        column,
    }
}

fn value_text<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> String {
    if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        return s;
    }
    ctx.json_stringify(v.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| format!("{:?}", v.type_of()))
}

/// First `file:line:col` in a stack that names the script's own file.
pub(crate) fn position(stack: &str, file: &str) -> Option<(u32, u32)> {
    let needle = format!("{file}:");
    let mut rest = stack;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let mut nums = rest.splitn(3, |c: char| !c.is_ascii_digit());
        let line = nums.next().and_then(|n| n.parse().ok());
        let col = nums.next().and_then(|n| n.parse().ok());
        if let (Some(l), Some(c)) = (line, col) {
            return Some((l, c));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_position_of_own_file() {
        let s = "    at boom (lib.js:1:1)\n    at hello (app.js:12:7)\n";
        assert_eq!(super::position(s, "app.js"), Some((12, 7)));
        assert_eq!(super::position(s, "other.js"), None);
    }
}
