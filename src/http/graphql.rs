//! The GraphQL endpoint. Written around async-graphql's request extractor rather than its
//! ready-made service, to follow GraphQL-over-HTTP where the service does not: batches are
//! refused, mutations over GET get 405, GraphiQL is served to browsers, and the caller is
//! authenticated and given a fresh DataLoader for each request.

use async_graphql::{
    ParseRequestError,
    http::GraphiQLSource,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use std::net::SocketAddr;

use axum::{
    Extension,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde_json::json;

use super::{
    HttpState,
    client_address::client_address,
    metrics::GraphqlOperation,
    middleware::{AGENT_TOKEN, PROVISIONER_KEY, REQUEST_ID, SESSION_TOKEN},
};
use crate::{
    authz::RequestOrigin,
    domain::{FieldError, identity, provisioner, workspace},
    graphql::{
        audit_refusals::{MutationRequest, record_refusals},
        context::{AgentCaller, Caller, ProvisionerCaller},
        document_cache::DocumentCache,
        document_limits::{self, DocumentError, DocumentLimits},
        error::{ApiError, ErrorCode},
        input_text,
        loaders::new_loader,
    },
    telemetry::{WorkSource, work_label::WorkLabel},
};

/// Where GraphiQL's scripts and styles come from unless `--graphiql-assets-url` says
/// otherwise.
pub const DEFAULT_GRAPHIQL_ASSETS: &str = "https://unpkg.com";

/// The GraphiQL page and its Content-Security-Policy, built once at start-up. GraphiQL loads
/// its scripts from a CDN and runs inline ones, so its page gets a policy of its own; every
/// other page keeps the strict default. An air-gapped install serves the same files itself
/// and names their origin with `--graphiql-assets-url`.
#[derive(Clone)]
pub struct GraphiqlPage {
    html: axum::body::Bytes,
    csp: HeaderValue,
}

impl GraphiqlPage {
    /// The page loading its assets from `assets` (a base URL laid out as unpkg.com is:
    /// `<assets>/graphiql@4/graphiql.min.js`, `<assets>/react@18/umd/…`).
    pub fn new(assets: &url::Url) -> Self {
        let base = assets.as_str().trim_end_matches('/');
        let html = GraphiQLSource::build()
            .endpoint("/graphql")
            .title("devplane GraphiQL")
            .finish()
            .replace(DEFAULT_GRAPHIQL_ASSETS, base);
        let origin = assets.origin().ascii_serialization();
        let csp = format!(
            "default-src 'self'; script-src 'self' 'unsafe-inline' {origin}; style-src 'self' 'unsafe-inline' {origin}; img-src 'self' data: https:; font-src 'self' data: {origin}; connect-src 'self'; frame-ancestors 'none'"
        );
        // A URL's origin is ASCII without control characters, so the header is valid.
        let csp = HeaderValue::from_str(&csp)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
        Self {
            html: html.into(),
            csp,
        }
    }
}

/// A request the endpoint refuses before executing it, as a GraphQL error body.
pub struct Rejection(ParseRequestError);

impl From<ParseRequestError> for Rejection {
    fn from(err: ParseRequestError) -> Self {
        Self(err)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, message) = match &self.0 {
            ParseRequestError::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "Batched requests are not supported: send one operation per request.".to_owned(),
            ),
            ParseRequestError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.".to_owned(),
            ),
            ParseRequestError::Io(err) if err.to_string().contains("length limit exceeded") => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.".to_owned(),
            ),
            other => (
                StatusCode::BAD_REQUEST,
                format!("Invalid GraphQL request: {other}"),
            ),
        };
        error_response(status, ErrorCode::BadUserInput, &message, &[])
    }
}

fn error_response(
    status: StatusCode,
    code: ErrorCode,
    message: &str,
    headers: &[(header::HeaderName, &'static str)],
) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}

/// A request refused for its input before it ran: 400, BAD_USER_INPUT and the fields.
fn invalid_input_response(message: &str, validations: &[FieldError]) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": {
        "code": ErrorCode::BadUserInput.as_str(),
        "validations": validations,
    } }] });
    let mut response = (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    response
}

