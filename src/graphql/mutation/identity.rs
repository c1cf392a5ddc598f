//! Mutations for setup, login, tokens, users, organizations, memberships and groups.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use uuid::Uuid;

use crate::{
    domain::identity,
    graphql::{
        context::ContextExt,
        error::Result,
        types::{
            ApiKey, AuthPayload, CreateApiTokenPayload, Group, Organization, OrganizationMember,
            OrganizationRole, SiteRoleName, User, UserStatus,
        },
    },
};

/// The first user of a fresh deployment.
#[derive(InputObject)]
pub struct CreateFirstUserInput {
    /// Email address, the login name.
    pub email: String,
    /// Unique username: 1-32 letters, digits or single hyphens.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Display name.
    #[graphql(default)]
    pub name: String,
}

/// Credentials.
#[derive(InputObject)]
pub struct LoginInput {
    /// Email address (case-insensitive).
    pub email: String,
    /// Password.
    pub password: String,
}

/// A named API token for the caller.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// Unique among the caller's tokens: 1-32 letters, digits or single hyphens.
    pub name: String,
    /// Seconds until it expires; at most the deployment's maximum token lifetime.
    pub lifetime_seconds: i32,
}

/// A new user.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Email address, the login name.
    pub email: String,
    /// Unique username: 1-32 letters, digits or single hyphens.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Display name.
    #[graphql(default)]
    pub name: String,
    /// Site roles beyond the implied MEMBER. Only owners may grant any.
    #[graphql(default)]
    pub site_roles: Vec<SiteRoleName>,
    /// Organizations to join; empty means the default organization.
    #[graphql(default)]
    pub organization_ids: Vec<Uuid>,
}

/// A user's new status.
#[derive(InputObject)]
pub struct UpdateUserStatusInput {
    /// The user.
    pub id: Uuid,
    /// ACTIVE to reactivate, SUSPENDED to refuse every login and token.
    pub status: UserStatus,
}

/// A user's new site roles.
#[derive(InputObject)]
pub struct UpdateUserRolesInput {
    /// The user; not the caller (nobody changes their own roles).
    pub id: Uuid,
    /// The complete set of site roles beyond the implied MEMBER. Owners may assign every
    /// role; user admins none beyond MEMBER.
    pub site_roles: Vec<SiteRoleName>,
}

/// A new organization.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Unique name: 1-32 letters, digits or single hyphens.
    pub name: String,
    /// Human-readable name; defaults to the name.
    #[graphql(default)]
    pub display_name: String,
    /// Free text.
    #[graphql(default)]
    pub description: String,
    /// Icon URL (absolute http or https), or empty.
    #[graphql(default)]
    pub icon: String,
}

/// A membership and its roles.
#[derive(InputObject)]
pub struct OrganizationMemberInput {
    /// The organization.
    pub organization_id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// Roles beyond the implied ORGANIZATION_MEMBER.
    #[graphql(default)]
    pub roles: Vec<OrganizationRole>,
}

/// A membership to end.
#[derive(InputObject)]
pub struct RemoveOrganizationMemberInput {
    /// The organization.
    pub organization_id: Uuid,
    /// The user.
    pub user_id: Uuid,
}

/// The result of removing a member.
#[derive(SimpleObject)]
pub struct RemoveOrganizationMemberPayload {
    /// The organization.
    pub organization_id: Uuid,
    /// The user who is no longer a member.
    pub user_id: Uuid,
}

/// A new group.
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// The organization.
    pub organization_id: Uuid,
    /// Unique name in the organization: 1-32 letters, digits or single hyphens.
    pub name: String,
    /// Human-readable name.
    #[graphql(default)]
    pub display_name: String,
    /// Avatar URL (absolute http or https), or empty.
    #[graphql(default)]
    pub avatar_url: String,
    /// Workspace cost the members may use together; at least 0.
    #[graphql(default)]
    pub quota_allowance: i32,
}

/// Changes to a group; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// The group.
    pub id: Uuid,
    /// New name.
    pub name: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New avatar URL (absolute http or https; empty clears it).
    pub avatar_url: Option<String>,
    /// New quota allowance (at least 0).
    pub quota_allowance: Option<i32>,
    /// Users to add: members of the organization, or the prebuilds system user.
    #[graphql(default)]
    pub add_users: Vec<Uuid>,
    /// Users to remove.
    #[graphql(default)]
    pub remove_users: Vec<Uuid>,
}

/// Identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Sets up a fresh deployment: creates the first user as owner, the default
    /// organization, and a session. Refused once a user exists. Needs no token.
    async fn create_first_user(
        &self,
        ctx: &Context<'_>,
        input: CreateFirstUserInput,
    ) -> Result<AuthPayload> {
        let state = ctx.state()?;
        let (user, token) = identity::create_first_user(
            &state.db,
            state.clock.now(),
            identity::FirstUser {
                email: input.email,
                username: input.username,
                password: input.password,
                name: input.name,
            },
            ctx.origin(),
            state.auth.session_duration,
        )
        .await?;
        Ok(AuthPayload {
            user,
            token: token.token,
        })
    }

    /// Signs in with email and password and returns a session token. Needs no token.
    /// Failed logins are limited per account and per client address; beyond the limit the
    /// answer is FORBIDDEN with `extensions.retryAfterSeconds`, whether the account exists
    /// or not.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let state = ctx.state()?;
        let (user, token) = identity::login(
            &state.db,
            &state.auth.login_throttle,
            state.clock.now(),
            identity::LoginAttempt {
                email: input.email,
                password: input.password,
                origin: ctx.origin(),
            },
            state.auth.session_duration,
        )
        .await?;
        Ok(AuthPayload {
            user,
            token: token.token,
        })
    }

    /// Creates a named API token for the caller. The token is returned once.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreateApiTokenPayload> {
        let state = ctx.state()?;
        let token = identity::create_api_token(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            &input.name,
            input.lifetime_seconds.into(),
            state.auth.max_token_lifetime,
        )
        .await?;
        Ok(CreateApiTokenPayload {
            key: token.key,
            token: token.token,
        })
    }

    /// Deletes an API token or session token by its id (the part before the dash); it is
    /// refused from the next request on. Users delete their own; owners anyone's.
    async fn delete_api_token(&self, ctx: &Context<'_>, id: String) -> Result<ApiKey> {
        let state = ctx.state()?;
        let key = identity::delete_api_token(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            &id,
        )
        .await?;
        Ok(ApiKey(key))
    }

    /// Signs out: deletes the token this request was made with.
    async fn logout(&self, ctx: &Context<'_>) -> Result<ApiKey> {
        let state = ctx.state()?;
        let key = identity::logout(
            &state.db,
            &state.credentials,
            state.clock.now(),
            ctx.caller()?,
        )
        .await?;
        Ok(ApiKey(key))
    }

    /// Creates a user with site roles, in the given organizations (default: the default one).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let state = ctx.state()?;
        let user = identity::create_user(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            identity::CreateUser {
                email: input.email,
                username: input.username,
                password: input.password,
                name: input.name,
                site_roles: input.site_roles.into_iter().map(Into::into).collect(),
                organization_ids: input.organization_ids,
            },
        )
        .await?;
        Ok(User(user))
    }

    /// Suspends or reactivates a user. Nobody suspends themselves, and an owner must lose the
    /// OWNER role before being suspended.
    async fn update_user_status(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserStatusInput,
    ) -> Result<User> {
        let state = ctx.state()?;
        let user = identity::set_user_status(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.status.into(),
        )
        .await?;
        Ok(User(user))
    }

    /// Replaces a user's site roles. Every role added or removed must be one the caller may
    /// assign; nobody changes their own roles; the last active owner keeps OWNER.
    async fn update_user_roles(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserRolesInput,
    ) -> Result<User> {
        let state = ctx.state()?;
        let user = identity::update_user_roles(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.site_roles.into_iter().map(Into::into).collect(),
        )
        .await?;
        Ok(User(user))
    }

    /// Creates an organization; the caller becomes its organization admin.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<Organization> {
        let state = ctx.state()?;
        let org = identity::create_organization(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            identity::CreateOrganization {
                name: input.name,
                display_name: input.display_name,
                description: input.description,
                icon: input.icon,
            },
        )
        .await?;
        Ok(Organization(org))
    }

    /// Adds a user to an organization with roles.
    async fn add_organization_member(
        &self,
        ctx: &Context<'_>,
        input: OrganizationMemberInput,
    ) -> Result<OrganizationMember> {
        let state = ctx.state()?;
        let member = identity::add_member(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            member_input(input),
        )
        .await?;
        Ok(OrganizationMember(member))
    }

    /// Replaces a member's organization roles. Every role added or removed must be one the
    /// caller may assign in the organization; nobody changes their own roles.
    async fn update_organization_member_roles(
        &self,
        ctx: &Context<'_>,
        input: OrganizationMemberInput,
    ) -> Result<OrganizationMember> {
        let state = ctx.state()?;
        let member = identity::update_member_roles(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            member_input(input),
        )
        .await?;
        Ok(OrganizationMember(member))
    }

    /// Removes a user from an organization.
    async fn remove_organization_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveOrganizationMemberInput,
    ) -> Result<RemoveOrganizationMemberPayload> {
        let state = ctx.state()?;
        identity::remove_member(
            &state.db,
            &state.credentials,
            ctx.subject()?,
            state.clock.now(),
            input.organization_id,
            input.user_id,
        )
        .await?;
        Ok(RemoveOrganizationMemberPayload {
            organization_id: input.organization_id,
            user_id: input.user_id,
        })
    }

    /// Creates a group in an organization.
    async fn create_group(&self, ctx: &Context<'_>, input: CreateGroupInput) -> Result<Group> {
        let state = ctx.state()?;
        let group = identity::create_group(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            identity::CreateGroup {
                organization_id: input.organization_id,
                name: input.name,
                display_name: input.display_name,
                avatar_url: input.avatar_url,
                quota_allowance: input.quota_allowance,
            },
        )
        .await?;
        Ok(Group(group))
    }

    /// Changes a group's fields and members in one step. Every user added must be a member
    /// of the organization, except the prebuilds system user.
    async fn update_group(&self, ctx: &Context<'_>, input: UpdateGroupInput) -> Result<Group> {
        let state = ctx.state()?;
        let group = identity::update_group(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            identity::UpdateGroup {
                id: input.id,
                name: input.name,
                display_name: input.display_name,
                avatar_url: input.avatar_url,
                quota_allowance: input.quota_allowance,
                add_users: input.add_users,
                remove_users: input.remove_users,
            },
        )
        .await?;
        Ok(Group(group))
    }
}

fn member_input(input: OrganizationMemberInput) -> identity::AddMember {
    identity::AddMember {
        organization_id: input.organization_id,
        user_id: input.user_id,
        roles: input.roles.into_iter().map(Into::into).collect(),
    }
}
