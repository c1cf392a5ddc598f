//! The two primitives behind every credential here (session and API tokens, provisioner
//! keys, agent tokens) and content hashes: random alphanumeric secrets, and SHA-256 in hex,
//! which is all that is ever stored of a secret.

use rand::{Rng, distr::Alphanumeric};
use sha2::{Digest, Sha256};

/// A random string of `len` ASCII letters and digits, from the thread's CSPRNG.
pub fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_token_shape() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = random_token(22);
        assert_eq!(token.len(), 22);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(random_token(22), token);
    }
}
