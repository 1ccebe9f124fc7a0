//! Custom resource types and domain rules shared by the `kubectl-etcd` plugin and the
//! `etcd-operator`.
//!
//! What the plugin shows a user and what the operator does are computed by the same code in
//! this crate, so the two can never disagree.

pub mod advisory;
pub mod conditions;
pub mod crd;
pub mod display;
pub mod health;
pub mod kubernetes;
pub mod log_time;
pub mod names;
pub mod plan;
pub mod snapshot;
pub mod tls;
pub mod validate;
pub mod version;
