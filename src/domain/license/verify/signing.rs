//! Issuing licenses, for tests and tooling only: the server never signs a license, but the
//! integration tests (like Coder's `coderdenttest`) generate a keypair at start, trust its
//! public half and sign the licenses they upload with the secret half.

use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use ed25519_dalek::{PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, SigningKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::domain::license::LicenseClaims;

/// A fresh Ed25519 keypair as `(secret key, public key)` raw bytes. For tests and tooling.
pub fn generate_keypair() -> ([u8; SECRET_KEY_LENGTH], [u8; PUBLIC_KEY_LENGTH]) {
    // ThreadRng is a CSPRNG; any 32 bytes are a valid Ed25519 secret key.
    let secret: [u8; SECRET_KEY_LENGTH] = rand::random();
    let public = SigningKey::from_bytes(&secret).verifying_key().to_bytes();
    (secret, public)
}

/// The license JWT for `claims`, signed with EdDSA by `secret_key` and carrying `kid` in its
/// header. For tests and tooling.
pub fn sign_license(
    claims: &LicenseClaims,
    kid: &str,
    secret_key: &[u8; SECRET_KEY_LENGTH],
) -> String {
    sign_license_payload(
        &serde_json::to_value(claims).expect(INFALLIBLE),
        kid,
        secret_key,
    )
}

/// Like [`sign_license`] with any JSON payload, so tests can sign claims the typed
/// [`LicenseClaims`] cannot express (wrong types, unknown fields). For tests and tooling.
pub fn sign_license_payload(
    payload: &serde_json::Value,
    kid: &str,
    secret_key: &[u8; SECRET_KEY_LENGTH],
) -> String {
    let der = SigningKey::from_bytes(secret_key)
        .to_pkcs8_der()
        .expect(INFALLIBLE);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, payload, &EncodingKey::from_ed_der(der.as_bytes()))
        .expect(INFALLIBLE)
}

/// Why the `expect`s above cannot fire: every 32 bytes are a valid Ed25519 secret key (so its
/// PKCS#8 encoding and the signature succeed) and claims serialize to plain JSON.
const INFALLIBLE: &str = "signing a JSON payload with a raw Ed25519 key cannot fail";
