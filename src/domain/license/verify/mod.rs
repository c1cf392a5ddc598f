//! License JWT verification (docs/rules/licenses-and-entitlements.md): EdDSA-only JWS with a
//! `kid` naming one of the trusted [`LicenseKeys`], the registered time claims checked against
//! an injected `now` with no leeway, then the license's own claim checks. Also the unverified
//! decode used to list licenses, and the signing helpers tests use.
//!
//! Coder validates with jwt-go v4, which does not stop at the first time problem: it records
//! every problem as a bit (expired, issued in the future, not valid yet, bad signature) and the
//! upload path clears only the "not valid yet" bit. [`TokenProblems`] keeps those bits so both
//! [`verify`] and [`verify_ignoring_nbf`] behave as Coder's `ParseClaims` and
//! `ParseClaimsIgnoreNbf` do.

#[cfg(test)]
mod fuzz_tests;
mod keys;
mod signing;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::LicenseClaims;

pub use keys::{KeysError, LicenseKeys};
pub use signing::{generate_keypair, sign_license, sign_license_payload};

/// The only license version this server understands.
pub const LICENSE_VERSION: u64 = 3;

/// Why a license is refused. The Display texts are shown to users (upload errors, entitlement
/// errors) and are Coder's own wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenseError {
    /// Not a compact JWS whose header and payload decode to the expected JSON.
    #[error("token is malformed: {0}")]
    Malformed(String),
    /// Signed with anything but EdDSA (RS256, HS256, ...).
    #[error("signing method {0} is invalid")]
    SigningMethod(String),
    /// The JOSE header has no `kid`.
    #[error("JOSE header must contain kid")]
    MissingKid,
    /// No trusted key has the header's `kid`.
    #[error("no key with ID {0}")]
    UnknownKid(String),
    /// The signature does not verify with the key named by `kid`.
    #[error("ed25519: verification error")]
    InvalidSignature,
    /// `exp` is not after now.
    #[error("token is expired")]
    Expired,
    /// `iat` is after now.
    #[error("token used before issued")]
    UsedBeforeIssued,
    /// `nbf` is after now. The entitlements computation skips such a license silently.
    #[error("token is not valid yet")]
    NotYetValid,
    /// [`verify_ignoring_nbf`] found a problem other than a future `nbf`.
    #[error("license has multiple issues; contact support")]
    MultipleIssues,
    /// `version` is not [`LICENSE_VERSION`].
    #[error("license must be version {LICENSE_VERSION}")]
    WrongVersion,
    /// No `iat`.
    #[error("license has invalid or missing iat (issued at) claim")]
    MissingIssuedAt,
    /// No `nbf`.
    #[error("license has invalid or missing nbf (not before) claim")]
    MissingNotBefore,
    /// No `license_expires`.
    #[error("license has invalid or missing license_expires claim")]
    MissingLicenseExpires,
    /// No `exp`.
    #[error("license has invalid or missing exp (expires at) claim")]
    MissingExpiresAt,
}

/// Verifies a license JWT at `now` and returns its claims.
///
/// Any future `nbf` yields [`LicenseError::NotYetValid`], even together with other problems:
/// Coder's entitlements loop asks `errors.Is(err, ErrTokenNotValidYet)`, which jwt-go answers
/// from the problem bits, so such a license is skipped silently whatever else is wrong with it.
pub fn verify(
    token: &str,
    keys: &LicenseKeys,
    now: DateTime<Utc>,
) -> Result<LicenseClaims, LicenseError> {
    let checked = check_token(token, keys, now)?;
    if let Some(error) = checked.problems.first_error() {
        return Err(error);
    }
    validate_claims(checked.claims)
}

/// Verifies a license JWT at `now` but accepts a future `nbf`: licenses are uploaded before
/// their term starts. Any other token problem (malformed, wrong method, missing or unknown
/// `kid`, bad signature, expired, issued in the future) gives the single
/// [`LicenseError::MultipleIssues`], as in Coder; the claim checks then run as in [`verify`].
pub fn verify_ignoring_nbf(
    token: &str,
    keys: &LicenseKeys,
    now: DateTime<Utc>,
) -> Result<LicenseClaims, LicenseError> {
    let Ok(checked) = check_token(token, keys, now) else {
        return Err(LicenseError::MultipleIssues);
    };
    let others = TokenProblems {
        not_yet_valid: false,
        ..checked.problems
    };
    if others != TokenProblems::default() {
        return Err(LicenseError::MultipleIssues);
    }
    validate_claims(checked.claims)
}

