//! Property tests of the workspace filter parser: it never panics, whatever the string, and
//! its answer depends only on the terms, not on how they are spaced.

use proptest::prelude::*;

use super::filter::{WorkspaceFilter, WorkspaceStatus, parse_filter};

/// Terms near the language: known keys with good and bad values, colons in odd places, and
/// case and Unicode that lower-casing changes.
fn term() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => prop::sample::select(vec!["owner", "template", "name", "status"]),
        1 => prop::sample::select(vec!["", "OWNER", "Status", "color", "q", "İ"]),
    ];
    let status = prop::sample::select(
        WorkspaceStatus::ALL
            .iter()
            .map(|s| s.as_str().to_owned())
            .chain(["RUNNING", "Deleted", "İ", "sleeping", ""].map(str::to_owned))
            .collect::<Vec<_>>(),
    );
    let value = prop_oneof![
        3 => "[a-zA-Z0-9_-]{0,10}",
        2 => status,
        1 => Just("me".to_owned()),
        1 => "[:\"']{1,3}",
        1 => any::<String>(),
    ];
    prop_oneof![
        4 => (key, value).prop_map(|(key, value)| format!("{key}:{value}")),
        1 => "[a-z0-9-]{1,10}",
        1 => "[:]{1,3}[a-z]{0,3}",
    ]
}

/// Whitespace as `split_whitespace` knows it, Unicode included.
fn spacing() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            ' ', '\t', '\n', '\r', '\u{a0}', '\u{2003}', '\u{3000}',
        ]),
        1..4,
    )
    .prop_map(|spaces| spaces.into_iter().collect())
}

/// What holds for every result: errors, when there are any, are listed; `owner:me` is the
/// caller; a status is one of the known ones.
fn check(filter: &str, me: &str) -> Result<Option<WorkspaceFilter>, TestCaseError> {
    match parse_filter(filter, me) {
        Ok(parsed) => {
            if filter.split_whitespace().any(|term| term == "owner:me") {
                let owner = filter
                    .split_whitespace()
                    .filter_map(|term| term.strip_prefix("owner:"))
                    .next_back()
                    .map(|value| if value == "me" { me } else { value });
                prop_assert_eq!(parsed.owner.as_deref(), owner);
            }
            Ok(Some(parsed))
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty(), "no errors listed for {:?}", filter);
            Ok(None)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_strings(filter in any::<String>(), me in any::<String>()) {
        check(&filter, &me)?;
    }

    #[test]
    fn never_panics_on_filter_like_strings(
        terms in prop::collection::vec(term(), 0..6),
        me in "[a-z]{1,8}",
    ) {
        check(&terms.join(" "), &me)?;
    }

    #[test]
    fn spacing_between_terms_does_not_matter(
        terms in prop::collection::vec(term(), 0..6),
        spaces in prop::collection::vec(spacing(), 6),
    ) {
        let single = terms.join(" ");
        let mut spaced = spaces[0].clone();
        for (term, space) in terms.iter().zip(spaces.iter().skip(1)) {
            spaced.push_str(term);
            spaced.push_str(space);
        }
        prop_assert_eq!(parse_filter(&single, "me"), parse_filter(&spaced, "me"));
    }
}
