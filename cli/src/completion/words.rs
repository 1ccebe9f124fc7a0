//! Reads the words typed so far against the command-line definition: which (sub)command
//! they are in, what kind of word is being completed (a subcommand, a flag, a flag's value
//! or a positional argument), and the connection flags already given.

use std::path::PathBuf;

use crate::client::KubeArgs;

/// What the word being completed is.
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// A subcommand of the command (it has subcommands and none was typed yet).
    Subcommand,
    /// A flag of the command.
    Flag,
    /// The value of the flag with this id.
    Value(String),
    /// The positional argument with this id.
    Positional(String),
    /// Nothing more can follow (a positional beyond the last one).
    Nothing,
}

/// The words read: where the completion happens and what is known so far.
#[derive(Debug)]
pub struct Request<'a> {
    /// The innermost command typed.
    pub command: &'a clap::Command,
    /// What the word being completed is.
    pub slot: Slot,
    /// The part of the word being completed that candidates must start with.
    pub current: String,
    /// The connection flags typed.
    pub connection: KubeArgs,
}

/// Reads `words` (the last one is the word being completed, possibly empty) against
/// `root`, which must be built (`Command::build`) so global flags reach subcommands.
pub fn read<'a>(root: &'a clap::Command, words: &[String]) -> Request<'a> {
    let (current, typed) = match words.split_last() {
        Some((current, typed)) => (current.as_str(), typed),
        None => ("", &[][..]),
    };
    let mut command = root;
    let mut connection = KubeArgs::default();
    let mut positionals = 0usize;
    let mut awaiting: Option<&clap::Arg> = None;
    let mut only_positionals = false;
    for word in typed {
        if let Some(arg) = awaiting.take() {
            remember(&mut connection, arg, word);
            continue;
        }
        if !only_positionals && word == "--" {
            only_positionals = true;
        } else if !only_positionals && let Some(flag) = word.strip_prefix("--") {
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (flag, None),
            };
            if let Some(arg) = command.get_arguments().find(|a| a.get_long() == Some(name)) {
                match value {
                    Some(value) => remember(&mut connection, arg, value),
                    None if takes_value(arg) => awaiting = Some(arg),
                    None => {}
                }
            }
        } else if !only_positionals && word.len() > 1 && word.starts_with('-') {
            awaiting = read_shorts(command, &word[1..], &mut connection);
        } else if let Some(sub) = command.find_subcommand(word).filter(|_| positionals == 0) {
            command = sub;
        } else {
            positionals += 1;
        }
    }
    if let Some(arg) = awaiting {
        return Request { command, slot: Slot::Value(id(arg)), current: current.to_string(), connection };
    }
    if !only_positionals && let Some(flag) = current.strip_prefix("--") {
        if let Some((name, value)) = flag.split_once('=') {
            let slot = match command.get_arguments().find(|a| a.get_long() == Some(name)) {
                Some(arg) if takes_value(arg) => Slot::Value(id(arg)),
                _ => Slot::Nothing,
            };
            return Request { command, slot, current: value.to_string(), connection };
        }
        return Request { command, slot: Slot::Flag, current: current.to_string(), connection };
    }
    let slot = if !only_positionals && current.starts_with('-') {
        Slot::Flag
    } else if command.has_subcommands() && positionals == 0 {
        Slot::Subcommand
    } else {
        match command.get_positionals().nth(positionals) {
            Some(arg) => Slot::Positional(id(arg)),
            None => Slot::Nothing,
        }
    };
    Request { command, slot, current: current.to_string(), connection }
}

/// Reads a cluster of short flags (`-yA`, `-n`, `-nprod`); returns the flag whose value is
/// the next word, if the last one takes a value that is not attached.
fn read_shorts<'a>(
    command: &'a clap::Command,
    shorts: &str,
    connection: &mut KubeArgs,
) -> Option<&'a clap::Arg> {
    for (at, letter) in shorts.char_indices() {
        let arg = command.get_arguments().find(|a| a.get_short() == Some(letter))?;
        if takes_value(arg) {
            let rest = &shorts[at + letter.len_utf8()..];
            let rest = rest.strip_prefix('=').unwrap_or(rest);
            if rest.is_empty() {
                return Some(arg);
            }
            remember(connection, arg, rest);
            return None;
        }
    }
    None
}

