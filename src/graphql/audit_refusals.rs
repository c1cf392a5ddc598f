//! Refused mutations reach the audit log: when authorization refuses a mutation (its root
//! field fails with FORBIDDEN), a row with status 403 names the caller, the action it tried
//! and the object it named. Changes that go through are recorded by the domain in their own
//! transactions; a refusal rolled its transaction back, so it is recorded here, after the
//! operation ran, in one place for every mutation. Only mutations pay for this: the HTTP
//! layer keeps a copy of a mutation's document and variables, and queries run untouched.
//!
//! [`AUDITED`] says what each mutation does to what; [`NOT_AUDITED`] lists the mutations
//! that write no audit rows and why. A test keeps the two lists covering the schema, so a
//! new mutation cannot be forgotten.

use async_graphql::{
    Name, Positioned, Response, Value, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, Field, Selection},
};
use uuid::Uuid;

use super::error::ErrorCode;
use crate::{
    authz::Subject,
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

/// What a mutation request needs kept to record its refusals once it has run.
#[derive(Debug, Clone)]
pub struct MutationRequest {
    /// The caller.
    pub subject: Subject,
    /// The parsed document.
    pub document: ExecutableDocument,
    /// The operation that ran, when the document names several.
    pub operation_name: Option<String>,
    /// The request's variables, which the root fields' arguments may refer to.
    pub variables: Variables,
}

/// Writes a 403 audit row for every audited root field of `request` that `response`
/// reports as FORBIDDEN. A failure to write one is logged; the client still gets the
/// refusal it earned.
pub async fn record_refusals(state: &AppState, request: &MutationRequest, response: &Response) {
    for error in &response.errors {
        let forbidden = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|code| *code == Value::from(ErrorCode::Forbidden.as_str()));
        let [async_graphql::PathSegment::Field(key)] = error.path.as_slice() else {
            continue;
        };
        if !forbidden {
            continue;
        }
        let Some(field) = root_field(request, key) else {
            continue;
        };
        let Some(&(_, kind, action)) = AUDITED
            .iter()
            .find(|(name, ..)| *name == field.name.node.as_str())
        else {
            continue;
        };
        let resource = named_resource(field, &request.variables, kind);
        if let Err(err) = audit::record_refusal(
            &state.db,
            &request.subject,
            state.clock.now(),
            action,
            resource,
        )
        .await
        {
            tracing::error!(error = %err, mutation = %field.name.node, "writing the audit row of a refusal");
        }
    }
}

/// The root field of the operation that ran whose response key is `key`.
fn root_field<'a>(request: &'a MutationRequest, key: &str) -> Option<&'a Field> {
    let operation = match &request.document.operations {
        DocumentOperations::Single(op) => op,
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops.get(&Name::new(name))?,
            None => ops.values().next()?,
        },
    };
    operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .find_map(|item| match &item.node {
            Selection::Field(Positioned { node: field, .. })
                if field.response_key().node.as_str() == key =>
            {
                Some(field)
            }
            _ => None,
        })
}

/// The arguments and input fields that name the object a mutation acts on, most specific
/// first.
const ID_FIELDS: [&str; 5] = ["id", "workspaceId", "templateId", "userId", "agentId"];

/// The resource a refused field named: the id among its arguments (or its `input`'s
/// fields) and the organization, with variables substituted.
fn named_resource(field: &Field, variables: &Variables, kind: ResourceType) -> audit::Resource {
    let argument = |name: &str| -> Option<Value> {
        field
            .get_argument(name)?
            .node
            .clone()
            .into_const_with(|var| variables.get(&var).cloned().ok_or(()))
            .ok()
    };
    let input = argument("input");
    let lookup = |name: &str| -> Option<Uuid> {
        let nested = match &input {
            Some(Value::Object(fields)) => fields.get(name).cloned(),
            _ => None,
        };
        match argument(name).or(nested) {
            Some(Value::String(s)) => Uuid::parse_str(&s).ok(),
            _ => None,
        }
    };
    let id = ID_FIELDS.iter().find_map(|f| lookup(f));
    let resource = audit::Resource::new(kind, id, "");
    match lookup("organizationId") {
        Some(org) => resource.in_org(org),
        None => resource,
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
