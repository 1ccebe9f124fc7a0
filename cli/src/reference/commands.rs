//! `docs/reference/commands.md`: every command with its description, usage, arguments,
//! options (help, choices, defaults) and examples, from the clap definition. The global
//! options are listed once, at the top.

use clap::{Arg, ArgAction, Command};

use super::markdown::{block, cell, code, table};

/// The page for the command tree `root`.
pub fn render(mut root: Command) -> String {
    root.build();
    let mut out = String::from(
        "# Command reference\n\n\
         Generated from the plugin's command-line definition by `scripts/reference.sh`; do not \
         edit by hand. `kubectl etcd COMMAND --help` prints the same.\n\n",
    );
    out.push_str(&section(&root, 2));
    let globals: Vec<&Arg> = root.get_arguments().filter(|a| a.is_global_set() && shown(a)).collect();
    out.push_str("### Global options\n\nThese work with every command, before or after its name.\n\n");
    out.push_str(&options_table(&globals));
    for sub in visible_subcommands(&root) {
        out.push_str(&tree(sub, 2));
    }
    out
}

/// The section of `command`, then those of its subcommands one level deeper.
fn tree(command: &Command, level: usize) -> String {
    let mut out = section(command, level);
    for sub in visible_subcommands(command) {
        out.push_str(&tree(sub, level + 1));
    }
    out
}

/// The subcommands a user sees (not hidden, not clap's `help`).
pub fn visible_subcommands(command: &Command) -> impl Iterator<Item = &Command> {
    command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// Whether an argument belongs in the reference (clap's own --help and --version do not).
fn shown(arg: &Arg) -> bool {
    !arg.is_hide_set() && !matches!(arg.get_action(), ArgAction::Help | ArgAction::Version)
}

/// One command: heading, description, usage, arguments, its own options, examples.
fn section(command: &Command, level: usize) -> String {
    let name = command.get_bin_name().unwrap_or_else(|| command.get_name());
    let mut out = format!("{} {name}\n\n", "#".repeat(level));
    if let Some(about) = command.get_long_about().or_else(|| command.get_about()) {
        out.push_str(&format!("{}\n\n", about.to_string().trim_end()));
    }
    let usage = command.clone().render_usage().to_string();
    out.push_str(&block("text", &usage));
    let positionals: Vec<&Arg> = command.get_positionals().filter(|a| shown(a)).collect();
    if !positionals.is_empty() {
        let rows =
            positionals.iter().map(|arg| vec![code(&label(arg)), cell(&describe(arg))]).collect::<Vec<_>>();
        out.push_str(&table(&["argument", "description"], &rows));
    }
    let own: Vec<&Arg> =
        command.get_arguments().filter(|a| !a.is_positional() && !a.is_global_set() && shown(a)).collect();
    if !own.is_empty() {
        out.push_str(&options_table(&own));
    }
    if let Some(after) = command.get_after_help() {
        out.push_str(&after_help(&after.to_string()));
    }
    out
}

fn options_table(args: &[&Arg]) -> String {
    let rows = args.iter().map(|arg| vec![code(&label(arg)), cell(&describe(arg))]).collect::<Vec<_>>();
    table(&["option", "description"], &rows)
}

/// `-o, --output <FORMAT>`, `--yes`, `<NAME>`, `[NAME]`.
fn label(arg: &Arg) -> String {
    let value = || {
        let names =
            arg.get_value_names().map(|names| names.iter().map(ToString::to_string).collect::<Vec<_>>());
        names.map_or_else(|| arg.get_id().as_str().to_uppercase(), |names| names.join(" "))
    };
    if arg.is_positional() {
        return if arg.is_required_set() { format!("<{}>", value()) } else { format!("[{}]", value()) };
    }
    let mut spellings = Vec::new();
    if let Some(short) = arg.get_short() {
        spellings.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        spellings.push(format!("--{long}"));
    }
    let mut label = spellings.join(", ");
    if arg.get_action().takes_values() {
        label.push_str(&format!(" <{}>", value()));
    }
    label
}

/// The help text, then the choices (with their help), the default and whether it repeats.
fn describe(arg: &Arg) -> String {
    let mut parts = Vec::new();
    if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
        let help = help.to_string();
        let ends_a_sentence = help.ends_with(['.', '!', '?', ')', '`']);
        parts.push(if ends_a_sentence { help } else { format!("{help}.") });
    }
    let choices: Vec<String> = arg
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(help) => format!("{} ({help})", code(v.get_name())),
            None => code(v.get_name()),
        })
        .collect();
    if !choices.is_empty() {
        parts.push(format!("One of: {}.", choices.join(", ")));
    }
    let defaults: Vec<String> = arg.get_default_values().iter().map(|v| code(&v.to_string_lossy())).collect();
    let is_switch = matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count);
    if !defaults.is_empty() && !is_switch {
        parts.push(format!("Default: {}.", defaults.join(", ")));
    }
    if matches!(arg.get_action(), ArgAction::Append) {
        parts.push("Repeatable.".to_string());
    }
    parts.join(" ")
}

