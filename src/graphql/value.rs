//! JSON returned by resolvers → GraphQL values, following the declared types.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::FieldValue;
use async_graphql::parser::types::{BaseType, Type};
use async_graphql::{Name, Value};

/// What a named type is, for output conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Object,
    Enum,
    Scalar,
}

pub type Kinds = Arc<HashMap<String, Kind>>;

pub fn to_field_value(
    v: serde_json::Value,
    ty: &Type,
    kinds: &Kinds,
) -> Option<FieldValue<'static>> {
    if v.is_null() {
        return None;
    }
    Some(match &ty.base {
        BaseType::List(inner) => {
            let items = match v {
                serde_json::Value::Array(items) => items,
                other => vec![other],
            };
            FieldValue::list(
                items
                    .into_iter()
                    .map(|i| to_field_value(i, inner, kinds).unwrap_or(FieldValue::NULL)),
            )
        }
        BaseType::Named(name) => match kinds.get(name.as_str()) {
            Some(Kind::Object) => {
                // Older scripts send objects as JSON strings.
                let v = match v {
                    serde_json::Value::String(s) => {
                        serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s))
                    }
                    other => other,
                };
                FieldValue::owned_any(v)
            }
            Some(Kind::Enum) => match v {
                serde_json::Value::String(s) => FieldValue::value(Value::Enum(Name::new(s))),
                other => FieldValue::value(Value::from_json(other).unwrap_or(Value::Null)),
            },
            _ => FieldValue::value(scalar(v, name.as_str())),
        },
    })
}

/// Built-in scalars accept what JS naturally returns: a number for `ID` or
/// `String` becomes its text.
fn scalar(v: serde_json::Value, name: &str) -> Value {
    match (name, v) {
        ("ID" | "String", serde_json::Value::Number(n)) => Value::String(n.to_string()),
        (_, v) => Value::from_json(v).unwrap_or(Value::Null),
    }
}

/// A message for a field of object type may be a JSON string; parse it so
/// that filters and the output see the object.
pub fn parse_for_type(v: &serde_json::Value, ty: &Type, kinds: &Kinds) -> serde_json::Value {
    let named = match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(_) => return v.clone(),
    };
    match (kinds.get(named), v) {
        (Some(Kind::Object), serde_json::Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        _ => v.clone(),
    }
}
