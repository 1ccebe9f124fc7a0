//! Discovery documents: `/api`, `/apis`, `/apis/GROUP`, resource lists per group version,
//! and `/version`, reflecting CustomResourceDefinitions as they are created. kubectl 1.32
//! asks for aggregated discovery first and falls back to these when the answer is plain JSON.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::registry::Registry;

/// The Kubernetes version the emulator claims to be.
pub const KUBERNETES_VERSION: (&str, &str) = ("1", "32");

/// A version that every sandbox of this process claims instead of [`KUBERNETES_VERSION`].
static CLAIMED_VERSION: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// Makes every sandbox of this process claim Kubernetes `major.minor` in `/version` (for
/// tests of a client's version check; a test binary of its own, as the claim stays for the
/// whole process). Returns false when a version was claimed already.
pub fn claim_kubernetes_version(major: &str, minor: &str) -> bool {
    CLAIMED_VERSION.set((major.to_string(), minor.to_string())).is_ok()
}

/// `/version`
pub fn version() -> Value {
    let (major, minor) = CLAIMED_VERSION.get().map_or(KUBERNETES_VERSION, |(a, b)| (a.as_str(), b.as_str()));
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": format!("v{major}.{minor}.0-etcd-sandbox"),
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    })
}

/// `/api`
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// Served versions per non-core group, in first-served order.
fn group_versions(registry: &Registry) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rt in registry.all().iter().filter(|t| !t.group.is_empty()) {
        let versions = groups.entry(rt.group.clone()).or_default();
        if !versions.contains(&rt.version) {
            versions.push(rt.version.clone());
        }
    }
    groups
}

fn group_document(name: &str, versions: &[String]) -> Value {
    let list: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v})).collect();
    json!({
        "name": name,
        "versions": list,
        "preferredVersion": list.first().cloned().unwrap_or(Value::Null),
    })
}

/// `/apis`
pub fn groups(registry: &Registry) -> Value {
    let groups: Vec<Value> = group_versions(registry).iter().map(|(g, v)| group_document(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/GROUP`, or `None` when no resource is served in that group.
pub fn group(registry: &Registry, name: &str) -> Option<Value> {
    let groups = group_versions(registry);
    let versions = groups.get(name)?;
    let mut document = group_document(name, versions);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Some(document)
}

/// `/api/v1` or `/apis/GROUP/VERSION`, or `None` when nothing is served there.
pub fn resources(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for rt in registry.all().iter().filter(|t| t.group == group && t.version == version) {
        let mut main = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": rt.verbs(),
        });
        if !rt.short_names.is_empty() {
            main["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            main["categories"] = json!(rt.categories);
        }
        resources.push(main);
        let sub = |name: &str, kind: &str, extra: Value| {
            let mut doc = json!({
                "name": format!("{}/{name}", rt.plural),
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": kind,
                "verbs": ["get", "patch", "update"],
            });
            if let (Some(doc), Some(extra)) = (doc.as_object_mut(), extra.as_object()) {
                doc.extend(extra.clone());
            }
            doc
        };
        if rt.status_subresource {
            resources.push(sub("status", &rt.kind, json!({})));
        }
        if rt.scale.is_some() {
            resources.push(sub("scale", "Scale", json!({"group": "autoscaling", "version": "v1"})));
        }
        if rt.group.is_empty() && rt.plural == "pods" {
            resources.push(sub("log", "Pod", json!({"verbs": ["get"]})));
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_resources_appear_in_discovery_once_installed() {
        let registry = Registry::default();
        assert!(group(&registry, "etcd.kubectl-etcd.dev").is_none());
        for crd in shared::crd::definitions() {
            registry.install(&crd).expect("installs");
        }
        let apis = groups(&registry);
        let names: Vec<&str> =
            apis["groups"].as_array().into_iter().flatten().filter_map(|g| g["name"].as_str()).collect();
        assert!(names.contains(&"etcd.kubectl-etcd.dev") && names.contains(&"apps"), "{names:?}");
        let list = resources(&registry, "etcd.kubectl-etcd.dev", "v1alpha1").expect("served");
        let entries = list["resources"].as_array().cloned().unwrap_or_default();
        let cluster = entries.iter().find(|r| r["name"] == "etcdclusters").expect("etcdclusters listed");
        assert_eq!(cluster["shortNames"], json!(["etcd"]));
        assert_eq!(cluster["categories"], json!(["all"]));
        assert!(entries.iter().any(|r| r["name"] == "etcdclusters/scale" && r["group"] == "autoscaling"));
        assert!(entries.iter().any(|r| r["name"] == "etcdclusters/status"));
    }
}
