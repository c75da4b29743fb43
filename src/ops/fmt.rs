//! `fmt`: rewrite the configuration's `*.hcl` and `*.sfvars` files
//! canonically, keeping comments.

use crate::format::{format_source, unified_diff};
use anyhow::Context;
use std::path::Path;

/// A file whose text is not canonical.
pub(crate) struct Unformatted {
    /// The file name, as printed.
    pub(crate) name: String,
    /// A unified diff from its text to the canonical one.
    pub(crate) diff: String,
}

#[derive(Default)]
pub(crate) struct FmtReport {
    pub(crate) unformatted: Vec<Unformatted>,
    /// Files that could not be read or parsed, as complete messages; they
    /// are left as they are.
    pub(crate) errors: Vec<String>,
}

/// Formats every configuration file in `dir`, in name order; with `check`
/// only reports, writing nothing.
pub(crate) fn fmt(dir: &Path, check: bool) -> anyhow::Result<FmtReport> {
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

    let mut report = FmtReport::default();
    for path in &files {
        let original = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    report
                        .errors
                        .push(format!("error: {}: not valid UTF-8", path.display()));
                    continue;
                }
            },
            Err(e) => {
                report
                    .errors
                    .push(format!("error: {}: {e}", path.display()));
                continue;
            }
        };
        let formatted = match format_source(&original) {
            Ok(formatted) => formatted,
            Err(e) => {
                report.errors.push(format!(
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
        if !check {
            std::fs::write(path, &formatted)
                .with_context(|| format!("could not write {}", path.display()))?;
        }
        report.unformatted.push(Unformatted {
            diff: unified_diff(&name, &original, &formatted),
            name,
        });
    }
    Ok(report)
}
