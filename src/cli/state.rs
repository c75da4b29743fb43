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

pub async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    command: StateCommand,
) -> anyhow::Result<u8> {
    let printer = &context.printer;
    let workspace = context.offline_workspace().with_configured_backend(vars)?;
    match command {
        StateCommand::List(_) => {
            // No state lists nothing: scripts iterate over the lines.
            if let Some(recorded) = read_state(&workspace, "state list")? {
                for address in state_edit::addresses(&recorded) {
                    printer.line(&address);
                }
            }
        }
        StateCommand::Show(args) => {
            let address: Address = args.address.parse()?;
            let Some(recorded) = read_state(&workspace, "state show")? else {
                printer.line(NO_STATE);
                return Ok(EXIT_OK);
            };
            let found = state_edit::find(&recorded, &address)?;
            printer.out(&render::resource_text(&found, &printer.style));
        }
        StateCommand::Pull(_) => {
            let Some(recorded) = read_state(&workspace, "state pull")? else {
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
                &workspace,
                &args.addresses,
                args.lock_timeout,
                printer.reporter(),
            )?;
            printer.out(&render::removed_text(&ops));
        }
        StateCommand::Mv(args) => {
            let pairs = state_edit::mv(
                &workspace,
                &args.source,
                &args.destination,
                args.lock_timeout,
                printer.reporter(),
            )?;
            printer.out(&render::moved_text(&pairs));
        }
        StateCommand::Push(args) => {
            let file = context.in_config_dir(&args.file);
            let pushed = state_edit::push(
                &workspace,
                &file,
                args.force,
                args.lock_timeout,
                printer.reporter(),
            )?;
            printer.line(&format!(
                "Pushed {} into {}: {} page(s), {} link(s), now at serial {}.",
                file.display(),
                workspace.backend.describe(),
                pushed.pages,
                pushed.links,
                pushed.serial
            ));
        }
        StateCommand::Migrate(args) => {
            let migrated = state_edit::migrate(&workspace, args.lock_timeout, printer.reporter())?;
            printer.line(&format!(
                "Migrated {} page(s) and {} link(s) from {} to {}, with their history. \
                 The local store was left as it was; remove it once `socialform plan` shows no changes.",
                migrated.pages, migrated.links, migrated.from, migrated.to
            ));
        }
    }
    Ok(EXIT_OK)
}
