//! `template_versions`: one imported source of a template, with what the import found.

use sea_orm::entity::prelude::*;

/// A template version row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub template_id: Uuid,
    pub organization_id: Uuid,
    /// 1, 2, … per template.
    pub number: i32,
    pub name: String,
    pub message: String,
    pub file_id: Uuid,
    pub import_status: ImportStatus,
    pub import_error: String,
    /// `Vec<ParameterDefinition>` as JSON.
    pub parameters: Json,
    /// Agent names as a JSON array.
    pub agents: Json,
    pub has_ai_task: bool,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

/// Where the import of a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ImportStatus {
    /// Queued.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// In progress.
    #[sea_orm(string_value = "running")]
    Running,
    /// Imported; builds may use it.
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Failed; see the error.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
