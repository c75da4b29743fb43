//! `--policy DIR` on plan, apply, destroy and drift: the policies are read
//! before the run (one that does not parse fails before state is locked or
//! an API called), then judge the command's `--json` document. A denial
//! ends the command with exit 1 before any call; every format shows what
//! the policies said.

use super::Context;
use super::args::PolicyArgs;
use crate::address::Address;
use crate::logging::phase;
use crate::policy::{Policies, Verdict};
use crate::render::{self, Locations, Style};
use serde_json::Value;
use std::path::PathBuf;

pub(crate) struct PolicyCheck {
    policies: Policies,
    /// As given on the command line, for messages.
    shown: PathBuf,
}

/// The policies' verdict on one document.
pub(crate) struct Judged {
    pub(crate) verdict: Verdict,
    shown: PathBuf,
}

impl PolicyCheck {
    /// `None` without `--policy`.
    pub(crate) fn load(
        context: &Context,
        args: &PolicyArgs,
    ) -> anyhow::Result<Option<PolicyCheck>> {
        let Some(dir) = &args.policy else {
            return Ok(None);
        };
        let _loading = phase("policy_load");
        let policies = Policies::load(&context.in_config_dir(dir), Some(&args.policy_namespace))?;
        Ok(Some(PolicyCheck {
            policies,
            shown: dir.clone(),
        }))
    }

    /// Evaluates the policies on `document`; `addresses` are the resources
    /// it is about, so findings can point at their blocks.
    pub(crate) fn judge(
        &mut self,
        document: &Value,
        addresses: &[Address],
    ) -> anyhow::Result<Judged> {
        let _evaluating = phase("policy");
        Ok(Judged {
            verdict: self.policies.evaluate(document, addresses)?,
            shown: self.shown.clone(),
        })
    }
}

impl Judged {
    pub(crate) fn denied(&self) -> bool {
        self.verdict.denied()
    }

    /// `document` with the verdict as its `policy` member.
    pub(crate) fn attach(&self, document: &mut Value) {
        document["policy"] = self.member();
    }

    /// The `policy` member of a JSON document.
    pub(crate) fn member(&self) -> Value {
        let mut member = self.verdict.document();
        member["directory"] = Value::String(self.shown.display().to_string());
        member
    }

    pub(crate) fn text(&self, style: &Style) -> String {
        render::policy_text(&self.verdict, &self.shown, style)
    }

    pub(crate) fn markdown(&self) -> String {
        render::policy_markdown(&self.verdict, &self.shown)
    }

    pub(crate) fn annotations(&self, locations: &Locations) -> String {
        render::policy_annotations(&self.verdict, locations)
    }

    /// The error line of a denied command.
    pub(crate) fn refusal(&self, command: &str) -> String {
        format!(
            "error: {} denial(s) from the policies in {}: this {command} stops here, before \
             any API call; change the configuration (or the policy) and run it again",
            self.verdict.denials().count(),
            self.shown.display()
        )
    }
}
