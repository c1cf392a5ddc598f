//! Password hashing with argon2id. Hashing is CPU-heavy, so it runs through [`cpu::run`].

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};
use rand::RngCore;

use super::{Error, Result};
use crate::domain::cpu;

/// Hashes `password` into a PHC string.
pub async fn hash(password: String) -> Result<String> {
    cpu::run(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hashing(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| Error::Hashing(e.to_string()))?
}

/// Whether `password` matches the stored PHC `hash`. A malformed hash (such as the system
/// user's `none`) never matches.
pub async fn verify(password: String, hash: String) -> Result<bool> {
    cpu::run(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| Error::Hashing(e.to_string()))
}

/// A hash to verify against when the user does not exist, so that an unknown email takes
/// as long as a wrong password and response times do not reveal which accounts exist.
pub async fn dummy_hash() -> Result<String> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| hash("not a real password".to_owned()))
        .await
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip() {
        let stored = hash("correct horse".into()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), stored.clone())
                .await
                .expect("verify")
        );
        assert!(!verify("wrong horse".into(), stored).await.expect("verify"));
        assert!(
            !verify("anything".into(), "none".into())
                .await
                .expect("verify")
        );
    }
}
