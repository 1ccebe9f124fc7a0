//! The node side of the sandbox: each Pod in its own network namespace, its containers as
//! local processes, probes as a kubelet runs them.

pub mod agent;
pub mod dns;
pub mod exec;
pub mod images;
pub mod isolation;
pub mod netns;
pub mod probe;
pub mod process;
pub mod volumes;

use std::path::{Path, PathBuf};

/// A step on the machine that failed for want of a tool, or at a file: what the network
/// namespaces and the container processes share.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A required tool is not installed.
    #[error("required tool `{0}` was not found in PATH or the standard system directories")]
    ToolMissing(&'static str),
    /// A filesystem operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "write hosts file".
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl HostError {
    /// `action` on `path` failed with `source`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> HostError {
        HostError::Io { action, path: path.to_owned(), source }
    }
}
