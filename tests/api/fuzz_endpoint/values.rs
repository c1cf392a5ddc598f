//! Generated input values: one representation that renders both as a GraphQL literal and as
//! JSON, and the strategies for strings, numbers and domain texts (search filters, cron
//! schedules, Terraform sources, license JWTs) that reach the parsers behind the API.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{Value, json};

use crate::helpers::MAIN_TF;

/// Values nest at most this deep inside a GraphQL document: far past the 64 levels of
/// brackets the endpoint accepts. async-graphql's parser recurses once per level and a few
/// hundred levels would overflow a worker's stack, so deeper documents must be refused
/// before they are parsed.
pub(super) const MAX_DOCUMENT_VALUE_DEPTH: usize = 1_000;

/// JSON nests at most this deep: well past serde_json's limit of 128, which must give a 400.
pub(super) const MAX_JSON_DEPTH: usize = 1_000;

/// A value as both GraphQL and JSON can write it.
#[derive(Debug, Clone)]
pub(super) enum Val {
    Null,
    Bool(bool),
    /// Number text, valid in both syntaxes: `-0`, `1e400`, `18446744073709551616`.
    Num(String),
    Str(Text),
    Enum(String),
    List(Vec<Val>),
    Object(Vec<(String, Val)>),
    /// `$name` in GraphQL; in JSON, the string `"$name"`.
    Var(String),
}

/// String contents.
#[derive(Debug, Clone)]
pub(super) enum Text {
    Plain(String),
    /// Already escaped, and the same in both syntaxes: `\ud800`, lone surrogates included.
    Escaped(&'static str),
}

impl Val {
    /// A plain string.
    pub(super) fn str(s: impl Into<String>) -> Val {
        Val::Str(Text::Plain(s.into()))
    }

    /// The GraphQL literal.
    pub(super) fn graphql(&self, out: &mut String) {
        match self {
            Val::Null => out.push_str("null"),
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Num(text) => out.push_str(text),
            Val::Str(Text::Plain(s)) => {
                out.push('"');
                for c in s.chars() {
                    // Only what would end the literal is escaped; NUL and other controls go
                    // through raw, for the parser to judge.
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Val::Str(Text::Escaped(s)) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Val::Enum(name) => out.push_str(name),
            Val::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.graphql(out);
                }
                out.push(']');
            }
            Val::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push_str(": ");
                    value.graphql(out);
                }
                out.push('}');
            }
            Val::Var(name) => {
                out.push('$');
                out.push_str(name);
            }
        }
    }

    fn json(&self, out: &mut String) {
        match self {
            Val::Null | Val::Bool(_) | Val::Num(_) | Val::Str(Text::Escaped(_)) => {
                self.graphql(out)
            }
            Val::Str(Text::Plain(s)) => out.push_str(&Value::from(s.as_str()).to_string()),
            Val::Enum(name) => out.push_str(&Value::from(name.as_str()).to_string()),
            Val::Var(name) => out.push_str(&Value::from(format!("${name}")).to_string()),
            Val::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.json(out);
                }
                out.push(']');
            }
            Val::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push(':');
                    value.json(out);
                }
                out.push('}');
            }
        }
    }

    /// The JSON text.
    pub(super) fn to_json(&self) -> String {
        let mut out = String::new();
        self.json(&mut out);
        out
    }
}

/// Strings that have broken parsers, queries and databases before.
const SPECIAL_STRINGS: &[&str] = &[
    "",
    " ",
    "\0",
    "a\0b",
    "\0\0\0\0",
    "me",
    "admin",
    "admin@example.com",
    "null",
    "undefined",
    "'; DROP TABLE users; --",
    "%s%s%n",
    "../../../../etc/passwd",
    "\u{202e}gnp.exe",
    "\u{feff}",
    "\u{fffd}",
    "\u{ffff}",
    "\u{10ffff}",
    "👩‍👩‍👧‍👦",
    "e\u{301}\u{301}\u{301}",
    "İı",
    "ß",
    "\r\n\t",
    "\\",
    "\"",
    "${var.x}",
    "%{ if true }x%{ endif }",
    "{{7*7}}",
    "<script>alert(1)</script>",
];

