//! Tests of the search-string parser: Coder's error table and parser cases (see
//! docs/rules/connection-log.md), the tokeniser's corners, and properties over arbitrary input.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use uuid::{Uuid, uuid};

use super::*;
use crate::domain::search::{ME, go_to_lower, split_outside_quotes};

const W: Uuid = uuid!("5f3c1a2e-8d4b-4c6a-9e7f-0a1b2c3d4e5f");
const C: Uuid = uuid!("0c9d8e7f-6a5b-4c3d-8e1f-a0b1c2d3e4f5");

/// The errors for `q` as `(field, detail)` pairs; panics if it parsed.
fn errors(q: &str) -> Vec<(String, String)> {
    match parse_search_query(q) {
        Ok(filter) => panic!("{q:?} parsed as {filter:?}"),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.detail)).collect(),
    }
}

/// The one error for `q`.
fn error(q: &str) -> (String, String) {
    let mut all = errors(q);
    assert_eq!(all.len(), 1, "{q:?} gave {all:?}");
    all.remove(0)
}

fn parsed(q: &str) -> ConnectionLogFilter {
    parse_search_query(q).unwrap_or_else(|errors| panic!("{q:?} failed: {errors:?}"))
}

fn pair(field: &str, detail: &str) -> (String, String) {
    (field.to_owned(), detail.to_owned())
}

// --- Every row of the error table -------------------------------------------------------------

/// The error table as `(query, field, detail)`, shared with the HTTP acceptance test.
fn error_table() -> Vec<(String, String, String)> {
    serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/connection_log_search_errors.json"
    )))
    .expect("the error table is JSON")
}

#[test]
fn error_table_rows() {
    let table = error_table();
    assert_eq!(table.len(), 12);
    // The organization row needs a lookup: the query layer reports it (next test).
    for (q, field, detail) in table.into_iter().filter(|(_, f, _)| f != "organization") {
        assert_eq!(error(&q), (field, detail), "query {q:?}");
    }
}

#[test]
fn error_table_organization_row_comes_from_the_caller() {
    // Parsing cannot know the organization exists; it hands the name over ...
    assert_eq!(
        parsed("organization:nope").organization,
        Some(OrganizationRef::Name("nope".to_owned()))
    );
    // ... and the caller reports a failed lookup with this error.
    let err = organization_not_found("nope");
    assert_eq!(err.field, "organization");
    assert_eq!(
        err.detail,
        r#"Query param "organization" has invalid value: organization "nope" either does not exist, or you are unauthorized to view it"#
    );
}

