//! The connection log: who connected to which workspace, how and when.

pub mod ingest;
pub mod query;
pub mod retention;
pub mod search;

pub use search::{
    ConnectionLogFilter, ConnectionStatus, ConnectionType, OrganizationRef, UserRef,
    parse_search_query,
};