/// Escapes that decode to valid text: a surrogate pair, NUL.
const VALID_ESCAPES: &[&str] = &["\\ud83d\\ude00", "\\u0000", "x\\u0000y"];

/// Escapes of lone surrogates, which no UTF-8 string can hold: both parsers must refuse them.
const LONE_SURROGATES: &[&str] = &[
    "\\ud800",
    "\\udfff",
    "a\\ud800b",
    "\\udc00\\ud800",
    "\\ud800\\u0000",
];

/// Number texts at the edges of i32, i64, u64, f64 and JSON.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890123456789",
    "0.0",
    "1.5",
    "-1.5",
    "1e3",
    "1E-7",
    "1e308",
    "1e309",
    "-1e400",
    "2.5e-400",
];

/// Any text: short, arbitrary Unicode, known troublemakers, NUL-bearing, and up to a few
/// hundred kilobytes.
pub(super) fn plain_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z0-9_-]{0,12}",
        3 => any::<String>(),
        3 => prop::sample::select(SPECIAL_STRINGS).prop_map(str::to_owned),
        2 => ("[a-z]{0,4}", 1usize..4, "[a-z]{0,4}")
            .prop_map(|(a, n, b)| format!("{a}{}{b}", "\0".repeat(n))),
        1 => (1_000usize..300_000).prop_map(|n| "x".repeat(n)),
    ]
    .boxed()
}

/// A string value; with `chaos`, also lone surrogates, which no request may carry.
pub(super) fn text(chaos: bool) -> BoxedStrategy<Val> {
    let escapes = if chaos {
        [VALID_ESCAPES, LONE_SURROGATES].concat()
    } else {
        VALID_ESCAPES.to_vec()
    };
    prop_oneof![
        8 => plain_text().prop_map(Val::str),
        1 => prop::sample::select(escapes).prop_map(|s| Val::Str(Text::Escaped(s))),
    ]
    .boxed()
}

/// Any number text, in range for GraphQL's `Int` or not.
pub(super) fn number() -> BoxedStrategy<Val> {
    prop_oneof![
        4 => (-5i64..1_000).prop_map(|n| n.to_string()),
        3 => prop::sample::select(EDGE_NUMBERS).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => finite_float(),
    ]
    .prop_map(Val::Num)
    .boxed()
}

/// A number GraphQL's `Int` accepts: small ones and the edges of i32.
pub(super) fn int32() -> BoxedStrategy<Val> {
    prop_oneof![
        4 => -5i32..1_000,
        1 => prop::sample::select(vec![i32::MIN, i32::MAX, 0]),
        1 => any::<i32>(),
    ]
    .prop_map(|n| Val::Num(n.to_string()))
    .boxed()
}

/// A whole number of the 64-bit scalars (`Int64`, `Milliseconds`).
pub(super) fn int64() -> BoxedStrategy<Val> {
    prop_oneof![
        2 => -5i64..100_000,
        1 => prop::sample::select(vec![i64::MIN, i64::MAX, 0, -1, 60_000]),
        1 => any::<i64>(),
    ]
    .prop_map(|n| Val::Num(n.to_string()))
    .boxed()
}

/// A duration in milliseconds as the `Milliseconds` scalar accepts it: 0 to 2^53 - 1.
pub(super) fn milliseconds() -> BoxedStrategy<Val> {
    prop_oneof![
        2 => 0i64..10_000_000,
        1 => prop::sample::select(vec![0, 59_999, 60_000, 3_600_000, (1 << 53) - 1]),
        1 => 0i64..(1 << 53),
    ]
    .prop_map(|n| Val::Num(n.to_string()))
    .boxed()
}

/// A finite float as Rust prints it, which both syntaxes read (`1e300`, `0.5`).
pub(super) fn float() -> BoxedStrategy<Val> {
    finite_float().prop_map(Val::Num).boxed()
}

fn finite_float() -> BoxedStrategy<String> {
    any::<f64>()
        .prop_filter("finite", |f| f.is_finite())
        .prop_map(|f| format!("{f:?}"))
        .boxed()
}

