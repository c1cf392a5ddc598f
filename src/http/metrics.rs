//! Prometheus metrics: HTTP requests and their latency, labelled by route and GraphQL
//! operation name. Each application has its own registry (no global state), so tests can
//! run many servers in one process.

use crate::telemetry::{WorkSeconds, WorkSource, work_label::WorkLabel};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

use super::HttpState;

/// Distinct operation names recorded before the rest are counted as `other`, so that
/// clients cannot blow up the label cardinality.
const MAX_OPERATION_NAMES: usize = 200;

/// The GraphQL operation a response answered; set by the GraphQL handler.
#[derive(Debug, Clone)]
pub struct GraphqlOperation(pub String);

/// The registry and the HTTP metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    statements: IntCounterVec,
    statement_duration: prometheus::Histogram,
    operations: Arc<Mutex<HashSet<String>>>,
    work: WorkSeconds,
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("devplane".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method, status and GraphQL operation.",
            ),
            &["route", "method", "status", "operation"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route and GraphQL operation.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "operation"],
        )?;
        let statements = IntCounterVec::new(
            Opts::new(
                "db_statements_total",
                "SQL statements run, by whether they failed.",
            ),
            &["failed"],
        )?;
        let statement_duration = prometheus::Histogram::with_opts(
            HistogramOpts::new("db_statement_duration_seconds", "SQL statement latency.").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                ],
            ),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(statements.clone()))?;
        registry.register(Box::new(statement_duration.clone()))?;
        let work = WorkSeconds::register(&registry)?;
        Ok(Self {
            registry,
            requests,
            duration,
            statements,
            statement_duration,
            operations: Arc::new(Mutex::new(HashSet::new())),
            work,
        })
    }

    /// Counts and times every SQL statement run through `db` (and its clones made after).
    pub fn observe_statements(&self, db: &mut sea_orm::DatabaseConnection) {
        let (statements, duration) = (self.statements.clone(), self.statement_duration.clone());
        db.set_metric_callback(move |info| {
            statements
                .with_label_values(&[if info.failed { "true" } else { "false" }])
                .inc();
            duration.observe(info.elapsed.as_secs_f64());
        });
    }

    /// The wall-time-per-unit-of-work counter, which background jobs add to as well.
    pub fn work(&self) -> WorkSeconds {
        self.work.clone()
    }

    /// The registry, for other capabilities to register their metrics in.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return String::new();
        };
        let mut seen = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(name) {
            return name.to_owned();
        }
        if seen.len() < MAX_OPERATION_NAMES {
            seen.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }
}

/// Middleware: counts and times every request.
pub async fn track(State(metrics): State<Metrics>, mut request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    // CPU profiles attribute the request to its route until GraphQL names its operation.
    let label = WorkLabel::new(WorkSource::Http, &route);
    request.extensions_mut().insert(label.clone());
    let start = Instant::now();
    let response = label.wrap(next.run(request)).await;
    let operation = metrics.operation_label(
        response
            .extensions()
            .get::<GraphqlOperation>()
            .map(|op| op.0.as_str()),
    );
    let status = response.status().as_u16().to_string();
    metrics
        .requests
        .with_label_values(&[
            route.as_str(),
            method.as_str(),
            status.as_str(),
            operation.as_str(),
        ])
        .inc();
    let seconds = start.elapsed().as_secs_f64();
    metrics
        .duration
        .with_label_values(&[route.as_str(), operation.as_str()])
        .observe(seconds);
    let name = if operation.is_empty() {
        &route
    } else {
        &operation
    };
    metrics.work.add(WorkSource::Http, name, seconds);
    response
}

/// GET /metrics: the Prometheus text format.
pub async fn render(State(state): State<HttpState>) -> Response {
    let mut buffer = Vec::new();
    match TextEncoder::new().encode(&state.metrics.registry.gather(), &mut buffer) {
        Ok(()) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], buffer).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "encoding metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
