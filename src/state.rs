//! What every request and job shares: the database, the clock and the settings domain
//! functions need.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;

use crate::clock::Clock;

/// Settings that shape authentication.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of session tokens.
    pub session_duration: Duration,
    /// Longest lifetime an API token may ask for.
    pub max_token_lifetime: Duration,
}

/// Shared application state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The clock every "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Authentication settings.
    pub auth: AuthSettings,
    /// The URL users and agents reach the server at.
    pub access_url: url::Url,
}
