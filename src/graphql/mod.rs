//! The GraphQL API: the schema, its roots, types, loaders and error mapping. Resolvers are
//! thin: they authenticate through the request's [`context::Caller`], call one domain
//! function, and map the result.

pub mod audit_refusals;
pub mod context;
pub mod document_cache;
pub mod document_limits;
pub mod error;
pub mod input_text;
pub mod loaders;
pub mod mutation;
pub mod pagination;
pub mod query;
pub mod types;

use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};

use crate::state::AppState;

/// The served schema.
pub type AppSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Limits that protect the server from expensive documents.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Highest complexity.
    pub max_complexity: usize,
}

/// The schema without any data: enough to print the SDL.
pub fn schema_builder() -> SchemaBuilder<query::Query, mutation::Mutation, EmptySubscription> {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
}

/// The schema the server runs, with shared state and limits.
pub fn build_schema(state: AppState, limits: Limits) -> AppSchema {
    schema_builder()
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish()
}

/// The SDL as committed in `schema.graphql`: sorted, so the file diffs cleanly.
pub fn sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
