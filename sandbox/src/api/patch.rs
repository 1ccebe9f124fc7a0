//! Application of Kubernetes PATCH request bodies to stored objects.
//!
//! The four patch content types accepted by the Kubernetes API server are supported:
//!
//! * JSON patch (RFC 6902), applied with the `json-patch` crate, `test` operations included;
//! * JSON merge patch (RFC 7386): `null` deletes, objects merge recursively, lists are replaced;
//! * strategic merge patch, for the built-in kinds this emulator serves;
//! * server-side apply, approximated with merge semantics (see [`PatchKind::Apply`]).
//!
//! Strategic merge patch differs from the real API server in these documented ways:
//!
//! * list merge keys come from a fixed table of paths per kind instead of the OpenAPI schema; lists
//!   that are not in the table are replaced wholesale;
//! * `$retainKeys` directives are accepted and ignored;
//! * `$setElementOrder/<field>` directives are removed from the result but their ordering is not
//!   enforced: merged lists keep the order of the stored list and new elements are appended in
//!   patch order;
//! * `$deleteFromPrimitiveList/<field>` directives remove the listed values from a list of scalars
//!   (this is how `kubectl` removes finalizers);
//! * `$patch: delete` on a map empties the map (as the API server does), `$patch: replace` on a map
//!   replaces it with the other keys of the patch map.

use serde_json::{Map, Value};
use thiserror::Error;

/// The key carrying `$patch: replace | delete` directives.
const DIRECTIVE: &str = "$patch";
/// The key carrying the (ignored) `$retainKeys` directive.
const RETAIN_KEYS: &str = "$retainKeys";
/// Prefix of the `$setElementOrder/<field>` directive keys.
const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder/";
/// Prefix of the `$deleteFromPrimitiveList/<field>` directive keys.
const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList/";

/// The patch formats accepted by `PATCH` requests, selected by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// RFC 6902 JSON patch (`application/json-patch+json`).
    Json,
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`).
    Merge,
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`).
    StrategicMerge,
    /// Server-side apply (`application/apply-patch+yaml`).
    ///
    /// Field ownership is not tracked: the applied configuration is merged like a strategic merge
    /// patch for built-in kinds and like a JSON merge patch for custom resources. Fields absent
    /// from the applied configuration are never deleted; `null` values delete.
    Apply,
}

impl PatchKind {
    /// Maps a `Content-Type` header value to a patch kind.
    ///
    /// Parameters after `;` are ignored and the media type is compared case-insensitively.
    /// Returns `None` for media types that are not patch types.
    pub fn from_content_type(ct: &str) -> Option<PatchKind> {
        let media_type = ct.split(';').next().unwrap_or_default().trim();
        [
            ("application/json-patch+json", PatchKind::Json),
            ("application/merge-patch+json", PatchKind::Merge),
            ("application/strategic-merge-patch+json", PatchKind::StrategicMerge),
            ("application/apply-patch+yaml", PatchKind::Apply),
        ]
        .into_iter()
        .find(|(name, _)| media_type.eq_ignore_ascii_case(name))
        .map(|(_, kind)| kind)
    }
}

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatchError {
    /// The request body is not a well-formed patch of its type (the API server answers 400).
    #[error("{message}")]
    Malformed {
        /// What is wrong with the patch body.
        message: String,
    },
    /// The patch is well formed but cannot be applied to the object (the API server answers 422).
    #[error("{message}")]
    Invalid {
        /// Why the patch does not apply.
        message: String,
    },
    /// A JSON patch `test` operation did not match the object (the API server answers 422).
    #[error("testing value {path} failed: test failed")]
    TestFailed {
        /// JSON pointer of the tested value.
        path: String,
    },
    /// Strategic merge patch was requested for a kind without a strategic merge schema, such as a
    /// custom resource (the API server answers 415).
    #[error(
        "the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml \
         (strategic merge patch is not supported for {kind})"
    )]
    StrategicMergeUnsupported {
        /// The kind the patch was sent for.
        kind: String,
    },
}

