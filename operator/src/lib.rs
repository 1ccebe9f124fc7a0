//! The etcd operator as a library; `main.rs` is a thin command line over it.
//!
//! Each reconcile is a pipeline, `reconcile::{observe, act, report}` around the pure
//! planner in `shared::plan::membership`; `resources` builds every object the operator
//! creates; `etcd` talks to the members; `client` makes the operator's Kubernetes client.

pub mod backup;
pub mod client;
pub mod controller;
pub mod etcd;
pub mod events;
pub mod identity;
pub mod metrics;
pub mod monitoring;
pub mod reconcile;
pub mod resources;
pub mod restore;
pub mod status_patch;
pub mod tls;
