//! Limits on the size and shape of a GraphQL document, checked before async-graphql parses,
//! validates or runs it.
//!
//! async-graphql checks depth and complexity by walking the document with every fragment
//! spread expanded in place. A document of under a kilobyte whose fragments each spread the
//! previous one twice expands to 2^N fields, so those checks alone can take seconds and
//! gigabytes before refusing it, and that work cannot be interrupted by the request timeout
//! (it is one synchronous step). The checks here are linear in the size of the text:
//!
//! 1. [`check_source`] counts tokens and bracket nesting with a lexer, before any parse, so a
//!    large or deeply nested document is refused before an AST is built.
//! 2. [`check_document`] counts what the parsed document selects once its fragments are
//!    expanded (fields, aliases, directives, spreads) without expanding them: each fragment's
//!    totals are computed once, dependencies first, and added at every spread.
//!
//! Once both pass, everything async-graphql does with the document is bounded by these counts.

use std::collections::HashMap;

use apollo_parser::{Lexer, TokenKind};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

/// The deepest bracket nesting (`{`, `[`, `(`) accepted. Selections are limited to a much
/// smaller depth by the schema; this only keeps the parser's recursion short.
pub const MAX_NESTING: usize = 64;

/// The limits a document must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Most lexical tokens (names, punctuators, values; not whitespace, commas or comments).
    pub max_tokens: usize,
    /// Most fields selected by any operation or fragment, fragments expanded.
    pub max_fields: u64,
    /// Most aliased fields, fragments expanded.
    pub max_aliases: u64,
    /// Most directives, fragments expanded.
    pub max_directives: u64,
    /// Most fragment spreads, fragments expanded.
    pub max_fragment_spreads: u64,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Too many tokens.
    #[error("The document has more than {limit} tokens.")]
    TooManyTokens {
        /// The limit.
        limit: usize,
    },
    /// Brackets nested too deeply.
    #[error("The document nests brackets more than {limit} levels deep.")]
    NestedTooDeep {
        /// The limit.
        limit: usize,
    },
    /// One of the expanded counts is over its limit.
    #[error(
        "The document has {count} {what} once its fragments are expanded; the limit is {limit}."
    )]
    TooMany {
        /// What was counted: fields, aliases, directives or fragment spreads.
        what: &'static str,
        /// The count (saturated at `u64::MAX`).
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A fragment spreads itself, directly or through others.
    #[error("Fragment \"{0}\" spreads itself.")]
    FragmentCycle(String),
}

/// Counts the tokens and bracket nesting of `query`, stopping at the first limit exceeded.
/// Lexical errors are left to the parser, which reports them with their position.
pub fn check_source(query: &str, limits: &DocumentLimits) -> Result<(), DocumentError> {
    let mut tokens = 0usize;
    let mut depth = 0usize;
    for token in Lexer::new(query).flatten() {
        match token.kind() {
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Comma | TokenKind::Eof => {
                continue;
            }
            TokenKind::LCurly | TokenKind::LBracket | TokenKind::LParen => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(DocumentError::NestedTooDeep { limit: MAX_NESTING });
                }
            }
            TokenKind::RCurly | TokenKind::RBracket | TokenKind::RParen => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(DocumentError::TooManyTokens {
                limit: limits.max_tokens,
            });
        }
    }
    Ok(())
}

/// What a selection set selects, with the fragments it spreads expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Fields.
    pub fields: u64,
    /// Fields with an alias.
    pub aliases: u64,
    /// Directives on fields, spreads and inline fragments.
    pub directives: u64,
    /// Fragment spreads.
    pub spreads: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.spreads = self.spreads.saturating_add(other.spreads);
    }

    fn check(&self, limits: &DocumentLimits) -> Result<(), DocumentError> {
        let checks = [
            ("fields", self.fields, limits.max_fields),
            ("aliases", self.aliases, limits.max_aliases),
            ("directives", self.directives, limits.max_directives),
            (
                "fragment spreads",
                self.spreads,
                limits.max_fragment_spreads,
            ),
        ];
        for (what, count, limit) in checks {
            if count > limit {
                return Err(DocumentError::TooMany { what, count, limit });
            }
        }
        Ok(())
    }
}

/// A selection set's own counts and the fragments it spreads (once per spread).
#[derive(Debug, Default)]
struct Local<'a> {
    tally: Tally,
    spreads: Vec<&'a Name>,
}

