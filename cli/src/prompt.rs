//! Questions on a terminal. The plugin asks only when both stdin and stderr are terminals:
//! scripts and CI never see a prompt, and commands that would ask need `--yes` there.

use std::io::IsTerminal;

/// Whether a person can be asked: stdin and stderr are terminals.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a yes/no question on the terminal, `no` by default.
pub fn confirm(question: &str) -> Result<bool, String> {
    dialoguer::Confirm::new().with_prompt(question).default(false).interact().map_err(|e| e.to_string())
}
