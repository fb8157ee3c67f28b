//! The admin tools' output schemas (`structuredContent` matches them; the
//! tests check every answer against its tool's schema).

use serde_json::{json, Value};

fn obj(props: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": props, "required": required })
}

fn list_of(key: &str, item: Value) -> Value {
    obj(json!({ key: { "type": "array", "items": item } }), &[key])
}

fn route() -> Value {
    obj(
        json!({ "method": { "type": "string" }, "path": { "type": "string" }, "stream": { "type": "boolean" } }),
        &["method", "path"],
    )
}

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

fn script() -> Value {
    obj(
        json!({
            "name": { "type": "string" }, "version": { "type": "integer" },
            "enabled": { "type": "boolean" }, "size": { "type": "integer" },
            "owner": nullable("string"), "createdAt": { "type": "string" },
            "updatedAt": { "type": "string" },
            "routes": { "type": "array", "items": route() },
            "error": nullable("string"),
        }),
        &["name", "version", "enabled", "routes"],
    )
}

/// A save's answer: `ok` with the new version and routes, or not `ok`
/// with the error and where it is.
fn saved() -> Value {
    obj(
        json!({
            "ok": { "type": "boolean" }, "saved": { "type": "boolean" },
            "name": { "type": "string" }, "version": { "type": "integer" },
            "created": { "type": "boolean" }, "enabled": { "type": "boolean" },
            "routes": { "type": "array", "items": route() },
            "error": { "type": "string" }, "line": nullable("integer"),
            "column": nullable("integer"), "hint": { "type": "string" },
            "edited": { "type": "string", "enum": ["draft", "saved"] },
        }),
        &["ok"],
    )
}

fn draft() -> Value {
    json!({ "type": ["object", "null"], "properties": {
        "source": { "type": "string" }, "error": { "type": "string" },
        "line": nullable("integer"), "column": nullable("integer") } })
}

fn kv_entry() -> Value {
    obj(
        json!({ "key": { "type": "array" }, "value": {}, "versionstamp": nullable("string") }),
        &["key", "value", "versionstamp"],
    )
}

fn asset() -> Value {
    obj(
        json!({
            "path": { "type": "string" }, "url": { "type": "string" },
            "contentType": { "type": "string" }, "size": { "type": "integer" },
            "sha256": { "type": "string" }, "owner": nullable("string"),
            "updatedAt": { "type": "string" }, "created": { "type": "boolean" },
        }),
        &["path", "url", "contentType", "size"],
    )
}

pub(super) fn of(tool: &str) -> Value {
    match tool {
        "list_scripts" => list_of("scripts", script()),
        "get_script" => {
            let mut s = script();
            s["properties"]["source"] = json!({ "type": "string" });
            s["properties"]["saved"] = json!({ "type": "boolean" });
            s["properties"]["draft"] = draft();
            s["required"] = json!(["name", "saved"]);
            s
        }
        "put_script" | "edit_script" | "restore_version" => saved(),
        "check_script" => obj(
            json!({ "ok": { "type": "boolean" }, "routes": { "type": "array", "items": route() },
                    "error": { "type": "string" }, "line": nullable("integer"), "column": nullable("integer") }),
            &["ok"],
        ),
        "delete_script" => obj(
            json!({ "name": { "type": "string" }, "deleted": { "type": "boolean" } }),
            &["name", "deleted"],
        ),
        "list_versions" => obj(
            json!({ "name": { "type": "string" }, "versions": { "type": "array", "items": obj(
                json!({ "version": { "type": "integer" }, "createdAt": { "type": "string" },
                        "size": { "type": "integer" }, "author": { "type": "string" } }),
                &["version", "createdAt", "size", "author"]) } }),
            &["name", "versions"],
        ),
        "list_routes" => {
            let mut r = route();
            r["properties"]["script"] = json!({ "type": "string" });
            r["properties"]["enabled"] = json!({ "type": "boolean" });
            list_of("routes", r)
        }
        "call_route" => obj(
            json!({
                "status": { "type": "integer" },
                "headers": { "type": "object", "additionalProperties": { "type": "string" } },
                "body": nullable("string"), "bodyBase64": nullable("string"),
                "truncated": { "type": "boolean" }, "requestId": nullable("string"),
            }),
            &["status", "headers", "truncated"],
        ),
        "get_logs" => list_of(
            "entries",
            obj(
                json!({ "script": { "type": "string" }, "time": { "type": "string" },
                        "level": { "type": "string" }, "message": { "type": "string" },
                        "requestId": nullable("string") }),
                &["script", "time", "level", "message"],
            ),
        ),
        "list_assets" => {
            let mut v = list_of("assets", asset());
            v["properties"]["truncated"] = json!({ "type": "boolean" });
            v
        }
        "put_asset" => asset(),
        "kv_get" => kv_entry(),
        "kv_list" => {
            let mut v = list_of("entries", kv_entry());
            v["properties"]["cursor"] = nullable("string");
            v
        }
        _ => json!({ "type": "object" }),
    }
}
