//! `socialform show`: the state, for people or as JSON.

use super::EXIT_OK;
use super::args::{GlobalArgs, ShowArgs};
use crate::plan::saved::SavedPlan;
use crate::render::{self, Style};
use crate::state::StateStore;
use crate::workspace::Workspace;
use serde_json::json;
use std::time::Duration;

pub fn run(global: &GlobalArgs, args: ShowArgs, style: Style) -> anyhow::Result<u8> {
    if let Some(path) = &args.plan_file {
        let saved = SavedPlan::read(&super::in_config_dir(global, path))?;
        if args.json {
            let mut document = render::plan_document(&saved.plan);
            document["created_at"] = json!(saved.created_at);
            document["state"] = json!({"lineage": saved.lineage, "serial": saved.serial});
            println!("{}", serde_json::to_string_pretty(&document)?);
        } else {
            println!(
                "Saved plan made {} (state serial {}).\n",
                saved.created_at, saved.serial
            );
            print!("{}", render::plan_text(&saved.plan, &style));
        }
        return Ok(EXIT_OK);
    }
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone());
    if !workspace.state_dir.join("db").exists() {
        if args.json {
            println!(
                "{}",
                json!({"format_version": "1.0", "pages": [], "links": []})
            );
        } else {
            println!("No state: nothing is managed yet.");
        }
        return Ok(EXIT_OK);
    }
    let (_lock, store) = workspace.open_state("show", Duration::ZERO)?;
    let recorded = store.load()?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&render::state_document(&recorded))?
        );
        return Ok(EXIT_OK);
    }
    if recorded.pages.is_empty() && recorded.links.is_empty() {
        println!("The state is empty.");
    }
    for page in recorded.pages.values() {
        println!("{}", style.bold(&format!("# {}:", page.address)));
        println!("page {{");
        println!("    page_id      = {:?}", page.page_id);
        if let Some(name) = &page.name {
            println!("    name         = {name:?}");
        }
        println!("    access_token = (sensitive value)");
        println!("}}\n");
    }
    for link in recorded.links.values() {
        println!("{}", style.bold(&format!("# {}:", link.address)));
        println!("link {{");
        println!("    page        = {:?}", link.page_id);
        println!("    application = {:?}", link.application);
        println!("}}\n");
    }
    Ok(EXIT_OK)
}
