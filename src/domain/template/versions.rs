//! Template versions: creating one from a source (imported when it is created, and stored
//! with its presets only when the import is clean), reading and listing them, and their
//! presets.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait, sea_query::Expr,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    Error, FileCache, Result,
    import::TemplateImport,
    templates::{get_template, template_object},
    version_import::{TemplateSource, import_source},
};
use crate::{
    authz::{self, Action, Subject},
    domain::{
        FieldError,
        audit::{self, AuditEntry, Diff, ResourceType},
        text, unique_or,
    },
    entity::{
        audit_log::AuditAction, preset_prebuild_schedule, template, template_version,
        template_version::ImportStatus, template_version_preset,
    },
};

/// The input of `createTemplateVersion`.
#[derive(Debug, Clone)]
pub struct CreateTemplateVersion {
    /// The template.
    pub template_id: Uuid,
    /// The source.
    pub source: TemplateSource,
    /// Make it the active version.
    pub activate: bool,
    /// Free text.
    pub message: String,
}

pub(super) async fn insert_version(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    tmpl: &template::Model,
    file_id: Uuid,
    imported: &TemplateImport,
    message: String,
) -> Result<template_version::Model> {
    let number = template_version::Entity::find()
        .filter(template_version::Column::TemplateId.eq(tmpl.id))
        .order_by_desc(template_version::Column::Number)
        .one(db)
        .await?
        .map_or(1, |v| v.number + 1);
    let to_json =
        |v: serde_json::Result<serde_json::Value>| v.map_err(|e| Error::Corrupt(e.to_string()));
    let version = template_version::ActiveModel {
        id: Set(Uuid::new_v4()),
        template_id: Set(tmpl.id),
        organization_id: Set(tmpl.organization_id),
        number: Set(number),
        name: Set(format!("v{number}")),
        message: Set(message),
        file_id: Set(file_id),
        import_status: Set(ImportStatus::Succeeded),
        import_error: Set(String::new()),
        parameters: Set(to_json(serde_json::to_value(&imported.parameters))?),
        agents: Set(to_json(serde_json::to_value(&imported.agents))?),
        has_ai_task: Set(imported.has_ai_task),
        daily_cost: Set(imported.daily_cost),
        created_by: Set(subject.user_id),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        unique_or(e, || {
            Error::Taken(vec![FieldError::new(
                "templateId",
                "a version was created concurrently; retry",
            )])
        })
    })?;
    for preset in &imported.presets {
        let prebuilds = preset.prebuilds.as_ref();
        let row = template_version_preset::ActiveModel {
            id: Set(Uuid::new_v4()),
            template_version_id: Set(version.id),
            name: Set(preset.name.clone()),
            parameters: Set(to_json(serde_json::to_value(&preset.parameters))?),
            desired_instances: Set(prebuilds.map(|p| p.instances)),
            invalidate_after_secs: Set(prebuilds
                .and_then(|p| p.expiration_ttl_seconds)
                .map(|s| i32::try_from(s).unwrap_or(i32::MAX))),
            scheduling_timezone: Set(prebuilds
                .and_then(|p| p.scheduling.as_ref())
                .map(|s| s.timezone.clone())
                .unwrap_or_default()),
            prebuild_status: Set("healthy".to_owned()),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        if let Some(scheduling) = prebuilds.and_then(|p| p.scheduling.as_ref()) {
            for (position, s) in scheduling.schedules.iter().enumerate() {
                preset_prebuild_schedule::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    preset_id: Set(row.id),
                    cron_expression: Set(s.cron.clone()),
                    desired_instances: Set(s.instances),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(version)
}

/// Adds a version to a template, optionally making it active.
pub async fn create_template_version(
    db: &DatabaseConnection,
    files: &FileCache,
    subject: &Subject,
    now: DateTime<Utc>,
    input: CreateTemplateVersion,
) -> Result<template_version::Model> {
    let tmpl = get_template(db, subject, input.template_id).await?;
    authz::authorize(
        subject,
        Action::Update,
        &template_object(tmpl.organization_id),
    )?;
    let mut errors = Vec::new();
    text::check(
        "message",
        &input.message,
        text::VERSION_MESSAGE,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let txn = db.begin().await?;
    let (file_id, imported) = import_source(
        &txn,
        files,
        subject,
        now,
        tmpl.organization_id,
        input.source,
    )
    .await?;
    let version =
        insert_version(&txn, subject, now, &tmpl, file_id, &imported, input.message).await?;
    if input.activate {
        template::Entity::update_many()
            .col_expr(template::Column::ActiveVersionId, Expr::value(version.id))
            .col_expr(template::Column::UpdatedAt, Expr::value(now))
            .filter(template::Column::Id.eq(tmpl.id))
            .exec(&txn)
            .await?;
    }
    // The imported parameters and agents are the template's source, not a change anyone
    // reviews field by field: the diff names the version and says whether it went live.
    let diff = Diff::new()
        .field("template_id", Value::Null, version.template_id.to_string())
        .field("name", Value::Null, version.name.clone())
        .field("message", Value::Null, version.message.clone())
        .field("number", Value::Null, version.number)
        .field("activated", false, input.activate);
    let resource = audit::Resource::new(
        ResourceType::TemplateVersion,
        Some(version.id),
        &version.name,
    )
    .in_org(version.organization_id);
    audit::record(
        &txn,
        subject,
        now,
        AuditEntry::new(AuditAction::Create, resource, diff),
    )
    .await?;
    txn.commit().await?;
    Ok(version)
}

/// A version the subject may read.
pub async fn get_template_version(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<template_version::Model> {
    let version = template_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("template version"))?;
    if !authz::is_allowed(
        subject,
        Action::Read,
        &template_object(version.organization_id),
    ) {
        return Err(Error::NotFound("template version"));
    }
    Ok(version)
}

/// The versions of a template, newest first.
pub async fn list_versions(
    db: &impl ConnectionTrait,
    template_id: Uuid,
) -> Result<Vec<template_version::Model>> {
    Ok(template_version::Entity::find()
        .filter(template_version::Column::TemplateId.eq(template_id))
        .order_by_desc(template_version::Column::Number)
        .all(db)
        .await?)
}

/// A preset with its prebuild schedules.
pub type PresetWithSchedules = (
    template_version_preset::Model,
    Vec<preset_prebuild_schedule::Model>,
);

/// The presets of a version the subject may read, with their schedules, by name.
pub async fn list_presets(
    db: &impl ConnectionTrait,
    subject: &Subject,
    version_id: Uuid,
) -> Result<Vec<PresetWithSchedules>> {
    let version = get_template_version(db, subject, version_id).await?;
    presets_of(db, version.id).await
}

/// The presets of a version with their schedules, by name (the caller has read the version).
pub async fn presets_of(
    db: &impl ConnectionTrait,
    version_id: Uuid,
) -> Result<Vec<PresetWithSchedules>> {
    let presets = template_version_preset::Entity::find()
        .filter(template_version_preset::Column::TemplateVersionId.eq(version_id))
        .order_by_asc(template_version_preset::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = presets.iter().map(|p| p.id).collect();
    let mut schedules: HashMap<Uuid, Vec<preset_prebuild_schedule::Model>> = HashMap::new();
    for s in preset_prebuild_schedule::Entity::find()
        .filter(preset_prebuild_schedule::Column::PresetId.is_in(ids))
        .order_by_asc(preset_prebuild_schedule::Column::Position)
        .all(db)
        .await?
    {
        schedules.entry(s.preset_id).or_default().push(s);
    }
    Ok(presets
        .into_iter()
        .map(|p| {
            let s = schedules.remove(&p.id).unwrap_or_default();
            (p, s)
        })
        .collect())
}
