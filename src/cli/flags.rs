//! Terraform users type single-dash long flags (`-auto-approve`,
//! `-out=plan.bin`, `-var 'a=b'`). Before clap sees the arguments, a
//! single-dash word that names one of our long flags gets its second dash.
//!
//! Terraform flags and commands socialform has no use for are answered
//! here, naming what to do instead, rather than with clap's "unexpected
//! argument '-l'".

use clap::Command;
use std::collections::HashSet;
use std::ffi::OsString;

fn long_flags(command: &Command, into: &mut HashSet<String>) {
    for arg in command.get_arguments() {
        for long in arg.get_long_and_visible_aliases().unwrap_or_default() {
            into.insert(long.to_string());
        }
    }
    for sub in command.get_subcommands() {
        long_flags(sub, into);
    }
}

/// Terraform flags without a socialform equivalent of the same name, and
/// what to do instead.
const TERRAFORM_FLAGS: &[(&str, &str)] = &[
    (
        "lock",
        "socialform always locks the state; --lock-timeout DURATION waits for a lock another process holds",
    ),
    (
        "backup",
        "socialform writes state in place, one atomic write per API call; `socialform state pull > FILE` keeps a copy",
    ),
    (
        "state-out",
        "socialform writes state where it reads it (--state DIR, or the backend block); `socialform state pull > FILE` keeps a copy",
    ),
    (
        "compact-warnings",
        "socialform prints its few warnings in full; drop the flag",
    ),
    (
        "recursive",
        "a configuration is one directory, read without its subdirectories; run fmt in each (-C DIR)",
    ),
    (
        "write",
        "use `socialform fmt --check --diff` to see what fmt would change without writing",
    ),
    (
        "list",
        "fmt names each file it rewrites; send its output to /dev/null to silence it",
    ),
    (
        "config",
        "name the configuration directory with -C DIR (or -chdir=DIR)",
    ),
    (
        "provider",
        "socialform's providers are configured in their provider blocks",
    ),
    (
        "allow-missing-config",
        "import needs the page declared; `socialform import --all-unmanaged --generate-config-out FILE` writes the configuration for every unmanaged page",
    ),
    (
        "dry-run",
        "state rm and state mv change only state, never the remote side; `socialform state list` shows what is there and `socialform state pull > FILE` keeps a copy first",
    ),
];

/// Terraform flags whose name socialform uses on another command only:
/// (command, flag, what to do instead). Without this, the flag would get
/// its second dash and clap would answer "unexpected argument".
const TERRAFORM_FLAGS_ELSEWHERE: &[(&str, &str, &str)] = &[(
    "plan",
    "generate-config-out",
    "socialform writes configuration when it adopts pages: `socialform import --all-unmanaged \
     --generate-config-out FILE` writes the blocks for every connected page neither state nor \
     the configuration knows, and records them in state",
)];

/// Terraform commands socialform does not have, and what to do instead.
const TERRAFORM_COMMANDS: &[(&str, &str)] = &[
    (
        "init",
        "socialform needs no init: its providers are built in and state is created on the first apply (with a backend block, `socialform state migrate` moves a local store there)",
    ),
    (
        "refresh",
        "use `socialform apply --refresh-only` (or `socialform drift` to only look)",
    ),
    (
        "taint",
        "use `socialform plan --reconnect ADDR` (Terraform's -replace=ADDR works too)",
    ),
    (
        "untaint",
        "socialform keeps no taint: a --reconnect applies to one plan only",
    ),
    (
        "output",
        "socialform has no outputs; `socialform show --json` prints the state",
    ),
    (
        "workspace",
        "socialform has no workspaces: give each configuration its own state_name in a backend \"postgres\" block, or its own --state DIR",
    ),
    (
        "console",
        "socialform has no console; `socialform validate` and `socialform show` print what it understood",
    ),
    (
        "providers",
        "socialform's providers are built in: vonage (and facebook)",
    ),
];

/// Why a command line is refused before clap sees it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refused(pub String);

