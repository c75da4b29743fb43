//! A string that must never be shown: page access tokens and the API secret.
//!
//! `Debug` and `Display` print a fixed placeholder, so a secret that slips into
//! a log line, an error or a `{:?}` dump stays hidden. The bytes are wiped when
//! the value is dropped. The only way to read it is `expose`, which makes every
//! place that needs the clear text easy to find.

use std::fmt;
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The clear text. Call only to put it on the wire or into a fingerprint.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive value)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive value)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_reveals_the_value() {
        let secret = Secret::new("EAAB-very-secret");
        assert_eq!(format!("{secret}"), "(sensitive value)");
        assert_eq!(format!("{secret:?}"), "(sensitive value)");
        assert_eq!(secret.expose(), "EAAB-very-secret");
    }
}
