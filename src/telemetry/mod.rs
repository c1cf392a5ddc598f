//! Tracing setup. Every unit of work runs in a span that says where it came from:
//! `source = "http"` with the request id and GraphQL operation, or a background job's name.

pub mod cpu_profile;
pub mod work_label;

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. A second call (as in tests) is a harmless no-op.
pub fn init(config: &LogConfig) {
    // sqlx and sea-orm log every statement at INFO; keep them at WARN unless asked.
    let filter = EnvFilter::try_new(format!("sqlx=warn,sea_orm=warn,{}", config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match config.log_format {
        LogFormat::Text => registry.with(fmt::layer()).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
    drop(result);
}

/// Where a unit of work came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkSource {
    /// An HTTP request; its name is the GraphQL operation (or the route).
    Http,
    /// A background job; its name is the job's.
    Job,
}

impl WorkSource {
    /// The label value: `http` or `job`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Job => "job",
        }
    }
}

/// `devplane_work_seconds_total{source,name}`: wall time spent per unit of work, so that
/// load from users and load from background jobs can be told apart and compared.
#[derive(Clone)]
pub struct WorkSeconds(prometheus::CounterVec);

impl WorkSeconds {
    /// Creates the counter and registers it in `registry`.
    pub fn register(registry: &prometheus::Registry) -> Result<Self, prometheus::Error> {
        let counter = prometheus::CounterVec::new(
            prometheus::Opts::new(
                "work_seconds_total",
                "Wall time spent in units of work, by source (http, job) and name (GraphQL operation or route, job name).",
            ),
            &["source", "name"],
        )?;
        registry.register(Box::new(counter.clone()))?;
        Ok(Self(counter))
    }

    /// Adds `seconds` of work from `source` named `name`.
    pub fn add(&self, source: WorkSource, name: &str, seconds: f64) {
        self.0
            .with_label_values(&[source.as_str(), name])
            .inc_by(seconds);
    }
}
