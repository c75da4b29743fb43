//! Terraform users type single-dash long flags (`-auto-approve`,
//! `-out=plan.bin`, `-var 'a=b'`). Before clap sees the arguments, a
//! single-dash word that names one of our long flags gets its second dash.

use clap::Command;
use std::collections::HashSet;
use std::ffi::OsString;

fn long_flags(command: &Command, into: &mut HashSet<String>) {
    for arg in command.get_arguments() {
        if let Some(long) = arg.get_long() {
            into.insert(long.to_string());
        }
    }
    for sub in command.get_subcommands() {
        long_flags(sub, into);
    }
}

pub fn normalize(args: impl IntoIterator<Item = OsString>, command: &Command) -> Vec<OsString> {
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
