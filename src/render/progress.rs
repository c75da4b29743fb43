//! Reporters: what a person sees while an operation runs. Per-call lines
//! during apply, a note while waiting for the state lock, warnings.

use super::style::Style;
use crate::apply::{CallObserver, CallOutcome};
use crate::ops::Reporter;
use crate::plan::Call;
use crate::refresh::RefreshObserver;
use crate::session::SessionObserver;
use crate::state::{LockHeld, LockObserver};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// From how many calls an apply on a terminal shows a progress bar.
const PROGRESS_BAR_FROM: usize = 10;
use std::time::Duration;

fn who(call: &Call) -> String {
    call.addresses
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a reporter writes: shared, so that lines from concurrent calls
/// never interleave mid-line.
pub(crate) type Sink = Arc<Mutex<dyn Write + Send>>;

/// Reports for people: one line when a call starts and one when it ends
/// (on `out`), lock waits and warnings (on `err`); on a terminal, a
/// progress bar of the calls under them.
pub(crate) struct HumanReporter {
    style: Style,
    out: Sink,
    err: Sink,
    /// Only when stderr (where it is drawn) is a terminal: never in a pipe,
    /// a log or a test's capture.
    progress: Option<ProgressBar>,
}

impl HumanReporter {
    pub(crate) fn new(style: Style, out: Sink, err: Sink) -> HumanReporter {
        HumanReporter {
            style,
            out,
            err,
            progress: None,
        }
    }

    /// On the process's stdout and stderr, with a progress bar when both
    /// are a terminal.
    pub(crate) fn terminal(style: Style) -> HumanReporter {
        use std::io::IsTerminal;
        let mut reporter = HumanReporter::new(
            style,
            Arc::new(Mutex::new(std::io::stdout())),
            Arc::new(Mutex::new(std::io::stderr())),
        );
        if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() {
            reporter.progress = Some(ProgressBar::hidden());
        }
        reporter
    }

    /// Writes one line, with the progress bar (if any) out of the way.
    fn line(&self, sink: &Sink, text: std::fmt::Arguments<'_>) {
        let write = || {
            let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
            // A closed pipe (`| head`) must not stop an apply half-way.
            let _ = sink.write_fmt(text).and_then(|()| sink.write_all(b"\n"));
            let _ = sink.flush();
        };
        match &self.progress {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl CallObserver for HumanReporter {
    fn calls_starting(&self, total: usize) {
        // A bar for a couple of calls is only flicker.
        if let Some(bar) = &self.progress
            && total >= PROGRESS_BAR_FROM
        {
            bar.set_length(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} calls, {elapsed} (about {eta} left) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn calls_finished(&self) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
    }

    fn call_started(&self, _index: usize, call: &Call) {
        self.line(
            &self.out,
            format_args!("{}: {} {} ...", who(call), call.method.as_str(), call.path),
        );
    }

    fn call_finished(&self, _index: usize, call: &Call, outcome: &CallOutcome, elapsed: Duration) {
        let took = format!("[{:.2}s]", elapsed.as_secs_f64());
        match outcome {
            CallOutcome::Done => self.line(
                &self.out,
                format_args!("{}: {} {took}", who(call), self.style.green("done")),
            ),
            CallOutcome::Failed(message) => self.line(
                &self.out,
                format_args!(
                    "{}: {} {message} {took}",
                    who(call),
                    self.style.red("failed:")
                ),
            ),
            // The summary lists them, once, at the end.
            CallOutcome::NotAttempted | CallOutcome::Unrecorded(_) => {}
        }
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
    }

    fn call_unrecorded(&self, _index: usize, call: &Call, message: &str) {
        self.line(
            &self.out,
            format_args!(
                "{}: {} {message}",
                who(call),
                self.style.red("not recorded:")
            ),
        );
    }
}

impl LockObserver for HumanReporter {
    fn waiting_for_lock(&self, held: &LockHeld) {
        let holder = match &held.holder {
            Some(info) => format!(
                "pid {} (socialform {}, since {}, {})",
                info.pid, info.command, info.since, info.who
            ),
            None => "another socialform process".to_string(),
        };
        self.line(
            &self.err,
            format_args!(
                "Waiting up to {} for the state lock, held by {holder} ...",
                humantime::format_duration(held.waited)
            ),
        );
    }
}

impl RefreshObserver for HumanReporter {
    fn refresh_started(&self) {
        tracing::info!("refreshing: reading the remote side");
    }

    fn refresh_finished(&self, pages: usize, applications: usize) {
        tracing::info!(pages, applications, "refreshed");
    }
}

impl SessionObserver for HumanReporter {
    fn warning(&self, message: &str) {
        self.line(&self.err, format_args!("warning: {message}"));
    }
}

impl Reporter for HumanReporter {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::plan::{CallOp, Method};
    use crate::state::LockInfo;

    fn sink() -> (Sink, Arc<Mutex<Vec<u8>>>) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        (buffer.clone() as Sink, buffer)
    }

    fn text(buffer: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn calls_lock_waits_and_warnings_go_where_they_belong() {
        let (out, out_buffer) = sink();
        let (err, err_buffer) = sink();
        let reporter = HumanReporter::new(Style::plain(), out, err);
        let call = Call {
            method: Method::Post,
            path: "/beta/chatapp-accounts/messenger".into(),
            addresses: vec![Address::page("support"), Address::link("bot")],
            op: CallOp::Disconnect {
                page_id: "1".into(),
            },
            depends_on: vec![],
            state_ops: vec![],
        };
        reporter.call_started(0, &call);
        reporter.call_finished(0, &call, &CallOutcome::Done, Duration::from_millis(1234));
        reporter.call_finished(0, &call, &CallOutcome::NotAttempted, Duration::ZERO);
        reporter.waiting_for_lock(&LockHeld {
            lock: "lock file: state/lock".into(),
            holder: Some(LockInfo {
                pid: 7,
                command: "apply".into(),
                who: "ann@box".into(),
                since: "2026-12-01T00:00:00Z".into(),
            }),
            waited: Duration::from_secs(30),
        });
        reporter.warning("the history could not be written: disk full");
        assert_eq!(
            text(&out_buffer),
            "page.support, link.bot: POST /beta/chatapp-accounts/messenger ...\n\
             page.support, link.bot: done [1.23s]\n"
        );
        assert_eq!(
            text(&err_buffer),
            "Waiting up to 30s for the state lock, held by pid 7 (socialform apply, since \
             2026-12-01T00:00:00Z, ann@box) ...\n\
             warning: the history could not be written: disk full\n"
        );
    }
}
