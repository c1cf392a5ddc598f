//! Decoding rows by column position, for the hot read paths that decode many rows.
//!
//! sea-orm's derived decoding looks every column up by name, formats `{prefix}{column}`
//! for each column of a prefixed (joined) model, and formats an error text for every NULL
//! an `Option` field reads. On a page of 50 log entries with their users that was a fifth
//! of the request's CPU. Decoding by position does none of it: a model is read from the
//! cells at the position where its columns start, in the order its entity lists them
//! (`Column::iter()`, the order `Entity::find()` selects them in).

use sea_orm::{
    DbErr, QueryResult, TryGetable,
    sqlx::{Row, ValueRef},
};

/// The cells of one result row, read left to right.
pub struct Cells<'r> {
    row: &'r QueryResult,
    next: usize,
}

impl<'r> Cells<'r> {
    /// Reads `row` from the cell at position `start`.
    pub fn at(row: &'r QueryResult, start: usize) -> Self {
        Self { row, next: start }
    }

    /// The next cell, which must not be NULL.
    pub fn value<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let at = self.next;
        self.next += 1;
        self.row.try_get_by_index(at)
    }

    /// The next cell, None when NULL.
    pub fn optional<T: TryGetable>(&mut self) -> Result<Option<T>, DbErr> {
        if self.is_null(self.next)? {
            self.next += 1;
            return Ok(None);
        }
        self.value().map(Some)
    }

    /// Whether the cell at `at` is NULL, asked of the driver's row without decoding it.
    fn is_null(&self, at: usize) -> Result<bool, DbErr> {
        let driver_error = |err: sea_orm::sqlx::Error| DbErr::Type(err.to_string());
        if let Some(row) = self.row.try_as_pg_row() {
            return Ok(row.try_get_raw(at).map_err(driver_error)?.is_null());
        }
        if let Some(row) = self.row.try_as_sqlite_row() {
            return Ok(row.try_get_raw(at).map_err(driver_error)?.is_null());
        }
        Err(DbErr::Type(
            "rows of this driver are not decoded by position".into(),
        ))
    }
}

/// A model that can be read from a row's cells by position.
pub trait FromCells: Sized {
    /// How many cells the model reads.
    const WIDTH: usize;
    /// Reads the model from the cells, in its entity's column order.
    fn from_cells(cells: &mut Cells<'_>) -> Result<Self, DbErr>;
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use sea_orm::{
        ActiveModelTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, Iterable,
        QueryTrait,
    };
    use serde_json::json;
    use uuid::Uuid;

    use super::{Cells, FromCells};
    use crate::entity::{audit_log, connection_log, user};

    /// Decodes every row of `E` both ways and checks they agree, so that a field added to or
    /// moved in an entity without its `FromCells` following fails here.
    async fn decodes_as_sea_orm<E>(db: &sea_orm::DatabaseConnection) -> usize
    where
        E: EntityTrait,
        E::Model: FromCells + FromQueryResult + PartialEq + std::fmt::Debug,
    {
        assert_eq!(E::Model::WIDTH, E::Column::iter().count());
        let rows = db.query_all(&E::find().into_query()).await.expect("rows");
        for row in &rows {
            let by_name = E::Model::from_query_result(row, "").expect("by name");
            let by_position = E::Model::from_cells(&mut Cells::at(row, 0)).expect("by position");
            assert_eq!(by_position, by_name);
        }
        rows.len()
    }

    fn time(minute: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, minute, 0)
            .single()
            .expect("valid time")
    }

    #[tokio::test]
    async fn models_read_by_position_equal_models_read_by_name() {
        let db = crate::db::in_memory_with(|schema| {
            vec![
                schema.create_table_from_entity(user::Entity),
                schema.create_table_from_entity(connection_log::Entity),
                schema.create_table_from_entity(audit_log::Entity),
            ]
        })
        .await;
        let person = user::Model {
            id: Uuid::new_v4(),
            email: "ann@example.com".into(),
            username: "ann".into(),
            name: "Ann".into(),
            avatar_url: "https://example.com/a.png".into(),
            hashed_password: "hash".into(),
            status: user::UserStatus::Suspended,
            login_type: user::LoginType::Password,
            rbac_roles: json!(["owner"]),
            is_system: false,
            deleted: true,
            created_at: time(1),
            updated_at: time(2),
            last_seen_at: Some(time(3)),
        };
        let unseen = user::Model {
            id: Uuid::new_v4(),
            username: "bob".into(),
            email: "bob@example.com".into(),
            last_seen_at: None,
            ..person.clone()
        };
        for model in [person.clone(), unseen] {
            model.into_active_model().insert(&db).await.expect("user");
        }
        let full = connection_log::Model {
            id: Uuid::new_v4(),
            connect_time: time(4),
            organization_id: Uuid::new_v4(),
            workspace_owner_id: person.id,
            workspace_id: Uuid::new_v4(),
            workspace_name: "ws".into(),
            agent_name: "main".into(),
            r#type: "workspace_app".into(),
            ip: Some("10.0.0.1".into()),
            code: Some(200),
            user_agent: Some("curl".into()),
            user_id: Some(person.id),
            slug_or_port: Some("8080".into()),
            connection_id: Some(Uuid::new_v4()),
            disconnect_time: Some(time(5)),
            disconnect_reason: Some("bye".into()),
        };
        let sparse = connection_log::Model {
            id: Uuid::new_v4(),
            r#type: "ssh".into(),
            ip: None,
            code: None,
            user_agent: None,
            user_id: None,
            slug_or_port: None,
            connection_id: None,
            disconnect_time: None,
            disconnect_reason: None,
            ..full.clone()
        };
        for model in [full, sparse] {
            model.into_active_model().insert(&db).await.expect("entry");
        }
        let audited = audit_log::Model {
            id: Uuid::new_v4(),
            time: time(6),
            user_id: Some(person.id),
            organization_id: Some(Uuid::new_v4()),
            action: audit_log::AuditAction::Write,
            resource_type: "workspace".into(),
            resource_id: Some(Uuid::new_v4()),
            resource_target: "ws".into(),
            diff: json!({"name": {"old": "a", "new": "b"}}),
            status_code: 200,
            ip: Some("10.0.0.2".into()),
            user_agent: "ua".into(),
            request_id: "r1".into(),
            build_reason: Some(crate::entity::workspace_build::BuildReason::Autostart),
        };
        let anonymous = audit_log::Model {
            id: Uuid::new_v4(),
            user_id: None,
            organization_id: None,
            resource_id: None,
            ip: None,
            build_reason: None,
            ..audited.clone()
        };
        for model in [audited, anonymous] {
            model
                .into_active_model()
                .insert(&db)
                .await
                .expect("audit entry");
        }

        assert_eq!(decodes_as_sea_orm::<user::Entity>(&db).await, 2);
        assert_eq!(decodes_as_sea_orm::<connection_log::Entity>(&db).await, 2);
        assert_eq!(decodes_as_sea_orm::<audit_log::Entity>(&db).await, 2);
    }
}
