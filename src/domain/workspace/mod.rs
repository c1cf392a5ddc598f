//! Workspaces: creating them, the workspace builder (the one path for every build),
//! start/stop/delete/update, canceling a build, quotas, TTL and autostart settings,
//! activity, listing with a filter, and the lifecycle executor's rules and work
//! ([`autobuild`]).

mod activity;
mod agents;
pub mod autobuild;
mod build_cancel;
mod build_completion;
mod build_deadlines;
mod build_job;
mod builder;
mod filter;
#[cfg(test)]
mod filter_fuzz;
mod lifecycle;
mod prebuilt;
mod preview;
mod queries;
mod quota;

use sea_orm::DbErr;

pub use activity::{Activity, record_activity, record_activity_in};
pub use agents::{authenticate_agent, create_agent_token, report_agent_lifecycle};
pub use build_cancel::cancel_build;
pub use build_completion::{BuildCompletion, complete_build_job};
pub use build_deadlines::{
    DEFAULT_QUIET_HOURS, DeadlineError, apply_template_schedule_change, deadlines_for,
    next_start_at, schedule_options,
};
pub use build_job::{BuildAssignment, BuildJobInput, FollowUpStart, acquire_build_job};
pub use builder::{BuildRequest, NoUsageCheck, UsageCheck, UsageError, build};
pub use filter::{WorkspaceFilter, WorkspaceStatus, parse_filter};
pub use lifecycle::{
    CreateWorkspace, PrebuildClaims, UpdateOutcome, create_workspace, delete_workspace,
    is_outdated, start_workspace, stop_workspace, update_autostart, update_ttl, update_workspace,
};
pub use prebuilt::{
    agents_ready_sql, create_prebuilt_workspace, delete_prebuilt_workspace, generate_prebuild_name,
    prebuilds_orchestrator,
};
pub use preview::{ParameterPreview, preview_parameters};
pub(crate) use queries::is_latest_build;
pub use queries::{
    WorkspaceRow, agents_of, get_workspace, latest_builds, list_workspaces, status_of,
};
pub use quota::{INSUFFICIENT_QUOTA, WorkspaceQuota, workspace_quota};

use super::FieldError;
use crate::authz;

/// What can go wrong with workspaces and builds.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Inputs are invalid; every one is listed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Build parameters failed validation; one entry per parameter, sorted by name.
    #[error("Unable to validate parameters")]
    InvalidParameters(Vec<FieldError>),
    /// The request clashes with the workspace's state.
    #[error("{0}")]
    Conflict(String),
    /// A unique value is taken.
    #[error("already in use")]
    Taken(Vec<FieldError>),
    /// The object does not exist, or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The build is not permitted (the license's usage limit).
    #[error("{0}")]
    NotPermitted(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Stored data could not be read (a bug or a manual edit).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

/// Shorthand for this module's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The message Coder returns when a build is refused because another is in progress.
pub const BUILD_ACTIVE: &str = "A workspace build is already active.";

/// Maps database constraint violations we know to typed errors; anything else is a
/// database error.
pub fn map_constraint(err: DbErr) -> Error {
    let text = err.to_string();
    if text.contains("workspace_builds_deadline_below_max_deadline") {
        return Error::Invalid(vec![FieldError::new(
            "deadline",
            "the deadline must be set and not after the max deadline when a max deadline is set",
        )]);
    }
    if text.contains("workspace_builds_workspace_id_build_number_key")
        || (super::is_unique_violation(&err) && text.contains("workspace_builds"))
    {
        return Error::Conflict(BUILD_ACTIVE.to_owned());
    }
    if text.contains("workspaces_owner_id_name_key")
        || (super::is_unique_violation(&err) && text.contains("workspaces"))
    {
        return Error::Taken(vec![FieldError::new(
            "name",
            "a workspace with this name already exists",
        )]);
    }
    Error::Db(err)
}
