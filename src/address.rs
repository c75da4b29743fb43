//! Resource addresses: `page.support`, `link.support_bot`,
//! `page.region["emea"]` (a `for_each` instance), `page.shard[0]` (a `count`
//! instance).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ResourceKind {
    Page,
    Link,
    /// A Vonage application (Application API v2).
    Application,
}

impl ResourceKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Page => "page",
            ResourceKind::Link => "link",
            ResourceKind::Application => "application",
        }
    }
}

/// The key of one instance of a block. `page.x[0]` (a `count` instance) and
/// `page.x["0"]` (a `for_each` instance whose key is the string "0") are
/// different addresses, as in Terraform.
///
/// The derived order puts indexes before names and compares indexes as
/// numbers, so `[2]` comes before `[10]`. One block never has both kinds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    /// A `count` instance: `[0]`, `[1]`…
    Index(u64),
    /// A `for_each` instance: `["emea"]`.
    Name(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Index(index) => write!(f, "{index}"),
            // Names are written the way HCL would quote them.
            InstanceKey::Name(name) => write!(f, "{}", serde_json::Value::String(name.clone())),
        }
    }
}

impl From<&str> for InstanceKey {
    fn from(name: &str) -> Self {
        InstanceKey::Name(name.to_string())
    }
}

impl From<String> for InstanceKey {
    fn from(name: String) -> Self {
        InstanceKey::Name(name)
    }
}

impl From<&String> for InstanceKey {
    fn from(name: &String) -> Self {
        InstanceKey::Name(name.clone())
    }
}

impl From<u64> for InstanceKey {
    fn from(index: u64) -> Self {
        InstanceKey::Index(index)
    }
}

/// One resource instance, or (with `key: None` on a `for_each` or `count`
/// block) the block as a whole when used as a `--target` or `removed.from`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub(crate) kind: ResourceKind,
    pub(crate) name: String,
    pub(crate) key: Option<InstanceKey>,
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

    pub fn application(name: impl Into<String>) -> Self {
        Address {
            kind: ResourceKind::Application,
            name: name.into(),
            key: None,
        }
    }

    /// The instance with `key`: a string for `for_each`, a `u64` for `count`.
    pub fn with_key(mut self, key: impl Into<InstanceKey>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// True when `self` names `other` itself or, being a keyless block
    /// address, any instance of the same block.
    pub(crate) fn contains(&self, other: &Address) -> bool {
        self.kind == other.kind
            && self.name == other.name
            && (self.key.is_none() || self.key == other.key)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.as_str(), self.name)?;
        if let Some(key) = &self.key {
            write!(f, "[{key}]")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid address {input:?}: {reason}; expected page.NAME, link.NAME, application.NAME, page.NAME[\"KEY\"] or page.NAME[INDEX]"
)]
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
        } else if let Some(rest) = input.strip_prefix("application.") {
            (ResourceKind::Application, rest)
        } else {
            return Err(error("it must start with page., link. or application."));
        };
        let (name, key) = match rest.find('[') {
            None => (rest, None),
            Some(open) => {
                let inner = rest[open..]
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .ok_or_else(|| error("the key must be closed by ]"))?;
                let key = if inner.starts_with('"') {
                    InstanceKey::Name(
                        serde_json::from_str::<String>(inner)
                            .map_err(|_| error("the key is not a valid quoted string"))?,
                    )
                } else if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                    // One spelling per index, so that an address read back
                    // from its text is the same address: `[01]` is refused.
                    if inner.len() > 1 && inner.starts_with('0') {
                        return Err(error("an index has no leading zeros"));
                    }
                    InstanceKey::Index(inner.parse().map_err(|_| error("the index is too large"))?)
                } else {
                    return Err(error("the key must be a quoted string or a whole number"));
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
        for text in [
            "page.support",
            "link.support_bot",
            r#"page.region["emea"]"#,
            "page.shard[0]",
            "link.bot[12]",
            "application.support",
            r#"page.region["0"]"#,
        ] {
            let address: Address = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
    }

    #[test]
    fn keyed_address_parts() {
        let address: Address = r#"page.region["a b"]"#.parse().unwrap();
        assert_eq!(address, Address::page("region").with_key("a b"));
        let address: Address = "page.shard[7]".parse().unwrap();
        assert_eq!(address, Address::page("shard").with_key(7u64));
    }

    #[test]
    fn an_index_is_not_a_string_key() {
        let index: Address = "page.x[0]".parse().unwrap();
        let name: Address = r#"page.x["0"]"#.parse().unwrap();
        assert_eq!(index.key, Some(InstanceKey::Index(0)));
        assert_eq!(name.key, Some(InstanceKey::Name("0".into())));
        assert_ne!(index, name);
        assert!(!index.contains(&name));
        assert!(Address::page("x").contains(&index));
    }

    #[test]
    fn indexes_sort_as_numbers() {
        let mut addresses: Vec<Address> = ["page.x[10]", "page.x[2]", "page.x[1]", "page.x"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        addresses.sort();
        let texts: Vec<String> = addresses.iter().map(Address::to_string).collect();
        assert_eq!(texts, ["page.x", "page.x[1]", "page.x[2]", "page.x[10]"]);
        // String keys keep their lexical order ("10" before "2").
        let mut names = [
            Address::page("x").with_key("2"),
            Address::page("x").with_key("10"),
        ];
        names.sort();
        assert_eq!(names[0].to_string(), r#"page.x["10"]"#);
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
            "page.x[-1]",
            "page.x[1.5]",
            "page.x[01]",
            "page.x[]",
            "page.x[99999999999999999999999]",
        ] {
            assert!(text.parse::<Address>().is_err(), "{text} should not parse");
        }
    }

    #[test]
    fn state_records_keep_the_kind_of_key() {
        // Addresses are stored as their text: what an older version wrote
        // (string keys, always quoted) reads back as string keys.
        for text in [r#""page.region[\"emea\"]""#, r#""page.x[\"1\"]""#] {
            let address: Address = serde_json::from_str(text).unwrap();
            assert!(matches!(address.key, Some(InstanceKey::Name(_))), "{text}");
            assert_eq!(serde_json::to_string(&address).unwrap(), text);
        }
        let address: Address = serde_json::from_str(r#""page.x[1]""#).unwrap();
        assert_eq!(address, Address::page("x").with_key(1u64));
        assert_eq!(serde_json::to_string(&address).unwrap(), r#""page.x[1]""#);
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
