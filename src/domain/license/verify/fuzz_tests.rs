//! Property tests of license verification: no input makes it panic, not arbitrary text, not
//! JWT-shaped text with random segments, not random claims signed with the trusted key; and
//! what it accepts or refuses follows its documented rules.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

const KID: &str = "fuzz-key";

/// One keypair for every case: generating keys is not what is under test.
static ISSUER: LazyLock<([u8; 32], LicenseKeys)> = LazyLock::new(|| {
    let (secret, public) = generate_keypair();
    let keys = LicenseKeys::from_public_keys([(KID, public)]).expect("generated key");
    (secret, keys)
});

fn keys() -> &'static LicenseKeys {
    &ISSUER.1
}

fn sign(payload: &Value, kid: &str) -> String {
    sign_license_payload(payload, kid, &ISSUER.0)
}

/// A license valid at [`now`], to tamper with.
static VALID_TOKEN: LazyLock<String> = LazyLock::new(|| {
    let claims = json!({
        "version": 3,
        "iat": now().timestamp() - 60,
        "nbf": now().timestamp() - 60,
        "exp": (now() + Duration::days(60)).timestamp(),
        "license_expires": (now() + Duration::days(53)).timestamp(),
    });
    let token = sign(&claims, KID);
    assert!(
        verify(&token, keys(), now()).is_ok(),
        "the license to tamper with is valid"
    );
    token
});

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 20, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Claim names, with a few the claims type does not know.
const CLAIMS: &[&str] = &[
    "jti",
    "iss",
    "iat",
    "nbf",
    "exp",
    "license_expires",
    "account_type",
    "account_id",
    "deployment_ids",
    "trial",
    "feature_set",
    "all_features",
    "version",
    "features",
    "require_telemetry",
    "unknown",
];

/// Any JSON, shallow.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(prop::sample::select(CLAIMS), inner, 0..4).prop_map(
                |fields| Value::Object(
                    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )
            ),
        ]
    })
}

/// Claims with values of any type, including timestamps chrono cannot hold.
fn any_claims() -> impl Strategy<Value = Value> {
    let value = prop_oneof![
        2 => any_json(),
        2 => time(),
        1 => Just(json!(3)),
        1 => prop::sample::select(vec![i64::MIN, i64::MAX, -1, 0, 8_210_266_876_799, 8_210_266_876_800])
            .prop_map(Value::from),
    ];
    prop::collection::btree_map(prop::sample::select(CLAIMS), value, 0..12).prop_map(|fields| {
        Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

/// A NumericDate within a few days of [`now`], the exact second of it included.
fn time() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (-5 * 86_400i64..5 * 86_400).prop_map(|offset| Value::from(now().timestamp() + offset)),
        1 => (-2i64..=2).prop_map(|offset| Value::from(now().timestamp() + offset)),
    ]
}

/// Well-typed claims: each time claim present or not, a version that is usually 3,
/// features as numbers.
fn typed_claims() -> impl Strategy<Value = Value> {
    // Mostly a license in its term (issued and started before now, expiring after), so
    // that acceptance is checked as often as each way of being refused.
    let past = || prop_oneof![3 => (1i64..5 * 86_400).prop_map(|ago| Value::from(now().timestamp() - ago)), 1 => time()];
    let future = || prop_oneof![3 => (1i64..60 * 86_400).prop_map(|ahead| Value::from(now().timestamp() + ahead)), 1 => time()];
    (
        prop::option::weighted(0.9, past()),
        prop::option::weighted(0.9, past()),
        prop::option::weighted(0.9, future()),
        prop::option::weighted(0.9, future()),
        prop_oneof![4 => Just(3u64), 1 => any::<u64>()],
        prop::collection::btree_map("[a-z_]{1,12}", any::<i64>(), 0..4),
        prop::sample::select(vec!["", "enterprise", "premium", "PREMIUM", "other"]),
    )
        .prop_map(
            |(iat, nbf, exp, license_expires, version, features, feature_set)| {
                let mut claims = json!({
                    "version": version,
                    "features": features,
                    "feature_set": feature_set,
                    "account_id": "acme",
                });
                for (name, time) in [
                    ("iat", iat),
                    ("nbf", nbf),
                    ("exp", exp),
                    ("license_expires", license_expires),
                ] {
                    if let Some(time) = time {
                        claims[name] = time;
                    }
                }
                claims
            },
        )
}

/// A base64url segment of JSON or of random bytes, sometimes in the wrong alphabet.
fn segment(json: impl Strategy<Value = Value>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => json.prop_map(|value| URL_SAFE_NO_PAD.encode(value.to_string())),
        1 => prop::collection::vec(any::<u8>(), 0..96).prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
        1 => prop::collection::vec(any::<u8>(), 0..96).prop_map(|bytes| STANDARD.encode(bytes)),
        1 => "[A-Za-z0-9_=+/.-]{0,12}",
    ]
}

