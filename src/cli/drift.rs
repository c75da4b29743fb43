//! `socialform drift`: refresh only, change nothing, report what moved.
//!
//! Made for CI: it works with no state at all (pages are keyed by page ID,
//! so configuration against remote is enough) and without the page tokens
//! (an unset token variable only skips that page's token comparison).

use super::args::{DriftArgs, GlobalArgs};
use super::{EXIT_CHANGES, EXIT_OK};
use crate::config::CliVar;
use crate::plan::drift_report;
use crate::refresh::{expected_pages, refresh};
use crate::render::{self, Style};
use crate::state::{Fingerprinter, Recorded, SledStore, StateLock, StateStore};
use crate::workspace::Workspace;
use anyhow::Context;

pub async fn run(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    args: DriftArgs,
    style: Style,
) -> anyhow::Result<u8> {
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone())
        .with_network(super::network_options(global)?);
    let desired = workspace.load_config(vars, true)?;

    // With no state, nothing is created: a CI job leaves no trace behind. A
    // throwaway key fingerprints configured and remote tokens alike.
    let mut _lock: Option<StateLock> = None;
    let (recorded, fingerprinter) = if workspace.state_dir.join("db").exists() {
        let (lock, store): (StateLock, SledStore) =
            workspace.open_state("drift", args.lock_timeout)?;
        _lock = Some(lock);
        (store.load()?, store.fingerprinter())
    } else {
        let mut key = vec![0u8; 32];
        rand::fill(&mut key[..]);
        (Recorded::default(), Fingerprinter::new(key))
    };

    let connection = workspace.connect(&desired.provider).await?;
    let actual = refresh(
        &connection.client,
        &fingerprinter,
        expected_pages(&desired, &recorded),
    )
    .await
    .context("could not read the remote side (refresh)")?;
    let mut report = drift_report(&desired, &recorded, &actual, &|token| {
        fingerprinter.fingerprint(token)
    });
    if args.ignore_unmanaged {
        report.unmanaged.clear();
    }
    if args.json {
        println!("{}", render::drift_document(&report));
    } else {
        print!("{}", render::drift_text(&report, &style));
    }
    Ok(
        if report.drifted.is_empty() && report.unmanaged.is_empty() {
            EXIT_OK
        } else {
            EXIT_CHANGES
        },
    )
}
