//! Per-resource progress lines during apply.

use super::style::Style;
use crate::apply::{CallOutcome, Reporter};
use crate::plan::Call;
use std::io::Write;
use std::time::Duration;

fn who(call: &Call) -> String {
    call.addresses
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints one line when a call starts and one when it ends.
pub struct HumanReporter {
    pub style: Style,
}

impl Reporter for HumanReporter {
    fn call_started(&self, _index: usize, call: &Call) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}: {} {} ...",
            who(call),
            call.method.as_str(),
            call.path
        );
    }

    fn call_finished(&self, _index: usize, call: &Call, outcome: &CallOutcome, elapsed: Duration) {
        let mut out = std::io::stdout().lock();
        let took = format!("[{:.2}s]", elapsed.as_secs_f64());
        let _ = match outcome {
            CallOutcome::Done => {
                writeln!(out, "{}: {} {took}", who(call), self.style.green("done"))
            }
            CallOutcome::Failed(message) => {
                writeln!(
                    out,
                    "{}: {} {message} {took}",
                    who(call),
                    self.style.red("failed:")
                )
            }
            CallOutcome::NotAttempted => writeln!(out, "{}: not attempted", who(call)),
        };
    }
}

/// For `--json`: the document at the end says it all.
pub struct SilentReporter;

impl Reporter for SilentReporter {
    fn call_started(&self, _index: usize, _call: &Call) {}
    fn call_finished(
        &self,
        _index: usize,
        _call: &Call,
        _outcome: &CallOutcome,
        _elapsed: Duration,
    ) {
    }
}
