//! The HTTP surface: the router, its middleware, and the non-GraphQL routes (health,
//! metrics, the web UI). Transport only; everything else happens in `graphql` and `domain`.

mod graphql;
mod health;
pub mod metrics;
mod middleware;
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
    /// Whether GET /graphql serves GraphiQL to browsers.
    pub graphiql: bool,
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
        .merge(web::routes())
        .fallback(web::not_found)
        .with_state(state.clone());
    middleware::apply(routes, state.metrics, limits)
}
