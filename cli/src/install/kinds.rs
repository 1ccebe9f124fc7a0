//! The API resource of each kind `install` sends, for dynamic (untyped) requests.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

use crate::client::MissingIdentity;

/// The resource of `kind`, and whether it lives in a namespace; `None` for a kind install
/// does not send.
fn resource(kind: &str) -> Option<(ApiResource, bool)> {
    Some(match kind {
        "CustomResourceDefinition" => (ApiResource::erase::<CustomResourceDefinition>(&()), false),
        "Namespace" => (ApiResource::erase::<Namespace>(&()), false),
        "ClusterRole" => (ApiResource::erase::<ClusterRole>(&()), false),
        "ClusterRoleBinding" => (ApiResource::erase::<ClusterRoleBinding>(&()), false),
        "ServiceAccount" => (ApiResource::erase::<ServiceAccount>(&()), true),
        "Role" => (ApiResource::erase::<Role>(&()), true),
        "RoleBinding" => (ApiResource::erase::<RoleBinding>(&()), true),
        "Deployment" => (ApiResource::erase::<Deployment>(&()), true),
        "ConfigMap" => (ApiResource::erase::<ConfigMap>(&()), true),
        "ServiceMonitor" => (monitoring("ServiceMonitor", "servicemonitors"), true),
        "PodMonitor" => (monitoring("PodMonitor", "podmonitors"), true),
        "PrometheusRule" => (monitoring("PrometheusRule", "prometheusrules"), true),
        _ => return None,
    })
}

/// The prometheus-operator's resources (custom resources: no Rust type).
pub const MONITORING_RESOURCES: [&str; 3] = ["servicemonitors", "podmonitors", "prometheusrules"];

fn monitoring(kind: &str, plural: &str) -> ApiResource {
    let (group, version) = super::objects::MONITORING_API.split_once('/').unwrap_or_default();
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// What a manifest that cannot be sent lacks: the embedded manifests are the plugin's own.
fn missing(object: &Value, missing: &'static str) -> MissingIdentity {
    MissingIdentity {
        object: format!("the manifest {}", super::object_name(object)),
        missing,
        fix: "the plugin's embedded manifests are broken: report it, with `kubectl etcd install --dry-run`",
    }
}

/// The API for `object`: its kind's, in its namespace when the kind lives in one.
pub fn api(client: &kube::Client, object: &Value) -> Result<Api<DynamicObject>, MissingIdentity> {
    let (resource, namespaced) = object["kind"]
        .as_str()
        .and_then(resource)
        .ok_or_else(|| missing(object, "kind that install sends"))?;
    if !namespaced {
        return Ok(Api::all_with(client.clone(), &resource));
    }
    let namespace =
        object["metadata"]["namespace"].as_str().ok_or_else(|| missing(object, "metadata.namespace"))?;
    Ok(Api::namespaced_with(client.clone(), namespace, &resource))
}

/// The name of `object`.
pub fn name(object: &Value) -> Result<&str, MissingIdentity> {
    object["metadata"]["name"].as_str().ok_or_else(|| missing(object, "metadata.name"))
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
        sent.extend(super::super::objects::monitoring("ns").expect("the embedded files parse"));
        for (_, yaml) in super::super::objects::CRDS {
            sent.push(serde_yaml::from_str(yaml).expect("a CRD"));
        }
        for object in &sent {
            let kind = object["kind"].as_str().expect("a kind");
            let (resource, namespaced) = resource(kind).expect("a kind is missing from kinds::resource");
            assert_eq!(resource.kind, kind, "a kind is missing from kinds::resource");
            assert_eq!(namespaced, object["metadata"]["namespace"].is_string(), "{kind}");
            assert_eq!(object["apiVersion"].as_str(), Some(resource.api_version.as_str()), "{kind}");
            if resource.group == "monitoring.coreos.com" {
                assert!(MONITORING_RESOURCES.contains(&resource.plural.as_str()), "{kind}");
            }
        }
    }

    #[test]
    fn a_manifest_without_its_name_or_an_unknown_kind_is_an_error() {
        assert!(resource("Secret").is_none());
        let nameless = serde_json::json!({"kind": "Role", "metadata": {"namespace": "ns"}});
        let error = name(&nameless).expect_err("no name");
        assert_eq!(error.missing, "metadata.name");
        assert!(error.to_string().starts_with("the manifest role/ has no metadata.name"), "{error}");
    }
}
