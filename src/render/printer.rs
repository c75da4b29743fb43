//! The one place the CLI's output leaves the process. Colour and the
//! output format are decided once, when the printer is made; commands hand
//! it finished text or documents.

use super::style::Style;
use std::io::Write;

/// How results are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    /// One JSON document on stdout, also when the command fails.
    Json,
    /// A Markdown report on stdout (a pull-request comment, a job summary).
    Markdown,
    /// The human view plus GitHub Actions workflow commands, and the
    /// Markdown report appended to `$GITHUB_STEP_SUMMARY` when it is set.
    Github,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Printer {
    /// Colour for stdout (on only when stdout is a terminal).
    pub(crate) style: Style,
    /// Colour for stderr (on only when stderr is a terminal).
    pub(crate) err_style: Style,
    pub(crate) format: Format,
}

impl Printer {
    pub(crate) fn new(style: Style, err_style: Style) -> Printer {
        Printer {
            style,
            err_style,
            format: Format::Human,
        }
    }

    /// The same printer, showing results as `format`.
    pub(crate) fn with_format(self, format: Format) -> Printer {
        Printer { format, ..self }
    }

    pub(crate) fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Results, on stdout. A closed pipe (`| head`) is not an error worth
    /// a panic: what was wanted has been read.
    pub(crate) fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    }

    /// A result line, on stdout.
    pub(crate) fn line(&self, text: &str) {
        self.out(&format!("{text}\n"));
    }

    /// A JSON document, compact, on one line of stdout.
    pub(crate) fn json(&self, document: &serde_json::Value) {
        self.line(&document.to_string());
    }

    /// A JSON document, indented, on stdout.
    pub(crate) fn json_pretty(&self, document: &serde_json::Value) {
        let text = serde_json::to_string_pretty(document).unwrap_or_default();
        self.line(&text);
    }

    /// Errors, warnings and notes, on stderr.
    pub(crate) fn err(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr
            .write_all(text.as_bytes())
            .and_then(|()| stderr.flush());
    }

    pub(crate) fn err_line(&self, text: &str) {
        self.err(&format!("{text}\n"));
    }

    /// The reporter that goes with this printer: silent for JSON, whose
    /// document at the end says it all; for Markdown, progress goes to
    /// stderr so that stdout holds the report alone.
    pub(crate) fn reporter(&self) -> std::sync::Arc<dyn crate::ops::Reporter> {
        use std::sync::{Arc, Mutex};
        match self.format {
            Format::Json => Arc::new(crate::ops::Silent),
            Format::Markdown => Arc::new(super::HumanReporter::new(
                self.err_style,
                Arc::new(Mutex::new(std::io::stderr())),
                Arc::new(Mutex::new(std::io::stderr())),
            )),
            Format::Human | Format::Github => Arc::new(super::HumanReporter::terminal(self.style)),
        }
    }

    /// Appends `markdown` to the job summary (`$GITHUB_STEP_SUMMARY`) when
    /// GitHub Actions set it; earlier steps' summaries are kept. A summary
    /// that cannot be written is a warning, not a failed command.
    pub(crate) fn step_summary(&self, markdown: &str) {
        let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
            return;
        };
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| {
                let separator = if file.metadata()?.len() > 0 { "\n" } else { "" };
                file.write_all(format!("{separator}{markdown}").as_bytes())
            });
        if let Err(error) = written {
            self.err_line(&format!(
                "warning: could not append to GITHUB_STEP_SUMMARY ({}): {error}",
                std::path::Path::new(&path).display()
            ));
        }
    }
}
