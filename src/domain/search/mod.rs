//! What the connection log's and the audit log's search strings share: Coder's tokeniser
//! ([`SearchTerms`]), its per-key parsers with their validation texts (`QueryParamParser` and
//! `ParseEnum` in `coderd/httpapi`), the `organization:` and user values, and their lookups
//! ([`resolve`]).
//!
//! Each search keeps its own list of keys and what they mean; everything here is the same
//! for both, so the two report a bad uuid, a duplicate key or an unknown key in the same words.

pub mod date;
pub mod resolve;
mod terms;

use std::str::FromStr;

use uuid::Uuid;

pub use self::terms::{SearchTerms, go_to_lower, split_outside_quotes};
use crate::domain::go_quote::go_quote;
use crate::domain::{FieldError, text};

/// The value `username`-like keys accept for "the caller".
pub const ME: &str = "me";

/// An organization as a search names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationRef {
    /// A value that parses as a UUID, used as is: no existence check, as in Coder.
    Id(Uuid),
    /// Anything else: an organization name (lower-cased) for the caller to resolve among the
    /// organizations it may see, reporting [`organization_not_found`] when there is none.
    Name(String),
}

impl OrganizationRef {
    /// Coder's `parseOrganization` without the lookup: a UUID if it parses as one.
    pub fn from_value(value: &str) -> Self {
        Uuid::parse_str(value).map_or_else(|_| Self::Name(value.to_owned()), Self::Id)
    }
}

/// A user as a search names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// `me`: the user making the request.
    Me,
    /// A username (lower-cased), matched case-insensitively against non-deleted users.
    Username(String),
}

impl UserRef {
    /// `me`, or a username.
    pub fn from_value(value: &str) -> Self {
        if value == ME {
            Self::Me
        } else {
            Self::Username(value.to_owned())
        }
    }

    /// The value as a search string writes it: `me`, or the quoted username.
    pub fn to_query_value(&self) -> String {
        match self {
            Self::Me => ME.to_owned(),
            Self::Username(name) => format!("\"{name}\""),
        }
    }
}

/// A string that names no value of an enum. Its message is Coder's `ParseEnum` text, which
/// searches embed in their validation details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a valid value", go_quote(.0))]
pub struct InvalidValue(pub String);

/// The error for an `organization:` name the caller could not resolve, whether it does not
/// exist or the caller may not see it (the text deliberately does not say which).
pub fn organization_not_found(name: &str) -> FieldError {
    FieldError::new(
        "organization",
        format!(
            "Query param \"organization\" has invalid value: organization {} either does not \
             exist, or you are unauthorized to view it",
            go_quote(name)
        ),
    )
}

/// The first steps of every search: the length check, Go's lower-casing of the whole query,
/// and the tokeniser, with free text filed under `free_text_key`. A failure is the one error
/// to report.
pub fn tokenise(q: &str, free_text_key: &str) -> Result<SearchTerms, Vec<FieldError>> {
    let mut too_long = Vec::new();
    text::check("q", q, text::FILTER, &mut too_long);
    if !too_long.is_empty() {
        return Err(too_long);
    }
    SearchTerms::parse(&go_to_lower(q), free_text_key).map_err(|error| vec![error])
}

/// Coder's `ErrorExcessParams`: one error per key not in `known`, in the order written.
pub fn report_unknown_keys(terms: &SearchTerms, known: &[&str], errors: &mut Vec<FieldError>) {
    for key in terms.keys().filter(|key| !known.contains(key)) {
        errors.push(FieldError::new(
            key,
            format!("{} is not a valid query param", go_quote(key)),
        ));
    }
}

/// Coder's `QueryParamParser.String`: the value as written (lower-cased with the query).
pub fn parse_string(
    terms: &SearchTerms,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    terms.single(key, errors).map(str::to_owned)
}

/// Coder's `ParseCustom(.., ParseEnum)` for a type whose names `FromStr` reads exactly.
pub fn parse_enum<T: FromStr>(
    terms: &SearchTerms,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    parse_enum_with(terms, key, errors, |value| value.parse().ok())
}

/// Coder's `ParseCustom(.., ParseEnum)`, with `parse` naming the value or giving `None`.
pub fn parse_enum_with<T>(
    terms: &SearchTerms,
    key: &str,
    errors: &mut Vec<FieldError>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let value = terms.single(key, errors)?;
    let parsed = parse(value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            key,
            format!(
                "Query param {} has invalid value: {}",
                go_quote(key),
                InvalidValue(value.to_owned())
            ),
        ));
    }
    parsed
}

/// Coder's `QueryParamParser.UUID`. Accepts the forms Go's `uuid.Parse` does: hyphenated,
/// 32 plain hex digits, `{braced}` and `urn:uuid:` (the last only when quoted, for its colons).
pub fn parse_uuid(terms: &SearchTerms, key: &str, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    let value = terms.single(key, errors)?;
    Uuid::parse_str(value)
        .map_err(|_| {
            errors.push(FieldError::new(
                key,
                format!("Query param {} must be a valid uuid", go_quote(key)),
            ));
        })
        .ok()
}
