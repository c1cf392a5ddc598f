//! DataLoaders that batch nested lookups into one query per kind. A [`DbLoader`] is built
//! for each request (never shared on the schema), so batches and its cache never mix
//! callers; it does no authorization — resolvers decide what may be shown.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    sync::Arc,
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    domain::{by_id::rows_by_id, identity, workspace},
    entity::{
        organization, organization_member, provisioner_job, template as template_entity,
        template_version, user, workspace_agent, workspace_build,
    },
};

/// Batches lookups by id against the database.
pub struct DbLoader {
    db: DatabaseConnection,
    organizations: identity::OrganizationRows,
}

/// A loader error; it is logged where it becomes an `ApiError`.
pub type LoadError = Arc<dyn std::error::Error + Send + Sync>;

fn load_error(err: impl std::error::Error + Send + Sync + 'static) -> LoadError {
    Arc::new(err)
}

/// Builds the per-request loader (with a per-request cache); organizations come from the
/// process's remembered rows, which never go stale.
pub fn new_loader(
    db: DatabaseConnection,
    organizations: identity::OrganizationRows,
) -> DataLoader<DbLoader, HashMapCache> {
    DataLoader::with_cache(
        DbLoader { db, organizations },
        // A batch runs on its own task; its CPU belongs to the request that asked for it.
        |batch| tokio::spawn(crate::telemetry::work_label::inherit(batch)),
        HashMapCache::default(),
    )
}

/// Puts a page's users, already read with its rows, in the request's cache, and loads its
/// organizations into it now, so that the page's nested fields read both without a
/// statement and without waiting out the loader's batching window (and its timer task): a
/// page knows every id it needs before its fields resolve.
pub async fn preload_page(
    loader: &DataLoader<DbLoader, HashMapCache>,
    users: Vec<user::Model>,
    organizations: HashSet<OrganizationId>,
) -> Result<(), LoadError> {
    loader
        .feed_many(users.into_iter().map(|user| (UserId(user.id), user)))
        .await;
    preload(loader, organizations).await
}

async fn preload<K>(
    loader: &DataLoader<DbLoader, HashMapCache>,
    keys: HashSet<K>,
) -> Result<(), LoadError>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = LoadError>,
{
    if keys.is_empty() {
        return Ok(());
    }
    let keys: Vec<K> = keys.into_iter().collect();
    let found = loader.loader().load(&keys).await?;
    loader.feed_many(found).await;
    Ok(())
}

/// Key: a user by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub Uuid);
/// Key: an organization by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrganizationId(pub Uuid);
/// Key: the memberships of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembershipsOf(pub Uuid);
/// Key: a template by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateId(pub Uuid);
/// Key: a template version by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateVersionId(pub Uuid);
/// Key: a provisioner job by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProvisionerJobId(pub Uuid);
/// Key: the latest build (with its job) of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestBuildOf(pub Uuid);
/// Key: the agents of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgentsOf(pub Uuid);

/// Implements `Loader<$key>` with a batch function from ids to values by id.
macro_rules! batch_loader {
    ($key:ident => $value:ty, $batch:expr) => {
        impl Loader<$key> for DbLoader {
            type Value = $value;
            type Error = LoadError;
            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let found = $batch(&self.db, &ids).await.map_err(load_error)?;
                Ok(found.into_iter().map(|(id, v)| ($key(id), v)).collect())
            }
        }
    };
}

batch_loader!(UserId => user::Model, rows_by_id::<user::Entity>);
batch_loader!(MembershipsOf => Vec<organization_member::Model>, identity::memberships_of);
batch_loader!(TemplateId => template_entity::Model, rows_by_id::<template_entity::Entity>);
batch_loader!(TemplateVersionId => template_version::Model, rows_by_id::<template_version::Entity>);
batch_loader!(ProvisionerJobId => provisioner_job::Model, rows_by_id::<provisioner_job::Entity>);
batch_loader!(LatestBuildOf => (workspace_build::Model, provisioner_job::Model), workspace::latest_builds);
batch_loader!(AgentsOf => Vec<workspace_agent::Model>, workspace::agents_of);

impl Loader<OrganizationId> for DbLoader {
    type Value = organization::Model;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[OrganizationId],
    ) -> Result<HashMap<OrganizationId, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = self
            .organizations
            .by_ids(&self.db, &ids)
            .await
            .map_err(load_error)?;
        Ok(found
            .into_iter()
            .map(|(id, v)| (OrganizationId(id), v))
            .collect())
    }
}
