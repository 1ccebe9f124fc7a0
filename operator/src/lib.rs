//! The etcd operator as a library; `main.rs` is a thin command line over it.
//!
//! The reconcile pipeline (observe -> plan -> act -> report) is built from the pure parts
//! here and in `shared::plan`: the resource builders decide what every object the operator
//! creates looks like.

pub mod resources;