/// Walks one selection set without entering fragments. Its recursion is bounded by the
/// nesting [`check_source`] allows.
fn collect<'a>(set: &'a Positioned<SelectionSet>, local: &mut Local<'a>) {
    for selection in &set.node.items {
        let directives = selection.node.directives().len() as u64;
        local.tally.directives = local.tally.directives.saturating_add(directives);
        match &selection.node {
            Selection::Field(field) => {
                local.tally.fields = local.tally.fields.saturating_add(1);
                if field.node.alias.is_some() {
                    local.tally.aliases = local.tally.aliases.saturating_add(1);
                }
                collect(&field.node.selection_set, local);
            }
            Selection::FragmentSpread(spread) => {
                local.tally.spreads = local.tally.spreads.saturating_add(1);
                local.spreads.push(&spread.node.fragment_name.node);
            }
            Selection::InlineFragment(inline) => collect(&inline.node.selection_set, local),
        }
    }
}

/// The expanded tally of every fragment, computed once each, dependencies first; a cycle is
/// refused. Unknown fragments count as empty: validation reports them afterwards.
fn fragment_tallies<'a>(
    locals: &HashMap<&'a Name, Local<'a>>,
) -> Result<HashMap<&'a Name, Tally>, DocumentError> {
    let mut done: HashMap<&'a Name, Tally> = HashMap::with_capacity(locals.len());
    for &start in locals.keys() {
        if done.contains_key(start) {
            continue;
        }
        // An explicit stack: a long chain of fragments must not deepen the call stack.
        let mut stack: Vec<(&'a Name, usize)> = vec![(start, 0)];
        let mut on_stack: Vec<&'a Name> = vec![start];
        while let Some((name, next)) = stack.pop() {
            let local = &locals[name];
            match local.spreads.get(next) {
                Some(&target) => {
                    stack.push((name, next + 1));
                    if done.contains_key(target) || !locals.contains_key(target) {
                        continue;
                    }
                    if on_stack.contains(&target) {
                        return Err(DocumentError::FragmentCycle(target.to_string()));
                    }
                    stack.push((target, 0));
                    on_stack.push(target);
                }
                None => {
                    let mut total = local.tally;
                    for target in &local.spreads {
                        total.add(done.get(target).copied().unwrap_or_default());
                    }
                    done.insert(name, total);
                    on_stack.pop();
                }
            }
        }
    }
    Ok(done)
}

