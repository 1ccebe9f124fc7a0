//! Exit codes: scripts tell what happened from the code alone.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done, everything valid; for `status`: the cluster is healthy at its size |
//! | 1 | an error stopped the command (file unreadable, API unreachable, not found, ...) |
//! | 2 | the command line is wrong (unknown flag, missing argument) |
//! | 3 | the input was refused: a resource breaks a rule; nothing was changed |
//! | 4 | the cluster is degraded: it serves, but a member is unhealthy, missing, or changing |
//! | 5 | the cluster is unavailable: quorum is lost or no member answers |
//! | 6 | a wait timed out before the cluster got there |
//! | 7 | a local file could not be written (`backup --download`); no partial file is left |
//! | 8 | declined or interrupted (Ctrl-C) at a question on the terminal; nothing was changed |
//! | any | `etcdctl`: etcdctl's own exit code (1 when it could not be run) |
//! | 130 | interrupted (Ctrl-C) while no question was asked, e.g. during `--wait`; what was sent stands |

use std::process::ExitCode;

/// The exit codes, for the top-level help.
pub const HELP: &str = "Exit codes:\n  \
    0  done (status: healthy at full size)\n  \
    1  error (API unreachable, not found, ...)\n  \
    2  bad command line\n  \
    3  input refused, nothing changed\n  \
    4  cluster degraded (status, or after --wait)\n  \
    5  cluster unavailable (status, or after --wait)\n  \
    6  --wait timed out\n  \
    7  local file not written (backup --download)\n  \
    8  declined or interrupted at a question, nothing changed\n  \
    any  etcdctl: etcdctl's own exit code\n  \
    130 interrupted (Ctrl-C) otherwise; what was already sent stands";

/// What a command's outcome means to a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; everything valid; the cluster is healthy.
    Success,
    /// The input was refused by a rule; nothing was changed.
    Refused,
    /// The cluster serves but is not healthy at its full size.
    Degraded,
    /// The cluster does not serve: quorum is lost or no member answers.
    Unavailable,
    /// A wait ended before the cluster reached the awaited state.
    TimedOut,
    /// A local file could not be written (nothing partial is left behind).
    IoFailed,
    /// The person declined, or interrupted a question: nothing was changed.
    Declined,
    /// The command line lacks an argument that only a terminal would have been asked for.
    Usage,
    /// The exit code of a program run in a member (`kubectl etcd etcdctl`).
    Exited(u8),
}

/// Code for an error that stopped the command.
pub const ERROR: u8 = 1;

/// Code for a wrong command line (what clap exits with too).
pub const USAGE: u8 = 2;

/// Code for a question declined or interrupted: nothing was changed.
pub const DECLINED: u8 = 8;

/// Code for Ctrl-C while no question was asked (128 + SIGINT, as a shell reports it).
pub const INTERRUPTED: u8 = 130;

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Refused => ExitCode::from(3),
            Outcome::Degraded => ExitCode::from(4),
            Outcome::Unavailable => ExitCode::from(5),
            Outcome::TimedOut => ExitCode::from(6),
            Outcome::IoFailed => ExitCode::from(7),
            Outcome::Declined => ExitCode::from(DECLINED),
            Outcome::Usage => ExitCode::from(USAGE),
            Outcome::Exited(code) => ExitCode::from(code),
        }
    }
}
