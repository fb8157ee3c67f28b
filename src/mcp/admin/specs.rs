//! What `tools/list` shows of the admin tools: names, descriptions, input
//! and output JSON Schemas, and annotations (set from what each tool does:
//! the readers change nothing; a save replaces what a script serves, but
//! its versions keep the old source).

use serde_json::{json, Value};

use super::data::MAX_ASSET_BYTES;
use super::routes::{MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_TIMEOUT_MS};
use crate::mcp::builtin::BuiltinTool;

mod outputs;

/// Every admin tool's name, in `tools/list` order.
pub const NAMES: &[&str] = &[
    "list_scripts",
    "get_script",
    "put_script",
    "edit_script",
    "check_script",
    "delete_script",
    "list_versions",
    "restore_version",
    "list_routes",
    "call_route",
    "get_logs",
    "list_assets",
    "put_asset",
    "kv_get",
    "kv_list",
];

fn object(props: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

fn name_prop() -> Value {
    json!({ "type": "string", "maxLength": crate::scripts::MAX_NAME_LEN,
            "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$",
            "description": "The script's name, a relative path such as blog.js or api/users.js" })
}

fn key_prop(what: &str) -> Value {
    json!({ "type": "array", "items": { "type": ["string", "number", "boolean"] },
            "description": what })
}

/// (readOnlyHint, destructiveHint, idempotentHint)
fn hints(read_only: bool, destructive: bool, idempotent: bool) -> Value {
    json!({ "readOnlyHint": read_only, "destructiveHint": destructive,
            "idempotentHint": idempotent, "openWorldHint": false })
}

const READER: (bool, bool, bool) = (true, false, true);

struct Spec {
    name: &'static str,
    title: &'static str,
    description: String,
    input: Value,
    hints: (bool, bool, bool),
}

fn specs(max_script: usize) -> Vec<Spec> {
    let name_only = object(json!({ "name": name_prop() }), &["name"]);
    let source = json!({ "type": "string", "maxLength": max_script, "description": "The whole JavaScript source" });
    vec![
        Spec { name: "list_scripts", title: "List scripts",
            description: "Lists the scripts you may read, with version, owner, routes and any load error.".into(),
            input: object(json!({}), &[]), hints: READER },
        Spec { name: "get_script", title: "Get a script",
            description: "A script's source and details; `draft` is your unsaved draft of it (from a put_script or edit_script that did not load), if any.".into(),
            input: name_only.clone(), hints: READER },
        Spec { name: "put_script", title: "Create or replace a script",
            description: "Saves a script's source as a new version and serves it at once. When it does not load, nothing is saved: the answer is ok=false with the error's line and column, and the source is kept as your draft for edit_script.".into(),
            input: object(json!({ "name": name_prop(), "source": source }), &["name", "source"]),
            hints: (false, true, false) },
        Spec { name: "edit_script", title: "Edit a script",
            description: "Changes part of a script and saves it like put_script. Give oldText (text that occurs exactly once) and newText, or startLine and endLine (1-based, inclusive; endLine = startLine - 1 inserts) and newText. Edits your draft when you have one, else the saved source.".into(),
            input: json!({ "type": "object", "additionalProperties": false,
                "properties": {
                    "name": name_prop(),
                    "oldText": { "type": "string", "minLength": 1, "description": "Text to replace; must occur exactly once" },
                    "startLine": { "type": "integer", "minimum": 1 },
                    "endLine": { "type": "integer", "minimum": 0 },
                    "newText": { "type": "string", "description": "The replacement (may be empty)" } },
                "required": ["name", "newText"] }),
            hints: (false, true, false) },
        Spec { name: "check_script", title: "Check a script without saving",
            description: "Loads a source the way a save would (its top-level code runs, its routes are checked for clashes) and reports the error with line and column, without saving. Without source, checks your draft or the saved version.".into(),
            input: object(json!({ "name": name_prop(), "source": source }), &["name"]),
            hints: READER },
        Spec { name: "delete_script", title: "Delete a script",
            description: "Deletes a script with its versions; its routes stop at once.".into(),
            input: name_only.clone(), hints: (false, true, true) },
        Spec { name: "list_versions", title: "List a script's versions",
            description: "A script's saved versions, newest first.".into(),
            input: name_only, hints: READER },
        Spec { name: "restore_version", title: "Restore a version",
            description: "Saves an earlier version's source as the newest version.".into(),
            input: object(json!({ "name": name_prop(), "version": { "type": "integer", "minimum": 1 } }), &["name", "version"]),
            hints: (false, true, false) },
        Spec { name: "list_routes", title: "List routes",
            description: "Every route of the scripts you may read: method, path, script, enabled.".into(),
            input: object(json!({}), &[]), hints: READER },
        Spec { name: "call_route", title: "Call a route",
            description: format!("Makes a request to one of this engine's routes, in-process, and returns status, headers and body. The request carries only the headers you give (it is anonymous unless they hold an Authorization header). Bodies: up to {MAX_REQUEST_BYTES} bytes sent, {MAX_RESPONSE_BYTES} returned (truncated says when cut); a stream is read until timeoutMs. requestId finds the request's entries with get_logs."),
            input: object(json!({
                "method": { "type": "string", "default": "GET", "description": "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS" },
                "path": { "type": "string", "pattern": "^/", "description": "Path and query, such as /hello?name=x" },
                "headers": { "type": "object", "additionalProperties": { "type": "string" } },
                "body": { "type": "string", "description": "A text body" },
                "bodyBase64": { "type": "string", "description": "A binary body, base64" },
                "timeoutMs": { "type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_MS } }), &["path"]),
            hints: (false, true, false) },
        Spec { name: "get_logs", title: "Read script logs",
            description: "Log entries, newest first: one script's, or those of every script you may read; requestId keeps one request's entries.".into(),
            input: object(json!({
                "script": name_prop(),
                "requestId": { "type": "string" },
                "limit": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }), &[]),
            hints: READER },
        Spec { name: "list_assets", title: "List assets",
            description: "Stored static assets (path, public URL, type, size, owner), in path order.".into(),
            input: object(json!({ "prefix": { "type": "string", "description": "Only paths starting with this" } }), &[]),
            hints: READER },
        Spec { name: "put_asset", title: "Store an asset",
            description: format!("Stores a static asset served at its public URL (/PATH), as text or base64 (up to {MAX_ASSET_BYTES} bytes). You own what you create; replacing needs ownership or admin."),
            input: json!({ "type": "object", "additionalProperties": false,
                "properties": {
                    "path": { "type": "string", "description": "Such as css/site.css" },
                    "contentType": { "type": "string", "description": "Default: from the extension" },
                    "text": { "type": "string" },
                    "base64": { "type": "string" } },
                "required": ["path"],
                "oneOf": [ { "required": ["text"] }, { "required": ["base64"] } ] }),
            hints: (false, true, true) },
        Spec { name: "kv_get", title: "Read a kv entry",
            description: "One entry of a script's kv data (value null when missing). Types JSON lacks are tagged, such as {\"$bigint\": \"12\"}.".into(),
            input: object(json!({ "script": name_prop(), "key": key_prop("The key, such as [\"users\", 1]") }), &["script", "key"]),
            hints: READER },
        Spec { name: "kv_list", title: "List kv entries",
            description: "A script's kv entries under a key prefix, in key order; pass cursor to continue.".into(),
            input: object(json!({
                "script": name_prop(),
                "prefix": key_prop("Only keys starting with these parts"),
                "limit": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 },
                "cursor": { "type": "string" } }), &["script"]),
            hints: READER },
    ]
}

/// Every admin tool; `max_script` is config `js.max_script_bytes`.
pub fn all(max_script: usize) -> Vec<BuiltinTool> {
    specs(max_script)
        .into_iter()
        .map(|s| {
            let (r, d, i) = s.hints;
            BuiltinTool {
                name: s.name.into(),
                title: s.title.into(),
                description: s.description,
                input_schema: s.input,
                output_schema: Some(outputs::of(s.name)),
                annotations: Some(hints(r, d, i)),
            }
        })
        .collect()
}