/// Refuses Terraform flags and commands that socialform does not have,
/// with what to do instead; other arguments are clap's business.
pub(crate) fn refuse_terraform_only(args: &[OsString], command: &Command) -> Result<(), Refused> {
    let mut known = HashSet::new();
    long_flags(command, &mut known);
    let words: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let subcommand = words
        .iter()
        .copied()
        .take_while(|w| *w != "--")
        .scan(false, |takes_value, word| {
            // Skip `-C DIR` style global values before the subcommand.
            let skip = *takes_value;
            *takes_value = matches!(word, "-C" | "--chdir" | "-chdir" | "--state" | "-state");
            Some((skip, word))
        })
        .find(|(skip, word)| !*skip && !word.starts_with('-'))
        .map(|(_, word)| word);
    if let Some(word) = subcommand
        && command.find_subcommand(word).is_none()
        && let Some((_, help)) = TERRAFORM_COMMANDS.iter().find(|(name, _)| *name == word)
    {
        return Err(Refused(format!(
            "`socialform {word}` is Terraform's, not socialform's: {help}"
        )));
    }
    for word in words.iter().take_while(|w| **w != "--") {
        let Some(flag) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            continue;
        };
        let name = flag.split('=').next().unwrap_or(flag);
        if let Some((_, _, help)) = TERRAFORM_FLAGS_ELSEWHERE
            .iter()
            .find(|(command, n, _)| subcommand == Some(*command) && *n == name)
        {
            return Err(Refused(format!(
                "{word} is not a flag of `socialform {}`: {help}",
                subcommand.unwrap_or_default()
            )));
        }
        if known.contains(name) {
            continue;
        }
        if let Some((_, help)) = TERRAFORM_FLAGS.iter().find(|(n, _)| *n == name) {
            return Err(Refused(format!(
                "{word} is Terraform's, not socialform's: {help}"
            )));
        }
    }
    Ok(())
}

pub(crate) fn normalize(
    args: impl IntoIterator<Item = OsString>,
    command: &Command,
) -> Vec<OsString> {
    let mut known = HashSet::new();
    long_flags(command, &mut known);
    known.insert("help".into());
    known.insert("version".into());
    let mut after_separator = false;
    args.into_iter()
        .enumerate()
        .map(|(index, arg)| {
            let Some(text) = arg.to_str() else { return arg };
            if index == 0 || after_separator {
                return arg;
            }
            if text == "--" {
                after_separator = true;
                return arg;
            }
            let Some(word) = text.strip_prefix('-') else {
                return arg;
            };
            if word.starts_with('-') || word.len() < 2 {
                return arg;
            }
            let name = word.split('=').next().unwrap_or(word);
            if known.contains(name) {
                OsString::from(format!("-{text}"))
            } else {
                arg
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::Cli;
    use clap::CommandFactory;

    fn run(args: &[&str]) -> Vec<String> {
        normalize(args.iter().map(OsString::from), &Cli::command())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn single_dash_long_flags_get_a_second_dash() {
        assert_eq!(
            run(&[
                "socialform",
                "apply",
                "-auto-approve",
                "-var",
                "a=b",
                "-parallelism=4"
            ]),
            vec![
                "socialform",
                "apply",
                "--auto-approve",
                "--var",
                "a=b",
                "--parallelism=4"
            ]
        );
    }

    fn refused(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        refuse_terraform_only(&args, &Cli::command())
            .err()
            .map(|r| r.0)
    }

    #[test]
    fn terraform_only_flags_and_commands_are_answered() {
        assert_eq!(
            refused(&["socialform", "apply", "-lock=false"]).unwrap(),
            "-lock=false is Terraform's, not socialform's: socialform always locks the state; \
             --lock-timeout DURATION waits for a lock another process holds"
        );
        assert!(
            refused(&["socialform", "-C", "dir", "init"])
                .unwrap()
                .contains("needs no init")
        );
        assert_eq!(
            refused(&["socialform", "plan", "-generate-config-out=gen.hcl"]).unwrap(),
            "-generate-config-out=gen.hcl is not a flag of `socialform plan`: socialform writes \
             configuration when it adopts pages: `socialform import --all-unmanaged \
             --generate-config-out FILE` writes the blocks for every connected page neither \
             state nor the configuration knows, and records them in state"
        );
        // Where socialform has the flag, it passes through.
        assert_eq!(
            refused(&[
                "socialform",
                "import",
                "--all-unmanaged",
                "-generate-config-out=gen.hcl"
            ]),
            None
        );
        assert!(
            refused(&["socialform", "taint", "page.x"])
                .unwrap()
                .contains("--reconnect")
        );
        // Flags and commands socialform has pass through, whatever their dashes.
        for ok in [
            &[
                "socialform",
                "plan",
                "-destroy",
                "-input=false",
                "-replace=page.x",
            ][..],
            &["socialform", "apply", "-lock-timeout=1m", "-auto-approve"],
            &["socialform", "-C", "init", "plan"],
            &["socialform", "state", "push", "--", "-lock"],
        ] {
            assert_eq!(refused(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn short_flags_values_and_unknown_words_are_left_alone() {
        assert_eq!(
            run(&[
                "socialform",
                "-C",
                "dir",
                "plan",
                "--var",
                "-x=1",
                "-nope",
                "--",
                "-json"
            ]),
            vec![
                "socialform",
                "-C",
                "dir",
                "plan",
                "--var",
                "-x=1",
                "-nope",
                "--",
                "-json"
            ]
        );
    }
}
