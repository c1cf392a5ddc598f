//! The audit-log search string: Coder's audit search keys parsed into a typed
//! [`AuditLogFilter`], with the tokeniser, per-key parsers and error texts the connection log
//! uses ([`crate::domain::search`]).
//!
//! As in Coder, the whole query is lower-cased, and a bare word (free text) means
//! `resource_type`: `workspace` is `resource_type:workspace`. Parsing is pure: an organization
//! given by name and `me` are resolved by the query ([`super::query`]).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, Iterable};
use uuid::Uuid;

use super::ResourceType;
use crate::domain::FieldError;
use crate::domain::search::{
    OrganizationRef, SearchTerms, UserRef, date::parse_date, parse_enum, parse_enum_with,
    parse_string, parse_uuid, report_unknown_keys, tokenise,
};
use crate::entity::{audit_log::AuditAction, workspace_build::BuildReason};

/// Where free text goes: a bare word names a resource type, as in Coder.
const FREE_TEXT_KEY: &str = "resource_type";

/// The keys we understand, in the order Coder parses them, which is the order their errors are
/// reported in.
pub const KEYS: [&str; 11] = [
    "request_id",
    "resource_id",
    "resource_target",
    "username",
    "email",
    "date_from",
    "date_to",
    "organization",
    "resource_type",
    "action",
    "build_reason",
];

/// What `date_to` adds to its date so that the whole day is included (Coder adds 23:59:59).
fn end_of_day() -> chrono::Duration {
    chrono::Duration::hours(23) + chrono::Duration::minutes(59) + chrono::Duration::seconds(59)
}

/// What an audit-log search asks for. Every field is an AND-ed condition; `None` means no
/// condition. `AuditLogFilter::default()` matches every row the caller may see.
///
/// String values are lower-case: the whole query is lower-cased before parsing, as in Coder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditLogFilter {
    /// `request_id:`: the rows written by one request.
    pub request_id: Option<Uuid>,
    /// `resource_id:`: the history of one object.
    pub resource_id: Option<Uuid>,
    /// `resource_target:`: rows whose resource name is exactly this (lower-cased) text.
    pub resource_target: Option<String>,
    /// `username:`: actions of this live user (case-insensitively), or of the caller (`me`).
    pub username: Option<UserRef>,
    /// `email:`: actions of the user with this email, compared case-insensitively (a
    /// deliberate difference from Coder, which lower-cases the query but compares exactly).
    pub email: Option<String>,
    /// `date_from:`: at or after midnight UTC of this date.
    pub date_from: Option<DateTime<Utc>>,
    /// `date_to:`: at or before 23:59:59 UTC of this date.
    pub date_to: Option<DateTime<Utc>>,
    /// `organization:`: rows of this organization.
    pub organization: Option<OrganizationRef>,
    /// `resource_type:` or a bare word: rows about this kind of object.
    pub resource_type: Option<ResourceType>,
    /// `action:`: what was done.
    pub action: Option<AuditAction>,
    /// `build_reason:`: rows of builds started for this reason.
    pub build_reason: Option<BuildReason>,
}

/// A parse that may have failed in places: the filter of the keys that did parse, the
/// errors, and where among them an unknown organization's error belongs.
#[derive(Debug, Default)]
pub struct PartialParse {
    /// The keys that parsed.
    pub filter: AuditLogFilter,
    /// Every problem found, in Coder's key order.
    pub errors: Vec<FieldError>,
    /// The index in `errors` at which an error for `organization:` goes (its key's place).
    pub organization_error_at: usize,
}

/// Parses an audit-log search string into a filter; on failure, every problem as
/// `{field, detail}` with Coder's texts, in key order, unknown keys last.
pub fn parse_search_query(q: &str) -> Result<AuditLogFilter, Vec<FieldError>> {
    let parsed = parse_search_query_partially(q);
    if parsed.errors.is_empty() {
        Ok(parsed.filter)
    } else {
        Err(parsed.errors)
    }
}

