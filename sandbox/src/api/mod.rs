//! The Kubernetes API emulator.

pub mod error;
pub mod registry;
pub mod store;