#[test]
fn other_keys_have_the_same_error_shapes() {
    assert_eq!(
        error("connection_id:123"),
        pair(
            "connection_id",
            r#"Query param "connection_id" must be a valid uuid"#
        )
    );
    assert_eq!(
        error(r#"connected_before:"2023-13-01T00:00:00Z""#),
        pair(
            "connected_before",
            r#"Query param "connected_before" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): input is out of range"#
        )
    );
    assert_eq!(
        error("status:ongoing status:completed status:ongoing").1,
        r#"Query param "status" provided more than once, found 3 times. Only provide 1 instance of this query param."#
    );
}

// --- Coder's parser test cases ----------------------------------------------------------------

#[test]
fn coder_case_all() {
    let q = format!(
        "organization:testorg workspace_owner:testowner workspace_owner_email:owner@example.com \
         type:port_forwarding username:testuser user_email:test@example.com \
         connected_after:\"2023-01-01T00:00:00Z\" connected_before:\"2023-01-16T12:00:00+12:00\" \
         workspace_id:{W} connection_id:{C} status:ongoing"
    );
    assert_eq!(
        parsed(&q),
        ConnectionLogFilter {
            organization: Some(OrganizationRef::Name("testorg".to_owned())),
            workspace_owner: Some(UserRef::Username("testowner".to_owned())),
            workspace_owner_email: Some("owner@example.com".to_owned()),
            connection_type: Some(ConnectionType::PortForwarding),
            username: Some(UserRef::Username("testuser".to_owned())),
            user_email: Some("test@example.com".to_owned()),
            connected_after: Some(Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()),
            // +12:00 is normalised to UTC.
            connected_before: Some(Utc.with_ymd_and_hms(2023, 1, 16, 0, 0, 0).unwrap()),
            workspace_id: Some(W),
            connection_id: Some(C),
            status: Some(ConnectionStatus::Ongoing),
        }
    );
}

#[test]
fn coder_case_me() {
    assert_eq!(
        parsed("username:me workspace_owner:me"),
        ConnectionLogFilter {
            username: Some(UserRef::Me),
            workspace_owner: Some(UserRef::Me),
            ..ConnectionLogFilter::default()
        }
    );
}

#[test]
fn me_is_only_special_for_username_and_workspace_owner() {
    let filter = parsed("workspace_owner_email:me user_email:me organization:me");
    assert_eq!(filter.workspace_owner_email.as_deref(), Some("me"));
    assert_eq!(filter.user_email.as_deref(), Some("me"));
    assert_eq!(
        filter.organization,
        Some(OrganizationRef::Name("me".to_owned()))
    );
    // `ME` is lower-cased with the rest of the query first.
    assert_eq!(parsed("username:ME").username, Some(UserRef::Me));
}

// --- Coder's generic tokeniser cases -----------------------------------------------------------

#[test]
fn generic_tokeniser_cases() {
    assert_eq!(
        error("search:name:extra"),
        pair(
            "q",
            r#"Query element "search:name:extra" can only contain 1 ':'"#
        )
    );
    assert_eq!(
        error("foo:bar"),
        pair("foo", r#""foo" is not a valid query param"#)
    );
    assert_eq!(error(":foo").0, "q");
    assert!(
        error("type:ssh type:ssh")
            .1
            .contains("provided more than once")
    );
    assert_eq!(parsed(r#""type":ssh"#), parsed("type:ssh"));
    assert_eq!(parsed("TYPE:SSH"), parsed("type:ssh"));
    assert_eq!(
        parsed("type:ssh").connection_type,
        Some(ConnectionType::Ssh)
    );
}

#[test]
fn runs_of_spaces_are_ignored() {
    assert_eq!(
        parsed("   type:ssh      status:completed   "),
        ConnectionLogFilter {
            connection_type: Some(ConnectionType::Ssh),
            status: Some(ConnectionStatus::Completed),
            ..ConnectionLogFilter::default()
        }
    );
    assert_eq!(parsed(""), ConnectionLogFilter::default());
    assert_eq!(parsed("     "), ConnectionLogFilter::default());
}

#[test]
fn quoted_values_keep_spaces_and_colons() {
    let filter = parsed(r#"username:"Jane Doe" user_email:"a:b@example.com""#);
    assert_eq!(
        filter.username,
        Some(UserRef::Username("jane doe".to_owned()))
    );
    assert_eq!(filter.user_email.as_deref(), Some("a:b@example.com"));
    // Quotes in the middle of a token group too.
    assert_eq!(
        parsed(r#"user_email:"x y"z"#).user_email.as_deref(),
        Some("x y\"z"),
        "only the outer quotes are stripped, as Go's strings.Trim does"
    );
}

#[test]
fn free_text_is_one_element_after_the_keyed_ones() {
    // Several free words are one `search` element: one error, not three.
    assert_eq!(
        errors("alpha type:nope beta gamma"),
        vec![
            pair(
                "type",
                r#"Query param "type" has invalid value: "nope" is not a valid value"#
            ),
            pair("search", r#""search" is not a valid query param"#),
        ]
    );
    // A quoted colon does not make a key, so this is free text too.
    assert_eq!(
        error(r#""a:b""#),
        pair("search", r#""search" is not a valid query param"#)
    );
}

#[test]
fn empty_values_mean_absent() {
    assert_eq!(parsed(r#"type:"""#), ConnectionLogFilter::default());
    assert_eq!(
        parsed(r#"workspace_id:"" connected_after:"""#),
        ConnectionLogFilter::default()
    );
    // Go reads only the first value to decide absence, so this is not a duplicate.
    assert_eq!(
        parsed(r#"type:"" type:ssh"#),
        ConnectionLogFilter::default()
    );
    // But an empty second value still counts towards "more than once".
    assert!(error(r#"type:ssh type:"""#).1.contains("found 2 times"));
}

#[test]
fn go_fields_func_drops_empty_pieces() {
    // `a::b` splits into two parts, as `strings.FieldsFunc` drops the empty middle field.
    assert_eq!(
        parsed("type::ssh").connection_type,
        Some(ConnectionType::Ssh)
    );
}

#[test]
fn malformed_elements_abort_with_one_error() {
    // Even with other bad keys before it, a malformed element is the only error.
    assert_eq!(
        errors("type:telnet foo:bar a:b:c workspace_id:x"),
        vec![pair("q", r#"Query element "a:b:c" can only contain 1 ':'"#)]
    );
    // Quotes stay in the element shown.
    assert_eq!(
        error(r#""type":ssh:x"#),
        pair(
            "q",
            r#"Query element "\"type\":ssh:x" can only contain 1 ':'"#
        )
    );
    // An unbalanced quote quotes the rest of the query.
    assert_eq!(
        parsed(r#"user_email:"a b:c type:x"#).user_email.as_deref(),
        Some("a b:c type:x")
    );
}

#[test]
fn several_errors_come_out_in_key_order_then_unknown_keys() {
    let q = "zzz:1 status:nope connection_id:x aaa:2 connected_before:\"x\" free \
             type:ssh type:vscode connected_after:\"2023-01-01\" workspace_id:y";
    assert_eq!(
        errors(q),
        vec![
            pair(
                "type",
                r#"Query param "type" provided more than once, found 2 times. Only provide 1 instance of this query param."#
            ),
            pair(
                "connected_after",
                r#"Query param "connected_after" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): premature end of input"#
            ),
            pair(
                "connected_before",
                r#"Query param "connected_before" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): premature end of input"#
            ),
            pair(
                "workspace_id",
                r#"Query param "workspace_id" must be a valid uuid"#
            ),
            pair(
                "connection_id",
                r#"Query param "connection_id" must be a valid uuid"#
            ),
            pair(
                "status",
                r#"Query param "status" has invalid value: "nope" is not a valid value"#
            ),
            pair("zzz", r#""zzz" is not a valid query param"#),
            pair("aaa", r#""aaa" is not a valid query param"#),
            pair("search", r#""search" is not a valid query param"#),
        ]
    );
}

#[test]
fn unknown_keys_are_reported_once_each() {
    assert_eq!(
        errors("foo:1 foo:2 search:x bar"),
        vec![
            pair("foo", r#""foo" is not a valid query param"#),
            pair("search", r#""search" is not a valid query param"#),
        ]
    );
}

// --- Values -------------------------------------------------------------------------------------

#[test]
fn timestamps() {
    let at = |q: &str| parsed(&format!("connected_after:\"{q}\"")).connected_after;
    assert_eq!(
        at("2023-01-01T00:00:00.123456789Z"),
        Some(
            Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()
                + chrono::TimeDelta::nanoseconds(123_456_789)
        )
    );
    assert_eq!(
        at("2023-06-30T23:30:00-01:30"),
        Some(Utc.with_ymd_and_hms(2023, 7, 1, 1, 0, 0).unwrap())
    );
    // Lower-case as typed, or as left by lower-casing the query.
    assert_eq!(at("2023-01-01t00:00:00z"), at("2023-01-01T00:00:00Z"));

    let detail = |q: &str| error(&format!("connected_after:\"{q}\"")).1;
    let prefix = r#"Query param "connected_after" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): "#;
    for bad in [
        "2023-01-01",
        "2023-01-01T00:00:00",
        "2023-01-01 00:00:00Z",
        "2023-01-01T00:00:60Z",
        "2023-01-01T00:00:00.Z",
        "2023-01-01T00:00:00+1200",
        "yesterday",
    ] {
        assert!(detail(bad).starts_with(prefix), "{bad}: {}", detail(bad));
    }
    assert_eq!(
        detail("2023-01-01 00:00:00Z"),
        format!("{prefix}input contains invalid characters")
    );
    assert_eq!(
        detail("2023-01-01T00:00:60Z"),
        format!("{prefix}input is out of range")
    );
}

#[test]
fn uuids_in_the_forms_go_accepts() {
    let id = uuid!("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d");
    for form in [
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D",
        "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d",
        "{a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d}",
        "\"urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d\"",
    ] {
        let filter = parsed(&format!(
            "workspace_id:{form} connection_id:{form} organization:{form}"
        ));
        assert_eq!(filter.workspace_id, Some(id), "{form}");
        assert_eq!(filter.connection_id, Some(id), "{form}");
        assert_eq!(filter.organization, Some(OrganizationRef::Id(id)), "{form}");
    }
}

#[test]
fn every_connection_type_and_status() {
    for t in ConnectionType::ALL {
        assert_eq!(parsed(&format!("type:{t}")).connection_type, Some(t));
        assert_eq!(t.as_str().parse::<ConnectionType>(), Ok(t));
    }
    for s in ConnectionStatus::ALL {
        assert_eq!(parsed(&format!("status:{s}")).status, Some(s));
        assert_eq!(s.as_str().parse::<ConnectionStatus>(), Ok(s));
    }
    let web: Vec<_> = ConnectionType::ALL
        .into_iter()
        .filter(|t| t.is_web())
        .collect();
    assert_eq!(
        web,
        [ConnectionType::WorkspaceApp, ConnectionType::PortForwarding]
    );
    assert_eq!(
        "SSH".parse::<ConnectionType>(),
        Err(InvalidValue("SSH".to_owned())),
        "FromStr is exact; only the search lower-cases"
    );
    assert_eq!(
        InvalidValue("connected".to_owned()).to_string(),
        r#""connected" is not a valid value"#
    );
}

#[test]
fn emails_are_lower_cased() {
    let filter = parsed("workspace_owner_email:Owner@Example.COM user_email:X@Y.Z");
    assert_eq!(
        filter.workspace_owner_email.as_deref(),
        Some("owner@example.com")
    );
    assert_eq!(filter.user_email.as_deref(), Some("x@y.z"));
}

// --- Go formatting ----------------------------------------------------------------------------

#[test]
fn details_quote_keys_as_go_does() {
    assert_eq!(
        error("fo\u{1}o:bar"),
        pair("fo\u{1}o", r#""fo\x01o" is not a valid query param"#)
    );
}

#[test]
fn go_lower_case_mapping() {
    // Word-final sigma stays σ, and İ becomes a plain i, as with Go's strings.ToLower.
    assert_eq!(go_to_lower("ΟΔΟΣ İSTANBUL"), "οδοσ istanbul");
    assert_eq!(
        parsed("username:ΟΔΟΣ").username,
        Some(UserRef::Username("οδοσ".to_owned()))
    );
}

#[test]
fn split_outside_quotes_like_go_fields_func() {
    assert_eq!(split_outside_quotes("  a  b ", ' '), ["a", "b"]);
    assert_eq!(
        split_outside_quotes(r#"a:"b c" d"#, ' '),
        [r#"a:"b c""#, "d"]
    );
    assert_eq!(split_outside_quotes("::a::b::", ':'), ["a", "b"]);
    assert!(split_outside_quotes("", ' ').is_empty());
}

// --- Properties -----------------------------------------------------------------------------------

/// Fragments that exercise the tokeniser: keys, delimiters, quotes and odd characters.
fn query_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            KEYS.iter()
                .copied()
                .chain([
                    ":",
                    "\"",
                    " ",
                    "  ",
                    "me",
                    "search",
                    "foo",
                    "İ",
                    "Σ",
                    "\u{0}",
                    "\t",
                    "2023-01-01T00:00:00Z",
                    "+12:00",
                    ".5",
                    "5f3c1a2e-8d4b-4c6a-9e7f-0a1b2c3d4e5f",
                    "ssh",
                    "ongoing",
                    "{",
                    "}",
                    "urn:uuid:",
                ])
                .collect::<Vec<_>>()
        )
        .prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
        "[a-z0-9_:\" -]{0,8}",
    ]
}

fn structured_query() -> impl Strategy<Value = String> {
    prop::collection::vec(query_fragment(), 0..24).prop_map(|parts| parts.concat())
}

/// A non-empty value the parser can give back: already lower-case (by Go's mapping) and free of
/// double quotes.
fn value_string() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9._@+ :-]{1,16}", any::<String>()]
        .prop_map(|s| go_to_lower(&s).replace('"', ""))
        .prop_filter("representable", |s| !s.is_empty() && go_to_lower(s) == *s)
}

fn user_ref() -> impl Strategy<Value = UserRef> {
    prop_oneof![
        Just(UserRef::Me),
        value_string()
            .prop_filter("not me", |s| s != ME)
            .prop_map(UserRef::Username),
    ]
}

fn organization_ref() -> impl Strategy<Value = OrganizationRef> {
    prop_oneof![
        any::<u128>().prop_map(|n| OrganizationRef::Id(Uuid::from_u128(n))),
        value_string()
            .prop_filter("not a uuid", |s| Uuid::parse_str(s).is_err())
            .prop_map(OrganizationRef::Name),
    ]
}

fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    // 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z: what four-digit RFC 3339 years can say.
    (-62_167_219_200_i64..=253_402_300_799, 0_u32..1_000_000_000)
        .prop_filter_map("in range", |(secs, nanos)| {
            DateTime::from_timestamp(secs, nanos)
        })
}

fn any_filter() -> impl Strategy<Value = ConnectionLogFilter> {
    let uuid = || any::<u128>().prop_map(Uuid::from_u128);
    (
        prop::option::of(organization_ref()),
        prop::option::of(user_ref()),
        prop::option::of(value_string()),
        prop::option::of(prop::sample::select(ConnectionType::ALL.to_vec())),
        prop::option::of(user_ref()),
        prop::option::of(value_string()),
        prop::option::of(timestamp()),
        prop::option::of(timestamp()),
        prop::option::of(uuid()),
        prop::option::of(uuid()),
        prop::option::of(prop::sample::select(ConnectionStatus::ALL.to_vec())),
    )
        .prop_map(
            |(
                organization,
                workspace_owner,
                workspace_owner_email,
                connection_type,
                username,
                user_email,
                connected_after,
                connected_before,
                workspace_id,
                connection_id,
                status,
            )| ConnectionLogFilter {
                organization,
                workspace_owner,
                workspace_owner_email,
                connection_type,
                username,
                user_email,
                connected_after,
                connected_before,
                workspace_id,
                connection_id,
                status,
            },
        )
}

/// What holds for every result, good or bad.
fn check_result(q: &str) -> Result<(), TestCaseError> {
    match parse_search_query(q) {
        Ok(_) => {}
        Err(errors) => {
            prop_assert!(
                !errors.is_empty(),
                "an error result with no errors for {q:?}"
            );
            // A tokeniser error (field `q`, "Query element …") aborts parsing and stands
            // alone. A user's own key named `q` is just an unknown key, reported with others.
            if errors
                .iter()
                .any(|e| e.field == "q" && e.detail.starts_with("Query element"))
            {
                prop_assert_eq!(errors.len(), 1, "a q error is reported alone: {:?}", errors);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_strings(q in any::<String>()) {
        check_result(&q)?;
    }

    #[test]
    fn never_panics_on_query_like_strings(q in structured_query()) {
        check_result(&q)?;
    }

    #[test]
    fn keys_and_values_are_case_insensitive(q in structured_query()) {
        prop_assert_eq!(parse_search_query(&q), parse_search_query(&q.to_ascii_uppercase()));
    }

    #[test]
    fn a_filter_round_trips_through_its_query(filter in any_filter()) {
        let q = filter.to_search_query();
        prop_assert_eq!(parse_search_query(&q), Ok(filter), "query {}", q);
    }
}

#[test]
fn to_search_query_reads_naturally() {
    let filter = ConnectionLogFilter {
        connection_type: Some(ConnectionType::Ssh),
        username: Some(UserRef::Me),
        user_email: Some("a@b.c".to_owned()),
        connected_after: Some(Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()),
        ..ConnectionLogFilter::default()
    };
    assert_eq!(
        filter.to_search_query(),
        r#"type:ssh username:me user_email:"a@b.c" connected_after:"2023-01-01T00:00:00Z""#
    );
    assert_eq!(ConnectionLogFilter::default().to_search_query(), "");
}

/// Found by the property test: a key literally named `q` is an unknown key like any other,
/// reported together with the free-text error.
#[test]
fn a_key_named_q_is_an_unknown_key() {
    let errors = parse_search_query("a q:a").expect_err("invalid");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["q", "search"]);
    assert_eq!(errors[0].detail, "\"q\" is not a valid query param");
}

#[test]
fn a_partial_parse_keeps_the_keys_that_parsed() {
    let (filter, errors) = parse_search_query_partially("organization:nope type:telnet");
    assert_eq!(
        filter.organization,
        Some(OrganizationRef::Name("nope".into()))
    );
    assert_eq!(filter.connection_type, None);
    assert_eq!(
        errors
            .into_iter()
            .map(|e| (e.field, e.detail))
            .collect::<Vec<_>>(),
        vec![pair(
            "type",
            r#"Query param "type" has invalid value: "telnet" is not a valid value"#
        )]
    );
    let (filter, errors) = parse_search_query_partially("organization:nope type:ssh:x");
    assert_eq!(
        filter,
        ConnectionLogFilter::default(),
        "after a malformed element"
    );
    assert_eq!(errors.len(), 1);
}