/// Like [`parse_search_query`], but also gives back what did parse, so that the caller can
/// report an unknown organization in its place among the other errors.
pub fn parse_search_query_partially(q: &str) -> PartialParse {
    let terms = match tokenise(q, FREE_TEXT_KEY) {
        Ok(terms) => terms,
        Err(errors) => {
            return PartialParse {
                errors,
                ..PartialParse::default()
            };
        }
    };
    let mut errors = Vec::new();
    let e = &mut errors;
    // One statement per key, in Coder's order: the statements' order is the errors' order.
    let request_id = parse_uuid(&terms, "request_id", e);
    let resource_id = parse_uuid(&terms, "resource_id", e);
    let resource_target = parse_string(&terms, "resource_target", e);
    let username = terms.single("username", e).map(UserRef::from_value);
    let email = parse_string(&terms, "email", e);
    let date_from = parse_date(&terms, "date_from", e);
    let date_to = parse_date(&terms, "date_to", e).map(|day| day + end_of_day());
    let organization_error_at = e.len();
    let organization = terms
        .single("organization", e)
        .map(OrganizationRef::from_value);
    let resource_type = parse_enum(&terms, "resource_type", e);
    let action = parse_active_enum(&terms, "action", e);
    let build_reason = parse_active_enum(&terms, "build_reason", e);
    report_unknown_keys(&terms, &KEYS, &mut errors);

    PartialParse {
        filter: AuditLogFilter {
            request_id,
            resource_id,
            resource_target,
            username,
            email,
            date_from,
            date_to,
            organization,
            resource_type,
            action,
            build_reason,
        },
        errors,
        organization_error_at,
    }
}

