//! The query root, merged from one part per capability.

mod identity;
mod license;
mod workspace;

use async_graphql::MergedObject;

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    workspace::WorkspaceQuery,
    license::LicenseQuery,
);
