//! The custom resources, version `v1alpha1` of the group [`API_GROUP`], and the
//! CustomResourceDefinition manifests generated from them.

// kube's `#[kube(printcolumn(type_ = ...))]` repeats keys across columns by design, which
// clippy's duplicated_attributes lint mistakes for copies.
#[allow(clippy::duplicated_attributes)]
mod backup;
#[allow(clippy::duplicated_attributes)]
mod cluster;
mod common;
#[allow(clippy::duplicated_attributes)]
mod restore;

pub use backup::*;
pub use cluster::*;
pub use common::*;
pub use restore::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use crate::names::{API_GROUP, API_VERSION};

/// Header of every generated manifest file.
const GENERATED_HEADER: &str =
    "# Generated from the Rust types in shared/src/crd by `etcd-operator crd`. Do not edit.\n";

/// Every CustomResourceDefinition of the project, in a stable order.
pub fn definitions() -> Vec<CustomResourceDefinition> {
    vec![EtcdCluster::crd(), EtcdBackup::crd(), EtcdRestore::crd()]
}

/// The file name a definition is committed under in `manifests/crd/`:
/// `<group>_<plural>.yaml`, as kubebuilder-style projects name them.
pub fn manifest_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

/// A definition rendered as the YAML document committed under `manifests/crd/`.
pub fn render_manifest(crd: &CustomResourceDefinition) -> Result<String, serde_yaml::Error> {
    Ok(format!("{GENERATED_HEADER}{}", serde_yaml::to_string(crd)?))
}

/// Every definition as one multi-document YAML stream (what `etcd-operator crd` prints).
pub fn render_all() -> Result<String, serde_yaml::Error> {
    let docs = definitions().iter().map(serde_yaml::to_string).collect::<Result<Vec<_>, _>>()?;
    Ok(format!("{GENERATED_HEADER}---\n{}", docs.join("---\n")))
}
