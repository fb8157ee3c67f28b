//! `prompts/list`, `prompts/get` (required arguments checked first) and
//! `completion/complete` over the scripts' registrations.

use rmcp::model::{CompleteResult, GetPromptResult, ListPromptsResult};
use rmcp::ErrorData;
use serde_json::{json, Value};

use super::registry::{PromptEntry, Snapshot};
use super::resources::parse;

pub fn list(snapshot: &Snapshot) -> Result<ListPromptsResult, ErrorData> {
    let items: Vec<Value> = snapshot
        .prompts
        .values()
        .map(|p| {
            let mut v = json!({
                "name": p.spec.name,
                "description": p.spec.description,
                "arguments": p.spec.arguments.iter().map(|a| json!({
                    "name": a.name,
                    "description": a.description,
                    "required": a.required,
                })).collect::<Vec<_>>(),
            });
            if let Some(t) = &p.spec.title {
                v["title"] = json!(t);
            }
            v
        })
        .collect();
    parse(json!({ "prompts": items }))
}

/// A missing required argument, as JSON-RPC invalid params.
pub fn check_args(p: &PromptEntry, args: &serde_json::Map<String, Value>) -> Result<(), ErrorData> {
    match p
        .spec
        .arguments
        .iter()
        .find(|a| a.required && !args.contains_key(&a.name))
    {
        None => Ok(()),
        Some(a) => Err(ErrorData::invalid_params(
            format!(
                "prompt {} needs the argument {:?}; prompts/list shows its arguments",
                p.spec.name, a.name
            ),
            None,
        )),
    }
}

/// A prompt handler's value: a string is one user message; an array is
/// the messages; `{messages, description}` passes through.
pub fn get_result(p: &PromptEntry, value: Value) -> Result<GetPromptResult, ErrorData> {
    let user = |text: String| json!({"role": "user", "content": {"type": "text", "text": text}});
    let result = match value {
        Value::String(s) => json!({ "messages": [user(s)] }),
        Value::Array(messages) => json!({ "messages": messages }),
        Value::Object(o) if o.contains_key("messages") => Value::Object(o),
        other => json!({ "messages": [user(other.to_string())] }),
    };
    let mut result = result;
    if result.get("description").is_none() {
        result["description"] = json!(p.spec.description);
    }
    parse(result)
}

/// A `complete` function's value: an array of strings (at most 100 kept).
pub fn complete_result(value: Value) -> Result<CompleteResult, ErrorData> {
    let values: Vec<String> = match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        Value::Null => Vec::new(),
        other => {
            return Err(ErrorData::internal_error(
                format!("a complete function must return an array of strings, got {other}"),
                None,
            ))
        }
    };
    let total = values.len();
    let kept: Vec<String> = values.into_iter().take(100).collect();
    parse(json!({
        "completion": { "values": kept, "total": total, "hasMore": total > 100 }
    }))
}
