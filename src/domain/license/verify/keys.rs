//! The trusted license-signing keys: read once from `--license-keys-file`, a JSON
//! object mapping key id (the JWT `kid`) to the standard-base64 encoding of the raw 32-byte
//! Ed25519 public key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{PUBLIC_KEY_LENGTH, VerifyingKey};

/// Why the trusted keys could not be loaded. Each message names the file or key id at fault,
/// because an operator fixes these by editing the file.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// The keys file could not be read.
    #[error("cannot read license keys file {}: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The text is not a JSON object of strings.
    #[error(
        "license keys must be a JSON object mapping key id to the base64 Ed25519 public key: {0}"
    )]
    Json(#[from] serde_json::Error),
    /// A key is not standard base64.
    #[error("license key {kid:?} is not valid standard base64: {source}")]
    Base64 {
        /// The key id.
        kid: String,
        /// The decoding failure.
        source: base64::DecodeError,
    },
    /// A key does not decode to 32 bytes.
    #[error(
        "license key {kid:?} must be a raw 32-byte Ed25519 public key, but it decodes to {len} bytes"
    )]
    Length {
        /// The key id.
        kid: String,
        /// How many bytes it decoded to.
        len: usize,
    },
    /// The 32 bytes are not a point on the curve, so no signature could ever verify with them.
    #[error("license key {kid:?} is not a valid Ed25519 public key")]
    NotAPublicKey {
        /// The key id.
        kid: String,
    },
}

/// The Ed25519 public keys licenses may be signed with, by key id.
///
/// Coder embeds one production key; devplane has none built in, so a deployment without a
/// keys file trusts nothing and every license is refused with "no key with ID ...".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl LicenseKeys {
    /// No trusted keys.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses the keys-file format: `{"<kid>": "<standard base64 of 32 raw bytes>", ...}`.
    pub fn from_json(text: &str) -> Result<Self, KeysError> {
        let encoded: BTreeMap<String, String> = serde_json::from_str(text)?;
        let mut keys = BTreeMap::new();
        for (kid, value) in encoded {
            let bytes = match STANDARD.decode(value.trim()) {
                Ok(bytes) => bytes,
                Err(source) => return Err(KeysError::Base64 { kid, source }),
            };
            let Ok(raw) = <[u8; PUBLIC_KEY_LENGTH]>::try_from(bytes.as_slice()) else {
                let len = bytes.len();
                return Err(KeysError::Length { kid, len });
            };
            let key = parse_public_key(&kid, &raw)?;
            keys.insert(kid, key);
        }
        Ok(Self { keys })
    }

    /// Reads and parses a keys file (see [`LicenseKeys::from_json`]).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeysError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| KeysError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Builds the keys from `(kid, raw public key)` pairs, e.g. one from
    /// [`generate_keypair`](super::generate_keypair) in tests.
    pub fn from_public_keys<K: Into<String>>(
        pairs: impl IntoIterator<Item = (K, [u8; PUBLIC_KEY_LENGTH])>,
    ) -> Result<Self, KeysError> {
        let mut keys = BTreeMap::new();
        for (kid, raw) in pairs {
            let kid = kid.into();
            let key = parse_public_key(&kid, &raw)?;
            keys.insert(kid, key);
        }
        Ok(Self { keys })
    }

    /// The same keys and one more: `raw` under `kid` (replacing a key of that id).
    pub fn with_public_key(
        mut self,
        kid: &str,
        raw: [u8; PUBLIC_KEY_LENGTH],
    ) -> Result<Self, KeysError> {
        let key = parse_public_key(kid, &raw)?;
        self.keys.insert(kid.to_owned(), key);
        Ok(self)
    }

    /// The keys in the keys-file format, so tests and tooling can write a file the server reads.
    pub fn to_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .keys
            .iter()
            .map(|(kid, key)| (kid.clone(), STANDARD.encode(key.as_bytes()).into()))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The raw public key with this id.
    pub(super) fn get(&self, kid: &str) -> Option<&[u8; PUBLIC_KEY_LENGTH]> {
        self.keys.get(kid).map(VerifyingKey::as_bytes)
    }
}

fn parse_public_key(kid: &str, raw: &[u8; PUBLIC_KEY_LENGTH]) -> Result<VerifyingKey, KeysError> {
    VerifyingKey::from_bytes(raw).map_err(|_| KeysError::NotAPublicKey {
        kid: kid.to_owned(),
    })
}
