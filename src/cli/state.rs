//! `socialform state list / show / rm / mv / pull`: see `ops::state_edit`.

use super::args::StateCommand;
use super::{Context, EXIT_OK};
use crate::address::Address;
use crate::ops::show::read_state;
use crate::ops::state_edit;
use crate::render::{self, NO_STATE};
use crate::state::StateDocument;

pub fn run(context: &Context, command: StateCommand) -> anyhow::Result<u8> {
    let printer = &context.printer;
    let workspace = context.local_workspace();
    match command {
        StateCommand::List => {
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
        StateCommand::Pull => {
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
    }
    Ok(EXIT_OK)
}
