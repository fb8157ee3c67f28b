//! Root fields that call scripts: queries and mutations once per request,
//! subscriptions once per subscriber, with an optional JS filter per
//! message.

use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, ResolverContext, SubscriptionField, SubscriptionFieldFuture,
};
use async_graphql::ErrorExtensions;
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use super::build::{type_ref, with_args, RootField};
use super::value::{to_field_value, Kinds};
use super::{GqlRequest, PATH_EXTENSION};
use crate::events::Streams;
use crate::js::{CallContext, CallKind, Invocation, Invoker, ScriptRequest};
use crate::scripts::routes::LoadedScript;

/// The value a subscribe call returns when it kept a filter function.
const FILTER_MARKER: &str = "__aiwebengine_filter";

struct Call {
    runtime: Arc<dyn Invoker>,
    script: Arc<LoadedScript>,
    key: Arc<str>,
}

impl Call {
    /// Runs one JS call and returns its value as JSON.
    async fn run(
        &self,
        kind: CallKind,
        body: &serde_json::Value,
        req: &GqlRequest,
    ) -> async_graphql::Result<serde_json::Value> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // No arguments travel as an empty body (the JS side makes `{}`), and
        // `null` variables as none: nothing to serialize or parse.
        let body = match body {
            serde_json::Value::Object(m) if m.is_empty() => Default::default(),
            v => serde_json::to_vec(v).unwrap_or_default().into(),
        };
        let variables = (!req.variables.is_null()).then(|| req.variables.to_string());
        let request = ScriptRequest {
            method: "POST".into(),
            path: "/graphql".into(),
            headers: req.headers.clone(),
            body,
            request_id: req.request_id.clone(),
            auth: req.auth.clone(),
            context: CallContext::Variables(variables),
            ..Default::default()
        };
        let inv = Invocation {
            script: self.script.clone(),
            handler_key: self.key.clone(),
            kind,
            request,
            reply: tx,
        };
        match &req.local {
            Some(local) => {
                if let Err(returned) = local.send(inv) {
                    self.runtime.invoke(returned.0);
                }
            }
            None => self.runtime.invoke(inv),
        }
        let outcome = rx
            .await
            .map_err(|_| async_graphql::Error::new("the resolver's JS worker went away"))?;
        match outcome {
            Ok(r) => Ok(
                serde_json::from_str(r.value_json.as_deref().unwrap_or("null"))
                    .unwrap_or(serde_json::Value::Null),
            ),
            Err(f) => Err(async_graphql::Error::new(f.message)
                .extend_with(|_, e| e.set("code", f.kind.code()))),
        }
    }
}

fn args_json(ctx: &ResolverContext<'_>) -> serde_json::Value {
    serde_json::Value::Object(
        ctx.args
            .as_index_map()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.clone().into_json().unwrap_or(serde_json::Value::Null),
                )
            })
            .collect(),
    )
}

fn call_for(r: &RootField, runtime: &Arc<dyn Invoker>) -> Arc<Call> {
    Arc::new(Call {
        runtime: runtime.clone(),
        script: r.script.clone(),
        key: r.key.clone(),
    })
}

/// A query or mutation field: calls the resolver with `(args, ctx)` on the pool.
pub(super) fn root_field(r: &RootField, runtime: &Arc<dyn Invoker>, kinds: &Kinds) -> Field {
    let (call, ty, kinds) = (call_for(r, runtime), r.def.ty.node.clone(), kinds.clone());
    let field = Field::new(
        r.def.name.node.to_string(),
        type_ref(&r.def.ty.node),
        move |ctx: ResolverContext| {
            let (call, ty, kinds) = (call.clone(), ty.clone(), kinds.clone());
            let args = args_json(&ctx);
            let req = ctx
                .data_opt::<Arc<GqlRequest>>()
                .cloned()
                .unwrap_or_default();
            // async-graphql's dynamic schema drops the path of resolver errors;
            // it travels in an extension and is put back by the HTTP layer.
            let path: Vec<String> = ctx.path_node.map(|p| p.to_string_vec()).unwrap_or_default();
            FieldFuture::new(async move {
                match call.run(CallKind::GraphQl, &args, &req).await {
                    Ok(v) => Ok(to_field_value(v, &ty, &kinds)),
                    Err(e) => Err(e.extend_with(|_, x| x.set(PATH_EXTENSION, path.clone()))),
                }
            })
        },
    );
    with_args(field, &r.def)
}

