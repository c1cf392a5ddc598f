//! The tokeniser Coder shares between its audit, user, workspace and connection-log searches
//! (`searchTerms` in `coderd/searchquery`), and the two pieces of Go formatting its error texts
//! depend on: `strings.ToLower` and `%q` quoting.
//!
//! The tokeniser only turns a query into `key -> values`; what each key means is decided by the
//! search that uses it (the connection log's and the audit log's). It is kept byte-for-byte faithful to Go, quirks
//! included, because saved searches and bookmarked URLs must keep meaning what they meant in
//! Coder: `a::b` is `a -> b` (Go's `FieldsFunc` drops empty fields), quotes only group text and
//! are stripped from both ends of keys and values, and free text is gathered into one element.

use std::collections::HashMap;

use crate::domain::{FieldError, go_quote::go_quote};

/// The field Coder reports tokeniser errors under: the whole query string.
const QUERY_FIELD: &str = "q";

/// A query split into keys and their values, keys in the order they first appeared.
///
/// The order matters only for reporting unknown keys: Coder walks a Go map there (random
/// order); we report them in the order the user wrote them so the output is deterministic.
#[derive(Debug, Default)]
pub struct SearchTerms {
    entries: Vec<(String, Vec<String>)>,
    index: HashMap<String, usize>,
}

impl SearchTerms {
    /// Coder's `searchTerms`: split `query` (already lower-cased) into keyed values.
    ///
    /// Tokens without a `:` are joined with single spaces into one free-text element, which is
    /// filed under `free_text_key`. An element that starts or ends with `:`, or has more than one
    /// `:` outside quotes, stops parsing with that single error on field `q`, as in Coder.
    pub fn parse(query: &str, free_text_key: &str) -> Result<Self, FieldError> {
        let mut terms = Self::default();
        // Quotes are kept on this first pass so the second split (on ':') still sees which
        // colons are quoted.
        let tokens = split_outside_quotes(query, ' ');
        let (keyed, free): (Vec<&str>, Vec<&str>) =
            tokens.into_iter().partition(|token| token.contains(':'));
        let free_text = (!free.is_empty()).then(|| free.join(" "));
        let elements = keyed.into_iter().chain(free_text.as_deref());

        for element in elements {
            if element.starts_with(':') || element.ends_with(':') {
                return Err(FieldError::new(
                    QUERY_FIELD,
                    format!(
                        "Query element {} cannot start or end with ':'",
                        go_quote(element)
                    ),
                ));
            }
            let parts: Vec<&str> = split_outside_quotes(element, ':')
                .into_iter()
                .map(|part| part.trim_matches('"'))
                .collect();
            match parts.as_slice() {
                // No `key:value` pair: Coder hands the whole element, quotes and all, to the
                // search's default key. (An empty split cannot happen for a non-empty element
                // that does not start with ':', but it costs nothing to treat it the same.)
                [] | [_] => terms.add(free_text_key.to_owned(), element.to_owned()),
                // Go lower-cases the key again here; the query already is, but a caller that
                // skips that step should still get case-insensitive keys.
                [key, value] => terms.add(go_to_lower(key), (*value).to_owned()),
                _ => {
                    return Err(FieldError::new(
                        QUERY_FIELD,
                        format!("Query element {} can only contain 1 ':'", go_quote(element)),
                    ));
                }
            }
        }
        Ok(terms)
    }

    fn add(&mut self, key: String, value: String) {
        if let Some((_, values)) = self.index.get(&key).and_then(|&i| self.entries.get_mut(i)) {
            values.push(value);
        } else {
            self.index.insert(key.clone(), self.entries.len());
            self.entries.push((key, vec![value]));
        }
    }

    /// The one value of `key`, as Coder's `parseQueryParam` reads it.
    ///
    /// `None` when the key is absent or its *first* value is empty (`type:""`): an empty value
    /// means "no filter". Go checks only the first value there (`url.Values.Get`), so
    /// `type:"" type:ssh` is absent rather than a duplicate; we keep that. Otherwise a key
    /// given more than once records the "provided more than once" error and yields `None`.
    pub fn single(&self, key: &str, errors: &mut Vec<FieldError>) -> Option<&str> {
        let (_, values) = self.index.get(key).and_then(|&i| self.entries.get(i))?;
        let first = values.first().filter(|first| !first.is_empty())?;
        if values.len() > 1 {
            errors.push(FieldError::new(
                key,
                format!(
                    "Query param {} provided more than once, found {} times. Only provide 1 \
                     instance of this query param.",
                    go_quote(key),
                    values.len()
                ),
            ));
            return None;
        }
        Some(first)
    }

    /// Every key, in the order it first appeared.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(key, _)| key.as_str())
    }
}

/// Go's `splitQueryParameterByDelimiter` before quote stripping: split on `delimiter` where it
/// is outside double quotes, dropping empty pieces (`strings.FieldsFunc`), keeping the quotes.
///
/// An unbalanced quote simply quotes the rest of the string, as in Go.
pub fn split_outside_quotes(s: &str, delimiter: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && c == delimiter {
            if let Some(begin) = start.take() {
                parts.push(&s[begin..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(begin) = start {
        parts.push(&s[begin..]);
    }
    parts
}

/// Go's `strings.ToLower`: the simple, per-character lower-case mapping.
///
/// Rust's `str::to_lowercase` differs in two places that would change what a query means: it
/// maps a word-final `Σ` to `ς` (Go always gives `σ`), and `İ` to `i` plus a combining dot
/// (Go gives a plain `i`).
pub fn go_to_lower(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '\u{130}' => 'i'.to_lowercase(),
            c => c.to_lowercase(),
        })
        .collect()
}
