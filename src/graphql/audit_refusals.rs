//! Refused mutations reach the audit log: when authorization refuses a mutation (the field
//! resolves to FORBIDDEN), a row with status 403 names the caller, the action it tried and
//! the object it named. Changes that go through are recorded by the domain in their own
//! transactions; a refusal rolled its transaction back, so it is recorded here, after the
//! fact, in one place for every mutation.
//!
//! [`AUDITED`] says what each mutation does to what; [`NOT_AUDITED`] lists the mutations
//! that write no audit rows and why. A test keeps the two lists covering the schema, so a
//! new mutation cannot be forgotten.

use std::sync::Arc;

use async_graphql::{
    ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};
use uuid::Uuid;

use super::{context::Caller, error::ErrorCode};
use crate::{
    domain::audit::{self, ResourceType},
    entity::audit_log::AuditAction,
    state::AppState,
};

/// Each audited mutation: its field name, the resource it acts on, the action.
pub const AUDITED: [(&str, ResourceType, AuditAction); 30] = [
    ("addLicense", ResourceType::License, AuditAction::Create),
    (
        "addOrganizationMember",
        ResourceType::OrganizationMember,
        AuditAction::Create,
    ),
    (
        "cancelWorkspaceBuild",
        ResourceType::WorkspaceBuild,
        AuditAction::Write,
    ),
    ("createApiToken", ResourceType::ApiKey, AuditAction::Create),
    ("createGroup", ResourceType::Group, AuditAction::Create),
    (
        "createOrganization",
        ResourceType::Organization,
        AuditAction::Create,
    ),
    (
        "createProvisionerKey",
        ResourceType::ProvisionerKey,
        AuditAction::Create,
    ),
    (
        "createTemplate",
        ResourceType::Template,
        AuditAction::Create,
    ),
    (
        "createTemplateVersion",
        ResourceType::TemplateVersion,
        AuditAction::Create,
    ),
    ("createUser", ResourceType::User, AuditAction::Create),
    (
        "createWorkspace",
        ResourceType::Workspace,
        AuditAction::Create,
    ),
    (
        "createWorkspaceAgentToken",
        ResourceType::WorkspaceAgent,
        AuditAction::Write,
    ),
    ("deleteApiToken", ResourceType::ApiKey, AuditAction::Delete),
    ("deleteLicense", ResourceType::License, AuditAction::Delete),
    (
        "deleteWorkspace",
        ResourceType::WorkspaceBuild,
        AuditAction::Delete,
    ),
    ("logout", ResourceType::ApiKey, AuditAction::Logout),
    (
        "pausePrebuilds",
        ResourceType::PrebuildsSettings,
        AuditAction::Write,
    ),
    (
        "removeOrganizationMember",
        ResourceType::OrganizationMember,
        AuditAction::Delete,
    ),
    (
        "resumePrebuilds",
        ResourceType::PrebuildsSettings,
        AuditAction::Write,
    ),
    (
        "startWorkspace",
        ResourceType::WorkspaceBuild,
        AuditAction::Start,
    ),
    (
        "stopWorkspace",
        ResourceType::WorkspaceBuild,
        AuditAction::Stop,
    ),
    ("updateGroup", ResourceType::Group, AuditAction::Write),
    (
        "updateOrganizationMemberRoles",
        ResourceType::OrganizationMember,
        AuditAction::Write,
    ),
    (
        "updateTemplateSchedule",
        ResourceType::Template,
        AuditAction::Write,
    ),
    ("updateUserRoles", ResourceType::User, AuditAction::Write),
    ("updateUserStatus", ResourceType::User, AuditAction::Write),
    (
        "updateWorkspace",
        ResourceType::Workspace,
        AuditAction::Write,
    ),
    (
        "updateWorkspaceAutostart",
        ResourceType::Workspace,
        AuditAction::Write,
    ),
    (
        "updateWorkspaceTtl",
        ResourceType::Workspace,
        AuditAction::Write,
    ),
    ("createFirstUser", ResourceType::User, AuditAction::Register),
];

/// Mutations that write no audit rows of their own here, and why.
pub const NOT_AUDITED: [(&str, &str); 11] = [
    ("login", "records its own rows, failures included"),
    (
        "refreshEntitlements",
        "recomputes from the stored licenses and changes nothing stored",
    ),
    (
        "uploadFile",
        "stores content that nothing uses until a template version, which is audited, names it",
    ),
    ("acquireProvisionerJob", "provisioner traffic"),
    ("completeProvisionerJob", "provisioner traffic"),
    ("heartbeatProvisionerJob", "provisioner traffic"),
    ("reportAgentActivity", "agent traffic"),
    ("reportAgentLifecycle", "agent traffic"),
    (
        "reportConnection",
        "agent traffic, kept in the connection log",
    ),
    (
        "reportConnections",
        "agent traffic, kept in the connection log",
    ),
    (
        "reportWebConnection",
        "agent traffic, kept in the connection log",
    ),
];

