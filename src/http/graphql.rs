//! `/graphql`: GraphQL over HTTP (POST JSON, GET for queries), executed on
//! the current catalog's schema.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::graphql::GqlRequest;
use crate::AppState;

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
    Query(p): Query<GetParams>,
) -> Response {
    let Some(query) = p.query else {
        return error(StatusCode::BAD_REQUEST, "send a query: GET /graphql?query={...} or POST JSON {\"query\": ...} (GraphiQL is not embedded yet)");
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
    execute(&state, Method::GET, &headers, body).await
}

pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) if v.is_object() => execute(&state, Method::POST, &headers, v).await,
        Ok(_) | Err(_) => error(
            StatusCode::BAD_REQUEST,
            "send JSON like {\"query\": \"{ hello }\", \"variables\": {}}",
        ),
    }
}

async fn execute(
    state: &AppState,
    method: Method,
    headers: &HeaderMap,
    body: serde_json::Value,
) -> Response {
    let Some(built) = state.scripts.catalog().graphql.clone() else {
        return error(StatusCode::NOT_FOUND, "no GraphQL schema: no enabled script calls registerGraphQLQuery or registerGraphQLMutation");
    };
    let variables = body
        .get("variables")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let request: async_graphql::Request = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("not a GraphQL request: {e}"),
            )
        }
    };
    if method == Method::GET && is_mutation(&request) {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        );
    }
    let ctx = GqlRequest {
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        request_id: state.request_id(),
        variables,
    };
    let mut resp = built.schema.execute(request.data(ctx)).await;
    crate::graphql::restore_paths(&mut resp);
    let wants_spec = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/graphql-response+json"));
    let content_type = if wants_spec {
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    // GraphQL-over-HTTP: a request that failed before execution is a 400
    // with the spec media type; otherwise 200 with errors in the body.
    let status = if wants_spec && resp.data == async_graphql::Value::Null && resp.is_err() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = serde_json::to_vec(&resp).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn is_mutation(req: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&req.query) else {
        return false;
    };
    doc.operations.iter().any(|(name, op)| {
        let selected = req
            .operation_name
            .as_deref()
            .is_none_or(|want| name.is_some_and(|n| n.as_str() == want));
        selected && op.node.ty == async_graphql::parser::types::OperationType::Mutation
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "errors": [{ "message": message }] })),
    )
        .into_response()
}
