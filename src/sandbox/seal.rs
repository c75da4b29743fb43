//! Page tokens at rest in the sandbox's sled data.
//!
//! The sandbox must serve tokens back in clear (the real API does), but its
//! data directory lives under socialform's state directory when the sandbox
//! runs in-process, and nothing under state may hold a token in clear. So
//! tokens are sealed before they are written, with XChaCha20-Poly1305 (an
//! AEAD from RustCrypto) under a random per-store key and a random 24-byte
//! nonce per token, bound to the account it belongs to: a sealed token
//! copied into another record does not open.
//!
//! Stores written before this carry tokens under a hand-made keystream
//! (HMAC-SHA256 in counter mode, unauthenticated); `open` still reads them so
//! that existing data directories keep working, and every write seals anew.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use sha2::Sha256;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Marks text sealed with the AEAD; the old keystream's text is plain hex.
const PREFIX: &str = "xc20p1305:";

pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
    /// Only for reading the old format.
    key: zeroize::Zeroizing<Vec<u8>>,
}

impl Sealer {
    /// Fails if `key` is not the 32 bytes `random_key` makes.
    pub(crate) fn new(key: Vec<u8>) -> anyhow::Result<Self> {
        if key.len() != KEY_LEN {
            anyhow::bail!(
                "the sandbox data's sealing key has {} bytes, not {KEY_LEN}",
                key.len()
            );
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&key)
            .map_err(|_| anyhow::anyhow!("the sandbox data's sealing key is unusable"))?;
        Ok(Sealer {
            cipher,
            key: zeroize::Zeroizing::new(key),
        })
    }

    /// Another sealer under the same key, for another part of the store.
    pub(crate) fn duplicate(&self) -> Sealer {
        Sealer::new(self.key.to_vec()).expect("the key was accepted once")
    }

    pub(crate) fn random_key() -> Vec<u8> {
        let mut key = vec![0u8; KEY_LEN];
        rand::fill(&mut key[..]);
        key
    }

    /// `PREFIX` and the hex of nonce ‖ ciphertext ‖ tag; `context` (the
    /// record's key) is authenticated with it.
    pub(crate) fn seal(&self, token: &str, context: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: token.as_bytes(),
                    aad: context,
                },
            )
            .expect("sealing a token in memory cannot fail");
        let mut out = String::with_capacity(PREFIX.len() + (NONCE_LEN + sealed.len()) * 2);
        out.push_str(PREFIX);
        for byte in nonce.iter().chain(sealed.iter()) {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// The token back, or `None` if the text was not sealed with this key
    /// for this `context`, or was altered.
    pub(crate) fn open(&self, sealed: &str, context: &[u8]) -> Option<String> {
        let Some(hex) = sealed.strip_prefix(PREFIX) else {
            return self.open_legacy(sealed);
        };
        let bytes = from_hex(hex)?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        let clear = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: data,
                    aad: context,
                },
            )
            .ok()?;
        String::from_utf8(clear).ok()
    }

    /// Reads the format stores had before: hex of a 16-byte nonce ‖ the token
    /// XORed with HMAC-SHA256(key, nonce ‖ counter) blocks. Obfuscation
    /// without integrity, which is why nothing writes it any more.
    fn open_legacy(&self, sealed: &str) -> Option<String> {
        const LEGACY_NONCE_LEN: usize = 16;
        let bytes = from_hex(sealed)?;
        if bytes.len() < LEGACY_NONCE_LEN {
            return None;
        }
        let (nonce, data) = bytes.split_at(LEGACY_NONCE_LEN);
        let mut data = data.to_vec();
        for (counter, chunk) in data.chunks_mut(32).enumerate() {
            let mut mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.key)
                .expect("HMAC takes any key length");
            mac.update(nonce);
            mac.update(&(counter as u64).to_be_bytes());
            let block = mac.finalize().into_bytes();
            for (byte, pad) in chunk.iter_mut().zip(block.iter()) {
                *byte ^= pad;
            }
        }
        String::from_utf8(data).ok()
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(vec![byte; KEY_LEN]).unwrap()
    }

    #[test]
    fn sealing_round_trips_and_hides_the_token() {
        let sealer = Sealer::new(Sealer::random_key()).unwrap();
        let token = "EAAB-a-page-token-that-is-longer-than-one-block-of-32-bytes";
        let sealed = sealer.seal(token, b"messenger\x00101");
        assert!(!sealed.contains("EAAB"));
        assert_ne!(
            sealer.seal(token, b"messenger\x00101"),
            sealed,
            "a fresh nonce every time"
        );
        assert_eq!(
            sealer.open(&sealed, b"messenger\x00101").as_deref(),
            Some(token)
        );
    }

    #[test]
    fn another_key_another_record_or_an_altered_text_does_not_open() {
        let sealed = sealer(1).seal("token", b"a");
        assert_eq!(sealer(2).open(&sealed, b"a"), None);
        assert_eq!(sealer(1).open(&sealed, b"b"), None);
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            sealer(1).open(&String::from_utf8(altered).unwrap(), b"a"),
            None
        );
        assert_eq!(sealer(1).open("zz", b"a"), None);
        assert_eq!(sealer(1).open(&format!("{PREFIX}abc"), b"a"), None);
        assert!(Sealer::new(vec![1; 16]).is_err());
    }

    #[test]
    fn tokens_sealed_the_old_way_still_open() {
        // Made by the keystream sealer stores used before, with key [1; 32]
        // and nonce 00..0f, from the token "token".
        let key = [1u8; KEY_LEN];
        let nonce: Vec<u8> = (0u8..16).collect();
        let mut mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key).unwrap();
        mac.update(&nonce);
        mac.update(&0u64.to_be_bytes());
        let pad = mac.finalize().into_bytes();
        let sealed: String = nonce
            .iter()
            .copied()
            .chain(b"token".iter().zip(pad.iter()).map(|(b, p)| b ^ p))
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sealer(1).open(&sealed, b"any").as_deref(), Some("token"));
    }
}
