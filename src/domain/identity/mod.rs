//! Identity: users, organizations and their members, groups, passwords, API keys and the
//! authentication of tokens into an [`authz::Subject`](crate::authz::Subject).

mod api_keys;
mod credential_cache;
mod groups;
pub mod login_throttle;
mod organization_names;
mod organization_rows;
mod organizations;
mod password;
mod users;
mod validate;

use sea_orm::DbErr;
use uuid::Uuid;

pub use api_keys::{
    ApiToken, Authentication, authenticate, create_api_token, create_session, delete_api_token,
    list_api_tokens, logout,
};
pub use credential_cache::CredentialCache;
pub use groups::{
    CreateGroup, UpdateGroup, create_group, get_group, group_members, list_groups, update_group,
};
pub use organization_names::OrganizationNames;
pub use organization_rows::OrganizationRows;
pub use organizations::{
    AddMember, CreateOrganization, add_member, create_organization, get_organization, list_members,
    list_organizations, member_roles, memberships_of, remove_member, update_member_roles,
};
pub use users::{
    CreateUser, FirstUser, LoginAttempt, create_first_user, create_user, get_user, has_first_user,
    list_users, login, set_user_status, site_roles_of, subject_for, update_user_roles,
};

use super::FieldError;
use crate::authz;

/// The prebuilds system user's id (docs/rules/identity-and-rbac.md), made by the first migration.
pub const PREBUILDS_SYSTEM_USER_ID: Uuid = Uuid::from_u128(0xc42fdf75_3097_471c_8c33_fb52454d81c0);

/// What can go wrong in identity operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Some inputs are invalid; every one is listed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A unique value (username, email, name) is already taken.
    #[error("already in use")]
    Conflict(Vec<FieldError>),
    /// The first user exists already.
    #[error("The initial user has already been created.")]
    FirstUserExists,
    /// Login with an unknown email or a wrong password.
    #[error("Incorrect email or password.")]
    InvalidCredentials,
    /// The token is missing, malformed, unknown or expired.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Too many failed logins for this account or from this client.
    #[error("Too many failed login attempts. Try again in {retry_after_seconds} seconds.")]
    Throttled {
        /// Seconds until logins are accepted again.
        retry_after_seconds: i64,
    },
    /// The user is suspended.
    #[error("Your account is suspended. Contact an administrator to reactivate it.")]
    Suspended,
    /// The caller may not do this.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The caller may not grant or take away a role.
    #[error(transparent)]
    NotAssignable(#[from] authz::NotAssignable),
    /// Users may not change their own roles.
    #[error("You cannot change your own roles.")]
    OwnRoles,
    /// Owners cannot be suspended while they hold the role.
    #[error("You cannot suspend a user with the \"owner\" role. You must remove the role first.")]
    SuspendOwner,
    /// The change would leave no active owner.
    #[error("The last active owner cannot lose the owner role.")]
    LastOwner,
    /// The object does not exist, or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Hashing a password failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Shorthand for this module's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns a list of field errors into `Ok(())` or [`Error::Invalid`].
fn check(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}
