//! The command layer: clap definitions and thin command functions that map
//! arguments onto one operation (`ops`) and hand its result to the printer.
//! No business logic lives here.

mod args;
mod drift;
mod flags;
mod fmt;
mod history;
mod import;
mod login;
mod plan_apply;
mod policy;
mod sandbox;
mod show;
mod state;
mod tokens;
mod validate;

use crate::config::{CliVar, Diagnostics};
use crate::plan::PlanError;
use crate::render::{self, Format, Printer, Style};
use crate::session::Session;
use anyhow::Context as _;
use args::{Cli, Command, SandboxCommand};
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit codes of the contract.
pub(crate) const EXIT_OK: u8 = 0;
pub(crate) const EXIT_ERROR: u8 = 1;
pub(crate) const EXIT_CHANGES: u8 = 2;
pub(crate) const EXIT_UNFORMATTED: u8 = 3;

pub fn main() -> ExitCode {
    let command = Cli::command();
    let raw: Vec<_> = std::env::args_os().collect();
    let argv = flags::normalize(raw.clone(), &command);
    // On the normalized words, so that Terraform's `-json` counts too.
    let json_wanted = wants_json(&argv);
    if let Err(flags::Refused(message)) = flags::refuse_terraform_only(&raw, &command) {
        eprintln!("error: {message}");
        if json_wanted {
            let document = render::error_document(&anyhow::anyhow!(message));
            Printer::new(Style { color: false }, Style { color: false }).json(&document);
        }
        return ExitCode::from(EXIT_ERROR);
    }
    let matches = match command.try_get_matches_from(argv) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            if json_wanted && error.use_stderr() {
                // A script that asked for JSON gets a document even when
                // the arguments themselves are wrong.
                let text = error.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                let message = first.strip_prefix("error: ").unwrap_or(first).to_string();
                let document = render::error_document(&anyhow::anyhow!(message));
                Printer::new(Style { color: false }, Style { color: false }).json(&document);
            }
            // clap uses 2 for usage errors; the contract says bad input is 1.
            return ExitCode::from(if error.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let logging_warning = crate::logging::init(cli.global.verbose);
    let colour_allowed = !cli.global.no_color && std::env::var_os("NO_COLOR").is_none();
    let command_name = cli.command.name();
    let printer = Printer::new(
        Style {
            color: colour_allowed && std::io::stdout().is_terminal(),
        },
        Style {
            color: colour_allowed && std::io::stderr().is_terminal(),
        },
    )
    .with_format(cli.command.format());
    if let Some(warning) = logging_warning {
        printer.err_line(&warning);
    }
    // Variables sit on the innermost subcommand (`state rm` has them, not `state`).
    let mut sub_matches = matches.subcommand().map(|(_, m)| m.clone());
    while let Some(inner) = sub_matches
        .as_ref()
        .and_then(|m| m.subcommand().map(|(_, m)| m.clone()))
    {
        sub_matches = Some(inner);
    }
    let context = Context {
        global: cli.global,
        printer,
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
        .and_then(|runtime| runtime.block_on(dispatch(&context, cli.command, sub_matches)));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            report(&printer, &error, command_name);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// What every command gets: the global options and the printer.
pub(crate) struct Context {
    pub(crate) global: args::GlobalArgs,
    pub(crate) printer: Printer,
}

impl Context {
    /// What a command that calls the APIs runs with, network options
    /// included.
    pub(crate) fn session(&self, network: &args::NetworkArgs) -> anyhow::Result<Session> {
        Ok(Session::new(
            self.global.chdir.clone(),
            self.global.state.clone(),
            network_options(network)?,
        ))
    }

    /// `socialform [-C DIR] REST`: a command to suggest to the user.
    pub(crate) fn command_line(&self, rest: &str) -> String {
        if self.global.chdir == std::path::Path::new(".") {
            format!("socialform {rest}")
        } else {
            format!("socialform -C {} {rest}", self.global.chdir.display())
        }
    }

    /// Where each resource of `desired` is declared, for annotations.
    pub(crate) fn locations(&self, desired: &crate::desired::Desired) -> render::Locations {
        render::Locations::of(desired, &annotation_bases())
    }

    /// The same with the default network options, for commands that never
    /// call the API.
    pub(crate) fn offline_session(&self) -> Session {
        Session::new(
            self.global.chdir.clone(),
            self.global.state.clone(),
            Default::default(),
        )
    }

    /// The command that applies the plan saved at `out` (as given on the
    /// command line), ready to paste where this command was run: with the
    /// same `-C`, since the plan file is relative to the configuration.
    pub(crate) fn apply_hint(&self, out: &std::path::Path) -> String {
        let quote = |text: String| {
            if text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
            {
                text
            } else {
                format!("'{}'", text.replace('\'', "'\\''"))
            }
        };
        let out = quote(out.display().to_string());
        if self.global.chdir == std::path::Path::new(".") {
            format!("socialform apply {out}")
        } else {
            let dir = quote(self.global.chdir.display().to_string());
            format!("socialform -C {dir} apply {out}")
        }
    }

    /// A file named on the command line, relative to the configuration
    /// directory as with Terraform's `-chdir` (and as `--var-file` is).
    pub(crate) fn in_config_dir(&self, path: &std::path::Path) -> std::path::PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.global.chdir.join(path)
        }
    }
}

/// `--timeout` and `--max-retries`, else `SOCIALFORM_TIMEOUT` and
/// `SOCIALFORM_MAX_RETRIES`, else the defaults.
pub(crate) fn network_options(
    global: &args::NetworkArgs,
) -> anyhow::Result<crate::session::NetworkOptions> {
    let mut options = crate::session::NetworkOptions::default();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(timeout) = global.timeout {
        options.timeout = timeout;
    } else if let Some(value) = env("SOCIALFORM_TIMEOUT") {
        options.timeout = humantime::parse_duration(value.trim()).map_err(|e| {
            anyhow::anyhow!(
                "SOCIALFORM_TIMEOUT={value:?} is not a duration ({e}); use e.g. 30s or 2m"
            )
        })?;
    }
    if let Some(retries) = global.max_retries {
        options.max_retries = retries;
    } else if let Some(value) = env("SOCIALFORM_MAX_RETRIES") {
        options.max_retries = value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "SOCIALFORM_MAX_RETRIES={value:?} must be a whole number from 0 to 100"
                )
            })?;
    }
    if let Some(rate) = global.rate_limit {
        options.rate_limit = Some(rate);
    } else if let Some(value) = env("SOCIALFORM_RATE_LIMIT") {
        options.rate_limit = Some(parse_rate(value.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "SOCIALFORM_RATE_LIMIT={value:?} must be a number of requests a second from 0 \
                 (no limit) to 10000"
            )
        })?);
    }
    if options.timeout.is_zero() {
        anyhow::bail!("the request timeout must be longer than zero");
    }
    Ok(options)
}

