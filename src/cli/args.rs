//! Command-line arguments (clap).

use crate::render::Format;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "socialform",
    version,
    about = "Declare Facebook Pages connected to Vonage, and their application links, in HCL; plan and apply the minimal API calls."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Configuration directory.
    #[arg(
        short = 'C',
        long = "chdir",
        global = true,
        default_value = ".",
        value_name = "DIR"
    )]
    pub(crate) chdir: PathBuf,
    /// Local state directory, for the commands that read or write state
    /// (default: state/ inside the configuration directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,
    /// No colour, even on a terminal (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub(crate) no_color: bool,
    /// More diagnostics on stderr (repeatable: -v info, -vv every HTTP
    /// request, -vvv trace). RUST_LOG overrides. Never shows tokens.
    #[arg(short = 'v', long = "verbose", global = true, action = ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// How API calls cope with a slow or failing API: only on the commands
/// that call it.
#[derive(Debug, Args, Default)]
pub(crate) struct NetworkArgs {
    /// Per-request timeout of API calls [env: SOCIALFORM_TIMEOUT] [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// Retries of a failed API request (5xx, timeouts, dropped connections)
    /// with exponential backoff; 429s are retried as the API asks
    /// [env: SOCIALFORM_MAX_RETRIES] [default: 5].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub(crate) max_retries: Option<u32>,
    /// Requests a second to the External Accounts API, all calls together
    /// (0: no client-side limit) [env: SOCIALFORM_RATE_LIMIT] [default: the
    /// provider block's requests_per_second, else 30; no limit against the
    /// built-in sandbox].
    #[arg(long, value_name = "N", value_parser = rate_limit)]
    pub(crate) rate_limit: Option<f64>,
}

fn rate_limit(text: &str) -> Result<f64, String> {
    super::parse_rate(text)
        .ok_or_else(|| "a number of requests a second from 0 (no limit) to 10000".to_string())
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Parse, evaluate and check the configuration; no network, no state.
    Validate(ValidateArgs),
    /// Rewrite *.hcl and *.sfvars files canonically, keeping comments.
    Fmt(FmtArgs),
    /// Refresh, diff, and print the plan.
    Plan(PlanArgs),
    /// Plan (or load a saved plan) and carry it out.
    Apply(ApplyArgs),
    /// Unlink and disconnect everything the state manages.
    Destroy(DestroyArgs),
    /// Refresh only: report drift and unmanaged pages (exit 2 if any).
    Drift(DriftArgs),
    /// Check every managed page's token with Facebook: valid until when,
    /// expiring, or invalid and why (exit 2 if any needs attention).
    Tokens(TokensArgs),
    /// Print the state, or a saved plan.
    Show(ShowArgs),
    /// Log in (to Facebook) and keep the user token for the provider.
    #[command(subcommand)]
    Login(LoginCommand),
    /// Forget a stored login.
    #[command(subcommand)]
    Logout(LogoutCommand),
    /// The local emulator of the Vonage APIs.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Inspect and edit state (never calls the API).
    #[command(subcommand)]
    State(StateCommand),
    /// Adopt an already-connected page into state.
    Import(ImportArgs),
    /// List past applies, imports and state edits, newest first.
    History(HistoryArgs),
    /// Print socialform's version.
    Version,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell, e.g. bash: `socialform completions bash > /etc/bash_completion.d/socialform`.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// Print the result, with every diagnostic, as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    /// Write nothing; exit 3 if any file is not formatted.
    #[arg(long)]
    pub(crate) check: bool,
    /// Print the changes as a unified diff.
    #[arg(long)]
    pub(crate) diff: bool,
}

