//! Keyed fingerprints of page tokens: enough to notice that a token changed,
//! useless for recovering it.
//!
//! A plain hash of a token could be checked against guesses by anyone who
//! can read the state; keying it with a random per-store secret means the
//! fingerprint only means something to whoever also holds that key.

use crate::secret::Secret;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Fingerprinter {
    /// The MAC with the key already absorbed: each fingerprint clones it
    /// instead of hashing the key's two padded blocks again (see
    /// benches/RESULTS.md). Its state is as good as the
    /// key, so it is wiped on drop (sha2's `zeroize` feature), like the
    /// tokens it fingerprints.
    keyed: HmacSha256,
}

impl Fingerprinter {
    pub fn new(key: Vec<u8>) -> Self {
        let key = zeroize::Zeroizing::new(key);
        Fingerprinter {
            // HMAC accepts keys of any length, so this cannot fail.
            keyed: HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length"),
        }
    }

    /// HMAC-SHA256(key, token), lower-case hex.
    pub fn fingerprint(&self, token: &Secret) -> String {
        let code = self.mac(token).finalize().into_bytes();
        let mut hex = String::with_capacity(code.len() * 2);
        for byte in code.iter() {
            hex.push(hex_digit(byte >> 4));
            hex.push(hex_digit(byte & 0x0f));
        }
        hex
    }

    fn mac(&self, token: &Secret) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(token.expose().as_bytes());
        mac
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_hex_hmac_sha256() {
        // RFC 4231, test case 2: key "Jefe".
        let fingerprinter = Fingerprinter::new(b"Jefe".to_vec());
        let token = Secret::new("what do ya want for nothing?");
        assert_eq!(
            fingerprinter.fingerprint(&token),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn different_tokens_and_keys_give_different_fingerprints() {
        let a = Fingerprinter::new(vec![1; 32]);
        let b = Fingerprinter::new(vec![2; 32]);
        let token = Secret::new("EAAB-one");
        assert_ne!(
            a.fingerprint(&token),
            a.fingerprint(&Secret::new("EAAB-two"))
        );
        assert_ne!(a.fingerprint(&token), b.fingerprint(&token));
        assert_eq!(a.fingerprint(&token), a.clone().fingerprint(&token));
    }

    #[test]
    fn debug_hides_the_key() {
        let fingerprinter = Fingerprinter::new(b"very secret key".to_vec());
        assert_eq!(format!("{fingerprinter:?}"), "Fingerprinter(..)");
    }
}
