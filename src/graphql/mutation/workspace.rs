//! Mutations for files, templates and workspaces.

use async_graphql::{Context, InputObject, Object, SimpleObject, Upload};
use uuid::Uuid;

use crate::{
    domain::{
        parameters::BuildParameter,
        template::{self, import::SourceFile},
        workspace,
    },
    graphql::{
        context::ContextExt,
        error::{ApiError, Result},
        types::{
            File, Milliseconds, ParameterInput, Template, TemplateVersion, Workspace,
            WorkspaceBuild,
        },
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
    /// Quota cost of one running workspace (default 1).
    pub workspace_cost: Option<i32>,
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
            workspace_cost: self.workspace_cost,
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

/// A new workspace.
#[derive(InputObject)]
pub struct CreateWorkspaceInput {
    /// The template (its active version is built).
    pub template_id: Uuid,
    /// Unique among your live workspaces: 1-32 letters, digits or single hyphens.
    pub name: String,
    /// A preset of the active version; its values win over `parameters`.
    pub preset_id: Option<Uuid>,
    /// Parameter values.
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
    /// Autostop after this long (at least a minute, under 30 days); default: the template's.
    pub ttl_ms: Option<Milliseconds>,
    /// Autostart schedule: `[CRON_TZ=<zone>] <min> <hour> * * <weekdays 0-6 from Sunday>`.
    pub autostart_schedule: Option<String>,
}

/// A start, with optional new parameter values.
#[derive(InputObject)]
pub struct StartWorkspaceInput {
    /// The workspace.
    pub id: Uuid,
    /// Parameter values to change.
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
}

/// A move to the template's active version.
#[derive(InputObject)]
pub struct UpdateWorkspaceInput {
    /// The workspace.
    pub id: Uuid,
    /// Parameter values to change or add (new required parameters must be given).
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
}

/// A new TTL.
#[derive(InputObject)]
pub struct UpdateWorkspaceTtlInput {
    /// The workspace.
    pub id: Uuid,
    /// Autostop after this long; null or 0 disables autostop.
    pub ttl_ms: Option<Milliseconds>,
}

/// A new autostart schedule.
#[derive(InputObject)]
pub struct UpdateWorkspaceAutostartInput {
    /// The workspace.
    pub id: Uuid,
    /// `[CRON_TZ=<zone>] <min> <hour> * * <weekdays>`; null or empty disables autostart.
    pub schedule: Option<String>,
}

/// What `updateWorkspace` did.
#[derive(SimpleObject)]
pub struct UpdateWorkspacePayload {
    /// The workspace.
    pub workspace: Workspace,
    /// The builds created: a start, or a stop whose success creates the start on the
    /// active version (no other build can come between). Empty when already up to date.
    pub builds: Vec<WorkspaceBuild>,
    /// Whether the workspace was already up to date (nothing was done).
    pub up_to_date: bool,
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

fn build_parameters(values: Vec<ParameterInput>) -> Vec<BuildParameter> {
    values.into_iter().map(Into::into).collect()
}

/// Template and workspace mutations.
#[derive(Default)]
pub struct WorkspaceMutation;

#[Object]
impl WorkspaceMutation {
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
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.schedule.into_settings()?,
        )
        .await?;
        Ok(Template(tmpl))
    }

    /// Creates a workspace from a template's active version and starts it.
    async fn create_workspace(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkspaceInput,
    ) -> Result<Workspace> {
        let state = ctx.state()?;
        let (ws, _) = workspace::create_workspace(
            &state.db,
            ctx.subject()?,
            state.usage.as_ref(),
            state.clock.now(),
            workspace::CreateWorkspace {
                template_id: input.template_id,
                name: input.name,
                preset_id: input.preset_id,
                parameters: build_parameters(input.parameters),
                ttl_ms: input.ttl_ms.map(|m| m.0),
                autostart_schedule: input.autostart_schedule,
            },
        )
        .await?;
        state.provisioner.notify();
        Ok(Workspace(ws))
    }

    /// Starts a workspace on the version it last ran.
    async fn start_workspace(
        &self,
        ctx: &Context<'_>,
        input: StartWorkspaceInput,
    ) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let build = workspace::start_workspace(
            &state.db,
            ctx.subject()?,
            state.usage.as_ref(),
            state.clock.now(),
            input.id,
            build_parameters(input.parameters),
        )
        .await?;
        state.provisioner.notify();
        Ok(WorkspaceBuild(build, None))
    }

    /// Stops a workspace.
    async fn stop_workspace(&self, ctx: &Context<'_>, id: Uuid) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let build =
            workspace::stop_workspace(&state.db, ctx.subject()?, state.clock.now(), id).await?;
        state.provisioner.notify();
        Ok(WorkspaceBuild(build, None))
    }

    /// Deletes a workspace (it is marked deleted when the delete build succeeds).
    async fn delete_workspace(&self, ctx: &Context<'_>, id: Uuid) -> Result<WorkspaceBuild> {
        let state = ctx.state()?;
        let build =
            workspace::delete_workspace(&state.db, ctx.subject()?, state.clock.now(), id).await?;
        state.provisioner.notify();
        Ok(WorkspaceBuild(build, None))
    }

    /// Moves a workspace to its template's active version. A started workspace is stopped
    /// first and then started on the new version, as one server-side operation.
    async fn update_workspace(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceInput,
    ) -> Result<UpdateWorkspacePayload> {
        let state = ctx.state()?;
        let subject = ctx.subject()?;
        let outcome = workspace::update_workspace(
            &state.db,
            subject,
            state.usage.as_ref(),
            state.clock.now(),
            input.id,
            build_parameters(input.parameters),
        )
        .await?;
        state.provisioner.notify();
        let ws = workspace::get_workspace(&state.db, subject, input.id).await?;
        let (builds, up_to_date) = match outcome {
            workspace::UpdateOutcome::UpToDate => (Vec::new(), true),
            workspace::UpdateOutcome::Started(b) | workspace::UpdateOutcome::StopThenStart(b) => {
                (vec![WorkspaceBuild(b, None)], false)
            }
        };
        Ok(UpdateWorkspacePayload {
            workspace: Workspace(ws),
            builds,
            up_to_date,
        })
    }

    /// Sets or clears a workspace's TTL. Clearing it on a running workspace moves the
    /// deadline to the max deadline (or removes it when there is none).
    async fn update_workspace_ttl(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceTtlInput,
    ) -> Result<Workspace> {
        let state = ctx.state()?;
        let ws = workspace::update_ttl(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.ttl_ms.map(|m| m.0),
        )
        .await?;
        Ok(Workspace(ws))
    }

    /// Sets or clears a workspace's autostart schedule.
    async fn update_workspace_autostart(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceAutostartInput,
    ) -> Result<Workspace> {
        let state = ctx.state()?;
        let ws = workspace::update_autostart(
            &state.db,
            ctx.subject()?,
            state.clock.now(),
            input.id,
            input.schedule,
        )
        .await?;
        Ok(Workspace(ws))
    }
}
