//! The `nodes` list of a log page, resolved one entry and one field after another.
//!
//! async-graphql resolves a list by joining one future per entry, and an object by joining
//! one boxed future per field: on a page of 50 log entries that is hundreds of allocations
//! and a scheduler's worth of polling, about a fifth of the request's CPU. The fields of a
//! log entry never wait on each other (the page preloads every related row into the
//! request's loader cache before resolving), so resolving them in order gives the same
//! response for a fraction of the work. Each field still goes through its type's own
//! `resolve_field`, so arguments, nested selections, nullability and error paths are
//! async-graphql's, unchanged.
//!
//! The objects an entry nests (its owner, its organization) are [`Preloaded`]: resolved in
//! order as well when every field they are asked for is ready, and the standard way when
//! one must wait.

use std::borrow::Cow;

use futures_util::FutureExt;

use async_graphql::{
    ContainerType, ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult,
    Value,
    indexmap::{IndexMap, map::Entry},
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

/// A list of objects of type `T`, served exactly as `[T!]!` is.
pub struct PageNodes<T>(pub Vec<T>);

impl<T> Default for PageNodes<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// The fields a selection set asks of a `type_name` object, with fragments flattened; `None`
/// when a fragment's type condition names another type (an interface or union), which the
/// standard resolution handles.
fn flatten<'a>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a Positioned<SelectionSet>,
    type_name: &str,
    fields: &mut Vec<&'a Positioned<Field>>,
) -> ServerResult<Option<()>> {
    for selection in &set.node.items {
        let (condition, inner) = match &selection.node {
            Selection::Field(field) => {
                fields.push(field);
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = ctx.query_env.fragments.get(name) else {
                    return Err(ServerError::new(
                        format!(r#"Unknown fragment "{name}"."#),
                        Some(spread.pos),
                    ));
                };
                (
                    Some(&fragment.node.type_condition.node.on.node),
                    &fragment.node.selection_set,
                )
            }
            Selection::InlineFragment(fragment) => (
                fragment
                    .node
                    .type_condition
                    .as_ref()
                    .map(|condition| &condition.node.on.node),
                &fragment.node.selection_set,
            ),
        };
        if condition.is_some_and(|on| on.as_str() != type_name) {
            return Ok(None);
        }
        if flatten(ctx, inner, type_name, fields)?.is_none() {
            return Ok(None);
        }
    }
    Ok(Some(()))
}

/// Puts `value` under `key`, merging it into an object already there, as GraphQL's field
/// merging requires (`owner { id } owner { name }` gives one `owner` with both).
fn insert(object: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    // One hash of the key, whether the field is new (nearly always) or merged.
    match object.entry(key) {
        Entry::Occupied(mut slot) => match (slot.get_mut(), value) {
            (Value::Object(existing), Value::Object(more)) => {
                for (key, value) in more {
                    insert(existing, key, value);
                }
            }
            (slot, value) => *slot = value,
        },
        Entry::Vacant(slot) => {
            slot.insert(value);
        }
    }
}

impl<T: ContainerType + OutputType> OutputType for PageNodes<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let type_name = T::type_name();
        let mut fields = Vec::new();
        // Fragments on abstract types need the registry: left to the standard resolution.
        // (This skips schema extensions' per-field hooks; the schema registers none.)
        if flatten(ctx, ctx.item, &type_name, &mut fields)?.is_none() {
            return OutputType::resolve(&self.0, ctx, field).await;
        }
        let contexts: Vec<_> = (0..self.0.len()).map(|i| ctx.with_index(i)).collect();
        let mut objects = Vec::with_capacity(self.0.len());
        let mut waiting = Vec::new();
        for (index, (node, ctx_index)) in self.0.iter().zip(&contexts).enumerate() {
            let mut object = IndexMap::with_capacity(fields.len());
            for &field in &fields {
                let key = field.node.response_key().node.clone();
                if field.node.name.node == "__typename" {
                    let name = node.introspection_type_name().into_owned();
                    insert(&mut object, key, Value::String(name));
                    continue;
                }
                let resolve = move || async move {
                    let ctx_field = ctx_index.with_field(field);
                    node.resolve_field(&ctx_field)
                        .await
                        .map_err(|err| ctx_index.set_error_path(err))
                };
                // Nearly every field is ready at once. One that waits (a loader batch the
                // page did not preload) is dropped, started again with the others that
                // wait, and joined with them, so their loads still share a batch.
                match resolve().now_or_never() {
                    Some(value) => insert(&mut object, key, value?.unwrap_or_default()),
                    None => {
                        object.entry(key.clone()).or_insert(Value::Null);
                        waiting.push((index, key, resolve()));
                    }
                }
            }
            objects.push(object);
        }
        if !waiting.is_empty() {
            let (places, futures): (Vec<_>, Vec<_>) = waiting
                .into_iter()
                .map(|(index, key, future)| ((index, key), future))
                .unzip();
            let values = futures_util::future::try_join_all(futures).await?;
            for ((index, key), value) in places.into_iter().zip(values) {
                if let Some(object) = objects.get_mut(index) {
                    insert(object, key, value.unwrap_or_default());
                }
            }
        }
        let list = objects.into_iter().map(Value::Object).collect();
        Ok(Value::List(list))
    }
}

/// An object of type `T` whose fields its page preloaded, served exactly as `T` is.
pub struct Preloaded<T>(pub T);

/// `node`'s selected fields, resolved in order; `None` when one of them must wait (or a
/// fragment needs the registry), for the standard resolution to do it all.
fn resolve_ready<T: ContainerType + OutputType>(
    ctx: &ContextSelectionSet<'_>,
    node: &T,
) -> ServerResult<Option<Value>> {
    let type_name = T::type_name();
    let mut fields = Vec::new();
    if flatten(ctx, ctx.item, &type_name, &mut fields)?.is_none() {
        return Ok(None);
    }
    let mut object = IndexMap::with_capacity(fields.len());
    for field in fields {
        let key = field.node.response_key().node.clone();
        if field.node.name.node == "__typename" {
            let name = node.introspection_type_name().into_owned();
            insert(&mut object, key, Value::String(name));
            continue;
        }
        let ctx_field = ctx.with_field(field);
        match node.resolve_field(&ctx_field).now_or_never() {
            Some(value) => insert(&mut object, key, value?.unwrap_or_default()),
            None => return Ok(None),
        }
    }
    Ok(Some(Value::Object(object)))
}

impl<T: ContainerType + OutputType> OutputType for Preloaded<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match resolve_ready(ctx, &self.0)? {
            Some(value) => Ok(value),
            None => OutputType::resolve(&self.0, ctx, field).await,
        }
    }
}
