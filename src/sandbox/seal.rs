//! Page tokens at rest in the sandbox's sled data.
//!
//! The sandbox must serve tokens back in clear (the real API does), but its
//! data directory lives under socialform's state directory when the sandbox
//! runs in-process, and nothing under state may hold a token in clear. So
//! tokens are sealed before they are written: XOR with a keystream of
//! HMAC-SHA256(key, nonce ‖ counter) blocks — a PRF in counter mode — under a
//! random per-store key and a random per-token nonce.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

const NONCE_LEN: usize = 16;

pub struct Sealer {
    key: zeroize::Zeroizing<Vec<u8>>,
}

impl Sealer {
    pub fn new(key: Vec<u8>) -> Self {
        Sealer {
            key: zeroize::Zeroizing::new(key),
        }
    }

    pub fn random_key() -> Vec<u8> {
        let mut key = vec![0u8; 32];
        rand::fill(&mut key[..]);
        key
    }

    fn keystream_xor(&self, nonce: &[u8], data: &mut [u8]) {
        for (counter, chunk) in data.chunks_mut(32).enumerate() {
            let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
                .expect("HMAC takes any key length");
            mac.update(nonce);
            mac.update(&(counter as u64).to_be_bytes());
            let block = mac.finalize().into_bytes();
            for (byte, pad) in chunk.iter_mut().zip(block.iter()) {
                *byte ^= pad;
            }
        }
    }

    /// Hex of nonce ‖ sealed bytes.
    pub fn seal(&self, token: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let mut data = token.as_bytes().to_vec();
        self.keystream_xor(&nonce, &mut data);
        let mut out = String::with_capacity((NONCE_LEN + data.len()) * 2);
        for byte in nonce.iter().chain(data.iter()) {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// The token back, or `None` if the text is not something `seal` made.
    pub fn open(&self, sealed: &str) -> Option<String> {
        if !sealed.len().is_multiple_of(2) || sealed.len() < NONCE_LEN * 2 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..sealed.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(sealed.get(i..i + 2)?, 16).ok())
            .collect();
        let bytes = bytes?;
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let mut data = data.to_vec();
        self.keystream_xor(nonce, &mut data);
        String::from_utf8(data).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_hides_the_token() {
        let sealer = Sealer::new(Sealer::random_key());
        let token = "EAAB-a-page-token-that-is-longer-than-one-block-of-32-bytes";
        let sealed = sealer.seal(token);
        assert!(!sealed.contains("EAAB"));
        assert_ne!(sealer.seal(token), sealed, "a fresh nonce every time");
        assert_eq!(sealer.open(&sealed).as_deref(), Some(token));
    }

    #[test]
    fn another_key_or_garbage_does_not_open() {
        let sealed = Sealer::new(vec![1; 32]).seal("token");
        assert_ne!(
            Sealer::new(vec![2; 32]).open(&sealed).as_deref(),
            Some("token")
        );
        assert_eq!(Sealer::new(vec![1; 32]).open("zz"), None);
        assert_eq!(Sealer::new(vec![1; 32]).open("abc"), None);
    }
}
