//! `socialform validate`

use super::args::{GlobalArgs, ValidateArgs};
use super::{EXIT_ERROR, EXIT_OK};
use crate::config::CliVar;
use crate::render::Style;
use crate::workspace::Workspace;

pub fn run(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    args: ValidateArgs,
    style: Style,
) -> anyhow::Result<u8> {
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone());
    // Validation needs no page token: CI often validates without them.
    let result = workspace.load_config(vars, true);
    if args.json {
        println!("{}", crate::render::validate_document(&result));
        return Ok(if result.is_ok() { EXIT_OK } else { EXIT_ERROR });
    }
    let desired = result?;
    println!(
        "{} {} page(s), {} link(s).",
        style.green("Success! The configuration is valid:"),
        desired.pages.len(),
        desired.links.len()
    );
    Ok(EXIT_OK)
}