/// Applies `patch` of type `kind` to `current`, an object of kind `kind_name` (e.g. `"Pod"`), and
/// returns the patched object. `current` is left untouched.
///
/// For merge, strategic merge and apply patches the body must be a JSON object; a `null` `current`
/// is treated as an empty object (useful for apply-creates). The result must be a JSON object.
pub fn apply_patch(
    kind: PatchKind,
    kind_name: &str,
    current: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let patched = match kind {
        PatchKind::Json => apply_json_patch(current, patch)?,
        PatchKind::Merge => apply_merge_patch(current, patch, "merge patch")?,
        PatchKind::StrategicMerge => {
            let builtin = Builtin::from_kind(kind_name)
                .ok_or_else(|| PatchError::StrategicMergeUnsupported { kind: kind_name.to_owned() })?;
            apply_strategic_merge(builtin, current, patch, "strategic merge patch")?
        }
        PatchKind::Apply => match Builtin::from_kind(kind_name) {
            Some(builtin) => apply_strategic_merge(builtin, current, patch, "apply configuration")?,
            None => apply_merge_patch(current, patch, "apply configuration")?,
        },
    };
    if patched.is_object() {
        Ok(patched)
    } else {
        Err(PatchError::Invalid {
            message: format!(
                "the patched object must be a map, but the patch produced {}",
                describe(&patched)
            ),
        })
    }
}

/// Describes the JSON type of `value` for error messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Returns the patch body as a map, or a [`PatchError::Malformed`] naming `what` the body is.
fn patch_map<'a>(patch: &'a Value, what: &str) -> Result<&'a Map<String, Value>, PatchError> {
    patch.as_object().ok_or_else(|| PatchError::Malformed {
        message: format!("the {what} body must be a map, but received {}", describe(patch)),
    })
}

/// Applies an RFC 6902 JSON patch.
fn apply_json_patch(current: &Value, patch: &Value) -> Result<Value, PatchError> {
    let operations: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|error| PatchError::Malformed { message: format!("invalid JSON patch: {error}") })?;
    let mut document = current.clone();
    json_patch::patch(&mut document, &operations).map_err(|error| json_patch_error(&operations, &error))?;
    Ok(document)
}

/// Translates a `json-patch` failure into API server wording.
fn json_patch_error(operations: &[json_patch::PatchOperation], error: &json_patch::PatchError) -> PatchError {
    use json_patch::{PatchErrorKind, PatchOperation};

    let path = error.path.to_string();
    let (name, from) = match operations.get(error.operation) {
        Some(PatchOperation::Test(_)) => return PatchError::TestFailed { path },
        Some(PatchOperation::Add(_)) => ("add", None),
        Some(PatchOperation::Remove(_)) => ("remove", None),
        Some(PatchOperation::Replace(_)) => ("replace", None),
        Some(PatchOperation::Move(operation)) => ("move", Some(&operation.from)),
        Some(PatchOperation::Copy(operation)) => ("copy", Some(&operation.from)),
        None => ("patch", None),
    };
    let detail = match (&error.kind, from) {
        (PatchErrorKind::InvalidPointer, _) => format!("doc is missing path: \"{path}\""),
        (PatchErrorKind::InvalidFromPointer, Some(from)) => format!("doc is missing from path: \"{from}\""),
        (kind, _) => kind.to_string(),
    };
    PatchError::Invalid { message: format!("{name} operation does not apply: {detail}") }
}

/// Applies an RFC 7386 JSON merge patch; `what` names the body in errors.
fn apply_merge_patch(current: &Value, patch: &Value, what: &str) -> Result<Value, PatchError> {
    patch_map(patch, what)?;
    let mut document = current.clone();
    json_patch::merge(&mut document, patch);
    Ok(document)
}

/// Applies a strategic merge patch for a built-in kind; `what` names the body in errors.
fn apply_strategic_merge(
    kind: Builtin,
    current: &Value,
    patch: &Value,
    what: &str,
) -> Result<Value, PatchError> {
    let patch = patch_map(patch, what)?;
    let original = match current {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(PatchError::Invalid {
                message: format!("the object to patch must be a map, but it is {}", describe(other)),
            });
        }
    };
    merge_map(kind, &mut Vec::new(), original, patch).map(Value::Object)
}

/// The built-in kinds accepted for strategic merge patch, grouped by the list keys they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    /// `Pod`: pod spec lists at `spec`, container statuses under `status`.
    Pod,
    /// `Deployment`: pod spec lists at `spec.template.spec`.
    Deployment,
    /// `Service`: `spec.ports` keyed by `port`.
    Service,
    /// `ServiceAccount`: `secrets` and `imagePullSecrets` keyed by `name`.
    ServiceAccount,
    /// Any other built-in kind: only the lists shared by all kinds have merge keys.
    Plain,
}

