//! `template_versions`: one imported source of a template, with what the import found.

use sea_orm::entity::prelude::*;

/// A template version row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_versions")]
pub struct Model {
    /// Unique id of the version.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The template (`templates.id`; deleting the template deletes its versions).
    pub template_id: Uuid,
    /// The template's organization, copied for authorization (no foreign key).
    pub organization_id: Uuid,
    /// 1, 2, … per template.
    pub number: i32,
    /// `v<number>`, e.g. `v3`.
    pub name: String,
    /// Free text given at creation; empty: none.
    pub message: String,
    /// The source tar archive (`files.id`; a file in use cannot be deleted).
    pub file_id: Uuid,
    /// Always `succeeded` today: only versions that import cleanly are stored.
    pub import_status: ImportStatus,
    /// Why the import failed; always empty today (failed imports are not stored).
    pub import_error: String,
    /// `Vec<ParameterDefinition>` as JSON.
    pub parameters: Json,
    /// Agent names as a JSON array.
    pub agents: Json,
    /// Whether the source declares a `coder_ai_task` (counts as a managed agent).
    pub has_ai_task: bool,
    /// Quota cost of a workspace running this version: the sum of the `daily_cost` of its
    /// `coder_metadata` blocks; CHECK >= 0.
    pub daily_cost: i32,
    /// The user who created it (`users.id`, no foreign key).
    pub created_by: Uuid,
    /// When the version was created (and imported).
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

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
