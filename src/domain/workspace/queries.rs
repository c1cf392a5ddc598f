//! Reading workspaces: one, a filtered page (authorization in SQL), their latest builds and
//! agents.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use super::{Error, Result, WorkspaceFilter, WorkspaceStatus};
use crate::{
    authz::{self, Action, Object, ReadScope, Resource, Subject},
    db::row_counts,
    entity::{
        provisioner_job::{self, JobStatus},
        template, user, workspace, workspace_agent,
        workspace_build::{self, Transition},
    },
};

/// A workspace with its latest build and that build's job.
#[derive(Debug, Clone)]
pub struct WorkspaceRow {
    /// The workspace.
    pub workspace: workspace::Model,
    /// Its latest build (every workspace has at least one).
    pub latest_build: Option<(workspace_build::Model, provisioner_job::Model)>,
}

/// The status a build and its job give a workspace.
pub fn status_of(build: &workspace_build::Model, job: &provisioner_job::Model) -> WorkspaceStatus {
    use WorkspaceStatus as S;
    match (job.status, build.transition) {
        (JobStatus::Pending, _) => S::Pending,
        (JobStatus::Running, Transition::Start) => S::Starting,
        (JobStatus::Running, Transition::Stop) => S::Stopping,
        (JobStatus::Running, Transition::Delete) => S::Deleting,
        (JobStatus::Succeeded, Transition::Start) => S::Running,
        (JobStatus::Succeeded, Transition::Stop) => S::Stopped,
        (JobStatus::Succeeded, Transition::Delete) => S::Deleted,
        (JobStatus::Failed, _) => S::Failed,
        (JobStatus::Canceling, _) => S::Canceling,
        (JobStatus::Canceled, _) => S::Canceled,
    }
}

/// The (transition, job status) pairs that give `status`.
fn status_pairs(status: WorkspaceStatus) -> Vec<(Option<Transition>, JobStatus)> {
    use WorkspaceStatus as S;
    match status {
        S::Pending => vec![(None, JobStatus::Pending)],
        S::Starting => vec![(Some(Transition::Start), JobStatus::Running)],
        S::Stopping => vec![(Some(Transition::Stop), JobStatus::Running)],
        S::Deleting => vec![(Some(Transition::Delete), JobStatus::Running)],
        S::Running => vec![(Some(Transition::Start), JobStatus::Succeeded)],
        S::Stopped => vec![(Some(Transition::Stop), JobStatus::Succeeded)],
        S::Deleted => vec![(Some(Transition::Delete), JobStatus::Succeeded)],
        S::Failed => vec![(None, JobStatus::Failed)],
        S::Canceling => vec![(None, JobStatus::Canceling)],
        S::Canceled => vec![(None, JobStatus::Canceled)],
    }
}

/// `workspace_builds` rows that are their workspace's latest build. Correlated, so it uses
/// the (workspace_id, build_number) unique index on both engines.
pub(crate) fn is_latest_build() -> Expr {
    Expr::cust(
        "workspace_builds.build_number = (SELECT MAX(b2.build_number) FROM workspace_builds b2 \
         WHERE b2.workspace_id = workspace_builds.workspace_id)",
    )
}