/// JOSE headers with every algorithm name and `kid` of any kind.
fn header() -> impl Strategy<Value = Value> {
    let alg = prop_oneof![
        Just(json!("EdDSA")),
        Just(json!("RS256")),
        Just(json!("HS256")),
        Just(json!("ES256")),
        Just(json!("none")),
        Just(json!("")),
        Just(json!(5)),
        Just(Value::Null),
    ];
    let kid = prop_oneof![
        Just(json!(KID)),
        Just(json!("other")),
        Just(json!("")),
        Just(json!(7)),
        Just(Value::Null),
    ];
    (
        alg,
        prop::option::of(kid),
        prop::option::of(Just(json!("JWT"))),
    )
        .prop_map(|(alg, kid, typ)| {
            let mut header = json!({ "alg": alg });
            if let Some(kid) = kid {
                header["kid"] = kid;
            }
            if let Some(typ) = typ {
                header["typ"] = typ;
            }
            header
        })
}

/// Tokens of one to five segments from headers, claims and random bytes.
fn jwt_shaped() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (segment(header()), segment(any_claims()), segment(any_json()))
            .prop_map(|(h, p, s)| format!("{h}.{p}.{s}")),
        1 => prop::collection::vec(segment(any_json()), 1..6).prop_map(|segments| segments.join(".")),
    ]
}

/// What [`verify`] should answer for well-typed claims signed with the trusted key, from
/// its documentation: a future `nbf` first, then `iat`, then `exp`, then the claim checks.
fn expected(claims: &Value) -> Result<(), LicenseError> {
    let at = |name: &str| claims[name].as_i64();
    let now = now().timestamp();
    if at("nbf").is_some_and(|nbf| now < nbf) {
        return Err(LicenseError::NotYetValid);
    }
    if at("iat").is_some_and(|iat| now < iat) {
        return Err(LicenseError::UsedBeforeIssued);
    }
    if at("exp").is_some_and(|exp| now >= exp) {
        return Err(LicenseError::Expired);
    }
    expected_claim_checks(claims)
}

/// [`verify_ignoring_nbf`]'s answer: any time problem but `nbf` is a single error.
fn expected_ignoring_nbf(claims: &Value) -> Result<(), LicenseError> {
    let at = |name: &str| claims[name].as_i64();
    let now = now().timestamp();
    if at("iat").is_some_and(|iat| now < iat) || at("exp").is_some_and(|exp| now >= exp) {
        return Err(LicenseError::MultipleIssues);
    }
    expected_claim_checks(claims)
}

fn expected_claim_checks(claims: &Value) -> Result<(), LicenseError> {
    if claims["version"] != 3 {
        Err(LicenseError::WrongVersion)
    } else if claims.get("iat").is_none() {
        Err(LicenseError::MissingIssuedAt)
    } else if claims.get("nbf").is_none() {
        Err(LicenseError::MissingNotBefore)
    } else if claims.get("license_expires").is_none() {
        Err(LicenseError::MissingLicenseExpires)
    } else if claims.get("exp").is_none() {
        Err(LicenseError::MissingExpiresAt)
    } else {
        Ok(())
    }
}

