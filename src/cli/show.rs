//! `socialform show [PLAN_FILE]`: the state, or a saved plan.

use super::args::ShowArgs;
use super::{Context, EXIT_OK};
use crate::config::CliVar;
use crate::plan::saved::SavedPlan;
use crate::render;
use crate::state::StateDocument;
use serde_json::json;

pub fn run(context: &Context, vars: Vec<CliVar>, args: ShowArgs) -> anyhow::Result<u8> {
    let printer = &context.printer;
    if let Some(path) = &args.plan_file {
        let saved = SavedPlan::read(&context.in_config_dir(path))?;
        if args.json {
            let mut document = render::plan_document(&saved.plan);
            document["created_at"] = json!(saved.created_at);
            document["state"] = json!({"lineage": saved.lineage, "serial": saved.serial});
            printer.json_pretty(&document);
        } else {
            printer.line(&format!(
                "Saved plan made {} (state serial {}).\n",
                saved.created_at, saved.serial
            ));
            printer.out(&render::plan_text(
                &saved.plan,
                saved.options().mode,
                &printer.style,
            ));
        }
        return Ok(EXIT_OK);
    }
    let workspace = context.offline_workspace().with_configured_backend(vars)?;
    let recorded = crate::ops::show::read_state(&workspace, "show")?;
    match (recorded, args.json) {
        (None, true) => printer.json(&json!({"format_version": "1.0", "pages": [], "links": []})),
        (None, false) => printer.line("No state: nothing is managed yet."),
        (Some(recorded), true) => printer.json_pretty(&render::state_document(
            &StateDocument::from_recorded(&recorded),
        )),
        (Some(recorded), false) => printer.out(&render::state_text(&recorded, &printer.style)),
    }
    Ok(EXIT_OK)
}
