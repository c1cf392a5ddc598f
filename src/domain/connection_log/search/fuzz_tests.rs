//! What `tests.rs`'s properties leave out: the partial parse, which the query layer uses to
//! report an unknown organization together with the other errors, agrees with the full one.

use proptest::prelude::*;

use super::{KEYS, parse_search_query, parse_search_query_partially};

/// `key:value` terms with the real keys, quoted or not, and stray colons and quotes.
fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
        1 => "[A-Za-z_\"]{0,8}",
    ];
    let value = prop_oneof![
        "[a-z0-9_.@-]{0,10}",
        "\"[a-z0-9 :._-]{0,12}\"",
        prop::sample::select(vec![
            "me",
            "ssh",
            "ongoing",
            "\"2023-01-01T00:00:00Z\"",
            "İ",
            ":"
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ];
    let term = prop_oneof![
        5 => (key, value).prop_map(|(key, value)| format!("{key}:{value}")),
        1 => "[a-z\":]{0,6}",
    ];
    prop::collection::vec(term, 0..6).prop_map(|terms| terms.join(" "))
}

fn agree(q: &str) -> Result<(), TestCaseError> {
    let (filter, errors) = parse_search_query_partially(q);
    match parse_search_query(q) {
        Ok(full) => {
            prop_assert!(errors.is_empty(), "{:?}: {:?}", q, errors);
            prop_assert_eq!(filter, full);
        }
        Err(full) => prop_assert_eq!(errors, full),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_partial_parse_agrees_on_arbitrary_strings(q in any::<String>()) {
        agree(&q)?;
    }

    #[test]
    fn the_partial_parse_agrees_on_queries(q in query()) {
        agree(&q)?;
    }
}
