//! The reference pages in `docs/reference/`, generated from what they describe so they
//! cannot drift: `commands.md` from the command-line definition, `crds.md` from the
//! custom resources' schemas. `kubectl-etcd __reference commands|crds` prints one
//! (`scripts/reference.sh` writes both; `cli/tests/reference.rs` fails while they are
//! stale). The word is handled before parsing, so it is in no help and no completion.

mod commands;
mod crds;
mod markdown;

use std::io::Write;
use std::process::ExitCode;

/// The hidden first word that prints a reference page instead of running a command.
pub const PROTOCOL_WORD: &str = "__reference";

/// Prints the page `words` names (`commands` or `crds`) to stdout.
pub fn respond(root: clap::Command, words: &[String]) -> ExitCode {
    let page = match words.first().map(String::as_str) {
        Some("commands") => commands::render(root),
        Some("crds") => crds::render(&shared::crd::definitions()),
        _ => {
            eprintln!("usage: kubectl-etcd {PROTOCOL_WORD} commands|crds");
            return ExitCode::from(crate::exit::USAGE);
        }
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(page.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(crate::exit::ERROR),
    }
}
