//! The tower-http stack every response passes through, outermost first: request id, trace
//! span, request-id propagation, panic catching, metrics, timeout, body limit, security
//! headers.

use std::time::Duration;

use axum::{
    Router,
    extract::Request,
    http::{HeaderName, HeaderValue, StatusCode, header},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use super::metrics::{self, Metrics};

/// The request id header, set on every request and echoed on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Coder's alternative to `Authorization: Bearer`.
pub const SESSION_TOKEN: HeaderName = HeaderName::from_static("coder-session-token");

/// How external provisioners authenticate.
pub const PROVISIONER_KEY: HeaderName = HeaderName::from_static("coder-provisioner-key");

/// How workspace agents authenticate.
pub const AGENT_TOKEN: HeaderName = HeaderName::from_static("coder-agent-token");

/// Limits on requests.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Longest a request may take (408 after).
    pub request_timeout: Duration,
    /// Largest request body (413 above).
    pub max_body_bytes: usize,
}

/// Wraps the routes in the middleware stack.
///
/// `ui_policy` is the Content-Security-Policy of every response that sets none itself
/// (everything but GraphiQL's page).
pub fn apply(
    routes: Router,
    metrics: Metrics,
    limits: HttpLimits,
    ui_policy: HeaderValue,
) -> Router {
    // Route-level layers run after routing, so the metrics see the matched route.
    let routes = routes.layer(axum::middleware::from_fn_with_state(
        metrics,
        metrics::track,
    ));
    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
                SESSION_TOKEN,
                PROVISIONER_KEY,
                AGENT_TOKEN,
            ]))
            .layer(
                TraceLayer::new_for_http().make_span_with(|request: &Request| {
                    let request_id = request
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "http",
                        source = "http",
                        request_id,
                        method = %request.method(),
                        path = %request.uri().path(),
                        operation = tracing::field::Empty,
                    )
                }),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::new())
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.request_timeout,
            ))
            .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                ui_policy,
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            )),
    )
}
