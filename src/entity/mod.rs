//! sea-orm entities, one file per table. Pure data mappings: no GraphQL derives and no
//! business rules here.

pub mod api_key;
pub mod audit_log;
pub mod cells;
pub mod connection_log;
pub mod file;
pub mod group;
pub mod group_member;
pub mod license;
pub mod organization;
pub mod organization_member;
pub mod preset_prebuild_schedule;
pub mod provisioner_job;
pub mod provisioner_key;
pub mod site_config;
pub mod template;
pub mod template_version;
pub mod template_version_preset;
pub mod user;
pub mod workspace;
pub mod workspace_agent;
pub mod workspace_build;