/// `--var` and `--var-file`. Their relative order matters (later wins), so
/// the CLI reads it back from clap's argument indices.
#[derive(Debug, Args, Default)]
pub(crate) struct VarArgs {
    /// Set a variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", action = ArgAction::Append)]
    pub(crate) var: Vec<String>,
    /// Read variables from an .sfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE", action = ArgAction::Append)]
    pub(crate) var_file: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CommonPlanArgs {
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// Limit the plan to this resource and what it depends on; with -destroy,
    /// to this resource and what depends on it (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub(crate) target: Vec<String>,
    /// Leave this resource, and what depends on it, out of the plan
    /// (repeatable; the opposite of --target).
    #[arg(long, value_name = "ADDR")]
    pub(crate) exclude: Vec<String>,
    /// Force a reconnect of this page with the configured token
    /// (repeatable; Terraform's -replace=ADDR means the same here).
    #[arg(long, value_name = "ADDR", visible_alias = "replace")]
    pub(crate) reconnect: Vec<String>,
    /// Read the remote side before planning (--refresh=false trusts state).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub(crate) refresh: bool,
    /// Change nothing remotely; bring state in line with the remote side.
    #[arg(long)]
    pub(crate) refresh_only: bool,
    /// How many API calls may be in flight at once.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) parallelism: u16,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    /// Ask nothing (--input=false): where a confirmation would be needed,
    /// fail and say so, as without a terminal.
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub(crate) input: bool,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `--policy` and `--policy-namespace`: Rego policies, conftest's way.
#[derive(Debug, Args, Default)]
pub(crate) struct PolicyArgs {
    /// Check the plan (or drift report) against the Rego policies in DIR
    /// before anything is called: `deny`/`violation` rules fail the command,
    /// `warn` rules are shown. The input is the --json document.
    #[arg(long, value_name = "DIR")]
    pub(crate) policy: Option<PathBuf>,
    /// The package whose rules are read (conftest's --namespace).
    #[arg(long, value_name = "NAME", default_value = "main", requires = "policy")]
    pub(crate) policy_namespace: String,
}

/// `--format` and its alias `--json`, for the commands whose results are
/// reviewed in CI and on pull requests.
#[derive(Debug, Args, Default)]
pub(crate) struct OutputArgs {
    /// How to show the result: human (the default), json (one document),
    /// markdown (a pull-request comment or job summary), github (the human
    /// view plus GitHub Actions annotations; the Markdown report is appended
    /// to $GITHUB_STEP_SUMMARY when set).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "json")]
    pub(crate) format: Option<OutputFormat>,
    /// The same as --format json.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Human,
    Json,
    Markdown,
    Github,
}

impl OutputArgs {
    pub(crate) fn format(&self) -> Format {
        match (self.json, self.format) {
            (true, _) | (false, Some(OutputFormat::Json)) => Format::Json,
            (false, None | Some(OutputFormat::Human)) => Format::Human,
            (false, Some(OutputFormat::Markdown)) => Format::Markdown,
            (false, Some(OutputFormat::Github)) => Format::Github,
        }
    }
}

fn json_if(json: bool) -> Format {
    if json { Format::Json } else { Format::Human }
}

impl Command {
    /// The command as typed, for reports (`plan`, `state pull`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Validate(_) => "validate",
            Command::Fmt(_) => "fmt",
            Command::Plan(_) => "plan",
            Command::Apply(_) => "apply",
            Command::Destroy(_) => "destroy",
            Command::Drift(_) => "drift",
            Command::Tokens(_) => "tokens",
            Command::Show(_) => "show",
            Command::Login(_) => "login facebook",
            Command::Logout(_) => "logout facebook",
            Command::Sandbox(_) => "sandbox serve",
            Command::Import(_) => "import",
            Command::History(_) => "history",
            Command::Version => "version",
            Command::Completions(_) => "completions",
            Command::State(command) => match command {
                StateCommand::List(_) => "state list",
                StateCommand::Show(_) => "state show",
                StateCommand::Rm(_) => "state rm",
                StateCommand::Mv(_) => "state mv",
                StateCommand::Pull(_) => "state pull",
                StateCommand::Push(_) => "state push",
                StateCommand::Migrate(_) => "state migrate",
            },
        }
    }