/// `--rate-limit` and `SOCIALFORM_RATE_LIMIT`: requests a second, 0 to 10,000.
pub(crate) fn parse_rate(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|r| (0.0..=10_000.0).contains(r))
}

/// A failed command: the error on stderr as always, and on stdout in the
/// command's format (a JSON document, a Markdown report, annotations).
fn report(printer: &Printer, error: &anyhow::Error, command_name: &str) {
    printer.err(&error_text(error, printer.err_style.color));
    match printer.format {
        Format::Human => {}
        Format::Json => printer.json(&render::error_document(error)),
        Format::Markdown => printer.out(&render::error_markdown(
            command_name,
            &error_text(error, false),
        )),
        Format::Github => {
            printer.out(&render::error_annotations(
                error,
                command_name,
                &annotation_bases(),
            ));
            printer.step_summary(&render::error_markdown(
                command_name,
                &error_text(error, false),
            ));
        }
    }
}

/// The error as a person reads it, ending with a line break.
fn error_text(error: &anyhow::Error, color: bool) -> String {
    if let Some(diagnostics) = error.downcast_ref::<Diagnostics>() {
        diagnostics.render_styled(color)
    } else if let Some(plan_error) = error.downcast_ref::<PlanError>() {
        format!("{plan_error}\n")
    } else {
        format!("error: {error:#}\n")
    }
}

