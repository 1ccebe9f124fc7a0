//! The API resource of each kind `install` sends, for dynamic (untyped) requests.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject};
use serde_json::Value;

/// The resource of `kind`, and whether it lives in a namespace.
fn resource(kind: &str) -> (ApiResource, bool) {
    match kind {
        "CustomResourceDefinition" => (ApiResource::erase::<CustomResourceDefinition>(&()), false),
        "Namespace" => (ApiResource::erase::<Namespace>(&()), false),
        "ClusterRole" => (ApiResource::erase::<ClusterRole>(&()), false),
        "ClusterRoleBinding" => (ApiResource::erase::<ClusterRoleBinding>(&()), false),
        "ServiceAccount" => (ApiResource::erase::<ServiceAccount>(&()), true),
        "Role" => (ApiResource::erase::<Role>(&()), true),
        "RoleBinding" => (ApiResource::erase::<RoleBinding>(&()), true),
        _ => (ApiResource::erase::<Deployment>(&()), true),
    }
}

/// The API for `object` (its kind, and its namespace when it has one).
pub fn api(client: &kube::Client, object: &Value) -> Api<DynamicObject> {
    let (resource, namespaced) = resource(object["kind"].as_str().unwrap_or_default());
    match object["metadata"]["namespace"].as_str().filter(|_| namespaced) {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
        None => Api::all_with(client.clone(), &resource),
    }
}

/// `object` as a dynamic object.
pub fn dynamic(object: &Value) -> Result<DynamicObject, serde_yaml::Error> {
    serde_yaml::from_value(serde_yaml::to_value(object)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_install_sends_has_its_resource() {
        let mut sent: Vec<Value> = super::super::objects::operator("ns", "0.1.0");
        sent.push(super::super::objects::namespace("ns"));
        for (_, yaml) in super::super::objects::CRDS {
            sent.push(serde_yaml::from_str(yaml).expect("a CRD"));
        }
        for object in &sent {
            let kind = object["kind"].as_str().expect("a kind");
            let (resource, namespaced) = resource(kind);
            assert_eq!(resource.kind, kind, "a kind is missing from kinds::resource");
            assert_eq!(namespaced, object["metadata"]["namespace"].is_string(), "{kind}");
            assert_eq!(object["apiVersion"].as_str(), Some(resource.api_version.as_str()), "{kind}");
        }
    }
}