/// The payload of a license JWT as JSON, without any verification. Listing licenses shows
/// every stored license this way, including expired ones and ones signed by an unknown key.
pub fn decode_unverified(token: &str) -> Result<serde_json::Value, LicenseError> {
    jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Map<String, serde_json::Value>>(
        token,
    )
    .map(serde_json::Value::Object)
    .map_err(|error| LicenseError::Malformed(error.to_string()))
}

/// The problems jwt-go would record as validation bits once the header and key are usable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TokenProblems {
    expired: bool,
    used_before_issued: bool,
    not_yet_valid: bool,
    bad_signature: bool,
}

impl TokenProblems {
    /// The error [`verify`] reports, see its documentation for why `NotYetValid` comes first.
    fn first_error(self) -> Option<LicenseError> {
        if self.not_yet_valid {
            Some(LicenseError::NotYetValid)
        } else if self.bad_signature {
            Some(LicenseError::InvalidSignature)
        } else if self.used_before_issued {
            Some(LicenseError::UsedBeforeIssued)
        } else if self.expired {
            Some(LicenseError::Expired)
        } else {
            None
        }
    }
}

/// A token whose header, payload and key were usable, with whatever else is wrong with it.
struct CheckedToken {
    claims: LicenseClaims,
    problems: TokenProblems,
}

/// jwt-go's `ParseWithClaims`: structural and key problems stop at once; time and signature
/// problems are all collected.
fn check_token(
    token: &str,
    keys: &LicenseKeys,
    now: DateTime<Utc>,
) -> Result<CheckedToken, LicenseError> {
    let malformed = |error: jsonwebtoken::errors::Error| LicenseError::Malformed(error.to_string());
    // An algorithm the crate does not know at all ("none") fails here as malformed: refused.
    let header = jsonwebtoken::decode_header(token).map_err(malformed)?;
    let claims: LicenseClaims =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(malformed)?;
    if header.alg != Algorithm::EdDSA {
        return Err(LicenseError::SigningMethod(format!("{:?}", header.alg)));
    }
    let kid = header.kid.ok_or(LicenseError::MissingKid)?;
    let key = keys.get(&kid).ok_or(LicenseError::UnknownKid(kid))?;

    // jwt-go v4 with no leeway: valid while now < exp, and from iat and nbf on.
    let mut problems = TokenProblems {
        expired: claims.exp.is_some_and(|exp| now >= exp),
        used_before_issued: claims.iat.is_some_and(|iat| now < iat),
        not_yet_valid: claims.nbf.is_some_and(|nbf| now < nbf),
        bad_signature: false,
    };
    match jsonwebtoken::decode::<serde_json::Value>(
        token,
        &DecodingKey::from_ed_der(key),
        &signature_only(),
    ) {
        Ok(_) => {}
        Err(error) => match error.kind() {
            ErrorKind::InvalidSignature | ErrorKind::Base64(_) | ErrorKind::InvalidEddsaKey => {
                problems.bad_signature = true;
            }
            _ => return Err(malformed(error)),
        },
    }
    Ok(CheckedToken { claims, problems })
}

/// Validation for the crate's `decode` that checks the algorithm and the signature only: the
/// crate reads its own clock, while the time claims must be judged at the injected `now`.
fn signature_only() -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation
}

/// Coder's `validateClaims`: the first missing or wrong claim wins.
fn validate_claims(claims: LicenseClaims) -> Result<LicenseClaims, LicenseError> {
    if claims.version != LICENSE_VERSION {
        return Err(LicenseError::WrongVersion);
    }
    if claims.iat.is_none() {
        return Err(LicenseError::MissingIssuedAt);
    }
    if claims.nbf.is_none() {
        return Err(LicenseError::MissingNotBefore);
    }
    if claims.license_expires.is_none() {
        return Err(LicenseError::MissingLicenseExpires);
    }
    if claims.exp.is_none() {
        return Err(LicenseError::MissingExpiresAt);
    }
    Ok(claims)
}
