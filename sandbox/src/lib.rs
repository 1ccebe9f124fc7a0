//! `etcd-sandbox`: a development and test tool that lets the plugin and operator run end to
//! end on one machine, with real etcd processes, and no Kubernetes cluster.

pub mod api;
pub mod etcd_builds;
pub mod faults;
pub mod instance;
pub mod node;
pub mod testkit;
pub mod tls;