/// Checks every operation and fragment of a parsed document against the limits, counting
/// what each selects with its fragments expanded.
pub fn check_document(
    document: &ExecutableDocument,
    limits: &DocumentLimits,
) -> Result<(), DocumentError> {
    let mut locals = HashMap::with_capacity(document.fragments.len());
    for (name, fragment) in &document.fragments {
        let mut local = Local::default();
        collect(&fragment.node.selection_set, &mut local);
        locals.insert(name, local);
    }
    let fragments = fragment_tallies(&locals)?;
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    for operation in operations {
        let mut local = Local::default();
        collect(&operation.node.selection_set, &mut local);
        let mut total = local.tally;
        for target in &local.spreads {
            total.add(fragments.get(target).copied().unwrap_or_default());
        }
        total.check(limits)?;
    }
    // Validation walks unused fragments too. Sorted, so the error named is always the same.
    let mut names: Vec<&&Name> = fragments.keys().collect();
    names.sort();
    for name in names {
        fragments[*name].check(limits)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const LIMITS: DocumentLimits = DocumentLimits {
        max_tokens: 1000,
        max_fields: 100,
        max_aliases: 10,
        max_directives: 10,
        max_fragment_spreads: 200,
    };

    fn check(query: &str) -> Result<(), DocumentError> {
        check_source(query, &LIMITS)?;
        let document = parse_query(query).expect("parses");
        check_document(&document, &LIMITS)
    }

    /// `{...F<n>}` where each fragment spreads the previous one twice: 2^n fields.
    fn fragment_bomb(n: usize) -> String {
        let mut query = format!("{{...F{n}}} fragment F0 on Query{{__typename}}");
        for i in 1..=n {
            query.push_str(&format!(
                " fragment F{i} on Query{{...F{p} ...F{p}}}",
                p = i - 1
            ));
        }
        query
    }

    #[test]
    fn counts_tokens_but_not_whitespace_commas_or_comments() {
        let limits = DocumentLimits {
            max_tokens: 4,
            ..LIMITS
        };
        // `{ a b c }` is five tokens.
        assert_eq!(check_source("{ a, b }", &limits), Ok(()));
        assert_eq!(check_source("# a comment\n{ a,,, b }", &limits), Ok(()));
        assert_eq!(
            check_source("{ a b c }", &limits),
            Err(DocumentError::TooManyTokens { limit: 4 })
        );
        // A string is one token, however long.
        assert_eq!(
            check_source(&format!("{{ a(x: \"{}\") }}", "y".repeat(10_000)), &LIMITS),
            Ok(())
        );
    }

    #[test]
    fn refuses_deep_nesting_before_parsing() {
        let nested = |n: usize| format!("{}{}", "{a".repeat(n), "}".repeat(n));
        assert_eq!(check_source(&nested(MAX_NESTING), &LIMITS), Ok(()));
        assert_eq!(
            check_source(&nested(MAX_NESTING + 1), &LIMITS),
            Err(DocumentError::NestedTooDeep { limit: MAX_NESTING })
        );
        let list = format!("{{a(x: {}1{})}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            check_source(&list, &LIMITS),
            Err(DocumentError::NestedTooDeep { limit: MAX_NESTING })
        );
    }

    #[test]
    fn fragment_bombs_are_counted_without_expanding_them() {
        // 2^6 = 64 fields: within 100.
        assert_eq!(check(&fragment_bomb(6)), Ok(()));
        // 2^7 = 128 fields.
        assert_eq!(
            check(&fragment_bomb(7)),
            Err(DocumentError::TooMany {
                what: "fields",
                count: 128,
                limit: 100
            })
        );
        // 2^60 would take forever to expand; counting takes microseconds, and the huge
        // counts saturate instead of overflowing.
        let document = parse_query(fragment_bomb(70)).expect("parses");
        let unlimited = DocumentLimits {
            max_fields: u64::MAX,
            max_fragment_spreads: u64::MAX,
            ..LIMITS
        };
        assert_eq!(check_document(&document, &unlimited), Ok(()));
        assert!(matches!(
            check_document(&document, &LIMITS),
            Err(DocumentError::TooMany { what: "fields", .. })
        ));
    }

    #[test]
    fn counts_aliases_directives_and_spreads_through_fragments() {
        let aliases = |n: usize| {
            let fields: Vec<String> = (0..n).map(|i| format!("a{i}: viewer {{ id }}")).collect();
            format!("{{ {} }}", fields.join(" "))
        };
        assert_eq!(check(&aliases(10)), Ok(()));
        assert_eq!(
            check(&aliases(11)),
            Err(DocumentError::TooMany {
                what: "aliases",
                count: 11,
                limit: 10
            })
        );
        // Four aliases in a fragment spread three times: twelve.
        let spread = "{ ...A ...A ...A } fragment A on Query { a: x b: x c: x d: x }";
        assert_eq!(
            check(spread),
            Err(DocumentError::TooMany {
                what: "aliases",
                count: 12,
                limit: 10
            })
        );
        let directives = "{ ...D ...D } fragment D on Query { a @skip(if: false) b @include(if: true) @skip(if: false) x @a @b @c }";
        assert_eq!(
            check(directives),
            Err(DocumentError::TooMany {
                what: "directives",
                count: 12,
                limit: 10
            })
        );
        let spreads = format!("{{ {} }} fragment S on Query {{ x }}", "...S ".repeat(201));
        let document = parse_query(&spreads).expect("parses");
        let limits = DocumentLimits {
            max_fields: 1000,
            ..LIMITS
        };
        assert_eq!(
            check_document(&document, &limits),
            Err(DocumentError::TooMany {
                what: "fragment spreads",
                count: 201,
                limit: 200
            })
        );
    }

    #[test]
    fn unused_fragments_and_every_operation_are_checked() {
        let unused = format!(
            "{{ x }} {}",
            fragment_bomb(7)
                .split_once(' ')
                .map(|(_, rest)| rest)
                .unwrap_or_default()
        );
        let document = parse_query(&unused).expect("parses");
        let limits = DocumentLimits {
            max_fragment_spreads: 1000,
            ..LIMITS
        };
        assert_eq!(
            check_document(&document, &limits),
            Err(DocumentError::TooMany {
                what: "fields",
                count: 128,
                limit: 100
            })
        );
        let second = "query A { x } query B { ...F ...F } fragment F on Query { a: x b: x c: x d: x e: x f: x }";
        assert!(matches!(
            check(second),
            Err(DocumentError::TooMany {
                what: "aliases",
                count: 12,
                ..
            })
        ));
    }

    #[test]
    fn cycles_are_refused_and_unknown_fragments_left_to_validation() {
        // Which fragment of the cycle is named depends on where the walk starts.
        assert!(matches!(
            check("{ ...A } fragment A on Query { ...B } fragment B on Query { x ...A }"),
            Err(DocumentError::FragmentCycle(name)) if name == "A" || name == "B"
        ));
        assert!(matches!(
            check("{ ...A } fragment A on Query { ...A }"),
            Err(DocumentError::FragmentCycle(name)) if name == "A"
        ));
        assert_eq!(check("{ ...Missing x }"), Ok(()));
    }

    #[test]
    fn a_long_chain_of_fragments_does_not_recurse() {
        let n = 5000;
        let mut query = String::from("{ ...F0 }");
        for i in 0..n {
            query.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
        query.push_str(&format!(" fragment F{n} on Query {{ x }}"));
        let document = parse_query(&query).expect("parses");
        let limits = DocumentLimits {
            max_fragment_spreads: 10_000,
            ..LIMITS
        };
        assert_eq!(check_document(&document, &limits), Ok(()));
    }
}
