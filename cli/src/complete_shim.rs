//! `kubectl_complete-etcd`: what kubectl 1.26+ runs to complete `kubectl etcd ...`. kubectl
//! passes the words after `kubectl etcd` (the last one is the word being completed) and
//! reads candidates, one a line, then a line `:<directive>`. This program hands the words
//! to `kubectl-etcd __complete`, found beside it (symlinks followed, as krew installs it),
//! else on PATH. When kubectl-etcd cannot be run it prints only the directive `:4` (no
//! candidates, no file names), so the shell stays quiet.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The plugin's file name.
const PLUGIN: &str = "kubectl-etcd";

fn main() -> ExitCode {
    let mut command = Command::new(plugin());
    command.arg("__complete").args(std::env::args_os().skip(1));
    run(command)
}

/// `kubectl-etcd` beside this program, else the name alone (looked up on PATH).
fn plugin() -> PathBuf {
    let file = format!("{PLUGIN}{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&file)))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(file))
}

#[cfg(unix)]
fn run(mut command: Command) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let _error = command.exec(); // returns only when kubectl-etcd could not be started
    no_candidates()
}

#[cfg(not(unix))]
fn run(mut command: Command) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(_) => no_candidates(),
    }
}

/// No candidates and cobra's `ShellCompDirectiveNoFileComp`.
fn no_candidates() -> ExitCode {
    println!(":4");
    ExitCode::SUCCESS
}