/// `[[[…]]]` or `{a: {a: …}}`, `max_depth` levels deep at most.
pub(super) fn deep(max_depth: usize) -> BoxedStrategy<Val> {
    (any::<bool>(), 1..=max_depth)
        .prop_map(|(lists, depth)| {
            let mut value = Val::Null;
            for _ in 0..depth {
                value = if lists {
                    Val::List(vec![value])
                } else {
                    Val::Object(vec![("a".to_owned(), value)])
                };
            }
            value
        })
        .boxed()
}

/// A value of any shape, for where the schema wants another: undefined variables, deep
/// nesting and out-of-range numbers included.
pub(super) fn any_value() -> BoxedStrategy<Val> {
    let leaf = prop_oneof![
        2 => Just(Val::Null),
        2 => any::<bool>().prop_map(Val::Bool),
        4 => number(),
        4 => text(true),
        1 => "[A-Z_]{1,8}".prop_map(Val::Enum),
        1 => "[a-z]{1,3}".prop_map(Val::Var),
        1 => deep(MAX_DOCUMENT_VALUE_DEPTH),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Val::List),
            prop::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,6}", inner), 0..4)
                .prop_map(Val::Object),
        ]
    })
    .boxed()
}

/// A JSON value any parser accepts, for the `JSON` scalar.
pub(super) fn json_value() -> BoxedStrategy<Val> {
    let leaf = prop_oneof![
        Just(Val::Null),
        any::<bool>().prop_map(Val::Bool),
        int64(),
        text(false),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Val::List),
            prop::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,6}", inner), 0..4)
                .prop_map(Val::Object),
        ]
    })
    .boxed()
}

/// Search strings for `workspaces(filter:)` and `connectionLogs(filter:)`.
pub(super) fn search_filter() -> BoxedStrategy<Val> {
    const TERMS: &[&str] = &[
        "owner:me",
        "owner:admin",
        "owner:",
        "template:docker",
        "name:dev",
        "dev",
        "status:running",
        "status:RUNNING",
        "status:sleeping",
        ":",
        "a:b:c",
        ":x",
        "x:",
        "type:ssh",
        "type:workspace_app",
        "status:ongoing",
        "organization:coder",
        "organization:00000000-0000-0000-0000-000000000000",
        "workspace_owner:me",
        "workspace_owner_email:admin@example.com",
        "username:admin",
        "user_email:\"admin@example.com\"",
        "connected_after:\"2023-01-01T00:00:00Z\"",
        "connected_before:\"9999-12-31T23:59:59Z\"",
        "connected_after:\"0000-01-01T00:00:60Z\"",
        "connected_after:2023",
        "workspace_id:nope",
        "connection_id:\"urn:uuid:5f3c1a2e-8d4b-4c6a-9e7f-0a1b2c3d4e5f\"",
        "\"",
        "\"\"",
        "q:x",
        "search:x",
        "İ:İ",
        "type:\0",
    ];
    let term = prop_oneof![
        4 => prop::sample::select(TERMS).prop_map(str::to_owned),
        1 => "[a-z_]{1,10}:[a-z0-9\"]{0,10}",
        1 => plain_text(),
    ];
    prop::collection::vec(term, 0..5)
        .prop_map(|terms| Val::str(terms.join(" ")))
        .boxed()
}

/// Schedules in and around Coder's cron dialect.
pub(super) fn cron_text() -> BoxedStrategy<Val> {
    const FIELDS: &[&str] = &[
        "*",
        "*/5",
        "0",
        "30",
        "9",
        "9-17",
        "1-5",
        "MON-FRI",
        "sun",
        "7",
        "60",
        "-1",
        "*/0",
        "1,2,3",
        "?",
        "JAN",
        "@daily",
        "5/",
        "1-2-3",
        "99999999999999999999",
    ];
    const ZONES: &[&str] = &[
        "UTC",
        "Local",
        "US/Central",
        "Mars/Olympus",
        "",
        "Etc/GMT+14",
    ];
    (
        prop::option::of(prop::sample::select(ZONES)),
        prop::collection::vec(prop::sample::select(FIELDS), 0..7),
    )
        .prop_map(|(zone, fields)| {
            let fields = fields.join(" ");
            Val::str(match zone {
                Some(zone) => format!("CRON_TZ={zone} {fields}"),
                None => fields,
            })
        })
        .boxed()
}

