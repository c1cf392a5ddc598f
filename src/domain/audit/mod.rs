//! The audit log: who changed what, when and from where. Every state-changing mutation
//! writes one row in the same transaction as its change ([`record`]), refused attempts
//! write a row with status 403 ([`record_refusal`]), and auditors search the rows with the
//! same search language and paging as the connection log.

pub mod query;
pub mod record;
pub mod retention;
pub mod search;

pub use record::{
    AuditEntry, Diff, Resource, ResourceType, record, record_anonymous, record_refusal,
};
