//! GraphQL object, input and enum types. Objects wrap entity models and resolve nested
//! fields through the request's DataLoader.

mod identity;
mod roles;

pub use identity::{
    ApiKey, AuthPayload, CreateApiTokenPayload, Group, Organization, OrganizationMember, User,
};
pub use roles::{OrganizationRole, SiteRoleName, UserStatus};
