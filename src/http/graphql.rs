//! `/graphql`: GraphQL over HTTP (POST JSON, GET for queries), executed on
//! the current catalog's schema. Subscriptions: see `graphql_stream`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::graphql::GqlRequest;
use crate::http::AppState;

use super::extract::ApiQuery;
use async_graphql::parser::types::OperationType;

#[derive(Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
}

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<GetParams>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if p.query.is_none() && wants_html && (state.config().dev || state.config().graphql.graphiql) {
        return super::ui::graphiql();
    }
    let Some(query) = p.query else {
        return error(
            StatusCode::BAD_REQUEST,
            "send a query: GET /graphql?query={...} or POST JSON {\"query\": ...}; GraphiQL is served here in --dev or with [graphql] graphiql = true",
        );
    };
    let variables = match p
        .variables
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
    {
        None => serde_json::Value::Null,
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("variables must be JSON: {e}"),
            )
        }
    };
    let body = json!({ "query": query, "operationName": p.operation_name, "variables": variables });
    execute(
        &state,
        Method::GET,
        &headers,
        &serde_json::to_vec(&body).unwrap_or_default(),
    )
    .await
}

pub async fn post(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    match read(&state, req).await {
        Ok((headers, body)) => execute(&state, Method::POST, &headers, &body).await,
        Err(resp) => resp,
    }
}

/// Headers and body of a GraphQL request, the body bounded by
/// `server.body_limit_bytes` (413 with the usual JSON error past it).
pub(super) async fn read(
    state: &AppState,
    req: axum::extract::Request,
) -> Result<(HeaderMap, Bytes), Response> {
    let (parts, body) = req.into_parts();
    let limit = state.config().server.body_limit_bytes;
    match super::request::read_body(&parts, body, limit).await {
        Ok(b) => Ok((parts.headers, b)),
        Err(e) => Err(e.into_response()),
    }
}

async fn execute(state: &AppState, method: Method, headers: &HeaderMap, body: &[u8]) -> Response {
    execute_with(state, method, headers, body, None).await
}

