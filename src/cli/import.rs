//! `socialform import ADDR ID` (a page or an application) and `import --all-unmanaged
//! --generate-config-out FILE`: see `ops::import`.

use super::args::ImportArgs;
use super::{Context, EXIT_OK};
use crate::config::CliVar;
use crate::ops::import::{ImportRequest, Imported};
use crate::render;
use anyhow::bail;

pub(crate) async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    args: ImportArgs,
) -> anyhow::Result<u8> {
    let request = match (args.generate_config_out, args.address, args.page_id) {
        (Some(file), _, _) => ImportRequest::AllUnmanaged { file },
        (None, Some(address), Some(page_id)) => ImportRequest::One { address, page_id },
        // clap requires either form; this is only a safety net.
        _ => bail!(
            "usage: socialform import ADDR ID, or import --all-unmanaged --generate-config-out FILE"
        ),
    };
    let printer = &context.printer;
    let imported = crate::ops::import::import(
        &context.session(&args.network)?,
        vars,
        request,
        args.lock_timeout,
        printer.reporter(),
    )
    .await?;
    if printer.is_json() {
        printer.json(&render::imported_document(&imported));
        return Ok(EXIT_OK);
    }
    printer.out(&match &imported {
        Imported::One(ops) => render::imported_text(ops),
        Imported::AllUnmanaged(written) => render::generated_text(written.as_ref()),
    });
    Ok(EXIT_OK)
}
