//! The custom resources, version `v1alpha1` of the group [`API_GROUP`], and the
//! CustomResourceDefinition manifests generated from them.

// kube's `#[kube(printcolumn(type_ = ...))]` repeats keys across columns by design, which
// clippy's duplicated_attributes lint mistakes for copies.
#[allow(clippy::duplicated_attributes)]
mod backup;
#[allow(clippy::duplicated_attributes)]
mod cluster;
mod common;
mod maintenance;
#[allow(clippy::duplicated_attributes)]
mod restore;
mod settings;
mod tls;

pub use backup::*;
pub use cluster::*;
pub use common::*;
pub use maintenance::*;
pub use restore::*;
pub use settings::*;
pub use tls::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kube::CustomResourceExt;

pub use crate::names::{API_GROUP, API_VERSION};

/// Header of every generated manifest file.
const GENERATED_HEADER: &str =
    "# Generated from the Rust types in shared/src/crd by `etcd-operator crd`. Do not edit.\n";

/// Every CustomResourceDefinition of the project, in a stable order, with descriptions
/// unwrapped for `kubectl explain` (which wraps text itself).
pub fn definitions() -> Vec<CustomResourceDefinition> {
    let mut crds = vec![EtcdCluster::crd(), EtcdBackup::crd(), EtcdRestore::crd()];
    for crd in &mut crds {
        for version in &mut crd.spec.versions {
            if let Some(schema) = version.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut()) {
                unwrap_descriptions(schema);
            }
        }
    }
    crds
}

/// Joins the hard-wrapped lines of doc comments into paragraphs, recursively.
fn unwrap_descriptions(schema: &mut JSONSchemaProps) {
    if let Some(description) = schema.description.as_mut() {
        *description = unwrap_text(description);
    }
    let children = schema
        .properties
        .iter_mut()
        .flat_map(|p| p.values_mut())
        .chain(schema.items.iter_mut().filter_map(|items| match items {
            JSONSchemaPropsOrArray::Schema(s) => Some(s.as_mut()),
            JSONSchemaPropsOrArray::Schemas(_) => None,
        }))
        .chain(schema.additional_properties.iter_mut().filter_map(|a| match a {
            JSONSchemaPropsOrBool::Schema(s) => Some(s.as_mut()),
            JSONSchemaPropsOrBool::Bool(_) => None,
        }));
    for child in children {
        unwrap_descriptions(child);
    }
}

/// `"a\nb\n\nc"` becomes `"a b\n\nc"`: single line breaks join, blank lines stay.
fn unwrap_text(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| paragraph.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
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