/// Keeps the value of a flag that decides which cluster is asked, and as whom.
fn remember(connection: &mut KubeArgs, arg: &clap::Arg, value: &str) {
    match arg.get_id().as_str() {
        "kubeconfig" => connection.kubeconfig = Some(PathBuf::from(value)),
        "context" => connection.context = Some(value.to_string()),
        "cluster" => connection.cluster = Some(value.to_string()),
        "user" => connection.user = Some(value.to_string()),
        "impersonate" => connection.impersonate = Some(value.to_string()),
        "impersonate_groups" => connection.impersonate_groups.push(value.to_string()),
        "namespace" => connection.namespace = Some(value.to_string()),
        _ => {}
    }
}

fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_action().takes_values()
}

fn id(arg: &clap::Arg) -> String {
    arg.get_id().as_str().to_string()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn read_words(words: &[&str]) -> (String, Slot, String, KubeArgs) {
        let mut root = crate::Cli::command();
        root.build();
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let request = read(&root, &words);
        (request.command.get_name().to_string(), request.slot, request.current, request.connection)
    }

    #[test]
    fn subcommands_at_the_start() {
        let (command, slot, current, _) = read_words(&[""]);
        assert_eq!((command.as_str(), slot, current.as_str()), ("kubectl-etcd", Slot::Subcommand, ""));
        let (_, slot, current, _) = read_words(&["sta"]);
        assert_eq!((slot, current.as_str()), (Slot::Subcommand, "sta"));
        let (_, slot, _, connection) = read_words(&["-n", "prod", "--context=lab", ""]);
        assert_eq!(slot, Slot::Subcommand);
        assert_eq!(connection.namespace.as_deref(), Some("prod"));
        assert_eq!(connection.context.as_deref(), Some("lab"));
    }

    #[test]
    fn positionals_flags_and_values_inside_a_subcommand() {
        let (command, slot, _, _) = read_words(&["status", ""]);
        assert_eq!((command.as_str(), slot), ("status", Slot::Positional("name".into())));
        let (_, slot, _, _) = read_words(&["status", "demo", ""]);
        assert_eq!(slot, Slot::Nothing);
        let (_, slot, current, _) = read_words(&["status", "--o"]);
        assert_eq!((slot, current.as_str()), (Slot::Flag, "--o"));
        let (_, slot, _, _) = read_words(&["create", "x", "--version", ""]);
        assert_eq!(slot, Slot::Value("version".into()));
        let (_, slot, current, _) = read_words(&["upgrade", "x", "--to=3.5"]);
        assert_eq!((slot, current.as_str()), (Slot::Value("to".into()), "3.5"));
        let (_, slot, _, _) = read_words(&["status", "-o", ""]);
        assert_eq!(slot, Slot::Value("output".into()));
    }

    #[test]
    fn connection_flags_anywhere_and_in_every_spelling() {
        let (_, slot, _, connection) =
            read_words(&["scale", "--kubeconfig", "/tmp/kc", "-nprod", "--size", "5", ""]);
        assert_eq!(slot, Slot::Positional("name".into()));
        assert_eq!(
            connection,
            KubeArgs {
                kubeconfig: Some(PathBuf::from("/tmp/kc")),
                namespace: Some("prod".into()),
                ..KubeArgs::default()
            }
        );
        let (_, _, _, connection) =
            read_words(&["list", "--cluster", "lab", "--user=ops", "--as", "sre", "--as-group=a", ""]);
        assert_eq!(
            (connection.cluster, connection.user, connection.impersonate, connection.impersonate_groups),
            (Some("lab".into()), Some("ops".into()), Some("sre".into()), vec!["a".to_string()])
        );
        let (_, _, _, connection) = read_words(&["delete", "-y", "--namespace=ops", "-n", "last", ""]);
        assert_eq!(connection.namespace.as_deref(), Some("last"));
        let (_, slot, _, _) = read_words(&["list", "-An", ""]);
        assert_eq!(slot, Slot::Value("namespace".into()));
    }
}
