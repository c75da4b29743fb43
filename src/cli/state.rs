//! `socialform state list / show / rm / mv / pull / push / migrate`: see
//! `ops::state_edit`. None of them calls the Vonage API.

use super::args::StateCommand;
use super::{Context, EXIT_OK};
use crate::address::Address;
use crate::config::CliVar;
use crate::ops::show::read_state;
use crate::ops::state_edit;
use crate::render::{self, NO_STATE};
use crate::state::StateDocument;
use serde_json::json;

pub(crate) async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    command: StateCommand,
) -> anyhow::Result<u8> {
    let printer = &context.printer;
    let backend = context.offline_session().configured_backend(vars)?;
    match command {
        StateCommand::List(args) => {
            // No state lists nothing: scripts iterate over the lines.
            let recorded = read_state(
                &backend,
                "state list",
                args.lock_timeout,
                printer.reporter(),
            )?;
            let addresses = recorded
                .as_ref()
                .map(state_edit::addresses)
                .unwrap_or_default();
            if printer.is_json() {
                printer.json(&json!({"format_version": "1.0", "addresses": addresses}));
            } else {
                for address in addresses {
                    printer.line(&address);
                }
            }
        }
        StateCommand::Show(args) => {
            let address: Address = args.address.parse()?;
            let Some(recorded) = read_state(
                &backend,
                "state show",
                args.lock_timeout,
                printer.reporter(),
            )?
            else {
                if printer.is_json() {
                    printer.json(&json!({"format_version": "1.0", "resource": null}));
                    return Ok(EXIT_OK);
                }
                printer.line(NO_STATE);
                return Ok(EXIT_OK);
            };
            let found = state_edit::find(&recorded, &address)?;
            if printer.is_json() {
                printer.json_pretty(&render::resource_document(&found));
            } else {
                printer.out(&render::resource_text(&found, &printer.style));
            }
        }
        StateCommand::Pull(args) => {
            let Some(recorded) = read_state(
                &backend,
                "state pull",
                args.lock_timeout,
                printer.reporter(),
            )?
            else {
                // stdout stays empty so that `state pull > file` keeps no
                // half document; the explanation goes to stderr.
                printer.err_line(NO_STATE);
                return Ok(EXIT_OK);
            };
            let document = StateDocument::from_recorded(&recorded);
            printer.json_pretty(&render::state_document(&document));
        }
        StateCommand::Rm(args) => {
            let ops = state_edit::rm(
                &backend,
                &args.addresses,
                args.lock_timeout,
                printer.reporter(),
            )?;
            if printer.is_json() {
                let removed: Vec<String> = ops
                    .iter()
                    .map(|op| state_edit::op_address(op).to_string())
                    .collect();
                printer.json(&json!({"format_version": "1.0", "removed": removed}));
            } else {
                printer.out(&render::removed_text(&ops));
            }
        }
        StateCommand::Mv(args) => {
            let pairs = state_edit::mv(
                &backend,
                &args.source,
                &args.destination,
                args.lock_timeout,
                printer.reporter(),
            )?;
            if printer.is_json() {
                let moved: Vec<_> = pairs
                    .iter()
                    .map(|(from, to)| json!({"from": from, "to": to}))
                    .collect();
                printer.json(&json!({"format_version": "1.0", "moved": moved}));
            } else {
                printer.out(&render::moved_text(&pairs));
            }
        }
        StateCommand::Push(args) => {
            let file = context.in_config_dir(&args.file);
            let pushed = state_edit::push(
                &backend,
                &file,
                args.force,
                args.lock_timeout,
                printer.reporter(),
            )?;
            if printer.is_json() {
                printer.json(&json!({
                    "format_version": "1.0",
                    "pushed": file,
                    "backend": backend.describe(),
                    "pages": pushed.pages,
                    "links": pushed.links,
                    "serial": pushed.serial,
                }));
                return Ok(EXIT_OK);
            }
            printer.line(&format!(
                "Pushed {} into {}: {} page(s), {} link(s), now at serial {}.",
                file.display(),
                backend.describe(),
                pushed.pages,
                pushed.links,
                pushed.serial
            ));
            // An apply's leftover has done its job once it is in the state.
            if file
                .file_name()
                .is_some_and(|name| name == crate::ops::apply::ERRORED_FILE)
            {
                printer.line(&format!(
                    "{} is now in the state and can be deleted.",
                    file.display()
                ));
            }
        }
        StateCommand::Migrate(args) => {
            let migrated = state_edit::migrate(&backend, args.lock_timeout, printer.reporter())?;
            if printer.is_json() {
                printer.json(&json!({
                    "format_version": "1.0",
                    "from": migrated.from,
                    "to": migrated.to,
                    "pages": migrated.pages,
                    "links": migrated.links,
                }));
                return Ok(EXIT_OK);
            }
            printer.line(&format!(
                "Migrated {} page(s) and {} link(s) from {} to {}, with their history. \
                 The local store was left as it was; remove it once `socialform plan` shows no changes.",
                migrated.pages, migrated.links, migrated.from, migrated.to
            ));
        }
    }
    Ok(EXIT_OK)
}
