//! Mutations for template sources (uploaded files), templates and their versions.

use async_graphql::{Context, InputObject, Object, Upload};
use uuid::Uuid;

use crate::{
    domain::template::{self, import::SourceFile},
    graphql::{
        context::ContextExt,
        error::{ApiError, Result},
        types::{File, Milliseconds, Template, TemplateVersion},
    },
};

/// A source file given inline.
#[derive(InputObject)]
pub struct SourceFileInput {
    /// Path inside the source, such as `main.tf`.
    pub path: String,
    /// The file's text.
    pub content: String,
}

/// Template schedule settings; omitted ones keep their value (or default).
#[derive(InputObject, Default)]
pub struct TemplateScheduleInput {
    /// Default workspace TTL (0: none).
    pub default_ttl_ms: Option<Milliseconds>,
    /// How far activity pushes a running workspace's deadline.
    pub activity_bump_ms: Option<Milliseconds>,
    /// Whether users may set an autostart schedule.
    pub allow_user_autostart: Option<bool>,
    /// Whether users may set their own TTL.
    pub allow_user_autostop: Option<bool>,
    /// Days the autostop requirement applies: bit 0 = Monday … bit 6 = Sunday.
    pub autostop_requirement_days_of_week: Option<i32>,
    /// Every how many weeks (1-16).
    pub autostop_requirement_weeks: Option<i32>,
    /// Days autostart may run: bit 0 = Monday … bit 6 = Sunday.
    pub autostart_allowed_days_of_week: Option<i32>,
    /// Stop a failed start after this long (0: never).
    pub failure_ttl_ms: Option<Milliseconds>,
    /// Mark workspaces dormant after this long unused (0: never).
    pub time_til_dormant_ms: Option<Milliseconds>,
    /// Delete dormant workspaces after this long (0: never).
    pub time_til_dormant_autodelete_ms: Option<Milliseconds>,
    /// Whether starts always use the active version.
    pub require_active_version: Option<bool>,
}

impl TemplateScheduleInput {
    fn into_settings(self) -> Result<template::ScheduleSettings> {
        let day_bits = |field: &str, v: Option<i32>| -> Result<Option<i16>> {
            v.map(|d| {
                i16::try_from(d).map_err(|_| {
                    ApiError::invalid(
                        "The input is invalid.",
                        vec![crate::domain::FieldError::new(
                            field,
                            "must be a 7-bit day bitmap",
                        )],
                    )
                })
            })
            .transpose()
        };
        Ok(template::ScheduleSettings {
            default_ttl_ms: self.default_ttl_ms.map(|m| m.0),
            activity_bump_ms: self.activity_bump_ms.map(|m| m.0),
            allow_user_autostart: self.allow_user_autostart,
            allow_user_autostop: self.allow_user_autostop,
            autostop_requirement_days_of_week: day_bits(
                "autostopRequirementDaysOfWeek",
                self.autostop_requirement_days_of_week,
            )?,
            autostop_requirement_weeks: self.autostop_requirement_weeks,
            autostart_allowed_days_of_week: day_bits(
                "autostartAllowedDaysOfWeek",
                self.autostart_allowed_days_of_week,
            )?,
            failure_ttl_ms: self.failure_ttl_ms.map(|m| m.0),
            time_til_dormant_ms: self.time_til_dormant_ms.map(|m| m.0),
            time_til_dormant_autodelete_ms: self.time_til_dormant_autodelete_ms.map(|m| m.0),
            require_active_version: self.require_active_version,
        })
    }
}

/// A new template; give exactly one of `files` and `fileId`.
#[derive(InputObject)]
pub struct CreateTemplateInput {
    /// The organization.
    pub organization_id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Human-readable name.
    #[graphql(default)]
    pub display_name: String,
    /// Free text.
    #[graphql(default)]
    pub description: String,
    /// Icon URL or path.
    #[graphql(default)]
    pub icon: String,
    /// Version 1's source, inline.
    pub files: Option<Vec<SourceFileInput>>,
    /// Version 1's source, uploaded with `uploadFile`.
    pub file_id: Option<Uuid>,
    /// Schedule settings.
    #[graphql(default)]
    pub schedule: TemplateScheduleInput,
}

