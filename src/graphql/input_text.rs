//! Refuses NUL characters in any text a request carries, in its variables or written into
//! the document, before anything runs.
//!
//! PostgreSQL cannot store or even compare text holding U+0000, so such a value reaching a
//! query fails it as an internal error; SQLite would store it. Checking every string at the
//! boundary keeps both engines alike and turns the problem into a clear input error naming
//! the field, whichever resolver it was meant for. (Text that machines report — agents,
//! provisioners — is cleaned in the domain instead; see `domain::text`.)

use std::{collections::HashSet, convert::Infallible};

use async_graphql::{
    Name, Positioned, Value as ConstValue, Variables,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::domain::FieldError;

/// Reports at most this many fields, so a request full of NULs gets a short answer.
const MAX_REPORTED: usize = 10;

const DETAIL: &str = "must not contain NUL characters";

/// Root fields whose text comes from machines and is cleaned by the domain rather than
/// refused: refusing would refuse the whole report, which the machine would send again.
const CLEANED_BY_THE_DOMAIN: [&str; 4] = [
    "reportConnection",
    "reportConnections",
    "reportWebConnection",
    "completeProvisionerJob",
];

/// The fields of `variables` and of the document's literal arguments whose text holds a NUL.
/// Variables are named `$name.path[0].field`; literals `field.argument.path`. Arguments of
/// the root fields in [`CLEANED_BY_THE_DOMAIN`], and variables only they use, are skipped.
pub fn nul_fields(variables: &Variables, document: Option<&ExecutableDocument>) -> Vec<FieldError> {
    let mut walk = Walk::default();
    if let Some(document) = document {
        for (_, operation) in document.operations.iter() {
            walk.root(&operation.node.selection_set);
        }
        for fragment in document.fragments.values() {
            walk.selection_set(&fragment.node.selection_set);
        }
    }
    for (name, value) in variables.iter() {
        if walk.cleaned_vars.contains(name) && !walk.used_vars.contains(name) {
            continue;
        }
        const_value(&format!("${name}"), value, &mut walk.found);
    }
    walk.found.truncate(MAX_REPORTED);
    walk.found
}

fn full(found: &[FieldError]) -> bool {
    found.len() >= MAX_REPORTED
}

fn const_value(path: &str, value: &ConstValue, found: &mut Vec<FieldError>) {
    if full(found) {
        return;
    }
    match value {
        ConstValue::String(text) if text.contains('\0') => {
            found.push(FieldError::new(path, DETAIL));
        }
        ConstValue::List(items) => {
            for (i, item) in items.iter().enumerate() {
                const_value(&format!("{path}[{i}]"), item, found);
            }
        }
        ConstValue::Object(fields) => {
            for (key, item) in fields {
                if key.contains('\0') {
                    found.push(FieldError::new(
                        path,
                        "must not have keys containing NUL characters",
                    ));
                }
                const_value(&format!("{path}.{key}"), item, found);
            }
        }
        _ => {}
    }
}

/// A literal argument value as a constant, its variables read as null (they are checked on
/// their own) and noted in `$used`. A macro because async-graphql does not export the type
/// of unresolved values.
macro_rules! literal {
    ($value:expr, $used:expr) => {{
        let used: &mut HashSet<Name> = $used;
        $value
            .clone()
            .into_const_with(|name| {
                used.insert(name);
                Ok::<_, Infallible>(ConstValue::Null)
            })
            .unwrap_or_default()
    }};
}

/// What the walk of the document found.
#[derive(Default)]
struct Walk {
    found: Vec<FieldError>,
    /// Variables the document uses outside the cleaned root fields.
    used_vars: HashSet<Name>,
    /// Variables the cleaned root fields use.
    cleaned_vars: HashSet<Name>,
}

impl Walk {
    fn root(&mut self, set: &Positioned<SelectionSet>) {
        for selection in &set.node.items {
            if let Selection::Field(field) = &selection.node
                && CLEANED_BY_THE_DOMAIN.contains(&field.node.name.node.as_str())
            {
                for (_, arg) in &field.node.arguments {
                    literal!(arg.node, &mut self.cleaned_vars);
                }
                self.selection_set(&field.node.selection_set);
            } else {
                self.selection(selection);
            }
        }
    }

    /// Checks literal arguments and notes the variables they use; the recursion is bounded
    /// by the document's nesting limit.
    fn selection_set(&mut self, set: &Positioned<SelectionSet>) {
        for selection in &set.node.items {
            self.selection(selection);
        }
    }

    fn selection(&mut self, selection: &Positioned<Selection>) {
        if full(&self.found) {
            return;
        }
        for directive in selection.node.directives() {
            let name = format!("@{}", directive.node.name.node);
            for (arg, value) in &directive.node.arguments {
                let literal = literal!(value.node, &mut self.used_vars);
                const_value(&format!("{name}.{}", arg.node), &literal, &mut self.found);
            }
        }
        match &selection.node {
            Selection::Field(field) => {
                let name = field
                    .node
                    .alias
                    .as_ref()
                    .unwrap_or(&field.node.name)
                    .node
                    .to_string();
                for (arg, value) in &field.node.arguments {
                    let literal = literal!(value.node, &mut self.used_vars);
                    const_value(&format!("{name}.{}", arg.node), &literal, &mut self.found);
                }
                self.selection_set(&field.node.selection_set);
            }
            Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set),
            Selection::FragmentSpread(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn fields(variables: serde_json::Value, query: &str) -> Vec<String> {
        let variables = Variables::from_json(variables);
        let document = parse_query(query).expect("parses");
        nul_fields(&variables, Some(&document))
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn finds_nul_in_variables_and_literals_with_their_path() {
        assert_eq!(
            fields(
                json!({ "input": { "email": "a\u{0}b", "tags": ["ok", "x\u{0}"] }, "q": "fine" }),
                "mutation($input: LoginInput!) { login(input: $input) { token } }",
            ),
            vec!["$input.email", "$input.tags[1]"]
        );
        assert_eq!(
            fields(
                json!({}),
                "{ w: workspaces(filter: \"name:a\\u0000b\") { id } ...F } fragment F on Query { connectionLogs(filter: \"x\\u0000\") { totalCount } }",
            ),
            vec!["w.filter", "connectionLogs.filter"]
        );
        assert!(fields(json!({ "a": "no nul here" }), "{ x(y: \"z\") }").is_empty());
    }

    #[test]
    fn machine_reports_are_left_to_the_domain() {
        let report = "mutation($events: [ReportConnectionInput!]!) { reportConnections(input: $events) { recorded } }";
        assert!(fields(json!({ "events": [{ "reason": "a\u{0}" }] }), report).is_empty());
        assert!(
            fields(
                json!({}),
                "mutation { completeProvisionerJob(input: {jobId: \"x\", error: \"\\u0000\"}) { id } }"
            )
            .is_empty()
        );
        // A variable also used elsewhere is still checked there.
        let shared = "mutation($t: String!) { reportWebConnection(input: {slugOrPort: $t}) { recorded } createOrganization(input: {name: $t}) { id } }";
        assert_eq!(fields(json!({ "t": "\u{0}" }), shared), vec!["$t"]);
        // Only at the root: the same name nested elsewhere is no exemption.
        assert_eq!(
            fields(json!({}), "{ a { reportConnection(input: \"\\u0000\") } }"),
            vec!["reportConnection.input"]
        );
    }

    #[test]
    fn reports_a_bounded_number() {
        let many: Vec<String> = (0..100).map(|_| "\u{0}".to_owned()).collect();
        assert_eq!(fields(json!({ "list": many }), "{ x }").len(), MAX_REPORTED);
    }
}