/// The latest build and job of each workspace in `ids`.
pub async fn latest_builds(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (workspace_build::Model, provisioner_job::Model)>> {
    let builds = workspace_build::Entity::find()
        .filter(workspace_build::Column::WorkspaceId.is_in(ids.iter().copied()))
        .filter(is_latest_build())
        .all(db)
        .await?;
    let job_ids: Vec<Uuid> = builds.iter().map(|b| b.job_id).collect();
    let mut jobs: HashMap<Uuid, provisioner_job::Model> = provisioner_job::Entity::find()
        .filter(provisioner_job::Column::Id.is_in(job_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|j| (j.id, j))
        .collect();
    let mut map = HashMap::new();
    for build in builds {
        let job = jobs
            .remove(&build.job_id)
            .ok_or_else(|| Error::Corrupt(format!("build {} has no job", build.id)))?;
        map.insert(build.workspace_id, (build, job));
    }
    Ok(map)
}

/// The agents of each workspace in `ids`, by name.
pub async fn agents_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<workspace_agent::Model>>> {
    let agents = workspace_agent::Entity::find()
        .filter(workspace_agent::Column::WorkspaceId.is_in(ids.iter().copied()))
        .order_by_asc(workspace_agent::Column::Name)
        .all(db)
        .await?;
    let mut map: HashMap<Uuid, Vec<workspace_agent::Model>> = HashMap::new();
    for agent in agents {
        map.entry(agent.workspace_id).or_default().push(agent);
    }
    Ok(map)
}

fn workspace_object(ws: &workspace::Model) -> Object {
    Object::new(Resource::Workspace)
        .in_org(ws.organization_id)
        .owned_by(ws.owner_id)
}

/// One live workspace the subject may read.
pub async fn get_workspace(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<workspace::Model> {
    let ws = workspace::Entity::find_by_id(id)
        .filter(workspace::Column::Deleted.eq(false))
        .one(db)
        .await?
        .ok_or(Error::NotFound("workspace"))?;
    if !authz::is_allowed(subject, Action::Read, &workspace_object(&ws)) {
        return Err(Error::NotFound("workspace"));
    }
    Ok(ws)
}

/// A page of the workspaces the subject may read, matching `filter`, by name.
pub async fn list_workspaces(
    db: &impl ConnectionTrait,
    subject: &Subject,
    filter: &WorkspaceFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<WorkspaceRow>> {
    let scope = ReadScope::compute(subject, Action::Read, Resource::Workspace);
    if scope.is_nothing() {
        return Ok(Vec::new());
    }
    let mut select = workspace::Entity::find().filter(scope.condition(
        Some(Expr::col((
            workspace::Entity,
            workspace::Column::OrganizationId,
        ))),
        Some(Expr::col((workspace::Entity, workspace::Column::OwnerId))),
    ));
    // Deleted workspaces are only listed when asked for by status.
    if filter.status != Some(WorkspaceStatus::Deleted) {
        select = select.filter(workspace::Column::Deleted.eq(false));
    }
    if let Some(owner) = &filter.owner {
        select = select.filter(
            workspace::Column::OwnerId.in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(
                        Expr::expr(Func::lower(Expr::col(user::Column::Username)))
                            .eq(owner.to_lowercase()),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(name) = &filter.template {
        select = select.filter(
            workspace::Column::TemplateId.in_subquery(
                Query::select()
                    .column(template::Column::Id)
                    .from(template::Entity)
                    .and_where(
                        Expr::expr(Func::lower(Expr::col(template::Column::Name)))
                            .eq(name.to_lowercase()),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(name) = &filter.name {
        let escaped = name
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        select = select.filter(
            Expr::expr(Func::lower(Expr::col((
                workspace::Entity,
                workspace::Column::Name,
            ))))
            .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    if let Some(status) = filter.status {
        let mut any = sea_orm::Condition::any();
        for (transition, job_status) in status_pairs(status) {
            let mut pair =
                sea_orm::Condition::all().add(provisioner_job::Column::Status.eq(job_status));
            if let Some(transition) = transition {
                pair = pair.add(
                    Expr::col((workspace_build::Entity, workspace_build::Column::Transition))
                        .eq(transition),
                );
            }
            any = any.add(pair);
        }
        let latest_with_status = Query::select()
            .column((
                workspace_build::Entity,
                workspace_build::Column::WorkspaceId,
            ))
            .from(workspace_build::Entity)
            .inner_join(
                provisioner_job::Entity,
                Expr::col((provisioner_job::Entity, provisioner_job::Column::Id))
                    .equals((workspace_build::Entity, workspace_build::Column::JobId)),
            )
            .and_where(is_latest_build())
            .cond_where(any)
            .to_owned();
        select = select.filter(workspace::Column::Id.in_subquery(latest_with_status));
    }
    let select = select
        .order_by_asc(workspace::Column::Name)
        .order_by_asc(workspace::Column::Id)
        .offset(offset)
        .limit(limit);
    let workspaces = row_counts::all(db, select).await?;
    let ids: Vec<Uuid> = workspaces.iter().map(|w| w.id).collect();
    let mut latest = latest_builds(db, &ids).await?;
    Ok(workspaces
        .into_iter()
        .map(|workspace| {
            let latest_build = latest.remove(&workspace.id);
            WorkspaceRow {
                workspace,
                latest_build,
            }
        })
        .collect())
}
