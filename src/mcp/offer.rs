//! Resources, prompts and completions for [`EngineMcp`]: find the script's
//! registration, run its handler, map the value.

use std::sync::Arc;

use rmcp::model::{
    CompleteRequestParams, CompleteResult, GetPromptRequestParams, GetPromptResult,
    ReadResourceRequestParams, ReadResourceResult,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{json, Value};

use super::call::{self, Call, Ended};
use super::caller;
use super::server::EngineMcp;
use super::{prompts, resources};
use crate::scripts::routes::LoadedScript;

impl EngineMcp {
    /// Runs one handler for `context`'s caller; a failure is an internal
    /// error carrying the script's message.
    async fn run(
        &self,
        script: &Arc<LoadedScript>,
        key: String,
        args: Value,
        ctx: Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<Value, ErrorData> {
        self.touch();
        let who = caller::of(&context.extensions, self.fallback());
        let progress = context
            .meta
            .get_progress_token()
            .map(|t| (context.peer.clone(), t));
        let call = Call {
            script,
            key,
            args,
            ctx,
            auth: who.auth,
            progress,
            log: self.log_sink(context),
        };
        match call::run(&self.core().runtime, call, context.ct.cancelled()).await {
            Ok(v) => Ok(v),
            Err(Ended::Failed(m)) => Err(ErrorData::internal_error(m, None)),
            Err(Ended::Cancelled) => {
                Err(ErrorData::internal_error("cancelled by the client", None))
            }
        }
    }

    pub(super) async fn read(
        &self,
        request: ReadResourceRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, ErrorData> {
        let snapshot = self.core().registry.snapshot();
        let Some((entry, vars)) = snapshot.resource(&request.uri) else {
            return Err(ErrorData::resource_not_found(
                format!("no resource {}; resources/list and resources/templates/list show what there is", request.uri),
                Some(json!({ "uri": request.uri })),
            ));
        };
        let args = json!({ "uri": request.uri, "params": vars });
        let ctx = json!({ "resource": entry.spec.uri });
        let value = self
            .run(&entry.script, entry.spec.handler_key(), args, ctx, context)
            .await?;
        resources::read_result(&entry, &request.uri, value)
    }

    pub(super) async fn prompt(
        &self,
        request: GetPromptRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<GetPromptResult, ErrorData> {
        let snapshot = self.core().registry.snapshot();
        let Some(entry) = snapshot.prompts.get(&request.name).cloned() else {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown prompt {:?}; prompts/list shows the prompts",
                    request.name
                ),
                None,
            ));
        };
        let args = request.arguments.unwrap_or_default();
        prompts::check_args(&entry, &args)?;
        let ctx = json!({ "prompt": entry.spec.name });
        let value = self
            .run(
                &entry.script,
                entry.spec.handler_key(),
                Value::Object(args),
                ctx,
                context,
            )
            .await?;
        prompts::get_result(&entry, value)
    }

    /// `completion/complete` for a prompt's argument or a template's
    /// variable; no `complete` function means no suggestions.
    pub(super) async fn complete_values(
        &self,
        request: CompleteRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let reference = serde_json::to_value(&request.r#ref).unwrap_or(Value::Null);
        let snapshot = self.core().registry.snapshot();
        let target = match reference.get("type").and_then(Value::as_str) {
            Some("ref/prompt") => {
                let name = reference.get("name").and_then(Value::as_str).unwrap_or("");
                snapshot
                    .prompts
                    .get(name)
                    .map(|p| (p.script.clone(), p.spec.complete, p.spec.complete_key()))
            }
            Some("ref/resource") => {
                let uri = reference.get("uri").and_then(Value::as_str).unwrap_or("");
                snapshot
                    .resources
                    .iter()
                    .find(|r| r.spec.uri == uri)
                    .map(|r| (r.script.clone(), r.spec.complete, r.spec.complete_key()))
            }
            _ => None,
        };
        let Some((script, has_complete, key)) = target else {
            return Err(ErrorData::invalid_params(
                format!("nothing to complete for {reference}"),
                None,
            ));
        };
        if !has_complete {
            return prompts::complete_result(Value::Null);
        }
        let context_args = request
            .context
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|c| c.get("arguments").cloned())
            .unwrap_or(json!({}));
        let args = json!({
            "argument": request.argument.name,
            "value": request.argument.value,
            "arguments": context_args,
        });
        let value = self.run(&script, key, args, json!({}), context).await?;
        prompts::complete_result(value)
    }
}
