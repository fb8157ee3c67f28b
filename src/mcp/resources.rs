//! `resources/list`, `resources/templates/list` and `resources/read` over
//! the scripts' `registerMCPResource` registrations.

use rmcp::model::{ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult};
use rmcp::ErrorData;
use serde_json::{json, Value};

use super::registry::{ResourceEntry, Snapshot};

fn describe(r: &ResourceEntry, uri_key: &str) -> Value {
    let mut v = json!({
        uri_key: r.spec.uri,
        "name": r.spec.name,
        "description": r.spec.description,
    });
    if let Some(t) = &r.spec.title {
        v["title"] = json!(t);
    }
    if let Some(m) = &r.spec.mime_type {
        v["mimeType"] = json!(m);
    }
    v
}

pub fn list(snapshot: &Snapshot) -> Result<ListResourcesResult, ErrorData> {
    let items: Vec<Value> = snapshot
        .resources
        .iter()
        .filter(|r| r.template.is_none())
        .map(|r| describe(r, "uri"))
        .collect();
    parse(json!({ "resources": items }))
}

pub fn templates(snapshot: &Snapshot) -> Result<ListResourceTemplatesResult, ErrorData> {
    let items: Vec<Value> = snapshot
        .resources
        .iter()
        .filter(|r| r.template.is_some())
        .map(|r| describe(r, "uriTemplate"))
        .collect();
    parse(json!({ "resourceTemplates": items }))
}

/// What a resource handler returned, as `resources/read` contents: a
/// string is text; `{text}` or `{blob}` (base64) one content with an
/// optional `mimeType`; `{contents: [...]}` passes through; anything else
/// is its JSON as `application/json` text.
pub fn read_result(
    r: &ResourceEntry,
    uri: &str,
    value: Value,
) -> Result<ReadResourceResult, ErrorData> {
    let mime = r.spec.mime_type.clone();
    let one = |mut c: serde_json::Map<String, Value>| {
        c.insert("uri".into(), json!(uri));
        if !c.contains_key("mimeType") {
            if let Some(m) = &mime {
                c.insert("mimeType".into(), json!(m));
            }
        }
        Value::Object(c)
    };
    let contents = match value {
        Value::String(text) => vec![one(serde_json::Map::from_iter([(
            "text".into(),
            json!(text),
        )]))],
        Value::Object(o) if o.get("contents").is_some_and(Value::is_array) => {
            return parse(Value::Object(o));
        }
        Value::Object(o) if o.contains_key("text") || o.contains_key("blob") => vec![one(o)],
        other => {
            vec![json!({"uri": uri, "mimeType": "application/json", "text": other.to_string()})]
        }
    };
    parse(json!({ "contents": contents }))
}

/// A result built as JSON. `resultType` is required by 2026-07-28; rmcp
/// removes it for peers on an older revision.
pub fn parse<T: serde::de::DeserializeOwned>(mut v: Value) -> Result<T, ErrorData> {
    if let Value::Object(o) = &mut v {
        o.entry("resultType").or_insert(json!("complete"));
    }
    serde_json::from_value(v).map_err(|e| {
        ErrorData::internal_error(format!("the script's answer is not valid MCP: {e}"), None)
    })
}