/// The variables of a mutation request, kept so a refusal can name the object the refused
/// field's arguments pointed at. Only mutations carry them (the HTTP layer adds them).
#[derive(Debug, Clone, Default)]
pub struct MutationVariables(pub Variables);

/// The schema extension that records refused mutations.
pub struct AuditRefusals;

impl ExtensionFactory for AuditRefusals {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditRefusalsExtension)
    }
}

struct AuditRefusalsExtension;

#[async_trait::async_trait]
impl Extension for AuditRefusalsExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let is_root_mutation = info.path_node.parent.is_none() && info.parent_type == "Mutation";
        let (name, field) = (info.name, info.field);
        let result = next.run(ctx, info).await;
        if is_root_mutation
            && let Err(error) = &result
            && is_forbidden(error)
            && let Some(&(_, kind, action)) = AUDITED.iter().find(|(n, ..)| *n == name)
        {
            record(ctx, name, field, kind, action).await;
        }
        result
    }
}

fn is_forbidden(error: &async_graphql::ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .is_some_and(|code| *code == Value::from(ErrorCode::Forbidden.as_str()))
}

/// The arguments and input fields that name the object a mutation acts on, most specific
/// first.
const ID_FIELDS: [&str; 5] = ["id", "workspaceId", "templateId", "userId", "agentId"];

/// Writes the refusal row; a failure to write it is logged, and the client still gets the
/// refusal it earned.
async fn record(
    ctx: &ExtensionContext<'_>,
    mutation: &str,
    field: &async_graphql::parser::types::Field,
    kind: ResourceType,
    action: AuditAction,
) {
    let (Ok(state), Ok(Caller(Some(caller)))) = (ctx.data::<AppState>(), ctx.data::<Caller>())
    else {
        return;
    };
    let variables = ctx
        .data::<MutationVariables>()
        .map(|v| v.0.clone())
        .unwrap_or_default();
    let mut arguments = async_graphql::indexmap::IndexMap::new();
    for (name, value) in &field.arguments {
        let resolved = value
            .node
            .clone()
            .into_const_with(|var| variables.get(&var).cloned().ok_or(()));
        if let Ok(resolved) = resolved {
            arguments.insert(name.node.as_str().to_owned(), resolved);
        }
    }
    let lookup = |field: &str| -> Option<Uuid> {
        let direct = arguments.get(field);
        let nested = match arguments.get("input") {
            Some(Value::Object(input)) => input.get(field),
            _ => None,
        };
        match direct.or(nested) {
            Some(Value::String(s)) => Uuid::parse_str(s).ok(),
            _ => None,
        }
    };
    let id = ID_FIELDS.iter().find_map(|f| lookup(f));
    let mut resource = audit::Resource::new(kind, id, "");
    if let Some(org) = lookup("organizationId") {
        resource = resource.in_org(org);
    }
    let subject = &caller.subject;
    if let Err(err) =
        audit::record_refusal(&state.db, subject, state.clock.now(), action, resource).await
    {
        tracing::error!(error = %err, mutation, "writing the audit row of a refusal");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutation_is_either_audited_or_says_why_not() {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let document = async_graphql::parser::parse_schema(super::super::sdl()).expect("SDL");
        let fields: Vec<String> = document
            .definitions
            .iter()
            .filter_map(|definition| match definition {
                TypeSystemDefinition::Type(ty) if ty.node.name.node == "Mutation" => {
                    match &ty.node.kind {
                        TypeKind::Object(object) => Some(
                            object
                                .fields
                                .iter()
                                .map(|f| f.node.name.node.to_string())
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    }
                }
                _ => None,
            })
            .flatten()
            .collect();
        assert!(fields.len() > 30, "found {fields:?}");
        for field in &fields {
            let audited = AUDITED.iter().any(|(name, ..)| name == field);
            let skipped = NOT_AUDITED.iter().any(|(name, _)| name == field);
            assert!(
                audited != skipped,
                "{field}: audited {audited}, listed as not audited {skipped}"
            );
        }
        for name in AUDITED
            .iter()
            .map(|(n, ..)| *n)
            .chain(NOT_AUDITED.iter().map(|(n, _)| *n))
        {
            assert!(fields.iter().any(|f| f == name), "{name} is not a mutation");
        }
    }
}
