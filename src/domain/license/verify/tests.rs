//! Unit tests for license verification: every error path with the exact text users see.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use ed25519_dalek::VerifyingKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::*;

const KID: &str = "enterprise-test";

/// A throwaway 2048-bit RSA key (PKCS#1 DER, base64) made for these tests with `openssl genrsa`;
/// it protects nothing and only lets a test sign a real RS256 token.
const RSA_TEST_KEY_DER: &str = concat!(
    "MIIEowIBAAKCAQEApXSsk+8EcajbzTX2WfLCV7KzNvwzWqRXgfBQoGdpPf2g5c9BZnjV/D/htX7r",
    "IEtBR1cVJgXJodqkWgxACDLqz/oOeO/uY5VZWoccpyjEWJdLbZQSzCUgJczrGmvQwQx9n4rxnoqa",
    "u++QBA7LIdbqCfK9SSZDYrW8Gdryblr2cLCESoMGW3jtRvFR47bps0XbEZFtgGKW4Jb6fTLOPFfG",
    "CqWSXcR7jqdKscSua5ByJYV88KzGqOCe3+ZyBG4piY8eMRU35u8du5ycQO48pj39GFCZAp9heSEB",
    "lTeC7UnGHPYp7mVgqOiefOQsqYre19sHPlyaSUtRE3G0bqmXTDuEEwIDAQABAoIBAEeXLVkxMaYQ",
    "X1Lyx25yGN8jZmIjTAErXOXPWsOdGy+Ef8sQG4dAP67O4VXL3ebySQOaTX9PP8h1t2lzJX2msm1d",
    "EEgJ4QdbxvbhwWcev55pkGyQhnWolrlkalHbVs9BHVYcI6Hq7TrmVFU9JW219TxquLZfBQdABWzW",
    "jNFtMHbfZ6RdlbGeg1z947fqJ66qGvLC7uQsopzAh+O1Lwg8ZX4dGGHWWmk91pt+uZHfJC1QvMm0",
    "ZxSkvYD/7e+bmDC3xfT45fmwJwwItOjTwJlzwdsnF37vWydj3jyFpWR1jVQ4EXcOhMIN8c9GG/ex",
    "LGtUgQ+4INokKD5UCf97KbhVeakCgYEA00aFzIBgR1RxCYUtlCzJoXv0j2G9i+I/vvMXLlIxmMh7",
    "lD8adpQE7Z7DPD8c3xItNWXgiv019jTTlIrFzmoUFDWXEW1YSzggjlLSbozAOYMzfXX5mV7wHg0I",
    "xh1rtpkRnllywa0Y+BlNySS+vERh2IddUomEef5rMencmJf6f68CgYEAyHsUzANpkGupCV3Jzg52",
    "k7pNeMFPn9ACT838px1w4kdCaIMwyJP35yRF0lT2K2ffWg3aGgYSegiBzHrqr0bgyOK0MN6gaYTn",
    "d5YLwkfISQpieuQp+We4mzv0CjS52inKzQp67sinTmAfHKTFvg532hPffQdLZCU6SkMatopx1t0C",
    "gYBYlEfCnsw++7tMx4Z9im2bA9JcTxleTaR2VYsRg6qBqQSO+goJTzPlwFuQpdFgAUntCmKjQ1hd",
    "enZ+39PhH/59Hp7Q0qxjFQwpP7Y0XVS2iDiNUGoukGxR3RshnPItI24MmuoPI5jFZC6Ft580ZeM0",
    "GkTZNwjQ8QdWbPttCsMexwKBgQCTK7dypLaj7ESkuZLhj0CA5ezlTpOTL/Hif8aPL0+k7MbVTilL",
    "tUPxDHGtG+2yo4gU5cJMBFUf/Iq8fyc1EIUHM1Uv4t5DV+tLoHx1XJis9dChgklF61xbqMFXlKky",
    "fCeCKcVg8S/Qm0N7lYIMKTbWgmw3rlkr5SBLT8OWaT90iQKBgBJo1KtgdhGdHxuRVEEfmsFu2Gw6",
    "t0T4O0MS0jaKkjQtCpxMfbxUmjnOqgq58ljt0QSfukMxmGCw66v4UgwbhJp1MAHKgJFd4GK/4HlZ",
    "T3KwBIVbyP8tOWw3iC3ThfpXRoyK4ysF0Ck6zd6U3Nh1IlY57uRJ312ehw8Ccqkfx8ZL",
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 20, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// A signing key and the trusted keys holding its public half under [`KID`].
struct Issuer {
    secret: [u8; 32],
    keys: LicenseKeys,
}

impl Issuer {
    fn new() -> Self {
        let (secret, public) = generate_keypair();
        let keys = LicenseKeys::from_public_keys([(KID, public)]).expect("generated key");
        Self { secret, keys }
    }

    fn sign(&self, claims: &LicenseClaims) -> String {
        sign_license(claims, KID, &self.secret)
    }
}

/// A license valid at [`now`]: in its paid term, issued and started a day ago.
fn valid_claims() -> LicenseClaims {
    let now = now();
    LicenseClaims {
        jti: Some("4d3c8a3e-2f7e-4f7a-9a55-3a0d1c1b2e10".into()),
        iss: Some("test@testing.test".into()),
        iat: Some(now - Duration::days(1)),
        nbf: Some(now - Duration::days(1)),
        exp: Some(now + Duration::days(37)),
        license_expires: Some(now + Duration::days(30)),
        account_type: "salesforce".into(),
        account_id: "acct".into(),
        feature_set: "premium".into(),
        version: 3,
        features: BTreeMap::from([("user_limit".to_owned(), 100)]),
        ..LicenseClaims::default()
    }
}

/// A compact JWS from raw header and payload JSON with an arbitrary signature, for tokens the
/// crate refuses to produce (`alg: none`).
fn raw_token(header: &serde_json::Value, payload: &serde_json::Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn err_text(result: Result<LicenseClaims, LicenseError>) -> String {
    result.expect_err("the license must be refused").to_string()
}

#[test]
fn a_valid_license_verifies_with_its_claims() {
    let issuer = Issuer::new();
    let claims = valid_claims();
    let token = issuer.sign(&claims);
    assert_eq!(verify(&token, &issuer.keys, now()), Ok(claims.clone()));
    assert_eq!(verify_ignoring_nbf(&token, &issuer.keys, now()), Ok(claims));
}

#[test]
fn exp_is_checked_without_leeway() {
    let issuer = Issuer::new();
    for (exp, expected) in [
        (now() - Duration::seconds(1), Err(LicenseError::Expired)),
        // jwt-go: valid only while now is strictly before exp.
        (now(), Err(LicenseError::Expired)),
        (now() + Duration::seconds(1), Ok(())),
    ] {
        let claims = LicenseClaims {
            exp: Some(exp),
            ..valid_claims()
        };
        let result = verify(&issuer.sign(&claims), &issuer.keys, now()).map(|_| ());
        assert_eq!(result, expected, "exp {exp}");
    }
    let expired = LicenseClaims {
        exp: Some(now()),
        ..valid_claims()
    };
    assert_eq!(
        err_text(verify(&issuer.sign(&expired), &issuer.keys, now())),
        "token is expired"
    );
}

#[test]
fn nbf_in_the_future_is_not_valid_yet() {
    let issuer = Issuer::new();
    for (nbf, expected) in [
        (now() + Duration::seconds(1), Err(LicenseError::NotYetValid)),
        (now(), Ok(())),
    ] {
        let claims = LicenseClaims {
            nbf: Some(nbf),
            ..valid_claims()
        };
        let result = verify(&issuer.sign(&claims), &issuer.keys, now()).map(|_| ());
        assert_eq!(result, expected, "nbf {nbf}");
    }
    let future = LicenseClaims {
        nbf: Some(now() + Duration::days(1)),
        ..valid_claims()
    };
    assert_eq!(
        err_text(verify(&issuer.sign(&future), &issuer.keys, now())),
        "token is not valid yet"
    );
}

#[test]
fn iat_in_the_future_is_refused() {
    let issuer = Issuer::new();
    let claims = LicenseClaims {
        iat: Some(now() + Duration::seconds(1)),
        ..valid_claims()
    };
    let token = issuer.sign(&claims);
    assert_eq!(
        verify(&token, &issuer.keys, now()),
        Err(LicenseError::UsedBeforeIssued)
    );
    assert_eq!(
        err_text(verify(&token, &issuer.keys, now())),
        "token used before issued"
    );
    let at_now = LicenseClaims {
        iat: Some(now()),
        ..valid_claims()
    };
    assert!(verify(&issuer.sign(&at_now), &issuer.keys, now()).is_ok());
}

#[test]
fn claim_checks_run_in_order_with_coders_wording() {
    let issuer = Issuer::new();
    let cases = [
        (
            // Every claim is wrong: the version check comes first.
            LicenseClaims {
                version: 2,
                iat: None,
                nbf: None,
                license_expires: None,
                exp: None,
                ..valid_claims()
            },
            "license must be version 3",
        ),
        (
            LicenseClaims {
                iat: None,
                nbf: None,
                license_expires: None,
                exp: None,
                ..valid_claims()
            },
            "license has invalid or missing iat (issued at) claim",
        ),
        (
            LicenseClaims {
                nbf: None,
                license_expires: None,
                exp: None,
                ..valid_claims()
            },
            "license has invalid or missing nbf (not before) claim",
        ),
        (
            LicenseClaims {
                license_expires: None,
                exp: None,
                ..valid_claims()
            },
            "license has invalid or missing license_expires claim",
        ),
        (
            LicenseClaims {
                exp: None,
                ..valid_claims()
            },
            "license has invalid or missing exp (expires at) claim",
        ),
    ];
    for (claims, expected) in cases {
        let token = issuer.sign(&claims);
        assert_eq!(err_text(verify(&token, &issuer.keys, now())), expected);
        assert_eq!(
            err_text(verify_ignoring_nbf(&token, &issuer.keys, now())),
            expected
        );
    }
}

#[test]
fn rs256_signed_licenses_are_refused() {
    let issuer = Issuer::new();
    let der = STANDARD
        .decode(RSA_TEST_KEY_DER)
        .expect("test key is base64");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.to_owned());
    let token = jsonwebtoken::encode(&header, &valid_claims(), &EncodingKey::from_rsa_der(&der))
        .expect("RS256 signing");
    assert_eq!(
        err_text(verify(&token, &issuer.keys, now())),
        "signing method RS256 is invalid"
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &issuer.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    // The classic algorithm confusion: an HMAC keyed with the (public) verification key.
    let (_, public) = generate_keypair();
    let keys = LicenseKeys::from_public_keys([(KID, public)]).expect("generated key");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.to_owned());
    let secret = EncodingKey::from_secret(&public).expect("HMAC key");
    let token = jsonwebtoken::encode(&header, &valid_claims(), &secret).expect("HS256 signing");
    assert_eq!(
        err_text(verify(&token, &keys, now())),
        "signing method HS256 is invalid"
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn unsigned_alg_none_is_refused() {
    let issuer = Issuer::new();
    let payload = serde_json::to_value(valid_claims()).expect("claims are JSON");
    let token = raw_token(&json!({"alg": "none", "kid": KID}), &payload, b"");
    assert!(matches!(
        verify(&token, &issuer.keys, now()),
        Err(LicenseError::Malformed(_))
    ));
    assert_eq!(
        verify_ignoring_nbf(&token, &issuer.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
    // The same with an EdDSA header but no signature at all.
    let token = raw_token(&json!({"alg": "EdDSA", "kid": KID}), &payload, b"");
    assert_eq!(
        verify(&token, &issuer.keys, now()),
        Err(LicenseError::InvalidSignature)
    );
}

#[test]
fn a_different_key_under_a_known_kid_is_refused() {
    let trusted = Issuer::new();
    let forger = Issuer::new();
    let token = forger.sign(&valid_claims());
    assert_eq!(
        verify(&token, &trusted.keys, now()),
        Err(LicenseError::InvalidSignature)
    );
    assert_eq!(
        err_text(verify(&token, &trusted.keys, now())),
        "ed25519: verification error"
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &trusted.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn an_unknown_kid_is_refused() {
    let issuer = Issuer::new();
    let token = sign_license(&valid_claims(), "2022-08-12", &issuer.secret);
    assert_eq!(
        err_text(verify(&token, &issuer.keys, now())),
        "no key with ID 2022-08-12"
    );
    assert_eq!(
        err_text(verify(&token, &LicenseKeys::empty(), now())),
        "no key with ID 2022-08-12"
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &issuer.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn a_missing_kid_is_refused() {
    let issuer = Issuer::new();
    let signed = issuer.sign(&valid_claims());
    let (_, rest) = signed.split_once('.').expect("three segments");
    // Same payload and signature, header without kid: the kid check comes first.
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "typ": "JWT"}).to_string());
    let token = format!("{header}.{rest}");
    assert_eq!(
        err_text(verify(&token, &issuer.keys, now())),
        "JOSE header must contain kid"
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &issuer.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn a_tampered_payload_is_refused() {
    let issuer = Issuer::new();
    let genuine = issuer.sign(&valid_claims());
    let mut better = valid_claims();
    better.features.insert("user_limit".into(), 100_000);
    let forged_payload = issuer.sign(&better);
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged: Vec<&str> = forged_payload.split('.').collect();
    let token = format!("{}.{}.{}", parts[0], forged[1], parts[2]);
    assert_eq!(
        verify(&token, &issuer.keys, now()),
        Err(LicenseError::InvalidSignature)
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &issuer.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn garbage_is_malformed() {
    let issuer = Issuer::new();
    for token in ["", "not a jwt", "a.b.c", "a.b"] {
        assert!(
            matches!(
                verify(token, &issuer.keys, now()),
                Err(LicenseError::Malformed(_))
            ),
            "{token:?}"
        );
        assert_eq!(
            verify_ignoring_nbf(token, &issuer.keys, now()),
            Err(LicenseError::MultipleIssues),
            "{token:?}"
        );
    }
    // A well-formed token whose claims have the wrong types.
    let token = sign_license_payload(&json!({"version": "3"}), KID, &issuer.secret);
    assert!(matches!(
        verify(&token, &issuer.keys, now()),
        Err(LicenseError::Malformed(_))
    ));
}

#[test]
fn ignoring_nbf_accepts_a_future_license_but_not_other_problems() {
    let issuer = Issuer::new();
    let future = LicenseClaims {
        nbf: Some(now() + Duration::days(10)),
        license_expires: Some(now() + Duration::days(40)),
        exp: Some(now() + Duration::days(47)),
        ..valid_claims()
    };
    let token = issuer.sign(&future);
    assert_eq!(
        verify(&token, &issuer.keys, now()),
        Err(LicenseError::NotYetValid)
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &issuer.keys, now()),
        Ok(future.clone())
    );

    let expired = LicenseClaims {
        exp: Some(now() - Duration::days(1)),
        ..valid_claims()
    };
    assert_eq!(
        err_text(verify_ignoring_nbf(
            &issuer.sign(&expired),
            &issuer.keys,
            now()
        )),
        "license has multiple issues; contact support"
    );

    let issued_later = LicenseClaims {
        iat: Some(now() + Duration::days(1)),
        ..future.clone()
    };
    assert_eq!(
        verify_ignoring_nbf(&issuer.sign(&issued_later), &issuer.keys, now()),
        Err(LicenseError::MultipleIssues)
    );

    // The claim checks still run after a cleared nbf problem.
    let old_version = LicenseClaims {
        version: 2,
        ..future
    };
    assert_eq!(
        err_text(verify_ignoring_nbf(
            &issuer.sign(&old_version),
            &issuer.keys,
            now()
        )),
        "license must be version 3"
    );
}

#[test]
fn not_valid_yet_wins_over_other_problems_when_verifying() {
    // As jwt-go's errors.Is(err, ErrTokenNotValidYet): entitlements skip such a license silently.
    let trusted = Issuer::new();
    let forger = Issuer::new();
    let claims = LicenseClaims {
        nbf: Some(now() + Duration::days(1)),
        ..valid_claims()
    };
    let token = forger.sign(&claims);
    assert_eq!(
        verify(&token, &trusted.keys, now()),
        Err(LicenseError::NotYetValid)
    );
    assert_eq!(
        verify_ignoring_nbf(&token, &trusted.keys, now()),
        Err(LicenseError::MultipleIssues)
    );
}

#[test]
fn decode_unverified_returns_the_raw_payload() {
    let issuer = Issuer::new();
    let other = Issuer::new();
    let expired = LicenseClaims {
        exp: Some(now() - Duration::days(1)),
        ..valid_claims()
    };
    // Signed by a key nobody trusts and expired: listing still shows its claims.
    let token = other.sign(&expired);
    let payload = decode_unverified(&token).expect("decodes");
    assert_eq!(
        payload,
        serde_json::to_value(&expired).expect("claims are JSON")
    );
    assert_eq!(payload["version"], json!(3));
    assert_eq!(payload["features"]["user_limit"], json!(100));
    assert!(payload["exp"].is_i64());
    assert!(verify(&token, &issuer.keys, now()).is_err());

    assert!(matches!(
        decode_unverified("garbage"),
        Err(LicenseError::Malformed(_))
    ));
    let array = raw_token(&json!({"alg": "EdDSA"}), &json!([1, 2]), b"sig");
    assert!(matches!(
        decode_unverified(&array),
        Err(LicenseError::Malformed(_))
    ));
}

#[test]
fn keys_file_round_trips() {
    let (_, first) = generate_keypair();
    let (_, second) = generate_keypair();
    let keys =
        LicenseKeys::from_public_keys([("a", first), ("b", second)]).expect("generated keys");
    let text = keys.to_json();
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(parsed["a"], json!(STANDARD.encode(first)));
    assert_eq!(LicenseKeys::from_json(&text).expect("parses"), keys);
    assert!(
        LicenseKeys::from_json("{}")
            .expect("empty object")
            .is_empty()
    );
    assert!(LicenseKeys::empty().is_empty());
    assert!(!keys.is_empty());
}

#[test]
fn keys_file_from_disk() {
    let issuer = Issuer::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("license-keys.json");
    std::fs::write(&path, issuer.keys.to_json()).expect("write keys");
    let keys = LicenseKeys::from_file(&path).expect("reads");
    assert!(verify(&issuer.sign(&valid_claims()), &keys, now()).is_ok());

    let missing = dir.path().join("absent.json");
    let error = LicenseKeys::from_file(&missing)
        .expect_err("no such file")
        .to_string();
    assert!(
        error.starts_with("cannot read license keys file "),
        "{error}"
    );
    assert!(error.contains("absent.json"), "{error}");
}

#[test]
fn keys_file_errors_name_the_key() {
    let error = LicenseKeys::from_json(r#"{"prod": "not base64!"}"#).expect_err("bad base64");
    assert!(matches!(&error, KeysError::Base64 { kid, .. } if kid == "prod"));
    assert!(
        error
            .to_string()
            .starts_with(r#"license key "prod" is not valid standard base64"#)
    );

    // URL-safe base64 is not the documented format.
    let (_, public) = generate_keypair();
    let url_safe = URL_SAFE_NO_PAD.encode(public);
    if url_safe.contains(['-', '_']) {
        let text = json!({"k": url_safe}).to_string();
        assert!(matches!(
            LicenseKeys::from_json(&text),
            Err(KeysError::Base64 { .. })
        ));
    }

    let short = json!({"short": STANDARD.encode([7u8; 16])}).to_string();
    assert_eq!(
        LicenseKeys::from_json(&short)
            .expect_err("16 bytes")
            .to_string(),
        r#"license key "short" must be a raw 32-byte Ed25519 public key, but it decodes to 16 bytes"#
    );

    let not_a_point = (0..=u8::MAX)
        .map(|byte| [byte; 32])
        .find(|raw| VerifyingKey::from_bytes(raw).is_err())
        .expect("some 32-byte strings are not curve points");
    let text = json!({"bad": STANDARD.encode(not_a_point)}).to_string();
    assert_eq!(
        LicenseKeys::from_json(&text)
            .expect_err("not a point")
            .to_string(),
        r#"license key "bad" is not a valid Ed25519 public key"#
    );
    assert!(matches!(
        LicenseKeys::from_public_keys([("bad", not_a_point)]),
        Err(KeysError::NotAPublicKey { .. })
    ));

    for text in ["", "[]", r#"{"k": 1}"#, "not json"] {
        let error = LicenseKeys::from_json(text).expect_err("not an object of strings");
        assert!(matches!(error, KeysError::Json(_)), "{text:?}");
        assert!(
            error
                .to_string()
                .starts_with("license keys must be a JSON object"),
            "{text:?}"
        );
    }
}
