//! The `state pull` document: the whole state without secrets, and how one
//! is written back into a state.
//!
//! Fingerprints are left out: they mean nothing without the key of the
//! store that made them and need not travel. Writing a document back keeps
//! the fingerprints the target already holds for the same page, so a
//! round trip through a file loses nothing.

use super::{LinkRecord, PageRecord, Recorded, StateOp};
use crate::address::Address;
use anyhow::bail;
use serde::{Deserialize, Serialize};

/// The only format this build writes and reads.
pub(crate) const DOCUMENT_FORMAT: &str = "1.0";

/// The JSON schema of this document, from the repository's `state/schema/`
/// (a test keeps the two in step).
#[cfg(test)]
const DOCUMENT_SCHEMA: &str = include_str!("../../state/schema/state-document.schema.json");

/// Unknown fields are refused, as the JSON schema says: a document that
/// says more than this build understands must not be half-read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    pub(crate) format_version: String,
    pub(crate) lineage: String,
    pub(crate) serial: u64,
    pub(crate) pages: Vec<DocumentPage>,
    pub(crate) links: Vec<DocumentLink>,
    /// History entries the backend could not take when they happened (an
    /// apply that lost its database): `state push` appends them. Never in
    /// `state pull`'s documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) history: Vec<super::HistoryEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentPage {
    pub(crate) address: Address,
    pub(crate) page_id: String,
    pub(crate) name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentLink {
    pub(crate) address: Address,
    pub(crate) page_id: String,
    pub(crate) application: String,
    /// Left out for messenger, as in `LinkRecord`.
    #[serde(default, skip_serializing_if = "crate::channel::Channel::is_messenger")]
    pub(crate) channel: crate::channel::Channel,
}

impl StateDocument {
    pub(crate) fn from_recorded(recorded: &Recorded) -> StateDocument {
        StateDocument {
            format_version: DOCUMENT_FORMAT.to_string(),
            lineage: recorded.lineage.clone(),
            serial: recorded.serial,
            history: Vec::new(),
            pages: recorded
                .pages
                .values()
                .map(|p| DocumentPage {
                    address: p.address.clone(),
                    page_id: p.page_id.clone(),
                    name: p.name.clone(),
                })
                .collect(),
            links: recorded
                .links
                .values()
                .map(|l| DocumentLink {
                    address: l.address.clone(),
                    page_id: l.page_id.clone(),
                    application: l.application.clone(),
                    channel: l.channel,
                })
                .collect(),
        }
    }

