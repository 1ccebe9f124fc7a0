//! The Kubernetes API emulator.

pub mod admission;
pub mod auth;
pub mod controllers;
pub mod convert;
pub mod discovery;
pub mod error;
pub mod exec;
pub mod kube_version;
pub mod openapi;
pub mod patch;
pub mod pod_security;
pub mod portforward;
pub mod rbac;
pub mod registry;
pub mod requests;
pub mod route;
pub mod selectors;
pub mod server;
pub mod store;
pub mod table;
pub mod watch;