    /// How this command shows its result, and its errors: decided once,
    /// before it runs, so that a failure is shown the same way.
    pub(crate) fn format(&self) -> Format {
        match self {
            Command::Validate(args) => json_if(args.json),
            Command::Fmt(_)
            | Command::Sandbox(_)
            | Command::Login(_)
            | Command::Logout(_)
            | Command::Version
            | Command::Completions(_) => Format::Human,
            Command::Plan(args) => args.common.output.format(),
            Command::Apply(args) => args.common.output.format(),
            Command::Destroy(args) => args.common.output.format(),
            Command::Drift(args) => args.output.format(),
            Command::Tokens(args) => {
                if args.json {
                    Format::Json
                } else {
                    Format::Human
                }
            }
            Command::Show(args) => args.output.format(),
            Command::Import(args) => json_if(args.json),
            Command::History(args) => json_if(args.json),
            Command::State(command) => match command {
                // `state pull` prints JSON, always.
                StateCommand::Pull(_) => Format::Json,
                StateCommand::List(args) => json_if(args.json),
                StateCommand::Show(args) => json_if(args.json),
                StateCommand::Rm(args) => json_if(args.json),
                StateCommand::Mv(args) => json_if(args.json),
                StateCommand::Push(args) => json_if(args.json),
                StateCommand::Migrate(args) => json_if(args.json),
            },
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) common: CommonPlanArgs,
    /// Plan what `destroy` would do: disconnect everything the state manages.
    #[arg(long)]
    pub(crate) destroy: bool,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Save the plan to FILE, to apply exactly it later with `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// A plan saved with `plan --out`: applied exactly, without asking.
    #[arg(value_name = "PLAN_FILE")]
    pub(crate) plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: CommonPlanArgs,
    /// Apply without asking.
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Disconnect everything the state manages, as `destroy` does.
    #[arg(long, conflicts_with = "plan_file")]
    pub(crate) destroy: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DestroyArgs {
    #[command(flatten)]
    pub(crate) common: CommonPlanArgs,
    /// Destroy without asking.
    #[arg(long)]
    pub(crate) auto_approve: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// Leave out pages connected to the account but declared nowhere.
    #[arg(long)]
    pub(crate) ignore_unmanaged: bool,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LoginCommand {
    /// Facebook Login: in the system browser (sent back to a loopback
    /// address), with a code on another device (--device, or where there
    /// is no display), or a token you have (--token-stdin); the token is
    /// exchanged for a long-lived one (FACEBOOK_APP_ID, FACEBOOK_APP_SECRET)
    /// and kept in the credential store.
    Facebook(LoginFacebookArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LoginFacebookArgs {
    /// Facebook Login for Devices: enter a code on another device
    /// (needs FACEBOOK_CLIENT_TOKEN, the app's client token).
    #[arg(long, conflicts_with = "token_stdin")]
    pub(crate) device: bool,
    /// Read a user or system-user token from standard input (never give
    /// one as an argument).
    #[arg(long)]
    pub(crate) token_stdin: bool,
    /// Show the login URL instead of opening the system browser
    /// [env: SOCIALFORM_NO_BROWSER=1].
    #[arg(long, conflicts_with_all = ["device", "token_stdin"])]
    pub(crate) no_browser: bool,
    /// The Graph API endpoint: "sandbox" for the built-in emulator
    /// [default: FACEBOOK_GRAPH_ENDPOINT, else https://graph.facebook.com].
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LogoutCommand {
    /// Remove the Facebook login `login facebook` stored.
    Facebook(LogoutFacebookArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LogoutFacebookArgs {
    /// The Graph API endpoint whose login to remove ("sandbox" for the
    /// built-in emulator) [default: FACEBOOK_GRAPH_ENDPOINT, else
    /// https://graph.facebook.com].
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TokensArgs {
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// A plan saved with `plan --out`; without it, the state is shown.
    #[arg(value_name = "PLAN_FILE")]
    pub(crate) plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock an apply holds (e.g. 30s, 2m);
    /// reading takes it only for a moment.
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SandboxCommand {
    /// Serve the emulator over HTTP until interrupted.
    Serve(SandboxServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SandboxServeArgs {
    /// Address to listen on (127.0.0.1:0 picks a free port); the first line
    /// of stdout says where it listens.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8480")]
    pub(crate) listen: SocketAddr,
    /// The API key the emulated account accepts (Basic auth).
    #[arg(long, value_name = "KEY", default_value = "sandbox")]
    pub(crate) api_key: String,
    /// The API secret the emulated account accepts (Basic auth).
    #[arg(long, value_name = "SECRET", default_value = "sandbox")]
    pub(crate) api_secret: String,
    /// Keep the emulated account in this directory (sled) across restarts.
    #[arg(long, value_name = "DIR")]
    pub(crate) data: Option<PathBuf>,
    /// Start with the demo applications the examples link to.
    #[arg(long)]
    pub(crate) seed_demo: bool,
    /// Serve HTTPS with this certificate chain (PEM), as the real APIs do;
    /// clients trust its CA through `ca_file` or SSL_CERT_FILE.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Delay every request by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub(crate) latency_ms: u64,
    /// Share of mutating requests that fail with 503 and change nothing.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub(crate) error_rate: f64,
    /// Share of mutating requests that take effect but answer 500.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub(crate) ambiguous_rate: f64,
    /// Requests per second before answering 429 (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) rate_limit: u32,
    /// Seed for --error-rate and --ambiguous-rate, to replay a run's faults
    /// (default: a random seed, shown by `GET /_sandbox/faults`).
    #[arg(long, value_name = "N")]
    pub(crate) fault_seed: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List the addresses in state, one per line.
    List(StateReadArgs),
    /// Show one resource as recorded in state.
    Show(StateShowArgs),
    /// Forget resources: remove them from state, leaving the remote side as is.
    Rm(StateRmArgs),
    /// Rename a resource (or every instance of a block) in state.
    Mv(StateMvArgs),
    /// Print the whole state as JSON (without token fingerprints).
    Pull(StateReadArgs),
    /// Write a state document (from `state pull`, or errored.sfstate.json)
    /// into the configured state.
    Push(StatePushArgs),
    /// Move the local state store into the configured backend.
    Migrate(StateMigrateArgs),
}

/// What every state command needs to find the configured backend: a
/// `backend` block may use variables.
#[derive(Debug, Args)]
pub(crate) struct StateReadArgs {
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// Print one JSON document instead of text (errors too; `state pull` always does).
    #[arg(long)]
    pub(crate) json: bool,
    /// How long to wait for the state lock an apply holds (e.g. 30s, 2m);
    /// reading takes it only for a moment.
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub(crate) struct StatePushArgs {
    /// The state document (JSON), relative to the configuration directory.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Write it even if it belongs to another state (lineage) or is older
    /// (serial) than the state it replaces.
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    /// Print one JSON document instead of text (errors too).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StateMigrateArgs {
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for each state's lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    /// Print one JSON document instead of text (errors too).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Show only the newest N entries.
    #[arg(short = 'n', long = "limit", value_name = "N")]
    pub(crate) limit: Option<usize>,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock an apply holds (e.g. 30s, 2m);
    /// reading takes it only for a moment.
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub(crate) struct StateShowArgs {
    /// The resource, e.g. page.support or page.region["emea"].
    #[arg(value_name = "ADDR")]
    pub(crate) address: String,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// Print one JSON document instead of text (errors too).
    #[arg(long)]
    pub(crate) json: bool,
    /// How long to wait for the state lock an apply holds (e.g. 30s, 2m);
    /// reading takes it only for a moment.
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub(crate) struct StateRmArgs {
    /// What to forget: resources, or a block with all its instances.
    #[arg(value_name = "ADDR", required = true)]
    pub(crate) addresses: Vec<String>,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    /// Print one JSON document instead of text (errors too).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StateMvArgs {
    /// The address in state now (a block moves with all its instances).
    #[arg(value_name = "SRC")]
    pub(crate) source: String,
    /// The new address.
    #[arg(value_name = "DST")]
    pub(crate) destination: String,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    /// Print one JSON document instead of text (errors too).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The address declared in the configuration: a page (page.support) or
    /// an application (application.support).
    #[arg(
        value_name = "ADDR",
        required_unless_present = "all_unmanaged",
        conflicts_with = "all_unmanaged"
    )]
    pub(crate) address: Option<String>,
    /// The Facebook Page ID of the connected page, or the application's id.
    #[arg(value_name = "ID", required_unless_present = "all_unmanaged")]
    pub(crate) page_id: Option<String>,
    /// Adopt every connected page that neither state nor the configuration
    /// knows, writing its configuration to --generate-config-out.
    #[arg(long, requires = "generate_config_out")]
    pub(crate) all_unmanaged: bool,
    /// The new .hcl file (in the configuration directory) for the adopted pages.
    #[arg(long, value_name = "FILE", requires = "all_unmanaged")]
    pub(crate) generate_config_out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) vars: VarArgs,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    #[command(flatten)]
    pub(crate) network: NetworkArgs,
    /// Print one JSON document instead of text (errors too).
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    fn walk<'a>(
        command: &'a clap::Command,
        path: String,
        out: &mut Vec<(String, &'a clap::Command)>,
    ) {
        for sub in command.get_subcommands() {
            let name = format!("{path} {}", sub.get_name()).trim().to_string();
            out.push((name.clone(), sub));
            walk(sub, name, out);
        }
    }

    #[test]
    fn every_option_says_what_it_is_for() {
        let mut cli = Cli::command();
        cli.build();
        let mut commands = Vec::new();
        walk(&cli, String::new(), &mut commands);
        let mut faults = Vec::new();
        for (name, command) in commands {
            for arg in command.get_arguments() {
                if arg.get_id() == "help" || arg.get_id() == "version" {
                    continue;
                }
                if arg.get_help().is_none() {
                    faults.push(format!(
                        "`socialform {name}`: {} has no description",
                        arg.get_id()
                    ));
                }
                if !arg.get_action().takes_values() || arg.is_positional() {
                    continue;
                }
                for value in arg.get_value_names().unwrap_or_default() {
                    if value.contains('_') {
                        faults.push(format!(
                            "`socialform {name}`: <{value}> should be a short name like <N> or <DURATION>"
                        ));
                    }
                }
            }
        }
        assert!(faults.is_empty(), "{}", faults.join("\n"));
    }

    #[test]
    fn network_options_are_only_where_the_api_is_called() {
        let cli = Cli::command();
        let has = |path: &[&str], id: &str| {
            let mut command = &cli;
            for name in path {
                command = command.find_subcommand(name).unwrap();
            }
            command.get_arguments().any(|a| a.get_id() == id)
        };
        for path in [
            &["plan"][..],
            &["apply"],
            &["destroy"],
            &["drift"],
            &["import"],
        ] {
            assert!(has(path, "timeout") && has(path, "max_retries"), "{path:?}");
        }
        for path in [
            &["validate"][..],
            &["fmt"],
            &["show"],
            &["history"],
            &["state", "list"],
        ] {
            assert!(
                !has(path, "timeout") && !has(path, "max_retries"),
                "{path:?}"
            );
        }
    }
}