/// `--json`, `-json` (already given its second dash) or `--format json`
/// anywhere before `--`.
fn wants_json(argv: &[std::ffi::OsString]) -> bool {
    let words: Vec<&str> = argv
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .take_while(|a| *a != "--")
        .collect();
    words.iter().enumerate().any(|(i, word)| {
        *word == "--json"
            || *word == "--format=json"
            || (*word == "--format" && words.get(i + 1) == Some(&"json"))
    })
}

/// Where annotated files are looked up from: the repository GitHub checked
/// out (`$GITHUB_WORKSPACE`), else the current directory; each as given and
/// with links resolved.
pub(crate) fn annotation_bases() -> Vec<std::path::PathBuf> {
    let mut bases = Vec::new();
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map(std::path::PathBuf::from);
    for base in workspace.into_iter().chain(std::env::current_dir().ok()) {
        if let Ok(canonical) = base.canonicalize()
            && canonical != base
        {
            bases.push(canonical);
        }
        bases.push(base);
    }
    bases
}

async fn dispatch(
    context: &Context,
    command: Command,
    matches: Option<ArgMatches>,
) -> anyhow::Result<u8> {
    let vars = match matches.as_ref() {
        Some(matches) => ordered_vars(matches)?,
        None => Vec::new(),
    };
    match command {
        Command::Fmt(args) => fmt::run(context, args),
        Command::Validate(args) => validate::run(context, vars, args),
        Command::Plan(args) => plan_apply::plan(context, vars, args).await,
        Command::Apply(args) => plan_apply::apply(context, vars, args).await,
        Command::Destroy(args) => plan_apply::destroy(context, vars, args).await,
        Command::Drift(args) => drift::run(context, vars, args).await,
        Command::Tokens(args) => tokens::run(context, vars, args).await,
        Command::Show(args) => show::run(context, vars, args),
        Command::Login(args::LoginCommand::Facebook(args)) => login::login(context, args).await,
        Command::Logout(args::LogoutCommand::Facebook(args)) => login::logout(context, args).await,
        Command::Sandbox(SandboxCommand::Serve(args)) => sandbox::serve(context, args).await,
        Command::State(command) => state::run(context, vars, command).await,
        Command::History(args) => history::run(context, vars, args).await,
        Command::Version => {
            context
                .printer
                .line(&format!("socialform {}", env!("CARGO_PKG_VERSION")));
            Ok(EXIT_OK)
        }
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "socialform", &mut script);
            context.printer.out(&String::from_utf8_lossy(&script));
            Ok(EXIT_OK)
        }
        Command::Import(args) => import::run(context, vars, args).await,
    }
}

/// `--var` and `--var-file` in the order they were given (later wins).
fn ordered_vars(matches: &ArgMatches) -> anyhow::Result<Vec<CliVar>> {
    let mut ordered: Vec<(usize, CliVar)> = Vec::new();
    // Commands without variables (sandbox, show) have no such arguments,
    // and clap panics when asked for the indices of an id it does not know.
    let has = |id: &str| matches.try_contains_id(id).is_ok();
    if !has("var") || !has("var_file") {
        return Ok(Vec::new());
    }
    if let (Ok(Some(values)), Some(indices)) = (
        matches.try_get_many::<String>("var"),
        matches.indices_of("var"),
    ) {
        for (value, index) in values.zip(indices) {
            // As Terraform does: a value is required; `NAME=` sets it empty.
            let Some((name, value)) = value.split_once('=') else {
                anyhow::bail!(
                    "--var {value:?} has no value: write --var {value}=VALUE (or --var-file FILE)"
                );
            };
            ordered.push((
                index,
                CliVar::Pair {
                    name: name.trim().to_string(),
                    value: value.to_string(),
                },
            ));
        }
    }
    if let (Ok(Some(values)), Some(indices)) = (
        matches.try_get_many::<std::path::PathBuf>("var_file"),
        matches.indices_of("var_file"),
    ) {
        for (value, index) in values.zip(indices) {
            ordered.push((index, CliVar::File(value.clone())));
        }
    }
    ordered.sort_by_key(|(index, _)| *index);
    Ok(ordered.into_iter().map(|(_, var)| var).collect())
}
