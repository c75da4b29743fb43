//! Resource addresses: `page.support`, `link.support_bot`, `page.region["emea"]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Page,
    Link,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Page => "page",
            ResourceKind::Link => "link",
        }
    }
}

/// One resource instance, or (with `key: None` on a `for_each` block) the
/// block as a whole when used as a `--target` or `removed.from`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub kind: ResourceKind,
    pub name: String,
    pub key: Option<String>,
}

impl Address {
    pub fn page(name: impl Into<String>) -> Self {
        Address {
            kind: ResourceKind::Page,
            name: name.into(),
            key: None,
        }
    }

    pub fn link(name: impl Into<String>) -> Self {
        Address {
            kind: ResourceKind::Link,
            name: name.into(),
            key: None,
        }
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// True when `self` names `other` itself or, being a keyless block
    /// address, any instance of the same block.
    pub fn contains(&self, other: &Address) -> bool {
        self.kind == other.kind
            && self.name == other.name
            && (self.key.is_none() || self.key == other.key)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.as_str(), self.name)?;
        if let Some(key) = &self.key {
            // Keys are written the way HCL would quote them.
            write!(f, "[{}]", serde_json::Value::String(key.clone()))?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid address {input:?}: {reason}; expected page.NAME, link.NAME or page.NAME[\"KEY\"]")]
pub struct AddressParseError {
    input: String,
    reason: &'static str,
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason| AddressParseError {
            input: input.to_string(),
            reason,
        };
        let (kind, rest) = if let Some(rest) = input.strip_prefix("page.") {
            (ResourceKind::Page, rest)
        } else if let Some(rest) = input.strip_prefix("link.") {
            (ResourceKind::Link, rest)
        } else {
            return Err(error("it must start with page. or link."));
        };
        let (name, key) = match rest.find('[') {
            None => (rest, None),
            Some(open) => {
                let inner = rest[open..]
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .ok_or_else(|| error("the key must be closed by ]"))?;
                let key = if inner.starts_with('"') {
                    serde_json::from_str::<String>(inner)
                        .map_err(|_| error("the key is not a valid quoted string"))?
                } else if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                    inner.to_string()
                } else {
                    return Err(error("the key must be a quoted string"));
                };
                (&rest[..open], Some(key))
            }
        };
        if !is_identifier(name) {
            return Err(error("the name is not a valid identifier"));
        }
        Ok(Address {
            kind,
            name: name.to_string(),
            key,
        })
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for text in ["page.support", "link.support_bot", r#"page.region["emea"]"#] {
            let address: Address = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
    }

    #[test]
    fn keyed_address_parts() {
        let address: Address = r#"page.region["a b"]"#.parse().unwrap();
        assert_eq!(address, Address::page("region").with_key("a b"));
    }

    #[test]
    fn rejects_malformed_addresses() {
        for text in [
            "",
            "pages.x",
            "page.",
            "page.1x",
            r#"page.x["a"#,
            "page.x[a]",
        ] {
            assert!(text.parse::<Address>().is_err(), "{text} should not parse");
        }
    }

    #[test]
    fn block_address_contains_its_instances() {
        let block = Address::page("region");
        assert!(block.contains(&Address::page("region").with_key("emea")));
        assert!(
            !Address::page("region")
                .with_key("apac")
                .contains(&block.clone().with_key("emea"))
        );
        assert!(!block.contains(&Address::link("region")));
    }
}