/// A refused credential: 401 when it was not accepted, 500 when checking it failed.
pub(super) fn refused_credential(api: ApiError) -> Response {
    let status = if api.code() == ErrorCode::Unauthenticated {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    error_response(status, api.code(), api.message(), &[])
}

/// The peer address axum records for each connection, when served with connect info.
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// GET /graphql: GraphiQL for browsers, otherwise a query from the query string.
pub async fn get_graphql(
    State(state): State<HttpState>,
    peer: Peer,
    label: Option<Extension<WorkLabel>>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<Rejection>, Rejection>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let has_query = request.as_ref().is_ok_and(|r| !r.0.query.is_empty());
    if let Some(page) = &state.graphiql
        && wants_html
        && !has_query
    {
        let mut response = Html(page.html.clone()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, page.csp.clone());
        return response;
    }
    match request {
        Ok(request) => execute(state, peer, label, headers, request.into_inner(), true).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// POST /graphql: one operation in a JSON body.
pub async fn post_graphql(
    State(state): State<HttpState>,
    peer: Peer,
    label: Option<Extension<WorkLabel>>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<Rejection>, Rejection>,
) -> Response {
    match request {
        Ok(request) => execute(state, peer, label, headers, request.into_inner(), false).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// The selected operation's type and name.
fn selected_operation(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<(OperationType, Option<String>)> {
    match &document.operations {
        DocumentOperations::Single(op) => Some((op.node.ty, operation_name.map(str::to_owned))),
        DocumentOperations::Multiple(ops) => {
            let (found, op) = match operation_name {
                Some(name) => ops.iter().find(|(n, _)| n.as_str() == name)?,
                // A document with one named operation needs no operationName.
                None if ops.len() == 1 => ops.iter().next()?,
                None => return None,
            };
            Some((op.node.ty, Some(found.to_string())))
        }
    }
}

/// Refuses documents over the limits before anything expensive is done with them, and
/// parses the rest once (async-graphql reuses the parsed document); a text parsed and
/// checked before is taken from `documents` instead. A document that does not parse is
/// passed on, so that async-graphql reports the syntax error.
fn checked_document(
    request: &mut async_graphql::Request,
    limits: &DocumentLimits,
    documents: &DocumentCache,
) -> Result<Parsed, DocumentError> {
    let operation_name = request.operation_name.clone();
    if let Some(document) = documents.get(&request.query) {
        let operation = selected_operation(&document, operation_name.as_deref());
        request.set_parsed_query(document);
        return Ok(Parsed::Document(operation));
    }
    document_limits::check_source(&request.query, limits)?;
    let text = request.query.clone();
    let Ok(document) = request.parsed_query() else {
        return Ok(Parsed::SyntaxError);
    };
    document_limits::check_document(document, limits)?;
    let operation = selected_operation(document, operation_name.as_deref());
    documents.insert(text, document.clone());
    Ok(Parsed::Document(operation))
}

/// What the handler learnt from parsing the document itself.
enum Parsed {
    /// The document does not parse; async-graphql reports where.
    SyntaxError,
    /// The document parsed; the operation to run, if it can be told.
    Document(Option<(OperationType, Option<String>)>),
}

/// The longest error message sent, in bytes.
const MAX_ERROR_MESSAGE: usize = 1000;

/// Gives a code to the errors async-graphql reports itself (syntax, validation, input
/// coercion), so that every error a client sees has `extensions.code`.
fn code_uncoded_errors(response: &mut async_graphql::Response, syntax_error: bool) {
    let code = if syntax_error {
        ErrorCode::GraphqlParseFailed
    } else if response.data == async_graphql::Value::Null {
        // Nothing ran: the document was refused as a whole.
        ErrorCode::GraphqlValidationFailed
    } else {
        ErrorCode::BadUserInput
    };
    for error in &mut response.errors {
        // The parser quotes the offending line, which may be the whole (large) document.
        if error.message.len() > MAX_ERROR_MESSAGE {
            let cut = (0..=MAX_ERROR_MESSAGE)
                .rev()
                .find(|&i| error.message.is_char_boundary(i))
                .unwrap_or(0);
            error.message.truncate(cut);
            error.message.push('…');
        }
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code.as_str());
        }
    }
}

/// The token from `Authorization: Bearer …` or `Coder-Session-Token: …`, if any.
pub(super) fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        return Some(if scheme.eq_ignore_ascii_case("bearer") {
            token.trim()
        } else {
            ""
        });
    }
    headers
        .get(&SESSION_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The longest `User-Agent` or request id recorded, in bytes; clients choose both.
const MAX_ORIGIN_HEADER: usize = 256;

/// Where this request came from, as the audit log records it.
fn request_origin(client: Option<std::net::IpAddr>, headers: &HeaderMap) -> RequestOrigin {
    // `to_str` only accepts visible ASCII, so characters are bytes here.
    let header_text = |name: &header::HeaderName| {
        let value = headers.get(name).and_then(|v| v.to_str().ok());
        crate::domain::text::clean_reported(value.unwrap_or_default(), MAX_ORIGIN_HEADER)
    };
    RequestOrigin {
        ip: client,
        user_agent: header_text(&header::USER_AGENT),
        request_id: header_text(&REQUEST_ID),
    }
}

async fn execute(
    state: HttpState,
    peer: Peer,
    label: Option<Extension<WorkLabel>>,
    headers: HeaderMap,
    mut request: async_graphql::Request,
    is_get: bool,
) -> Response {
    let (operation, syntax_error) =
        match checked_document(&mut request, &state.document_limits, &state.documents) {
            Ok(Parsed::Document(operation)) => (operation, false),
            Ok(Parsed::SyntaxError) => (None, true),
            Err(err) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadUserInput,
                    &err.to_string(),
                    &[],
                );
            }
        };
    let operation_name = operation.as_ref().and_then(|(_, name)| name.clone());
    if let Some(name) = &operation_name {
        tracing::Span::current().record("operation", name.as_str());
    }
    // From here on the request's CPU shows under its operation, as its metrics do.
    if let Some(Extension(label)) = &label {
        let name = state
            .metrics
            .operation_label(Some(operation_name.as_deref().unwrap_or("anonymous")));
        label.rename(WorkSource::Http, &name);
    }
    if is_get
        && operation
            .as_ref()
            .is_some_and(|(ty, _)| *ty != OperationType::Query)
    {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            "Mutations and subscriptions must be sent with POST.",
            &[(header::ALLOW, "POST")],
        );
    }

    // Before any database work: text PostgreSQL could not store is refused up front.
    let variables = std::mem::take(&mut request.variables);
    let nul = input_text::nul_fields(&variables, request.parsed_query().ok());
    request.variables = variables;
    if !nul.is_empty() {
        return invalid_input_response("The input is invalid.", &nul);
    }
    let client = client_address(
        peer.map(|Extension(ConnectInfo(address))| address),
        &headers,
        &state.trusted_proxies,
    );
    let origin = request_origin(client, &headers);
    let caller = match presented_token(&headers) {
        None => Caller(None),
        Some(token) => {
            match identity::authenticate(
                &state.app.db,
                &state.app.credentials,
                state.app.clock.now(),
                token,
            )
            .await
            {
                Ok(mut authentication) => {
                    authentication.subject.origin = origin.clone();
                    Caller(Some(authentication))
                }
                Err(err) => return refused_credential(err.into()),
            }
        }
    };

    let provisioner = match headers.get(&PROVISIONER_KEY).and_then(|v| v.to_str().ok()) {
        None => ProvisionerCaller(None),
        Some(key) => match provisioner::keys::authenticate_key(&state.app.db, key).await {
            Ok(Some(found)) => ProvisionerCaller(Some(found)),
            Ok(None) => {
                return refused_credential(ApiError::new(
                    ErrorCode::Unauthenticated,
                    "Invalid provisioner key.",
                ));
            }
            Err(err) => return refused_credential(ApiError::internal(&err)),
        },
    };

    let agent = match headers.get(&AGENT_TOKEN).and_then(|v| v.to_str().ok()) {
        None => AgentCaller(None),
        Some(token) => match workspace::authenticate_agent(&state.app.db, token).await {
            Ok(Some(found)) => AgentCaller(Some(found)),
            Ok(None) => {
                return refused_credential(ApiError::new(
                    ErrorCode::Unauthenticated,
                    "Invalid agent token.",
                ));
            }
            Err(err) => return refused_credential(err.into()),
        },
    };

    // A refused mutation's audit row names the object its arguments pointed at, so a
    // mutation's document and variables are kept until it has run.
    let mutation = match (&operation, &caller) {
        (Some((OperationType::Mutation, name)), Caller(Some(auth))) => {
            let variables = request.variables.clone();
            request.parsed_query().ok().map(|document| MutationRequest {
                subject: auth.subject.clone(),
                document: document.clone(),
                operation_name: name.clone(),
                variables,
            })
        }
        _ => None,
    };
    let request = request
        .data(origin)
        .data(agent)
        .data(caller)
        .data(provisioner)
        .data(new_loader(
            state.app.db.clone(),
            state.app.organization_rows.clone(),
        ));
    let mut response = state.schema.execute(request).await;
    if let Some(mutation) = &mutation {
        record_refusals(&state.app, mutation, &response).await;
    }
    code_uncoded_errors(&mut response, syntax_error);
    let mut response = GraphQLResponse::from(response).into_response();
    let accepts_graphql_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/graphql-response+json"));
    if !accepts_graphql_json {
        // Legacy clients that only know application/json get it labelled so.
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response.extensions_mut().insert(GraphqlOperation(
        operation_name.unwrap_or_else(|| "anonymous".to_owned()),
    ));
    response
}
