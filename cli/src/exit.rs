//! Exit codes: scripts tell what happened from the code alone.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done, everything valid |
//! | 1 | an error stopped the command (file unreadable, API unreachable, ...) |
//! | 2 | the command line is wrong (unknown flag, missing argument) |
//! | 3 | the input was refused: a resource breaks a rule; nothing was changed |

use std::process::ExitCode;

/// What a command's outcome means to a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; everything valid.
    Success,
    /// The input was refused by a rule; nothing was changed.
    Refused,
}

/// Code for an error that stopped the command.
pub const ERROR: u8 = 1;

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Refused => ExitCode::from(3),
        }
    }
}
