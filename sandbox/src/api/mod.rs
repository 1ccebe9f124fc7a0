//! The Kubernetes API emulator.

pub mod error;
pub mod patch;
pub mod registry;
pub mod selectors;
pub mod store;