/// `POST /graphql` on an I/O thread: resolver calls come back through a
/// local channel and `invoke` runs them (inline when the script is fast,
/// else on the pool), instead of always hopping to a pool thread.
pub async fn post_local(
    state: &AppState,
    req: axum::extract::Request,
    invoke: impl Fn(crate::js::Invocation),
) -> Response {
    let (headers, body) = match read(state, req).await {
        Ok(hb) => hb,
        Err(resp) => return tagged(resp),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let exec = execute_with(state, Method::POST, &headers, &body, Some(tx));
    tokio::pin!(exec);
    let resp = loop {
        tokio::select! {
            biased;
            resp = &mut exec => break resp,
            Some(inv) = rx.recv() => invoke(inv),
        }
    };
    tagged(resp)
}

/// The metrics route label the router's `tag_route` would have added.
fn tagged(mut resp: Response) -> Response {
    resp.extensions_mut().insert(crate::observe::RouteTag {
        route: std::sync::Arc::from("/graphql"),
        script: None,
    });
    resp
}

/// Most operations one batched POST may carry.
const MAX_BATCH: usize = 32;

async fn execute_with(
    state: &AppState,
    method: Method,
    headers: &HeaderMap,
    body: &[u8],
    local: Option<tokio::sync::mpsc::UnboundedSender<crate::js::Invocation>>,
) -> Response {
    let Some(built) = state.schemas().current() else {
        return error(
            StatusCode::NOT_FOUND,
            "no GraphQL schema: no enabled script calls registerGraphQLQuery or registerGraphQLMutation",
        );
    };
    let wants_spec = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/graphql-response+json"));
    let content_type = if wants_spec {
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    let json = |status: StatusCode, body: Vec<u8>| {
        let mut r = (status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    };
    // A JSON array is a batch: run in order (a mutation sees the ones
    // before it), answered as an array in the same order. Only a body that
    // starts with `[` is parsed for it (a single operation is parsed once,
    // by `parse_request`).
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if let Some(Ok(serde_json::Value::Array(items))) =
        batch.then(|| serde_json::from_slice::<serde_json::Value>(body))
    {
        if items.is_empty() || items.len() > MAX_BATCH {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "a batch holds 1 to {MAX_BATCH} operations; this one has {}",
                    items.len()
                ),
            );
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let bytes = serde_json::to_vec(&item).unwrap_or_default();
            match run_one(state, &built, &method, headers, &bytes, local.clone()).await {
                Ok(resp) => out.push(resp),
                Err(refused) => return refused,
            }
        }
        return json(StatusCode::OK, serde_json::to_vec(&out).unwrap_or_default());
    }
    let resp = match run_one(state, &built, &method, headers, body, local).await {
        Ok(resp) => resp,
        Err(refused) => return refused,
    };
    // GraphQL-over-HTTP: a request that failed before execution is a 400
    // with the spec media type; otherwise 200 with errors in the body.
    let status = if wants_spec && resp.data == async_graphql::Value::Null && resp.is_err() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json(status, serde_json::to_vec(&resp).unwrap_or_default())
}

/// One operation: parsed through the schema's document cache, refused
/// when it is a subscription (or a mutation over GET), else executed.
async fn run_one(
    state: &AppState,
    built: &crate::graphql::Built,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    local: Option<tokio::sync::mpsc::UnboundedSender<crate::js::Invocation>>,
) -> Result<async_graphql::Response, Response> {
    let (mut request, variables) = parse_request(body).map_err(|r| *r)?;
    let doc = built.docs.prepare(&mut request);
    let operation_is = |ty| {
        doc.as_deref().is_some_and(|d| {
            crate::graphql::operation_is(&d.doc, request.operation_name.as_deref(), ty)
        })
    };
    if operation_is(OperationType::Subscription) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "subscriptions are served at /graphql/stream (graphql-sse) and /graphql/ws (graphql-ws)",
        ));
    }
    if method == Method::GET && operation_is(OperationType::Mutation) {
        return Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        ));
    }
    let mut ctx = context(state, headers, variables);
    ctx.local = local;
    // A document runs under strict validation until it has passed it once
    // without errors; from then on the fast schema skips the rules that
    // only improve error messages (they would all pass again).
    let checked = doc.as_ref().is_some_and(|d| d.validated());
    let schema = if checked { &built.fast } else { &built.schema };
    let mut resp = schema.execute(request.data(std::sync::Arc::new(ctx))).await;
    if !checked && resp.errors.is_empty() {
        if let Some(d) = &doc {
            d.mark_validated();
        }
    }
    crate::graphql::restore_paths(&mut resp);
    Ok(resp)
}

/// What resolvers see of the HTTP request.
pub(super) fn context(
    state: &AppState,
    headers: &HeaderMap,
    variables: serde_json::Value,
) -> GqlRequest {
    GqlRequest {
        headers: headers.clone(),
        request_id: state.request_id(),
        variables,
        auth: super::auth::script_auth(state, headers),
        local: None,
    }
}

/// A JSON GraphQL request body and its variables (for resolvers' `ctx`).
pub(super) fn parse_request(
    body: &[u8],
) -> Result<(async_graphql::Request, serde_json::Value), Box<Response>> {
    let bad = |m: String| Box::new(error(StatusCode::BAD_REQUEST, &m));
    let v: serde_json::Value = serde_json::from_slice(body)
        .ok()
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| {
            bad("send JSON like {\"query\": \"{ hello }\", \"variables\": {}}".into())
        })?;
    let variables = v
        .get("variables")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let request =
        serde_json::from_value(v).map_err(|e| bad(format!("not a GraphQL request: {e}")))?;
    Ok((request, variables))
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "errors": [{ "message": message }] })),
    )
        .into_response()
}