impl Builtin {
    /// The strategic merge schema for `kind`, or `None` if the kind is not a built-in.
    fn from_kind(kind: &str) -> Option<Self> {
        match kind {
            "Pod" => Some(Self::Pod),
            "Deployment" => Some(Self::Deployment),
            "Service" => Some(Self::Service),
            "ServiceAccount" => Some(Self::ServiceAccount),
            "Endpoints"
            | "ConfigMap"
            | "Secret"
            | "Namespace"
            | "PersistentVolumeClaim"
            | "Event"
            | "Lease"
            | "PodDisruptionBudget"
            | "Role"
            | "RoleBinding"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition" => Some(Self::Plain),
            _ => None,
        }
    }
}

/// How a list field is combined with the list in a strategic merge patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListStrategy {
    /// The patch list replaces the stored list.
    Atomic,
    /// A list of scalars merged as a set (e.g. `metadata.finalizers`).
    Set,
    /// A list of maps merged element by element, matched on the given key.
    MergeKey(&'static str),
}

/// Looks up the merge strategy of the list at `path` (field names from the object root; list
/// elements do not add a path segment).
fn list_strategy(kind: Builtin, path: &[&str]) -> ListStrategy {
    match (kind, path) {
        (_, ["metadata", "ownerReferences"]) => ListStrategy::MergeKey("uid"),
        (_, ["metadata", "finalizers"]) => ListStrategy::Set,
        (_, ["status", "conditions"]) => ListStrategy::MergeKey("type"),
        (Builtin::Pod, ["spec", rest @ ..])
        | (Builtin::Deployment, ["spec", "template", "spec", rest @ ..]) => pod_spec_list_strategy(rest),
        (
            Builtin::Pod,
            ["status", "containerStatuses" | "initContainerStatuses" | "ephemeralContainerStatuses"],
        ) => ListStrategy::MergeKey("name"),
        (Builtin::Service, ["spec", "ports"]) => ListStrategy::MergeKey("port"),
        (Builtin::ServiceAccount, ["secrets" | "imagePullSecrets"]) => ListStrategy::MergeKey("name"),
        _ => ListStrategy::Atomic,
    }
}

/// Merge strategy of a list at `path` relative to a pod spec.
fn pod_spec_list_strategy(path: &[&str]) -> ListStrategy {
    match path {
        ["containers" | "initContainers" | "ephemeralContainers"] => ListStrategy::MergeKey("name"),
        ["containers" | "initContainers" | "ephemeralContainers", "ports"] => {
            ListStrategy::MergeKey("containerPort")
        }
        ["containers" | "initContainers" | "ephemeralContainers", "env"] => ListStrategy::MergeKey("name"),
        ["containers" | "initContainers" | "ephemeralContainers", "volumeMounts"] => {
            ListStrategy::MergeKey("mountPath")
        }
        ["volumes" | "imagePullSecrets"] => ListStrategy::MergeKey("name"),
        _ => ListStrategy::Atomic,
    }
}

/// Whether `key` is a strategic merge directive rather than a field.
fn is_directive_key(key: &str) -> bool {
    key == DIRECTIVE
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER_PREFIX)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
}

/// The error for a `$patch` directive other than `replace` or `delete`.
fn unknown_directive(directive: &Value, map: &Map<String, Value>) -> PatchError {
    let directive = directive.as_str().map_or_else(|| directive.to_string(), str::to_owned);
    PatchError::Invalid {
        message: format!("unknown patch type: {directive} in map: {}", Value::Object(map.clone())),
    }
}

/// The error for a list element lacking the list's merge key.
fn missing_merge_key(map: &Map<String, Value>, key: &str) -> PatchError {
    PatchError::Invalid {
        message: format!("map: {} does not contain declared merge key: {key}", Value::Object(map.clone())),
    }
}

