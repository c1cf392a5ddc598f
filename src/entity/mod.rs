//! sea-orm entities, one file per table. Pure data mappings: no GraphQL derives and no
//! business rules here.

pub mod api_key;
pub mod audit_log;
pub mod group;
pub mod group_member;
pub mod organization;
pub mod organization_member;
pub mod site_config;
pub mod user;
