//! DataLoaders that batch nested lookups into one query per kind. A [`DbLoader`] is built
//! for each request (never shared on the schema), so batches and its cache never mix
//! callers; it does no authorization — resolvers decide what may be shown.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    domain::{identity, template, workspace},
    entity::{
        organization, organization_member, provisioner_job, template as template_entity,
        template_version, user, workspace_agent, workspace_build,
    },
};

/// Batches lookups by id against the database.
pub struct DbLoader {
    db: DatabaseConnection,
}

/// A loader error; it is logged where it becomes an `ApiError`.
pub type LoadError = Arc<dyn std::error::Error + Send + Sync>;

fn load_error(err: impl std::error::Error + Send + Sync + 'static) -> LoadError {
    Arc::new(err)
}

/// Builds the per-request loader (with a per-request cache).
pub fn new_loader(db: DatabaseConnection) -> DataLoader<DbLoader, HashMapCache> {
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
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

fn rekey<K: std::hash::Hash + Eq, V>(
    map: HashMap<Uuid, V>,
    key: impl Fn(Uuid) -> K,
) -> HashMap<K, V> {
    map.into_iter().map(|(id, v)| (key(id), v)).collect()
}

impl Loader<UserId> for DbLoader {
    type Value = user::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            identity::users_by_id(&self.db, &ids)
                .await
                .map_err(load_error)?,
            UserId,
        ))
    }
}

impl Loader<OrganizationId> for DbLoader {
    type Value = organization::Model;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[OrganizationId],
    ) -> Result<HashMap<OrganizationId, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            identity::organizations_by_id(&self.db, &ids)
                .await
                .map_err(load_error)?,
            OrganizationId,
        ))
    }
}

impl Loader<MembershipsOf> for DbLoader {
    type Value = Vec<organization_member::Model>;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[MembershipsOf],
    ) -> Result<HashMap<MembershipsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            identity::memberships_of(&self.db, &ids)
                .await
                .map_err(load_error)?,
            MembershipsOf,
        ))
    }
}

/// Key: a template by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateId(pub Uuid);
/// Key: a template version by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateVersionId(pub Uuid);
/// Key: the latest build (with its job) of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestBuildOf(pub Uuid);
/// Key: the agents of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgentsOf(pub Uuid);

impl Loader<TemplateId> for DbLoader {
    type Value = template_entity::Model;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[TemplateId],
    ) -> Result<HashMap<TemplateId, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            template::templates_by_id(&self.db, &ids)
                .await
                .map_err(load_error)?,
            TemplateId,
        ))
    }
}

impl Loader<TemplateVersionId> for DbLoader {
    type Value = template_version::Model;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[TemplateVersionId],
    ) -> Result<HashMap<TemplateVersionId, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            template::versions_by_id(&self.db, &ids)
                .await
                .map_err(load_error)?,
            TemplateVersionId,
        ))
    }
}

impl Loader<LatestBuildOf> for DbLoader {
    type Value = (workspace_build::Model, provisioner_job::Model);
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[LatestBuildOf],
    ) -> Result<HashMap<LatestBuildOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            workspace::latest_builds(&self.db, &ids)
                .await
                .map_err(load_error)?,
            LatestBuildOf,
        ))
    }
}

impl Loader<AgentsOf> for DbLoader {
    type Value = Vec<workspace_agent::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[AgentsOf]) -> Result<HashMap<AgentsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(rekey(
            workspace::agents_of(&self.db, &ids)
                .await
                .map_err(load_error)?,
            AgentsOf,
        ))
    }
}
