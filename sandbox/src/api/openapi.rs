//! A minimal OpenAPI v3 for each group version: enough for kubectl to find that the server
//! validates fields itself (a PATCH operation per kind with the `fieldValidation` query
//! parameter, so `kubectl apply` sends `fieldValidation=Strict` instead of validating on the
//! client), and, for custom resources, their schemas for `kubectl explain`.

use serde_json::{Map, Value, json};

use super::registry::{Registry, ResourceType};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// `/openapi/v3`: one entry per served group version.
pub fn index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for rt in registry.all() {
        let path = gv_path(&rt.group, &rt.version);
        let url = format!("/openapi/v3/{path}?hash={}", hash_of(registry, &rt.group, &rt.version));
        paths.insert(path, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// Changes whenever the served types of a group version change, so clients' caches refresh.
fn hash_of(registry: &Registry, group: &str, version: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for rt in registry.all().iter().filter(|t| t.group == group && t.version == version) {
        rt.plural.hash(&mut hasher);
        rt.schema.is_some().hash(&mut hasher);
        rt.printer_columns.len().hash(&mut hasher);
    }
    hasher.finish()
}

fn gvk(rt: &ResourceType) -> Value {
    json!({"group": rt.group, "version": rt.version, "kind": rt.kind})
}

/// `/openapi/v3/apis/GROUP/VERSION`, or `None` when nothing is served there.
pub fn group_version(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let types: Vec<_> =
        registry.all().into_iter().filter(|t| t.group == group && t.version == version).collect();
    if types.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for rt in &types {
        let base = format!("/{}", gv_path(group, version));
        let object_path = if rt.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
        } else {
            format!("{base}/{}/{{name}}", rt.plural)
        };
        let parameters = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
            {"name": "force", "in": "query", "schema": {"type": "boolean"}},
        ]);
        paths.insert(
            object_path,
            json!({
                "patch": {
                    "operationId": format!("patch{}", rt.kind),
                    "parameters": parameters,
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk(rt),
                    "responses": {"200": {"description": "OK"}},
                }
            }),
        );
        let mut schema = match rt.schema.as_ref() {
            Some(_) => custom_schema(rt),
            None => {
                json!({"type": "object", "description": format!("{} (schema not published by the sandbox)", rt.kind)})
            }
        };
        schema["x-kubernetes-group-version-kind"] = json!([gvk(rt)]);
        schemas.insert(schema_name(rt), schema);
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (etcd-sandbox)", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

fn schema_name(rt: &ResourceType) -> String {
    let group: Vec<&str> = rt.group.split('.').rev().collect();
    let prefix = if rt.group.is_empty() { "io.k8s.api.core".to_string() } else { group.join(".") };
    format!("{prefix}.{}.{}", rt.version, rt.kind)
}

/// A custom resource's schema with the standard top-level fields described.
fn custom_schema(rt: &ResourceType) -> Value {
    let mut schema =
        rt.schema.as_ref().map(|s| s.openapi().clone()).unwrap_or_else(|| json!({"type": "object"}));
    let properties = &mut schema["properties"];
    if properties.is_null() {
        *properties = json!({});
    }
    properties["apiVersion"] = json!({
        "type": "string",
        "description": "APIVersion defines the versioned schema of this representation of an object.",
    });
    properties["kind"] = json!({
        "type": "string",
        "description": "Kind is a string value representing the REST resource this object represents.",
    });
    properties["metadata"] = json!({
        "type": "object",
        "description": "Standard object's metadata (name, namespace, labels, annotations, ...).",
    });
    schema
}
