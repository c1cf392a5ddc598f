//! GET /debug/pprof/profile?seconds=N[&frequency=Hz]: a CPU profile of the whole process in
//! pprof's protobuf format, each sample labelled with its work source. Owners only: a
//! profile shows what the server is doing, and taking one costs CPU.

use std::time::Duration;

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    HttpState,
    graphql::{presented_token, refused_credential},
};
use crate::{
    authz::SiteRole,
    domain::identity,
    telemetry::{
        cpu_profile::{self, DEFAULT_FREQUENCY, MAX_FREQUENCY, MAX_SECONDS, ProfileError},
        work_label::inherit_blocking,
    },
};

/// The query string.
#[derive(Debug, Deserialize)]
pub struct ProfileParams {
    seconds: Option<u64>,
    frequency: Option<i32>,
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.to_owned(),
    )
        .into_response()
}

/// The handler.
pub async fn profile(
    State(state): State<HttpState>,
    headers: HeaderMap,
    params: Result<Query<ProfileParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(token) = presented_token(&headers) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "A session or API token is required.",
        );
    };
    let subject = match identity::authenticate(
        &state.app.db,
        &state.app.credentials,
        state.app.clock.now(),
        token,
    )
    .await
    {
        Ok(authentication) => authentication.subject,
        Err(err) => return refused_credential(err.into()),
    };
    if !subject.site_roles.contains(&SiteRole::Owner) {
        return refuse(StatusCode::FORBIDDEN, "Only owners may take CPU profiles.");
    }
    let Ok(Query(params)) = params else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "seconds and frequency must be whole numbers.",
        );
    };
    let seconds = params.seconds.unwrap_or(10);
    if !(1..=MAX_SECONDS).contains(&seconds) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("seconds must be between 1 and {MAX_SECONDS}."),
        );
    }
    let frequency = params.frequency.unwrap_or(DEFAULT_FREQUENCY);
    if !(1..=MAX_FREQUENCY).contains(&frequency) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("frequency must be between 1 and {MAX_FREQUENCY} Hz."),
        );
    }
    tracing::info!(seconds, frequency, user = %subject.user_id, "taking a CPU profile");
    let taken = tokio::task::spawn_blocking(inherit_blocking(move || {
        cpu_profile::take(Duration::from_secs(seconds), frequency)
    }))
    .await;
    match taken {
        Ok(Ok(encoded)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"devplane-cpu.pb\"",
                ),
            ],
            encoded,
        )
            .into_response(),
        Ok(Err(ProfileError::Busy)) => {
            refuse(StatusCode::CONFLICT, &ProfileError::Busy.to_string())
        }
        Ok(Err(err)) => {
            tracing::error!(error = %err, "CPU profile failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The profiler failed; see the server log.",
            )
        }
        Err(err) => {
            tracing::error!(error = %err, "CPU profile task failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The profiler failed; see the server log.",
            )
        }
    }
}