/// Terraform-looking file contents, for inline template sources.
pub(super) fn terraform_text() -> BoxedStrategy<Val> {
    const PIECES: &[&str] = &[
        MAIN_TF,
        "data \"coder_parameter\" \"p\" {\n  name = \"p\"\n  type = \"number\"\n  default = 1e400\n}\n",
        "data \"coder_parameter\" \"p\" {\n  name = var.x\n  count = -9223372036854775808\n}\n",
        "locals {\n  a = [local.b]\n  b = [local.a]\n}\n",
        "variable \"x\" {\n  default = \"\\u0000\"\n}\n",
        "resource \"coder_agent\" \"a\" {\n  os = \"linux\"\n}\n",
        "data \"coder_workspace_preset\" \"p\" {\n  name = \"p\"\n  prebuilds {\n    instances = 99999999999\n    scheduling {\n      timezone = \"Nowhere\"\n      schedule {\n        cron = \"* * * * 7\"\n        instances = 1\n      }\n    }\n  }\n}\n",
        "{",
        "}",
        "\"",
        "<<EOT\n",
        "${",
        "%{",
    ];
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(PIECES).prop_map(str::to_owned),
            1 => plain_text(),
        ],
        0..4,
    )
    .prop_map(|pieces| Val::str(pieces.concat()))
    .boxed()
}

/// Ids of seeded rows, random and nil UUIDs; with `chaos`, also malformed ones.
pub(super) fn uuid_value(ids: &[String], chaos: bool) -> BoxedStrategy<Val> {
    let valid = prop_oneof![
        4 => prop::sample::select(ids.to_vec()),
        2 => any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        1 => Just("00000000-0000-0000-0000-000000000000".to_owned()),
        1 => prop::sample::select(ids.to_vec()).prop_map(|id| id.to_uppercase()),
    ];
    if chaos {
        prop_oneof![4 => valid, 1 => "[0-9a-f{}-]{0,40}"]
            .prop_map(Val::str)
            .boxed()
    } else {
        valid.prop_map(Val::str).boxed()
    }
}

/// RFC 3339 timestamps across years 0-9999; with `chaos`, also impossible ones.
pub(super) fn datetime_value(chaos: bool) -> BoxedStrategy<Val> {
    let valid = (
        0u32..10_000,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(year, month, day, hour, minute, second)| {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
        });
    if !chaos {
        return valid.prop_map(Val::str).boxed();
    }
    const BROKEN: &[&str] = &[
        "2024-01-01T00:00:00.123456789+14:00",
        "9999-12-31T23:59:60Z",
        "+275760-09-13T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "1970-01-01",
        "not a date",
    ];
    prop_oneof![valid, prop::sample::select(BROKEN).prop_map(str::to_owned)]
        .prop_map(Val::str)
        .boxed()
}

/// License-looking strings: three base64url segments, and JWTs signed with the trusted key
/// (or an unknown key id) over random claims.
pub(super) fn license_text(secret: [u8; 32]) -> BoxedStrategy<Val> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    const CLAIMS: &[&str] = &[
        "jti",
        "iss",
        "iat",
        "nbf",
        "exp",
        "license_expires",
        "version",
        "feature_set",
        "features",
        "account_id",
        "trial",
        "all_features",
        "deployment_ids",
    ];
    let segment = prop::collection::vec(any::<u8>(), 0..48).prop_map(|b| URL_SAFE_NO_PAD.encode(b));
    let shaped = prop::collection::vec(segment, 1..5).prop_map(|segments| segments.join("."));
    let now = chrono::Utc::now().timestamp();
    let claim = prop_oneof![
        any::<i64>().prop_map(Value::from),
        (-100_000i64..100_000).prop_map(move |minutes| Value::from(now + minutes * 60)),
        Just(Value::from(3)),
        "[a-z]{0,8}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!({ "user_limit": 100, "managed_agent_limit": -1 })),
    ];
    let signed = (
        prop::collection::btree_map(prop::sample::select(CLAIMS), claim, 0..10),
        prop::sample::select(vec!["test-key", "other-key"]),
    )
        .prop_map(move |(claims, kid)| {
            let claims: serde_json::Map<String, Value> = claims
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect();
            devplane::domain::license::sign_license_payload(&Value::Object(claims), kid, &secret)
        });
    prop_oneof![shaped, signed].prop_map(Val::str).boxed()
}