/// Strategic-merges the map `patch` into `original`, honouring a `$patch` directive in `patch`.
fn merge_map<'p>(
    kind: Builtin,
    path: &mut Vec<&'p str>,
    original: Map<String, Value>,
    patch: &'p Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    match patch.get(DIRECTIVE) {
        None => merge_fields(kind, path, original, patch),
        Some(Value::String(directive)) if directive == "replace" => {
            merge_fields(kind, path, Map::new(), patch)
        }
        Some(Value::String(directive)) if directive == "delete" => Ok(Map::new()),
        Some(other) => Err(unknown_directive(other, patch)),
    }
}

/// Strategic-merges the fields of `patch` into `original`, skipping directive keys.
fn merge_fields<'p>(
    kind: Builtin,
    path: &mut Vec<&'p str>,
    mut original: Map<String, Value>,
    patch: &'p Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    for (key, value) in patch {
        let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST_PREFIX) else { continue };
        let Value::Array(doomed) = value else {
            return Err(PatchError::Malformed {
                message: format!("invalid patch format of primitive list: {key} must be a list"),
            });
        };
        if let Some(Value::Array(items)) = original.get_mut(field) {
            items.retain(|item| !doomed.contains(item));
        }
    }
    for (key, value) in patch {
        if is_directive_key(key) {
            continue;
        }
        if value.is_null() {
            // `retain` keeps the order of the other fields even with serde_json's `preserve_order`.
            original.retain(|field, _| field != key);
            continue;
        }
        let existing = original.get_mut(key).map(std::mem::take).unwrap_or(Value::Null);
        path.push(key);
        let merged = merge_value(kind, path, existing, value);
        path.pop();
        original.insert(key.clone(), merged?);
    }
    Ok(original)
}

/// Strategic-merges one patch value into the stored value (`Null` when the field is absent).
fn merge_value<'p>(
    kind: Builtin,
    path: &mut Vec<&'p str>,
    original: Value,
    patch: &'p Value,
) -> Result<Value, PatchError> {
    match (original, patch) {
        (Value::Object(original), Value::Object(patch)) => {
            merge_map(kind, path, original, patch).map(Value::Object)
        }
        (_, Value::Object(patch)) => merge_map(kind, path, Map::new(), patch).map(Value::Object),
        (Value::Array(original), Value::Array(patch)) => {
            merge_list(kind, path, original, patch).map(Value::Array)
        }
        (_, Value::Array(patch)) => merge_list(kind, path, Vec::new(), patch).map(Value::Array),
        (_, scalar) => Ok(scalar.clone()),
    }
}