/// Forgets a subscriber's JS filter when its stream ends.
struct Release {
    call: Arc<Call>,
    sub: u64,
    filtered: bool,
}

impl Drop for Release {
    fn drop(&mut self) {
        if self.filtered {
            let (tx, _rx) = tokio::sync::oneshot::channel();
            let inv = Invocation {
                script: self.call.script.clone(),
                handler_key: self.call.key.clone(),
                kind: CallKind::GqlRelease { sub: self.sub },
                request: ScriptRequest::default(),
                reply: tx,
            };
            self.call.runtime.invoke(inv);
        }
    }
}

/// A subscription field. The resolver runs once per subscriber with
/// `(args, ctx)`: a returned function filters each message, any other
/// value (but `undefined`) is the first event. Messages come from
/// `sendSubscriptionMessage(name, data)`.
pub(super) fn subscription_field(
    r: &RootField,
    runtime: &Arc<dyn Invoker>,
    kinds: &Kinds,
    streams: &Arc<Streams>,
) -> SubscriptionField {
    let (call, ty, kinds, streams) = (
        call_for(r, runtime),
        r.def.ty.node.clone(),
        kinds.clone(),
        streams.clone(),
    );
    let name = r.def.name.node.to_string();
    let mut field = SubscriptionField::new(
        name.clone(),
        type_ref(&r.def.ty.node),
        move |ctx: ResolverContext| {
            let (call, ty, kinds, streams, name) = (
                call.clone(),
                ty.clone(),
                kinds.clone(),
                streams.clone(),
                name.clone(),
            );
            let args = args_json(&ctx);
            let req = ctx
                .data_opt::<Arc<GqlRequest>>()
                .cloned()
                .unwrap_or_default();
            SubscriptionFieldFuture::new(async move {
                // Subscribe first, so nothing sent during the resolver is lost.
                let rx = streams.subscribe_topic(&name);
                let sub = streams.next_subscriber_id();
                let first = call
                    .run(CallKind::GqlSubscribe { sub }, &args, &req)
                    .await?;
                let filtered = first.get(FILTER_MARKER).is_some();
                let first = (!filtered && !first.is_null()).then_some(first);
                let release = Release {
                    call: call.clone(),
                    sub,
                    filtered,
                };
                let state = (rx, first, release, req);
                let stream = futures_util::stream::unfold(
                    state,
                    move |(mut rx, mut first, release, req)| {
                        let (ty, kinds) = (ty.clone(), kinds.clone());
                        async move {
                            if let Some(v) = first.take() {
                                let fv = to_field_value(v, &ty, &kinds).unwrap_or(FieldValue::NULL);
                                return Some((
                                    Ok::<_, async_graphql::Error>(fv),
                                    (rx, first, release, req),
                                ));
                            }
                            loop {
                                let data = match rx.recv().await {
                                    Ok(d) => d,
                                    Err(RecvError::Lagged(_)) => continue,
                                    Err(RecvError::Closed) => return None,
                                };
                                // The older scripts send objects as JSON strings.
                                let data = super::value::parse_for_type(&data, &ty, &kinds);
                                if release.filtered {
                                    match release
                                        .call
                                        .run(CallKind::GqlFilter { sub: release.sub }, &data, &req)
                                        .await
                                    {
                                        Ok(serde_json::Value::Bool(true)) => {}
                                        Ok(serde_json::Value::Bool(false)) => continue,
                                        // The filter is gone (the script changed): end.
                                        _ => return None,
                                    }
                                }
                                let fv =
                                    to_field_value(data, &ty, &kinds).unwrap_or(FieldValue::NULL);
                                return Some((Ok(fv), (rx, first, release, req)));
                            }
                        }
                    },
                );
                Ok(stream.boxed())
            })
        },
    );
    for a in &r.def.arguments {
        let mut iv = async_graphql::dynamic::InputValue::new(
            a.node.name.node.to_string(),
            type_ref(&a.node.ty.node),
        );
        if let Some(d) = &a.node.default_value {
            iv = iv.default_value(d.node.clone());
        }
        field = field.argument(iv);
    }
    field
}