/// `ParseEnum` over a stored enum: its database names are the accepted values.
fn parse_active_enum<T: ActiveEnum<Value = String> + Iterable>(
    terms: &SearchTerms,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    parse_enum_with(terms, key, errors, |value| {
        T::iter().find(|variant| variant.to_value() == value)
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const R: Uuid = uuid::uuid!("5f3c1a2e-8d4b-4c6a-9e7f-0a1b2c3d4e5f");

    fn parsed(q: &str) -> AuditLogFilter {
        parse_search_query(q).unwrap_or_else(|errors| panic!("{q:?} failed: {errors:?}"))
    }

    fn errors(q: &str) -> Vec<(String, String)> {
        match parse_search_query(q) {
            Ok(filter) => panic!("{q:?} parsed as {filter:?}"),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.detail)).collect(),
        }
    }

    fn error(q: &str) -> (String, String) {
        let mut all = errors(q);
        assert_eq!(all.len(), 1, "{q:?} gave {all:?}");
        all.remove(0)
    }

    fn pair(field: &str, detail: &str) -> (String, String) {
        (field.to_owned(), detail.to_owned())
    }

    #[test]
    fn every_key() {
        let q = format!(
            "request_id:{R} resource_id:{R} resource_target:dev username:alice \
             email:Alice@Example.com date_from:2023-01-02 date_to:2023-01-16 organization:acme \
             resource_type:workspace_build action:start build_reason:autostart"
        );
        assert_eq!(
            parsed(&q),
            AuditLogFilter {
                request_id: Some(R),
                resource_id: Some(R),
                resource_target: Some("dev".into()),
                username: Some(UserRef::Username("alice".into())),
                email: Some("alice@example.com".into()),
                date_from: Some(Utc.with_ymd_and_hms(2023, 1, 2, 0, 0, 0).unwrap()),
                date_to: Some(Utc.with_ymd_and_hms(2023, 1, 16, 23, 59, 59).unwrap()),
                organization: Some(OrganizationRef::Name("acme".into())),
                resource_type: Some(ResourceType::WorkspaceBuild),
                action: Some(AuditAction::Start),
                build_reason: Some(BuildReason::Autostart),
            }
        );
        assert_eq!(
            parsed(&format!("organization:{R}")).organization,
            Some(OrganizationRef::Id(R))
        );
        assert_eq!(parsed(""), AuditLogFilter::default());
        // Keys and values are lower-cased with the whole query.
        assert_eq!(parsed("ACTION:DELETE").action, Some(AuditAction::Delete));
    }

    #[test]
    fn every_value_of_the_enumerated_keys() {
        for kind in ResourceType::ALL {
            assert_eq!(
                parsed(&format!("resource_type:{kind}")).resource_type,
                Some(kind)
            );
        }
        for action in AuditAction::iter() {
            assert_eq!(
                parsed(&format!("action:{}", action.to_value())).action,
                Some(action)
            );
        }
        for reason in BuildReason::iter() {
            assert_eq!(
                parsed(&format!("build_reason:{}", reason.to_value())).build_reason,
                Some(reason)
            );
        }
    }

    #[test]
    fn me_is_the_caller() {
        assert_eq!(parsed("username:me").username, Some(UserRef::Me));
        assert_eq!(parsed("username:ME").username, Some(UserRef::Me));
    }

    #[test]
    fn a_bare_word_is_a_resource_type() {
        assert_eq!(
            parsed("workspace").resource_type,
            Some(ResourceType::Workspace)
        );
        assert_eq!(
            parsed("Template action:create"),
            AuditLogFilter {
                resource_type: Some(ResourceType::Template),
                action: Some(AuditAction::Create),
                ..AuditLogFilter::default()
            }
        );
        assert_eq!(
            error("workspaces"),
            pair(
                "resource_type",
                r#"Query param "resource_type" has invalid value: "workspaces" is not a valid value"#
            )
        );
        // Words are joined into one value, as Coder does.
        assert_eq!(
            error("workspace build").1,
            r#"Query param "resource_type" has invalid value: "workspace build" is not a valid value"#
        );
        assert_eq!(
            error("user resource_type:group").1,
            r#"Query param "resource_type" provided more than once, found 2 times. Only provide 1 instance of this query param."#
        );
    }

    #[test]
    fn every_error() {
        let cases = [
            (
                ":foo",
                "q",
                r#"Query element ":foo" cannot start or end with ':'"#,
            ),
            (
                "action:",
                "q",
                r#"Query element "action:" cannot start or end with ':'"#,
            ),
            (
                "action:create:x",
                "q",
                r#"Query element "action:create:x" can only contain 1 ':'"#,
            ),
            ("foo:bar", "foo", r#""foo" is not a valid query param"#),
            (
                "action:create action:write",
                "action",
                r#"Query param "action" provided more than once, found 2 times. Only provide 1 instance of this query param."#,
            ),
            (
                "resource_type:x",
                "resource_type",
                r#"Query param "resource_type" has invalid value: "x" is not a valid value"#,
            ),
            (
                "action:request_password_reset",
                "action",
                r#"Query param "action" has invalid value: "request_password_reset" is not a valid value"#,
            ),
            (
                "build_reason:manual",
                "build_reason",
                r#"Query param "build_reason" has invalid value: "manual" is not a valid value"#,
            ),
            (
                "resource_id:abc",
                "resource_id",
                r#"Query param "resource_id" must be a valid uuid"#,
            ),
            (
                "request_id:abc",
                "request_id",
                r#"Query param "request_id" must be a valid uuid"#,
            ),
            (
                "date_from:2023",
                "date_from",
                r#"Query param "date_from" must be a valid date format (2006-01-02): parsing time "2023" as "2006-01-02": cannot parse "" as "-""#,
            ),
            (
                "date_to:2023-02-30",
                "date_to",
                r#"Query param "date_to" must be a valid date format (2006-01-02): parsing time "2023-02-30": day out of range"#,
            ),
        ];
        for (q, field, detail) in cases {
            assert_eq!(error(q), pair(field, detail), "query {q:?}");
        }
    }

    #[test]
    fn errors_come_in_key_order_then_unknown_keys() {
        let parse = parse_search_query_partially(
            "zzz:1 build_reason:x action:x organization:nope date_from:x resource_id:x",
        );
        let fields: Vec<&str> = parse.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["resource_id", "date_from", "action", "build_reason", "zzz"]
        );
        // An unknown organization's error goes after date_from's.
        assert_eq!(parse.organization_error_at, 2);
        assert_eq!(
            parse.filter.organization,
            Some(OrganizationRef::Name("nope".into()))
        );
    }

    #[test]
    fn empty_values_are_absent() {
        assert_eq!(parsed(r#"action:"" email:"""#), AuditLogFilter::default());
    }
}