/// Strategic-merges the list `patch` into `original` according to the list's strategy.
fn merge_list<'p>(
    kind: Builtin,
    path: &mut Vec<&'p str>,
    original: Vec<Value>,
    patch: &'p [Value],
) -> Result<Vec<Value>, PatchError> {
    let mut replace = false;
    let mut deletions = Vec::new();
    let mut items = Vec::new();
    for element in patch {
        let Some(map) = element.as_object() else {
            items.push(element);
            continue;
        };
        match map.get(DIRECTIVE) {
            None => items.push(element),
            Some(Value::String(directive)) if directive == "replace" => replace = true,
            Some(Value::String(directive)) if directive == "delete" => deletions.push(map),
            Some(other) => return Err(unknown_directive(other, map)),
        }
    }

    let strategy = list_strategy(kind, path);
    let mut merged = if replace || strategy == ListStrategy::Atomic { Vec::new() } else { original };
    match strategy {
        ListStrategy::Atomic => {
            for item in items {
                merged.push(merge_value(kind, path, Value::Null, item)?);
            }
        }
        ListStrategy::Set => {
            for item in items {
                let item = merge_value(kind, path, Value::Null, item)?;
                if !merged.contains(&item) {
                    merged.push(item);
                }
            }
        }
        ListStrategy::MergeKey(key) => {
            for deletion in deletions {
                let target = deletion.get(key).ok_or_else(|| missing_merge_key(deletion, key))?;
                merged.retain(|element| element.get(key) != Some(target));
            }
            for item in items {
                let map = item.as_object().ok_or_else(|| PatchError::Invalid {
                    message: format!(
                        "expected a map as element of the list {}, but received {}",
                        path.join("."),
                        describe(item)
                    ),
                })?;
                let target = map.get(key).ok_or_else(|| missing_merge_key(map, key))?;
                match merged.iter_mut().find(|element| element.get(key) == Some(target)) {
                    Some(slot) => {
                        let existing = std::mem::take(slot);
                        *slot = merge_value(kind, path, existing, item)?;
                    }
                    None => merged.push(merge_value(kind, path, Value::Null, item)?),
                }
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "labels": {"app": "web", "tier": "frontend"},
                "annotations": {"note": "keep", "old": "drop"},
                "finalizers": ["example.com/a", "example.com/b"],
                "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1"},
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg", "uid": "u2"}
                ]
            },
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.25",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}]
                    },
                    {"name": "sidecar", "image": "busybox:1.36"}
                ],
                "volumes": [{"name": "data", "emptyDir": {}}],
                "tolerations": [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]
            },
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "Ready", "status": "True"},
                    {"type": "PodScheduled", "status": "True"}
                ]
            }
        })
    }

    fn strategic(kind: &str, current: &Value, patch: Value) -> Value {
        apply_patch(PatchKind::StrategicMerge, kind, current, &patch).expect("strategic merge patch applies")
    }

    #[test]
    fn content_types() {
        assert_eq!(PatchKind::from_content_type("application/json-patch+json"), Some(PatchKind::Json));
        assert_eq!(
            PatchKind::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchKind::Merge)
        );
        assert_eq!(
            PatchKind::from_content_type("Application/Strategic-Merge-Patch+JSON"),
            Some(PatchKind::StrategicMerge)
        );
        assert_eq!(
            PatchKind::from_content_type(" application/apply-patch+yaml ;charset=utf-8"),
            Some(PatchKind::Apply)
        );
        assert_eq!(PatchKind::from_content_type("application/json"), None);
        assert_eq!(PatchKind::from_content_type(""), None);
    }

    #[test]
    fn json_patch_add_replace_remove_test() {
        let patch = json!([
            {"op": "test", "path": "/metadata/labels/app", "value": "web"},
            {"op": "add", "path": "/metadata/labels/version", "value": "v2"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.26"},
            {"op": "remove", "path": "/metadata/annotations/old"},
            {"op": "add", "path": "/metadata/finalizers/-", "value": "example.com/c"}
        ]);
        let out = apply_patch(PatchKind::Json, "Pod", &pod(), &patch).expect("json patch applies");
        assert_eq!(out["metadata"]["labels"]["version"], "v2");
        assert_eq!(out["spec"]["containers"][0]["image"], "nginx:1.26");
        assert_eq!(out["metadata"]["annotations"], json!({"note": "keep"}));
        assert_eq!(out["metadata"]["finalizers"][2], "example.com/c");
    }

    #[test]
    fn json_patch_test_failure() {
        let patch = json!([
            {"op": "add", "path": "/metadata/labels/x", "value": "y"},
            {"op": "test", "path": "/metadata/labels/app", "value": "db"}
        ]);
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &patch).expect_err("test must fail");
        assert_eq!(err, PatchError::TestFailed { path: "/metadata/labels/app".into() });
        assert_eq!(err.to_string(), "testing value /metadata/labels/app failed: test failed");

        let missing = json!([{"op": "test", "path": "/metadata/labels/nope", "value": "x"}]);
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &missing).expect_err("test must fail");
        assert!(matches!(err, PatchError::TestFailed { .. }));
    }

    #[test]
    fn json_patch_errors() {
        let missing = json!([{"op": "replace", "path": "/spec/nodeName", "value": "n1"}]);
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &missing).expect_err("path is missing");
        assert_eq!(
            err,
            PatchError::Invalid {
                message: "replace operation does not apply: doc is missing path: \"/spec/nodeName\"".into()
            }
        );

        let moved = json!([{"op": "move", "from": "/nope", "path": "/x"}]);
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &moved).expect_err("from is missing");
        assert_eq!(err.to_string(), "move operation does not apply: doc is missing from path: \"/nope\"");

        let not_a_list = json!({"op": "add", "path": "/x", "value": 1});
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &not_a_list).expect_err("must be a list");
        assert!(matches!(err, PatchError::Malformed { .. }));

        let bad_op = json!([{"op": "frobnicate", "path": "/x"}]);
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &bad_op).expect_err("unknown op");
        assert!(matches!(err, PatchError::Malformed { .. }));

        let root = json!([{"op": "replace", "path": "", "value": 3}]);
        let err = apply_patch(PatchKind::Json, "Pod", &pod(), &root).expect_err("root must stay a map");
        assert!(matches!(err, PatchError::Invalid { .. }));
    }

    #[test]
    fn merge_patch_on_pod() {
        let patch = json!({
            "metadata": {"labels": {"tier": null, "track": "canary"}, "annotations": null},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}
        });
        let out = apply_patch(PatchKind::Merge, "Pod", &pod(), &patch).expect("merge patch applies");
        assert_eq!(out["metadata"]["labels"], json!({"app": "web", "track": "canary"}));
        assert!(out["metadata"].get("annotations").is_none());
        // Lists are replaced wholesale by a merge patch.
        assert_eq!(out["spec"]["containers"], json!([{"name": "app", "image": "nginx:1.26"}]));
        assert_eq!(out["spec"]["volumes"], pod()["spec"]["volumes"]);
    }

    #[test]
    fn merge_patch_on_custom_resource() {
        let current = json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": 3, "colors": ["red", "blue"], "owner": "me"}
        });
        let patch = json!({"spec": {"size": 5, "colors": ["green"], "owner": null}});
        let out = apply_patch(PatchKind::Merge, "Widget", &current, &patch).expect("merge patch applies");
        assert_eq!(out["spec"], json!({"size": 5, "colors": ["green"]}));

        let err = apply_patch(PatchKind::Merge, "Widget", &current, &json!([1])).expect_err("not a map");
        assert_eq!(
            err,
            PatchError::Malformed {
                message: "the merge patch body must be a map, but received a list".into()
            }
        );
    }

    #[test]
    fn strategic_changes_one_container_image() {
        let out = strategic(
            "Pod",
            &pod(),
            json!({"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.37"}]}}),
        );
        let containers = &out["spec"]["containers"];
        assert_eq!(containers.as_array().map(Vec::len), Some(2));
        assert_eq!(containers[0], pod()["spec"]["containers"][0]);
        assert_eq!(containers[1], json!({"name": "sidecar", "image": "busybox:1.37"}));
    }

    #[test]
    fn strategic_adds_container_at_end() {
        let out =
            strategic("Pod", &pod(), json!({"spec": {"containers": [{"name": "log", "image": "fluentd"}]}}));
        let names: Vec<&Value> =
            out["spec"]["containers"].as_array().into_iter().flatten().map(|c| &c["name"]).collect();
        assert_eq!(names, [&json!("app"), &json!("sidecar"), &json!("log")]);
    }

    #[test]
    fn strategic_delete_directive_removes_container() {
        let out = strategic(
            "Pod",
            &pod(),
            json!({"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}),
        );
        assert_eq!(out["spec"]["containers"], json!([pod()["spec"]["containers"][0]]));
    }

    #[test]
    fn strategic_env_ports_and_mounts_merged_by_key() {
        let patch = json!({"spec": {"containers": [{
            "name": "app",
            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
            "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
            "volumeMounts": [{"mountPath": "/data", "readOnly": true}]
        }]}});
        let out = strategic("Pod", &pod(), patch);
        let app = &out["spec"]["containers"][0];
        assert_eq!(
            app["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"}])
        );
        assert_eq!(
            app["ports"],
            json!([{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}])
        );
        assert_eq!(app["volumeMounts"], json!([{"name": "data", "mountPath": "/data", "readOnly": true}]));
        assert_eq!(app["image"], "nginx:1.25");
    }

    #[test]
    fn strategic_null_removes_env_value_field() {
        let patch = json!({"spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": null}]}]}});
        let out = strategic("Pod", &pod(), patch);
        assert_eq!(out["spec"]["containers"][0]["env"][0], json!({"name": "A"}));
    }

    #[test]
    fn strategic_finalizers_merge_as_set() {
        let patch = json!({"metadata": {"finalizers": ["example.com/b", "example.com/c"]}});
        let out = strategic("ConfigMap", &pod(), patch);
        assert_eq!(out["metadata"]["finalizers"], json!(["example.com/a", "example.com/b", "example.com/c"]));

        let patch = json!({"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["example.com/a"],
            "$setElementOrder/finalizers": ["example.com/b"]
        }});
        let out = strategic("Pod", &pod(), patch);
        assert_eq!(out["metadata"]["finalizers"], json!(["example.com/b"]));
        assert!(out["metadata"].get("$setElementOrder/finalizers").is_none());

        let patch = json!({"metadata": {"finalizers": [{"$patch": "replace"}, "example.com/z"]}});
        let out = strategic("Pod", &pod(), patch);
        assert_eq!(out["metadata"]["finalizers"], json!(["example.com/z"]));
    }

    #[test]
    fn strategic_owner_references_by_uid() {
        let patch = json!({"metadata": {"ownerReferences": [
            {"uid": "u1", "controller": true},
            {"apiVersion": "v1", "kind": "Secret", "name": "s", "uid": "u3"}
        ]}});
        let out = strategic("Pod", &pod(), patch);
        let refs = &out["metadata"]["ownerReferences"];
        assert_eq!(
            refs[0],
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1", "controller": true})
        );
        assert_eq!(refs[1]["uid"], "u2");
        assert_eq!(refs[2]["uid"], "u3");

        let out = strategic(
            "Pod",
            &pod(),
            json!({"metadata": {"ownerReferences": [{"uid": "u1", "$patch": "delete"}]}}),
        );
        assert_eq!(out["metadata"]["ownerReferences"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn strategic_lists_without_key_are_replaced() {
        let out =
            strategic("Pod", &pod(), json!({"spec": {"tolerations": [{"key": "c", "operator": "Exists"}]}}));
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "c", "operator": "Exists"}]));
    }

    #[test]
    fn strategic_replace_directives() {
        let patch = json!({"spec": {"volumes": [{"$patch": "replace"}, {"name": "cache", "emptyDir": {}}]}});
        let out = strategic("Pod", &pod(), patch);
        assert_eq!(out["spec"]["volumes"], json!([{"name": "cache", "emptyDir": {}}]));

        let patch = json!({"metadata": {"labels": {"$patch": "replace", "only": "this"}}});
        let out = strategic("Pod", &pod(), patch);
        assert_eq!(out["metadata"]["labels"], json!({"only": "this"}));

        let out = strategic("Pod", &pod(), json!({"metadata": {"annotations": {"$patch": "delete"}}}));
        assert_eq!(out["metadata"]["annotations"], json!({}));
    }

    #[test]
    fn strategic_retain_keys_and_nested_directives_are_stripped() {
        let patch = json!({"spec": {
            "$retainKeys": ["containers"],
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
            "containers": [{"name": "new", "image": "x", "env": [{"name": "A", "value": "1", "$patch": "merge"}]}]
        }});
        let err = apply_patch(PatchKind::StrategicMerge, "Pod", &pod(), &patch).expect_err("bad directive");
        assert!(err.to_string().starts_with("unknown patch type: merge in map: "), "{err}");

        let patch = json!({"spec": {
            "$retainKeys": ["containers"],
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
            "containers": [{"name": "new", "image": "x", "resources": {"limits": null, "$retainKeys": []}}]
        }});
        let out = strategic("Pod", &pod(), patch);
        assert!(out["spec"].get("$retainKeys").is_none());
        assert!(out["spec"].get("$setElementOrder/containers").is_none());
        assert_eq!(out["spec"]["containers"][2], json!({"name": "new", "image": "x", "resources": {}}));
    }

    #[test]
    fn strategic_status_conditions_and_container_statuses() {
        let mut current = pod();
        current["status"]["containerStatuses"] =
            json!([{"name": "app", "ready": true}, {"name": "sidecar", "ready": true}]);
        let patch = json!({"status": {
            "conditions": [{"type": "Ready", "status": "False", "reason": "Crash"}],
            "containerStatuses": [{"name": "sidecar", "ready": false}]
        }});
        let out = strategic("Pod", &current, patch);
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Ready", "status": "False", "reason": "Crash"}, {"type": "PodScheduled", "status": "True"}])
        );
        assert_eq!(
            out["status"]["containerStatuses"],
            json!([{"name": "app", "ready": true}, {"name": "sidecar", "ready": false}])
        );
    }

    #[test]
    fn strategic_deployment_template_containers() {
        let deployment = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [
                    {"name": "app", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}]},
                    {"name": "sidecar", "image": "busybox"}
                ]}}
            }
        });
        let patch = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:1.26", "env": [{"name": "B", "value": "2"}]}
        ]}}}});
        let out = strategic("Deployment", &deployment, patch);
        assert_eq!(out["spec"]["replicas"], 3);
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "nginx:1.26");
        assert_eq!(containers[0]["env"], json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]));
        assert_eq!(containers[1], json!({"name": "sidecar", "image": "busybox"}));
    }

    #[test]
    fn strategic_service_ports_by_port() {
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443}]
            }
        });
        let patch =
            json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"name": "metrics", "port": 9100}]}});
        let out = strategic("Service", &service, patch);
        assert_eq!(
            out["spec"]["ports"],
            json!([
                {"name": "http", "port": 80, "targetPort": 9090},
                {"name": "https", "port": 443},
                {"name": "metrics", "port": 9100}
            ])
        );
        assert_eq!(out["spec"]["selector"], json!({"app": "web"}));
    }

    #[test]
    fn strategic_config_map_behaves_like_map_merge() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
        let out = strategic("ConfigMap", &cm, json!({"data": {"a": null, "c": "3"}}));
        assert_eq!(out["data"], json!({"b": "2", "c": "3"}));
    }

    #[test]
    fn strategic_errors() {
        let err = apply_patch(
            PatchKind::StrategicMerge,
            "Pod",
            &pod(),
            &json!({"spec": {"containers": [{"image": "x"}]}}),
        )
        .expect_err("merge key is missing");
        assert_eq!(err.to_string(), "map: {\"image\":\"x\"} does not contain declared merge key: name");

        let err =
            apply_patch(PatchKind::StrategicMerge, "Pod", &pod(), &json!({"spec": {"containers": ["x"]}}))
                .expect_err("elements must be maps");
        assert!(matches!(err, PatchError::Invalid { .. }));

        let err = apply_patch(
            PatchKind::StrategicMerge,
            "Pod",
            &pod(),
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}),
        )
        .expect_err("directive must be a list");
        assert!(matches!(err, PatchError::Malformed { .. }));

        let err = apply_patch(PatchKind::StrategicMerge, "Pod", &pod(), &json!("x")).expect_err("not a map");
        assert!(matches!(err, PatchError::Malformed { .. }));
    }

    #[test]
    fn strategic_on_custom_kind_is_unsupported() {
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}});
        let err = apply_patch(PatchKind::StrategicMerge, "Widget", &widget, &json!({"spec": {"size": 1}}))
            .expect_err("custom kinds have no strategic merge schema");
        assert_eq!(err, PatchError::StrategicMergeUnsupported { kind: "Widget".into() });
        assert!(err.to_string().contains("unknown format"));
    }

    #[test]
    fn apply_keeps_untouched_fields_on_builtin() {
        let applied = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web", "owner": "team-a"}, "annotations": {"old": null}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}
        });
        let out = apply_patch(PatchKind::Apply, "Pod", &pod(), &applied).expect("apply succeeds");
        assert_eq!(out["metadata"]["labels"], json!({"app": "web", "tier": "frontend", "owner": "team-a"}));
        assert_eq!(out["metadata"]["annotations"], json!({"note": "keep"}));
        assert_eq!(out["spec"]["containers"][0]["image"], "nginx:1.27");
        assert_eq!(out["spec"]["containers"][0]["env"], pod()["spec"]["containers"][0]["env"]);
        assert_eq!(out["spec"]["containers"][1], pod()["spec"]["containers"][1]);
        assert_eq!(out["status"], pod()["status"]);
    }

    #[test]
    fn apply_on_custom_resource_and_create() {
        let current = json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "labels": {"a": "1"}},
            "spec": {"size": 3, "colors": ["red"], "mode": "fast"},
            "status": {"ready": true}
        });
        let applied = json!({
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": 4, "colors": ["blue"], "mode": null}
        });
        let out = apply_patch(PatchKind::Apply, "Widget", &current, &applied).expect("apply succeeds");
        assert_eq!(out["metadata"]["labels"], json!({"a": "1"}));
        assert_eq!(out["spec"], json!({"size": 4, "colors": ["blue"]}));
        assert_eq!(out["status"], json!({"ready": true}));

        let created = apply_patch(PatchKind::Apply, "Widget", &Value::Null, &applied).expect("apply creates");
        assert_eq!(created["spec"], json!({"size": 4, "colors": ["blue"]}));
        let created =
            apply_patch(PatchKind::Apply, "ConfigMap", &Value::Null, &json!({"data": {"a": "1", "b": null}}))
                .expect("apply creates");
        assert_eq!(created, json!({"data": {"a": "1"}}));
    }
}
