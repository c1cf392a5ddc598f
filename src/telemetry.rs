//! Tracing setup. Every unit of work runs in a span that says where it came from:
//! `source = "http"` with the request id and GraphQL operation, or a background job's name.

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