/// A command's after-help: its "Examples:" paragraph as a shell block, other paragraphs
/// as they are.
fn after_help(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        match paragraph.strip_prefix("Examples:\n") {
            Some(examples) => {
                let lines: Vec<&str> = examples.lines().map(|l| l.strip_prefix("  ").unwrap_or(l)).collect();
                out.push_str("Examples:\n\n");
                out.push_str(&block("sh", &lines.join("\n")));
            }
            None if paragraph.lines().skip(1).all(|l| l.starts_with("  ")) && paragraph.contains('\n') => {
                out.push_str(&block("text", paragraph));
            }
            None => out.push_str(&format!("{}\n\n", paragraph.trim_end())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command a user can type, with its full name (`kubectl etcd backup`).
    fn every_command() -> Vec<(String, Command)> {
        let mut root = crate::Cli::command();
        root.build();
        let mut found = Vec::new();
        let mut pending = vec![root];
        while let Some(command) = pending.pop() {
            let name = command.get_bin_name().unwrap_or_else(|| command.get_name()).to_string();
            pending.extend(visible_subcommands(&command).cloned());
            found.push((name, command));
        }
        found
    }

    #[test]
    fn every_command_shows_examples_of_itself_in_its_help() {
        let commands = every_command();
        assert!(commands.len() > 15, "the walk reaches the subcommands: {}", commands.len());
        for (name, command) in commands {
            let help = command.clone().render_long_help().to_string();
            let examples = help
                .split_once("Examples:\n")
                .map(|(_, rest)| rest.split("\n\n").next().unwrap_or_default())
                .unwrap_or_else(|| panic!("`{name} --help` has no \"Examples:\" section:\n{help}"));
            let lines: Vec<&str> = examples.lines().collect();
            assert!(
                !lines.is_empty() && lines.iter().any(|l| l.contains(&format!("{name} "))),
                "`{name} --help` has no example that runs it:\n{help}"
            );
        }
    }

    #[test]
    fn the_page_holds_every_command_and_option() {
        let page = render(crate::Cli::command());
        for (name, command) in every_command() {
            assert!(page.contains(&format!(" {name}\n\n")), "a heading for {name}");
            for arg in command.get_arguments().filter(|a| shown(a)) {
                assert!(page.contains(&code(&label(arg))), "{name}: {}", label(arg));
            }
        }
        assert!(page.contains("| `--as <USER>` | The user to impersonate"), "globals once, at the top");
        assert_eq!(page.matches("| `--kubeconfig <PATH>` |").count(), 1, "globals only once");
        assert!(page.contains("| `-o, --output <FORMAT>` |") || page.contains("| `-o, --output <OUTPUT>` |"));
        assert!(page.contains("`auto` (Colour when stdout is a terminal"), "choices with their help");
        assert!(page.contains("Default: `auto`."), "defaults");
        assert!(page.contains("```sh\nkubectl etcd list\n"), "examples as shell blocks");
    }

    #[test]
    fn labels_and_descriptions_read_like_help() {
        let root = crate::Cli::command();
        let list = root.find_subcommand("list").expect("list");
        let output = list.get_arguments().find(|a| a.get_id() == "output").expect("-o");
        assert_eq!(label(output), "-o, --output <OUTPUT>");
        assert!(describe(output).contains("One of: `wide` (The table with more columns)"));
        let status = root.find_subcommand("status").expect("status");
        let name = status.get_positionals().next().expect("NAME");
        assert_eq!(label(name), "<NAME>");
        let backups = root.find_subcommand("backups").expect("backups");
        assert_eq!(label(backups.get_positionals().next().expect("NAME")), "[NAME]");
        let groups = root.get_arguments().find(|a| a.get_long() == Some("as-group")).expect("--as-group");
        assert!(describe(groups).ends_with("several groups. Repeatable."), "{}", describe(groups));
        let yes = root
            .find_subcommand("delete")
            .and_then(|d| d.get_arguments().find(|a| a.get_long() == Some("yes")));
        assert!(!describe(yes.expect("--yes")).contains("Default"), "switches have no default shown");
    }
}
