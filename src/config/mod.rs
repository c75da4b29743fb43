//! Loading a configuration directory: parse every `*.hcl` file, evaluate
//! variables, locals, `for_each` and references, check the static rules, and
//! produce a `Desired`. No network, no state.

mod diagnostic;

pub use diagnostic::{Diagnostic, Diagnostics};

use crate::desired::Desired;
use std::path::PathBuf;

/// Where variable values come from, besides the directory's own
/// `socialform.sfvars` and `*.auto.sfvars`.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub dir: PathBuf,
    /// `--var NAME=VALUE` and `--var-file FILE`, in command-line order
    /// (later wins, as in Terraform).
    pub cli_vars: Vec<CliVar>,
    /// `SF_VAR_<name>` and anything `env(NAME)` reads. Taken as a snapshot so
    /// tests need not touch the process environment.
    pub env: Vec<(String, String)>,
    /// For `drift` without page tokens: an `access_token` whose variable is
    /// unset becomes `None` instead of an error.
    pub allow_unknown_tokens: bool,
}

#[derive(Clone, Debug)]
pub enum CliVar {
    /// `--var NAME=VALUE`
    Pair { name: String, value: String },
    /// `--var-file FILE`
    File(PathBuf),
}

/// Loads and checks the configuration in `options.dir`.
pub fn load(_options: &LoadOptions) -> Result<Desired, Diagnostics> {
    todo!()
}
