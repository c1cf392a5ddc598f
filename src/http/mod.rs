//! The HTTP surface: the router, its middleware, and the non-GraphQL routes (health,
//! metrics, the web UI). Transport only; everything else happens in `graphql` and `domain`.

pub mod client_address;
pub mod content_policy;
mod graphql;
pub use graphql::GraphiqlPage;
mod health;
pub mod metrics;
mod middleware;
mod pprof;
pub mod serve;
mod web;

use axum::{Router, routing::get};

use crate::{graphql::AppSchema, state::AppState};

pub use middleware::HttpLimits;

/// Everything the routes need.
#[derive(Clone)]
pub struct HttpState {
    /// Shared application state.
    pub app: AppState,
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// Prometheus metrics.
    pub metrics: metrics::Metrics,
    /// The GraphiQL page GET /graphql serves to browsers; None when GraphiQL is off.
    pub graphiql: Option<graphql::GraphiqlPage>,
    /// Limits every GraphQL document is checked against before it is parsed and run.
    pub document_limits: crate::graphql::document_limits::DocumentLimits,
    /// Documents already parsed and checked, by their text.
    pub documents: std::sync::Arc<crate::graphql::document_cache::DocumentCache>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Hosts workspace apps are served from (workspace proxies and the wildcard app host),
    /// which the UI may frame and open websockets to.
    pub app_hosts: Vec<content_policy::CspHost>,
}

/// Builds the router with every route and the middleware stack.
pub fn build_router(state: HttpState, limits: HttpLimits) -> Router {
    let routes = Router::new()
        .route(
            "/graphql",
            get(graphql::get_graphql).post(graphql::post_graphql),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/debug/pprof/profile", get(pprof::profile))
        .merge(web::routes())
        .fallback(web::not_found)
        .with_state(state.clone());
    let policy = content_policy::ui_policy(&state.app_hosts);
    middleware::apply(routes, state.metrics, limits, policy)
}
