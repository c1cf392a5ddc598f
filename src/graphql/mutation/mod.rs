//! The mutation root, merged from one part per capability. Mutations take one `input`
//! argument where they take more than an id.

mod connection_log;
mod identity;
mod license;
mod prebuilds;
mod provisioner;
mod template;
mod workspace;

use async_graphql::MergedObject;

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    template::TemplateMutation,
    workspace::WorkspaceMutation,
    provisioner::ProvisionerMutation,
    license::LicenseMutation,
    connection_log::ConnectionLogMutation,
    prebuilds::PrebuildsMutation,
);
