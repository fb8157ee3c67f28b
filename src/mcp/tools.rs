//! `tools/list` and `tools/call`: the scripts' tools (arguments checked
//! against the input schema first, the value mapped to MCP content), then
//! the engine's built-in tools when configured.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, Tool};
use serde_json::{json, Value};

use super::builtin::{BuiltinTool, ToolReply};
use super::registry::ToolEntry;

/// A script tool as `tools/list` shows it.
pub fn script_tool(t: &ToolEntry) -> Tool {
    let mut v = json!({
        "name": t.spec.name,
        "description": t.spec.description,
        "inputSchema": t.input_schema,
    });
    if let Some(title) = &t.spec.title {
        v["title"] = json!(title);
    }
    if let Some(s) = &t.output_schema {
        v["outputSchema"] = s.clone();
    }
    if let Some(a) = &t.annotations {
        v["annotations"] = a.clone();
    }
    tool_from(v, &t.spec.name)
}

pub fn builtin_tool(t: &BuiltinTool) -> Tool {
    let mut v = json!({
        "name": t.name,
        "title": t.title,
        "description": t.description,
        "inputSchema": t.input_schema,
    });
    if let Some(s) = &t.output_schema {
        v["outputSchema"] = s.clone();
    }
    if let Some(a) = &t.annotations {
        v["annotations"] = a.clone();
    }
    tool_from(v, &t.name)
}

fn tool_from(v: Value, name: &str) -> Tool {
    serde_json::from_value(v).unwrap_or_else(|e| {
        // Schemas were checked at registration; keep the tool listed.
        tracing::warn!(tool = name, "MCP tool description not representable: {e}");
        let mut schema = serde_json::Map::new();
        schema.insert("type".into(), json!("object"));
        Tool::new(name.to_string(), String::new(), Arc::new(schema))
    })
}

/// The first way `args` fails the tool's input schema, naming the path.
pub fn check_args(t: &ToolEntry, args: &Value) -> Result<(), String> {
    match t.input.iter_errors(args).next() {
        None => Ok(()),
        Some(e) => Err(format!(
            "invalid arguments for tool {}: at {}: {}",
            t.spec.name,
            at(&e.instance_path().to_string()),
            e
        )),
    }
}

fn at(pointer: &str) -> String {
    match pointer {
        "" => "the arguments object".to_string(),
        p => format!("/{}", p.trim_start_matches('/')).replace("//", "/"),
    }
}

pub fn error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// What a script tool returned, as a result: a string is text; an object
/// with a `content` array passes through; another object is
/// `structuredContent` (checked against the output schema) plus its JSON
/// as text; null or undefined is no content.
pub fn script_result(t: &ToolEntry, value: Value) -> CallToolResult {
    match value {
        Value::Null => CallToolResult::success(Vec::new()),
        Value::String(s) => {
            if t.output.is_some() {
                return error(format!(
                    "tool {} declares an outputSchema but returned a string; return an object that matches it",
                    t.spec.name
                ));
            }
            CallToolResult::success(vec![ContentBlock::text(s)])
        }
        Value::Object(o) if o.get("content").is_some_and(Value::is_array) => {
            match serde_json::from_value::<CallToolResult>(Value::Object(o)) {
                Ok(r) => r,
                Err(e) => error(format!(
                    "tool {} returned {{content: [...]}} that is not valid MCP content: {e}",
                    t.spec.name
                )),
            }
        }
        Value::Object(o) => structured(t, Value::Object(o)),
        other if t.output.is_some() => error(format!(
            "tool {} declares an outputSchema but returned {other}; return an object that matches it",
            t.spec.name
        )),
        other => CallToolResult::success(vec![ContentBlock::text(other.to_string())]),
    }
}

fn structured(t: &ToolEntry, value: Value) -> CallToolResult {
    if let Some(v) = &t.output {
        if let Some(e) = v.iter_errors(&value).next() {
            return error(format!(
                "tool {} returned a value that does not match its outputSchema: at {}: {e}",
                t.spec.name,
                at(&e.instance_path().to_string())
            ));
        }
    }
    let mut r = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    r.structured_content = Some(value);
    r
}

pub fn builtin_result(reply: ToolReply) -> CallToolResult {
    match reply {
        ToolReply::Text(s) => CallToolResult::success(vec![ContentBlock::text(s)]),
        ToolReply::Structured(v) => {
            let mut r = CallToolResult::success(vec![ContentBlock::text(v.to_string())]);
            r.structured_content = Some(v);
            r
        }
    }
}
