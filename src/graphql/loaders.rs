//! DataLoaders that batch nested lookups into one query per kind. A [`DbLoader`] is built
//! for each request (never shared on the schema), so batches and its cache never mix
//! callers; it does no authorization — resolvers decide what may be shown.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    domain::identity,
    entity::{organization, organization_member, user},
};

/// Batches lookups by id against the database.
pub struct DbLoader {
    db: DatabaseConnection,
}

/// A loader error; the cause has been logged where it was turned into an `ApiError`.
pub type LoadError = Arc<identity::Error>;

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
                .map_err(Arc::new)?,
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
                .map_err(Arc::new)?,
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
                .map_err(Arc::new)?,
            MembershipsOf,
        ))
    }
}
