//! The committed CRD manifests are exactly what the Rust types generate, and every
//! definition is one a Kubernetes API server accepts: apiextensions.k8s.io/v1, a structural
//! schema, documented fields, the printer columns and subresources the plugin relies on.

use std::path::PathBuf;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::{Value, json};
use shared::crd::{API_GROUP, API_VERSION, definitions, manifest_file_name, render_manifest};
use shared::validate::structural_problems;

fn manifests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/crd")
}

fn openapi_schema(crd: &CustomResourceDefinition) -> Value {
    let schema = crd.spec.versions[0].schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref());
    serde_json::to_value(schema.expect("every version has a schema")).expect("schema serializes")
}

fn crd_named(kind: &str) -> CustomResourceDefinition {
    definitions().into_iter().find(|c| c.spec.names.kind == kind).expect("definition exists")
}

#[test]
fn committed_manifests_match_the_types() {
    let regenerate = "run `cargo run -p etcd-operator -- crd --write manifests/crd` and commit the result";
    let mut expected_files = Vec::new();
    for crd in definitions() {
        let name = manifest_file_name(&crd);
        let path = manifests_dir().join(&name);
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} is missing ({e}): {regenerate}", path.display()));
        let generated = render_manifest(&crd).expect("renders");
        assert!(committed == generated, "{} is stale: {regenerate}", path.display());
        expected_files.push(name);
    }
    let mut present: Vec<String> = std::fs::read_dir(manifests_dir())
        .expect("manifests/crd exists")
        .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    expected_files.sort();
    assert_eq!(present, expected_files, "manifests/crd holds a file no type generates: {regenerate}");
}

#[test]
fn committed_manifests_parse_as_custom_resource_definitions() {
    for crd in definitions() {
        let path = manifests_dir().join(manifest_file_name(&crd));
        let text = std::fs::read_to_string(&path).expect("manifest exists");
        let raw: Value = serde_yaml::from_str(&text).expect("manifest is YAML");
        assert_eq!(raw["apiVersion"], "apiextensions.k8s.io/v1", "{}", path.display());
        assert_eq!(raw["kind"], "CustomResourceDefinition", "{}", path.display());
        let parsed: CustomResourceDefinition = serde_yaml::from_str(&text).expect("manifest parses as a CRD");
        assert_eq!(parsed, crd);
        assert_eq!(parsed.spec.group, API_GROUP);
        assert_eq!(parsed.spec.versions.len(), 1);
        assert_eq!(parsed.spec.versions[0].name, API_VERSION);
        assert!(parsed.spec.versions[0].served && parsed.spec.versions[0].storage);
        assert_eq!(parsed.spec.scope, "Namespaced");
    }
}

#[test]
fn every_schema_is_structural() {
    for crd in definitions() {
        let problems = structural_problems(&openapi_schema(&crd));
        assert!(problems.is_empty(), "{} is not structural: {problems:#?}", crd.spec.names.kind);
    }
}

#[test]
fn structural_check_catches_what_kubernetes_refuses() {
    let unsigned = json!({"type": "object", "properties": {"n": {"type": "integer", "format": "uint32"}}});
    assert_eq!(
        structural_problems(&unsigned),
        vec![r#"openAPIV3Schema.properties[n]: format "uint32" is not one Kubernetes knows"#]
    );
    let untyped = json!({"type": "object", "properties": {"x": {"description": "no type"}}});
    assert_eq!(structural_problems(&untyped), vec!["openAPIV3Schema.properties[x]: type is required"]);
    let reference = json!({"type": "object", "properties": {"x": {"type": "object", "$ref": "#/defs/x"}}});
    assert_eq!(structural_problems(&reference), vec!["openAPIV3Schema.properties[x]: $ref is not allowed"]);
    let junctor = json!({"type": "object", "anyOf": [{"type": "object", "description": "d"}]});
    assert_eq!(structural_problems(&junctor).len(), 2, "type and description inside anyOf are both refused");
    let int_or_string =
        json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]});
    assert!(structural_problems(&int_or_string).is_empty());
}

/// Every property of our own types carries a description, so `kubectl explain` documents
/// every field. Walks spec and status of each resource.
#[test]
fn every_field_is_documented() {
    fn walk(node: &Value, path: &str, missing: &mut Vec<String>) {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, child) in props {
                let child_path = format!("{path}.{name}");
                let described =
                    child.get("description").and_then(Value::as_str).is_some_and(|d| !d.trim().is_empty());
                if !described {
                    missing.push(child_path.clone());
                }
                walk(child, &child_path, missing);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(child) = node.get(key).filter(|c| c.is_object()) {
                walk(child, path, missing);
            }
        }
    }
    for crd in definitions() {
        let schema = openapi_schema(&crd);
        let mut missing = Vec::new();
        for part in ["spec", "status"] {
            walk(&schema["properties"][part], part, &mut missing);
        }
        assert!(missing.is_empty(), "{} fields without a description: {missing:#?}", crd.spec.names.kind);
    }
}

#[test]
fn cluster_printer_columns_match_kubectl_get_and_wide() {
    let crd = crd_named("EtcdCluster");
    let columns = crd.spec.versions[0].additional_printer_columns.clone().expect("printer columns");
    let default: Vec<&str> =
        columns.iter().filter(|c| c.priority.unwrap_or(0) == 0).map(|c| c.name.as_str()).collect();
    let wide: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    // NAME is always first and added by kubectl itself.
    assert_eq!(default, ["Size", "Ready", "Version", "Phase", "Age"]);
    assert_eq!(wide, ["Size", "Ready", "Version", "Phase", "Age", "Leader", "Last Backup"]);
    assert_eq!(crd.spec.names.short_names, Some(vec!["etcd".to_string()]));
}

#[test]
fn cluster_has_status_and_scale_subresources() {
    let crd = crd_named("EtcdCluster");
    let subresources = crd.spec.versions[0].subresources.clone().expect("subresources");
    assert!(subresources.status.is_some());
    let scale = subresources.scale.expect("scale subresource");
    assert_eq!(scale.spec_replicas_path, ".spec.size");
    assert_eq!(scale.status_replicas_path, ".status.readyMembers");
    assert_eq!(scale.label_selector_path.as_deref(), Some(".status.selector"));
    for kind in ["EtcdBackup", "EtcdRestore"] {
        let subresources = crd_named(kind).spec.versions[0].subresources.clone().expect("subresources");
        assert!(subresources.status.is_some(), "{kind} has a status subresource");
    }
}