/// The answers of [`verify`] and [`verify_ignoring_nbf`] for one token.
type Verdicts = (
    Result<LicenseClaims, LicenseError>,
    Result<LicenseClaims, LicenseError>,
);

/// What holds whatever the token: nothing panics, and an accepted license has every
/// required claim and is valid at `now`; whatever [`verify`] accepts,
/// [`verify_ignoring_nbf`] and [`decode_unverified`] accept too.
fn checked_verdicts(token: &str) -> Result<Verdicts, TestCaseError> {
    let verified = verify(token, keys(), now());
    let ignoring_nbf = verify_ignoring_nbf(token, keys(), now());
    let decoded = decode_unverified(token);
    if let Ok(claims) = &ignoring_nbf {
        prop_assert_eq!(claims.version, LICENSE_VERSION);
        prop_assert!(claims.iat.is_some_and(|iat| iat <= now()));
        prop_assert!(claims.exp.is_some_and(|exp| now() < exp));
        prop_assert!(claims.nbf.is_some() && claims.license_expires.is_some());
    }
    if let Ok(claims) = &verified {
        prop_assert!(claims.nbf.is_some_and(|nbf| nbf <= now()));
        prop_assert_eq!(ignoring_nbf.as_ref(), Ok(claims));
        prop_assert!(decoded.is_ok());
    }
    Ok((verified, ignoring_nbf))
}

/// [`checked_verdicts`], for the tests that only check what holds for every token.
fn check_any(token: &str) -> Result<(), TestCaseError> {
    checked_verdicts(token).map(|_| ())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_strings(token in any::<String>()) {
        check_any(&token)?;
    }

    #[test]
    fn never_panics_on_jwt_shaped_strings(token in jwt_shaped()) {
        check_any(&token)?;
    }

    #[test]
    fn random_claims_signed_with_the_trusted_key(
        claims in any_claims(),
        kid in prop::sample::select(vec![KID, "other", ""]),
    ) {
        check_any(&sign(&claims, kid))?;
    }

    #[test]
    fn a_changed_character_invalidates_a_valid_license(
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".chars().collect::<Vec<_>>()
        ),
    ) {
        let token = &*VALID_TOKEN;
        let at = at.index(token.len());
        let mut changed = token.clone();
        changed.replace_range(at..=at, &replacement.to_string());
        prop_assume!(&changed != token);
        prop_assert!(verify(&changed, keys(), now()).is_err(), "{} verified", changed);
    }

    #[test]
    fn keys_files_never_panic(
        text in prop_oneof![
            any::<String>(),
            prop::collection::btree_map(
                "[a-z-]{0,8}",
                prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| STANDARD.encode(b)),
                    any::<String>(),
                ],
                0..4,
            )
            .prop_map(|keys| serde_json::to_string(&keys).expect("a map of strings")),
        ],
    ) {
        if let Ok(keys) = LicenseKeys::from_json(&text) {
            prop_assert_eq!(LicenseKeys::from_json(&keys.to_json()).ok(), Some(keys));
        }
    }
}

// Two signature checks per case take some 25 ms in a debug build, so these cases run
// fewer times.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn typed_claims_are_judged_as_documented(claims in typed_claims()) {
        let token = sign(&claims, KID);
        let (verified, ignoring_nbf) = checked_verdicts(&token)?;
        prop_assert_eq!(verified.map(|_| ()), expected(&claims));
        prop_assert_eq!(ignoring_nbf.map(|_| ()), expected_ignoring_nbf(&claims));
        prop_assert_eq!(decode_unverified(&token), Ok(claims));
    }
}
