//! GraphQL object, input and enum types. Objects wrap entity models and resolve nested
//! fields through the request's DataLoader.

mod audit_log;
mod connection_log;
mod identity;
mod license;
mod page_nodes;
mod parameter;
mod prebuilds;
mod roles;
mod scalars;
mod template;
mod workspace;

pub use audit_log::{AuditAction, AuditLog, AuditLogConnection, AuditLogEdge};
pub use connection_log::{
    ConnectionLog, ConnectionLogConnection, ConnectionLogEdge, ConnectionType, PageInfo,
};
pub use identity::{
    ApiKey, AuthPayload, CreateApiTokenPayload, Group, Organization, OrganizationMember, User,
};
pub use license::{Entitlements, License};
pub use page_nodes::{PageNodes, Preloaded};
pub use parameter::{ParameterInput, ParameterPreview};
pub use prebuilds::PrebuildsSettings;
pub use roles::{OrganizationRole, SiteRoleName, UserStatus};
pub use scalars::{Int64, Milliseconds};
pub use template::{File, ParameterValue, Preset, Template, TemplateParameter, TemplateVersion};
pub use workspace::{
    AgentLifecycleState, BuildReasonKind, ProvisionerJob, Workspace, WorkspaceAgent,
    WorkspaceBuild, WorkspaceQuota,
};
