//! `socialform show [PLAN_FILE]`: the state, or a saved plan.

use super::args::ShowArgs;
use super::{Context, EXIT_OK};
use crate::config::CliVar;
use crate::plan::saved::SavedPlan;
use crate::render::{self, Format};
use crate::state::StateDocument;
use serde_json::json;

pub(crate) fn run(context: &Context, vars: Vec<CliVar>, args: ShowArgs) -> anyhow::Result<u8> {
    let printer = &context.printer;
    if let Some(path) = &args.plan_file {
        let saved = SavedPlan::read(&context.in_config_dir(path))?;
        let title = format!(
            "saved plan, made {} (state serial {})",
            saved.created_at, saved.serial
        );
        let see_all = context.command_line(&format!("show {}", path.display()));
        match printer.format {
            Format::Json => {
                let mut document = render::plan_document(&saved.plan, &saved.resource_changes);
                document["created_at"] = json!(saved.created_at);
                document["state"] = json!({"lineage": saved.lineage, "serial": saved.serial});
                printer.json_pretty(&document);
            }
            Format::Markdown => printer.out(&render::plan_markdown(
                &saved.plan,
                saved.options().mode,
                &title,
                &see_all,
            )),
            Format::Human | Format::Github => {
                printer.line(&format!(
                    "Saved plan made {} (state serial {}).\n",
                    saved.created_at, saved.serial
                ));
                printer.out(&render::plan_text(
                    &saved.plan,
                    saved.options().mode,
                    &printer.style,
                ));
                if printer.format == Format::Github {
                    // Where the blocks are, when the configuration loads
                    // without the page tokens; otherwise annotations name
                    // no file.
                    let locations = context
                        .offline_session()
                        .load(&crate::session::ConfigRequest {
                            vars: Vec::new(),
                            allow_unknown_tokens: true,
                            allow_unset_credentials: false,
                        })
                        .map(|desired| context.locations(&desired))
                        .unwrap_or_default();
                    printer.out(&render::plan_annotations(&saved.plan, &locations, "plan"));
                    printer.step_summary(&render::plan_markdown(
                        &saved.plan,
                        saved.options().mode,
                        &title,
                        &see_all,
                    ));
                }
            }
        }
        return Ok(EXIT_OK);
    }
    let backend = context.offline_session().configured_backend(vars)?;
    let recorded =
        crate::ops::show::read_state(&backend, "show", args.lock_timeout, printer.reporter())?;
    let see_all = context.command_line("show");
    if printer.format == Format::Github {
        printer.step_summary(&render::state_markdown(recorded.as_ref(), &see_all));
    }
    match (recorded, printer.format) {
        (None, Format::Json) => {
            printer.json(&json!({"format_version": "1.0", "pages": [], "links": []}))
        }
        (None, Format::Human | Format::Github) => printer.line("No state: nothing is managed yet."),
        (Some(recorded), Format::Json) => printer.json_pretty(&render::state_document(
            &StateDocument::from_recorded(&recorded),
        )),
        (Some(recorded), Format::Human | Format::Github) => {
            printer.out(&render::state_text(&recorded, &printer.style))
        }
        (recorded, Format::Markdown) => {
            printer.out(&render::state_markdown(recorded.as_ref(), &see_all))
        }
    }
    Ok(EXIT_OK)
}
