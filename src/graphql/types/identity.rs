//! Users, organizations, memberships, groups and API keys.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{OrganizationRole, SiteRoleName, UserStatus};
use crate::{
    domain::identity,
    entity::{api_key, group, organization, organization_member, user},
    graphql::{
        context::ContextExt,
        error::{ApiError, ErrorCode, Result},
        loaders::{MembershipsOf, OrganizationId, UserId},
    },
};

/// A user account.
pub struct User(pub user::Model);

/// A user account.
#[Object]
impl User {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Unique username.
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// Email address (the login name).
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Avatar URL, or empty.
    async fn avatar_url(&self) -> &str {
        &self.0.avatar_url
    }
    /// Whether the user may act.
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }
    /// Site roles; `MEMBER` is always included.
    async fn site_roles(&self) -> Vec<SiteRoleName> {
        let mut roles: Vec<SiteRoleName> = vec![SiteRoleName::Member];
        roles.extend(
            identity::site_roles_of(&self.0)
                .into_iter()
                .map(SiteRoleName::from),
        );
        roles
    }
    /// Whether this is a system account (such as the prebuilds owner).
    async fn is_system(&self) -> bool {
        self.0.is_system
    }
    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the account last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When the user last made an authenticated request (to the minute), if ever.
    async fn last_seen_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_seen_at
    }
    /// The organizations the user belongs to, with the roles held in each.
    async fn organization_memberships(&self, ctx: &Context<'_>) -> Result<Vec<OrganizationMember>> {
        let rows = ctx
            .loader()?
            .load_one(MembershipsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(OrganizationMember).collect())
    }
}

/// An organization: the tenant that owns templates, workspaces and groups.
pub struct Organization(pub organization::Model);

/// An organization: the tenant that owns templates, workspaces and groups.
#[Object]
impl Organization {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Unique name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Human-readable name.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Free text.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Icon URL, or empty.
    async fn icon(&self) -> &str {
        &self.0.icon
    }
    /// Whether this is the default organization, created with the first user.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The human members (system users are hidden). Needs organization member read permission.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<OrganizationMember>> {
        let state = ctx.state()?;
        let rows = identity::list_members(&state.db, ctx.subject()?, self.0.id).await?;
        Ok(rows
            .into_iter()
            .map(|(member, _)| OrganizationMember(member))
            .collect())
    }
    /// The organization's groups. Needs group read permission.
    async fn groups(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        let state = ctx.state()?;
        let rows = identity::list_groups(&state.db, ctx.subject()?, self.0.id).await?;
        Ok(rows.into_iter().map(Group).collect())
    }
}

/// A user's membership in an organization.
pub struct OrganizationMember(pub organization_member::Model);

/// A user's membership in an organization.
#[Object]
impl OrganizationMember {
    /// The organization's id.
    async fn organization_id(&self) -> Uuid {
        self.0.organization_id
    }
    /// The user's id.
    async fn user_id(&self) -> Uuid {
        self.0.user_id
    }
    /// The organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        organization_by_id(ctx, self.0.organization_id).await
    }
    /// The user.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        ctx.loader()?
            .load_one(UserId(self.0.user_id))
            .await?
            .map(User)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The user no longer exists."))
    }
    /// Organization roles; `ORGANIZATION_MEMBER` is always included.
    async fn roles(&self) -> Vec<OrganizationRole> {
        let mut roles = vec![OrganizationRole::OrganizationMember];
        roles.extend(
            identity::member_roles(&self.0)
                .into_iter()
                .map(OrganizationRole::from),
        );
        roles
    }
    /// When the user joined.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The organization `id`, through the request's loader; NOT_FOUND once it is gone.
pub(crate) async fn organization_by_id(ctx: &Context<'_>, id: Uuid) -> Result<Organization> {
    ctx.loader()?
        .load_one(OrganizationId(id))
        .await?
        .map(Organization)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The organization no longer exists."))
}

/// A named set of organization members with a workspace quota allowance.
pub struct Group(pub group::Model);

/// A named set of organization members with a workspace quota allowance.
#[Object]
impl Group {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The organization's id.
    async fn organization_id(&self) -> Uuid {
        self.0.organization_id
    }
    /// The organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        organization_by_id(ctx, self.0.organization_id).await
    }
    /// Unique name in the organization.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Human-readable name.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Avatar URL, or empty.
    async fn avatar_url(&self) -> &str {
        &self.0.avatar_url
    }
    /// The workspace cost the group's members may use together.
    async fn quota_allowance(&self) -> i32 {
        self.0.quota_allowance
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The members, the prebuilds system user included when it was added.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let state = ctx.state()?;
        Ok(identity::group_members(&state.db, self.0.id)
            .await?
            .into_iter()
            .map(User)
            .collect())
    }
}

/// An API key or session (never its secret).
pub struct ApiKey(pub api_key::Model);

/// An API key or session (never its secret).
#[Object]
impl ApiKey {
    /// The public id: the part of the token before the dash.
    async fn id(&self) -> &str {
        &self.0.id
    }
    /// The token's name; null for session tokens.
    async fn name(&self) -> Option<&str> {
        self.0.token_name.as_deref()
    }
    /// When it stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last used (to the minute).
    async fn last_used_at(&self) -> DateTime<Utc> {
        self.0.last_used_at
    }
}

/// A signed-in user and its session token.
pub struct AuthPayload {
    /// The user.
    pub user: user::Model,
    /// `<id>-<secret>`: send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// A signed-in user and its session token.
#[Object]
impl AuthPayload {
    /// The signed-in user.
    async fn user(&self) -> User {
        User(self.user.clone())
    }
    /// The session token: send as `Authorization: Bearer <token>`. Shown only here.
    async fn token(&self) -> &str {
        &self.token
    }
}

/// A new API token; the token text is shown only here.
pub struct CreateApiTokenPayload {
    /// The stored key.
    pub key: api_key::Model,
    /// `<id>-<secret>`.
    pub token: String,
}

/// A new API token; the token text is shown only here.
#[Object]
impl CreateApiTokenPayload {
    /// The token: send as `Authorization: Bearer <token>`. It cannot be shown again.
    async fn token(&self) -> &str {
        &self.token
    }
    /// The key's metadata.
    async fn api_key(&self) -> ApiKey {
        ApiKey(self.key.clone())
    }
}
