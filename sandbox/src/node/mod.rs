//! The node side of the sandbox: each Pod in its own network namespace, its containers as
//! local processes, probes as a kubelet runs them.

pub mod agent;
pub mod dns;
pub mod images;
pub mod isolation;
pub mod netns;
pub mod probe;
pub mod process;
pub mod volumes;