/// A new version; give exactly one of `files` and `fileId`.
#[derive(InputObject)]
pub struct CreateTemplateVersionInput {
    /// The template.
    pub template_id: Uuid,
    /// The source, inline.
    pub files: Option<Vec<SourceFileInput>>,
    /// The source, uploaded with `uploadFile`.
    pub file_id: Option<Uuid>,
    /// Make it the active version.
    #[graphql(default)]
    pub activate: bool,
    /// Free text.
    #[graphql(default)]
    pub message: String,
}

/// New schedule settings of a template.
#[derive(InputObject)]
pub struct UpdateTemplateScheduleInput {
    /// The template.
    pub id: Uuid,
    /// The settings to change.
    pub schedule: TemplateScheduleInput,
}

fn source_of(
    files: Option<Vec<SourceFileInput>>,
    file_id: Option<Uuid>,
) -> Result<template::TemplateSource> {
    match (files, file_id) {
        (Some(files), None) => Ok(template::TemplateSource::Files(
            files
                .into_iter()
                .map(|f| SourceFile {
                    path: f.path,
                    content: f.content,
                })
                .collect(),
        )),
        (None, Some(id)) => Ok(template::TemplateSource::FileId(id)),
        _ => Err(ApiError::invalid(
            "Give the source either inline or as an uploaded file.",
            vec![crate::domain::FieldError::new(
                "files",
                "exactly one of files and fileId is required",
            )],
        )),
    }
}

/// Template mutations.
#[derive(Default)]
pub struct TemplateMutation;

#[Object]
impl TemplateMutation {
    /// Uploads a template source: a tar archive sent with the GraphQL multipart request
    /// spec. The same content is stored once per organization.
    async fn upload_file(
        &self,
        ctx: &Context<'_>,
        organization_id: Uuid,
        file: Upload,
    ) -> Result<File> {
        let state = ctx.state()?;
        let upload = file.value(ctx).map_err(|e| ApiError::internal(&e))?;
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut upload.into_read(), &mut data)
            .map_err(|e| ApiError::internal(&e))?;
        let stored = template::upload_file(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            organization_id,
            data,
        )
        .await?;
        Ok(File(stored))
    }

    /// Creates a template with version 1 (imported from its source) as the active version.
    async fn create_template(
        &self,
        ctx: &Context<'_>,
        input: CreateTemplateInput,
    ) -> Result<Template> {
        let state = ctx.state()?;
        let (tmpl, _) = template::create_template(
            &state.db,
            &state.entitlements,
            &state.files,
            ctx.subject()?,
            state.clock.now(),
            template::CreateTemplate {
                organization_id: input.organization_id,
                name: input.name,
                display_name: input.display_name,
                description: input.description,
                icon: input.icon,
                source: source_of(input.files, input.file_id)?,
                schedule: input.schedule.into_settings()?,
            },
        )
        .await?;
        Ok(Template(tmpl))
    }

    /// Adds a version to a template, imported from its source.
    async fn create_template_version(
        &self,
        ctx: &Context<'_>,
        input: CreateTemplateVersionInput,
    ) -> Result<TemplateVersion> {
        let state = ctx.state()?;
        let version = template::create_template_version(
            &state.db,
            &state.files,
            ctx.subject()?,
            state.clock.now(),
            template::CreateTemplateVersion {
                template_id: input.template_id,
                source: source_of(input.files, input.file_id)?,
                activate: input.activate,
                message: input.message,
            },
        )
        .await?;
        Ok(TemplateVersion(version))
    }

    /// Changes a template's schedule settings.
    async fn update_template_schedule(
        &self,
        ctx: &Context<'_>,
        input: UpdateTemplateScheduleInput,
    ) -> Result<Template> {
        let state = ctx.state()?;
        let tmpl = template::update_template_schedule(
            &state.db,
            &state.entitlements,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.schedule.into_settings()?,
        )
        .await?;
        Ok(Template(tmpl))
    }
}
