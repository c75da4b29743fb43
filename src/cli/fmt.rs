//! `socialform fmt [--check] [--diff]`: rewrite `*.hcl` files canonically,
//! keeping comments.

use super::args::{FmtArgs, GlobalArgs};
use super::{EXIT_OK, EXIT_UNFORMATTED};
use crate::format::{format_source, unified_diff};
use anyhow::{Context, bail};

pub fn run(global: &GlobalArgs, args: FmtArgs) -> anyhow::Result<u8> {
    let dir = &global.chdir;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "could not read the configuration directory {}",
                dir.display()
            )
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e == "hcl" || e == "sfvars")
        })
        .collect();
    files.sort();

    let mut errors = Vec::new();
    let mut unformatted = Vec::new();
    for path in &files {
        let original = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    errors.push(format!("error: {}: not valid UTF-8", path.display()));
                    continue;
                }
            },
            Err(e) => {
                errors.push(format!("error: {}: {e}", path.display()));
                continue;
            }
        };
        let formatted = match format_source(&original) {
            Ok(formatted) => formatted,
            Err(e) => {
                errors.push(format!(
                    "error: {}:{}:{}: {}\n  help: fix the syntax error, then run fmt again",
                    path.display(),
                    e.line,
                    e.column,
                    e.message
                ));
                continue;
            }
        };
        if formatted == original {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        unformatted.push(name.clone());
        if args.diff {
            print!("{}", unified_diff(&name, &original, &formatted));
        }
        if args.check {
            if !args.diff {
                println!("{name}");
            }
        } else {
            std::fs::write(path, &formatted)
                .with_context(|| format!("could not write {}", path.display()))?;
            if !args.diff {
                println!("{name}");
            }
        }
    }
    if !errors.is_empty() {
        for error in &errors {
            eprintln!("{error}");
        }
        bail!(
            "{} file(s) could not be formatted; nothing was written for them",
            errors.len()
        );
    }
    Ok(if args.check && !unformatted.is_empty() {
        EXIT_UNFORMATTED
    } else {
        EXIT_OK
    })
}
