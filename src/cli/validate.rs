//! `socialform validate`

use super::EXIT_OK;
use super::args::GlobalArgs;
use crate::config::CliVar;
use crate::render::Style;
use crate::workspace::Workspace;

pub fn run(global: &GlobalArgs, vars: Vec<CliVar>, style: Style) -> anyhow::Result<u8> {
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone());
    // Validation needs no page token: CI often validates without them.
    let desired = workspace.load_config(vars, true)?;
    println!(
        "{} {} page(s), {} link(s).",
        style.green("Success! The configuration is valid:"),
        desired.pages.len(),
        desired.links.len()
    );
    Ok(EXIT_OK)
}
