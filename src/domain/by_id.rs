//! Rows by primary key, many in one query: the batch lookup behind the DataLoaders and the
//! domain functions that resolve a list of ids.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn,
    QueryFilter, Value,
};
use uuid::Uuid;

/// The rows of `E` whose UUID primary key is in `ids`, by id; ids with no row are absent.
pub async fn rows_by_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, E::Model>, DbErr> {
    let Some(key) = E::PrimaryKey::iter()
        .next()
        .map(PrimaryKeyToColumn::into_column)
    else {
        return Ok(HashMap::new());
    };
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = E::find()
        .filter(key.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match row.get(key) {
            Value::Uuid(Some(id)) => Some((id, row)),
            _ => None,
        })
        .collect())
}
