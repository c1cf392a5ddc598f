//! The query root, merged from one part per capability.

mod audit_log;
mod connection_log;
mod identity;
mod license;
mod prebuilds;
mod template;
mod workspace;

use async_graphql::MergedObject;

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    template::TemplateQuery,
    workspace::WorkspaceQuery,
    license::LicenseQuery,
    connection_log::ConnectionLogQuery,
    audit_log::AuditLogQuery,
    prebuilds::PrebuildsQuery,
);
