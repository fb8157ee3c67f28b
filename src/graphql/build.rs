//! Builds the executable schema from every enabled script's SDL.
//!
//! Each registration's SDL is parsed with async-graphql's parser (never
//! with regular expressions). Root fields resolve by calling the script;
//! fields of object types read the parent's JSON. The same type declared
//! identically by two scripts is shared; declared differently, it is a
//! clash reported at save time.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::{
    Enum, Field, FieldFuture, InputObject, InputValue, Object, ResolverContext, Scalar, Schema,
    Subscription, TypeRef,
};
use async_graphql::parser::types::{
    BaseType, FieldDefinition, Type, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::Positioned;
use async_graphql::ValidationMode;

use super::value::{to_field_value, Kind, Kinds};
use super::{GqlKind, GqlSpec};
use crate::events::Streams;
use crate::js::Invoker;
use crate::scripts::routes::LoadedScript;

#[derive(Debug, Clone)]
pub struct SchemaError {
    pub script: String,
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl SchemaError {
    fn new(script: &str, message: impl Into<String>) -> SchemaError {
        SchemaError {
            script: script.to_string(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

pub struct Built {
    /// Strict validation: every rule, every error message.
    pub schema: Schema,
    /// The same schema with fast validation, for documents that passed
    /// the strict rules once (see `DocCache`).
    pub fast: Schema,
    /// SDL of the whole schema, for introspection-free clients and docs.
    pub sdl: String,
    /// Parsed documents of the queries run against this schema.
    pub docs: super::docs::DocCache,
}

pub(super) struct RootField {
    pub script: Arc<LoadedScript>,
    pub key: Arc<str>,
    pub def: FieldDefinition,
}

#[derive(Default)]
struct Collected {
    roots: HashMap<GqlKind, Vec<RootField>>,
    /// type name -> (script, canonical text, definition)
    types: HashMap<String, (String, String, TypeDefinition)>,
}

pub fn build(
    scripts: &[(Arc<LoadedScript>, Vec<GqlSpec>)],
    runtime: Arc<dyn Invoker>,
    streams: Arc<Streams>,
    limits: super::Limits,
) -> Result<Option<Built>, SchemaError> {
    let mut c = Collected::default();
    for (script, specs) in scripts {
        for spec in specs {
            collect(&mut c, script, spec)?;
        }
    }
    let has_roots = c.roots.values().any(|r| !r.is_empty());
    if !has_roots {
        return Ok(None);
    }
    let kinds: Kinds = Arc::new(
        c.types
            .iter()
            .map(|(n, (_, _, d))| {
                let k = match d.kind {
                    TypeKind::Object(_) => Kind::Object,
                    TypeKind::Enum(_) => Kind::Enum,
                    _ => Kind::Scalar,
                };
                (n.clone(), k)
            })
            .collect(),
    );
    let schema = assemble(
        &c,
        &kinds,
        &runtime,
        &streams,
        scripts,
        limits,
        ValidationMode::Strict,
    )?;
    // Fast validation skips the rules that only improve error messages
    // (about a third of the per-request cost of a tiny query); it is used
    // only for documents that already passed the strict rules once.
    let fast = assemble(
        &c,
        &kinds,
        &runtime,
        &streams,
        scripts,
        limits,
        ValidationMode::Fast,
    )?;
    let sdl = schema.sdl();
    Ok(Some(Built {
        schema,
        fast,
        sdl,
        docs: Default::default(),
    }))
}

/// The executable schema from what was collected, with one validation mode.
fn assemble(
    c: &Collected,
    kinds: &Kinds,
    runtime: &Arc<dyn Invoker>,
    streams: &Arc<Streams>,
    scripts: &[(Arc<LoadedScript>, Vec<GqlSpec>)],
    limits: super::Limits,
    mode: ValidationMode,
) -> Result<Schema, SchemaError> {
    let mut query = Object::new("Query");
    let roots = |k| c.roots.get(&k).map(Vec::as_slice).unwrap_or_default();
    if roots(GqlKind::Query).is_empty() {
        // GraphQL needs a Query type; this one tells what is going on.
        query = query.field(Field::new(
            "_engine",
            TypeRef::named_nn(TypeRef::STRING),
            |_| {
                FieldFuture::new(async {
                    Ok(Some(async_graphql::Value::from(
                        "aiwebengine: no script registers a query yet",
                    )))
                })
            },
        ));
    }
    for r in roots(GqlKind::Query) {
        query = query.field(super::resolve::root_field(r, runtime, kinds));
    }
    let mutations = roots(GqlKind::Mutation);
    let subscriptions = roots(GqlKind::Subscription);
    let mut builder = Schema::build(
        "Query",
        (!mutations.is_empty()).then_some("Mutation"),
        (!subscriptions.is_empty()).then_some("Subscription"),
    );
    if !mutations.is_empty() {
        let mut m = Object::new("Mutation");
        for r in mutations {
            m = m.field(super::resolve::root_field(r, runtime, kinds));
        }
        builder = builder.register(m);
    }
    if !subscriptions.is_empty() {
        let mut sub = Subscription::new("Subscription");
        for r in subscriptions {
            sub = sub.field(super::resolve::subscription_field(
                r, runtime, kinds, streams,
            ));
        }
        builder = builder.register(sub);
    }
    builder = builder.register(query);
    for (name, (script, _, def)) in &c.types {
        builder = match &def.kind {
            TypeKind::Object(o) => {
                let mut obj = Object::new(name.as_str());
                if let Some(d) = &def.description {
                    obj = obj.description(d.node.clone());
                }
                for f in &o.fields {
                    obj = obj.field(data_field(&f.node, kinds));
                }
                builder.register(obj)
            }
            TypeKind::InputObject(io) => {
                let mut input = InputObject::new(name.as_str());
                for f in &io.fields {
                    input = input.field(InputValue::new(
                        f.node.name.node.to_string(),
                        type_ref(&f.node.ty.node),
                    ));
                }
                builder.register(input)
            }
            TypeKind::Enum(e) => builder.register(
                Enum::new(name.as_str())
                    .items(e.values.iter().map(|v| v.node.value.node.to_string())),
            ),
            TypeKind::Scalar => builder.register(Scalar::new(name.as_str())),
            TypeKind::Interface(_) | TypeKind::Union(_) => {
                return Err(SchemaError::new(
                    script,
                    format!("type {name}: interfaces and unions are not supported yet"),
                ));
            }
        };
    }
    builder = builder
        .validation_mode(mode)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish().map_err(|e| {
        SchemaError::new(
            &scripts
                .first()
                .map(|s| s.0.name.to_string())
                .unwrap_or_default(),
            e.to_string(),
        )
    })
}

fn collect(
    c: &mut Collected,
    script: &Arc<LoadedScript>,
    spec: &GqlSpec,
) -> Result<(), SchemaError> {
    let trimmed = spec.sdl.trim_start();
    let bare = ![
        "type",
        "input",
        "enum",
        "scalar",
        "interface",
        "union",
        "schema",
        "extend",
        "\"",
        "directive",
        "#",
    ]
    .iter()
    .any(|k| trimmed.starts_with(k));
    let (text, prefix) = if bare {
        let p = format!("type {} {{ ", spec.kind);
        (format!("{p}{}\n}}", spec.sdl), p.len())
    } else {
        (spec.sdl.clone(), 0)
    };
    let doc = async_graphql::parser::parse_schema(&text).map_err(|e| {
        let pos = e.positions().next();
        SchemaError {
            script: script.name.to_string(),
            message: format!("GraphQL SDL of {} {}: {e}", spec.kind, spec.name),
            line: pos.map(|p| p.line as u32),
            column: pos.map(|p| {
                if p.line == 1 {
                    p.column.saturating_sub(prefix) as u32
                } else {
                    p.column as u32
                }
            }),
        }
    })?;
    let mut found_root = false;
    for def in doc.definitions {
        let TypeSystemDefinition::Type(Positioned { node: def, pos }) = def else {
            return Err(SchemaError::new(
                &script.name,
                "only type, input, enum and scalar definitions are supported in GraphQL SDL",
            ));
        };
        let name = def.name.node.to_string();
        if name == spec.kind.to_string() {
            let TypeKind::Object(o) = &def.kind else {
                continue;
            };
            for f in &o.fields {
                if f.node.name.node.as_str() != spec.name {
                    return Err(SchemaError {
                        line: Some(f.pos.line as u32),
                        column: Some(f.pos.column as u32),
                        ..SchemaError::new(&script.name, format!("the SDL of {} {} also declares {}.{}; register each root field with its own call", spec.kind, spec.name, spec.kind, f.node.name.node))
                    });
                }
                add_root(c, script, spec, f.node.clone())?;
                found_root = true;
            }
            continue;
        }
        let canonical = canonical(&def);
        match c.types.get(&name) {
            Some((other, existing, _)) if *existing != canonical => {
                return Err(SchemaError {
                    line: Some(pos.line as u32),
                    column: Some(pos.column as u32),
                    ..SchemaError::new(&script.name, format!("type {name} is already declared differently by script {other}; use the same definition or another name"))
                });
            }
            Some(_) => {}
            None => {
                c.types
                    .insert(name, (script.name.to_string(), canonical, def));
            }
        }
    }
    if !found_root {
        return Err(SchemaError::new(&script.name, format!("the SDL must declare the field {name} in type {kind}, e.g. `type {kind} {{ {name}: String }}`", name = spec.name, kind = spec.kind)));
    }
    Ok(())
}

fn add_root(
    c: &mut Collected,
    script: &Arc<LoadedScript>,
    spec: &GqlSpec,
    def: FieldDefinition,
) -> Result<(), SchemaError> {
    let roots = c.roots.entry(spec.kind).or_default();
    if let Some(other) = roots.iter().find(|r| r.def.name.node == def.name.node) {
        return Err(SchemaError::new(
            &script.name,
            format!(
                "{}.{} is already registered by script {}",
                spec.kind, spec.name, other.script.name
            ),
        ));
    }
    roots.push(RootField {
        script: script.clone(),
        key: spec.handler_key().into(),
        def,
    });
    Ok(())
}

/// A stable text form of a type definition, to compare two scripts' copies.
fn canonical(def: &TypeDefinition) -> String {
    let fields = |fs: &[Positioned<FieldDefinition>]| {
        fs.iter()
            .map(|f| {
                let args: Vec<String> = f
                    .node
                    .arguments
                    .iter()
                    .map(|a| format!("{}:{}", a.node.name.node, a.node.ty.node))
                    .collect();
                format!(
                    "{}({}):{}",
                    f.node.name.node,
                    args.join(","),
                    f.node.ty.node
                )
            })
            .collect::<Vec<_>>()
            .join(";")
    };
    match &def.kind {
        TypeKind::Object(o) => format!("type {} {{{}}}", def.name.node, fields(&o.fields)),
        TypeKind::InputObject(i) => {
            let fs: Vec<String> = i
                .fields
                .iter()
                .map(|f| format!("{}:{}", f.node.name.node, f.node.ty.node))
                .collect();
            format!("input {} {{{}}}", def.name.node, fs.join(";"))
        }
        TypeKind::Enum(e) => {
            let vs: Vec<String> = e
                .values
                .iter()
                .map(|v| v.node.value.node.to_string())
                .collect();
            format!("enum {} {{{}}}", def.name.node, vs.join(","))
        }
        _ => format!("{:?} {}", std::mem::discriminant(&def.kind), def.name.node),
    }
}

pub(super) fn type_ref(t: &Type) -> TypeRef {
    let base = match &t.base {
        BaseType::Named(n) => TypeRef::Named(n.to_string().into()),
        BaseType::List(inner) => TypeRef::List(Box::new(type_ref(inner))),
    };
    if t.nullable {
        base
    } else {
        TypeRef::NonNull(Box::new(base))
    }
}

pub(super) fn with_args(mut field: Field, def: &FieldDefinition) -> Field {
    if let Some(d) = &def.description {
        field = field.description(d.node.clone());
    }
    for a in &def.arguments {
        let mut iv = InputValue::new(a.node.name.node.to_string(), type_ref(&a.node.ty.node));
        if let Some(d) = &a.node.default_value {
            iv = iv.default_value(d.node.clone());
        }
        field = field.argument(iv);
    }
    field
}

/// A field of an object type: its value is the parent's JSON member.
fn data_field(def: &FieldDefinition, kinds: &Kinds) -> Field {
    let (name, ty, kinds) = (
        def.name.node.to_string(),
        def.ty.node.clone(),
        kinds.clone(),
    );
    let key = name.clone();
    let field = Field::new(name, type_ref(&def.ty.node), move |ctx: ResolverContext| {
        let (ty, kinds) = (ty.clone(), kinds.clone());
        let v = ctx
            .parent_value
            .try_downcast_ref::<serde_json::Value>()
            .ok()
            .and_then(|p| p.get(&key).cloned())
            .unwrap_or(serde_json::Value::Null);
        FieldFuture::new(async move { Ok(to_field_value(v, &ty, &kinds)) })
    });
    with_args(field, def)
}