    /// The ops that make `current` hold exactly this document's resources.
    ///
    /// Refused, unless `force`, when the document belongs to another state
    /// (lineage) or is older than it (serial): writing it would forget what
    /// happened since. A state that has never been written (serial 0) takes
    /// any document.
    pub(crate) fn import_ops(
        &self,
        current: &Recorded,
        force: bool,
    ) -> anyhow::Result<Vec<StateOp>> {
        if self.format_version != DOCUMENT_FORMAT {
            bail!(
                "the document has format_version {:?}; this socialform reads {DOCUMENT_FORMAT:?}",
                self.format_version
            );
        }
        if !force && current.serial > 0 {
            if self.lineage != current.lineage {
                bail!(
                    "the document belongs to another state (lineage {}, this state's is {}); \
                     pass --force to overwrite this state with it",
                    self.lineage,
                    current.lineage
                );
            }
            if self.serial < current.serial {
                bail!(
                    "the document is older than this state (serial {} < {}); \
                     pass --force to overwrite this state with it",
                    self.serial,
                    current.serial
                );
            }
        }
        let mut ops = Vec::new();
        for address in current.pages.keys() {
            if !self.pages.iter().any(|p| &p.address == address) {
                ops.push(StateOp::RemovePage(address.clone()));
            }
        }
        for address in current.links.keys() {
            if !self.links.iter().any(|l| &l.address == address) {
                ops.push(StateOp::RemoveLink(address.clone()));
            }
        }
        for page in &self.pages {
            let kept = current
                .pages
                .get(&page.address)
                .filter(|r| r.page_id == page.page_id)
                .and_then(|r| r.token_fingerprint.clone());
            ops.push(StateOp::PutPage(PageRecord {
                address: page.address.clone(),
                page_id: page.page_id.clone(),
                name: page.name.clone(),
                token_fingerprint: kept,
            }));
        }
        for link in &self.links {
            ops.push(StateOp::PutLink(LinkRecord {
                address: link.address.clone(),
                page_id: link.page_id.clone(),
                application: link.application.clone(),
                channel: link.channel,
            }));
        }
        Ok(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(lineage: &str, serial: u64) -> Recorded {
        let mut recorded = Recorded {
            lineage: lineage.into(),
            serial,
            ..Recorded::default()
        };
        for (name, id) in [("support", "1"), ("sales", "2")] {
            recorded.pages.insert(
                Address::page(name),
                PageRecord {
                    address: Address::page(name),
                    page_id: id.into(),
                    name: Some(name.into()),
                    token_fingerprint: Some(format!("fp{id}")),
                },
            );
        }
        recorded
    }

    #[test]
    fn a_round_trip_keeps_fingerprints_and_the_document_has_none() {
        let current = recorded("L", 3);
        let document = StateDocument::from_recorded(&current);
        assert!(!serde_json::to_string(&document).unwrap().contains("fp1"));
        let ops = document.import_ops(&current, false).unwrap();
        let mut after = current.clone();
        after.apply(&ops);
        assert_eq!(after, current);
    }

    /// Every key the code writes is in the schema, and every key the schema
    /// requires is written.
    #[test]
    fn the_document_matches_its_json_schema() {
        let schema: serde_json::Value = serde_json::from_str(DOCUMENT_SCHEMA).unwrap();
        let mut recorded = recorded("L", 3);
        recorded.links.insert(
            Address::link("bot"),
            super::super::LinkRecord {
                address: Address::link("bot"),
                page_id: "1".into(),
                application: "app".into(),
                channel: Default::default(),
            },
        );
        recorded.links.insert(
            Address::link("wa"),
            super::super::LinkRecord {
                address: Address::link("wa"),
                page_id: "447700900123".into(),
                application: "app".into(),
                channel: crate::channel::Channel::Whatsapp,
            },
        );
        let document = serde_json::to_value(StateDocument::from_recorded(&recorded)).unwrap();
        let keys = |value: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        let required = |schema: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&document), required(&schema));
        // `history` is the one optional property (errored.sfstate.json only).
        let mut properties = keys(&schema["properties"]);
        properties.retain(|k| k != "history");
        assert_eq!(properties, required(&schema));
        for kind in ["pages", "links"] {
            let items = &schema["properties"][kind]["items"];
            let allowed = keys(&items["properties"]);
            for item in document[kind].as_array().unwrap() {
                let written = keys(item);
                for key in required(items) {
                    assert!(written.contains(&key), "{kind}: {key} is required");
                }
                for key in &written {
                    assert!(allowed.contains(key), "{kind}: {key} is not in the schema");
                }
            }
        }
        assert_eq!(
            schema["properties"]["format_version"]["const"],
            DOCUMENT_FORMAT
        );
    }

    #[test]
    fn another_lineage_or_an_older_serial_is_refused_unless_forced() {
        let current = recorded("L", 3);
        let mut document = StateDocument::from_recorded(&current);
        document.pages.pop();
        document.lineage = "other".into();
        let error = document.import_ops(&current, false).unwrap_err();
        assert!(error.to_string().contains("another state"), "{error}");
        assert!(document.import_ops(&current, true).is_ok());

        document.lineage = "L".into();
        document.serial = 2;
        let error = document.import_ops(&current, false).unwrap_err();
        assert!(error.to_string().contains("older"), "{error}");
        let ops = document.import_ops(&current, true).unwrap();
        assert!(ops.contains(&StateOp::RemovePage(Address::page("support"))));

        // A state never written takes anything.
        assert!(document.import_ops(&Recorded::default(), false).is_ok());
    }
}
