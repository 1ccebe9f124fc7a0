//! What the API server does to an object between decoding a request and storing it:
//! naming (`generateName`), namespace checks, unknown-field handling
//! (`fieldValidation=Strict|Warn|Ignore`), schema defaults and validation for custom
//! resources, the defaults of the built-in kinds the project uses, and Pod spec immutability.

use serde_json::{Value, json};
use shared::validate::FieldViolation;

use super::error::ApiError;
use super::registry::ResourceType;
use super::store::{metadata_mut, name_of};

/// How unknown fields in a request are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Refuse the request (what `kubectl apply` asks for by default).
    Strict,
    /// Drop them and answer with a warning (the server default).
    #[default]
    Warn,
    /// Drop them silently.
    Ignore,
}

impl FieldValidation {
    /// From the `fieldValidation` query parameter.
    pub fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation must be one of Ignore, Warn or Strict, not {other:?}"
            ))),
        }
    }
}

/// An admitted object and the warnings to send with it.
pub type Admitted = (Value, Vec<String>);

/// Checks the type, namespace and name a request body claims against its URL.
pub fn check_identity(rt: &ResourceType, url_namespace: &str, object: &Value) -> Result<(), ApiError> {
    if !object.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON or YAML object"));
    }
    if let Some(api_version) = object["apiVersion"].as_str()
        && api_version != rt.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    if let Some(kind) = object["kind"].as_str()
        && kind != rt.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match {}",
            rt.kind
        )));
    }
    if rt.namespaced
        && let Some(ns) = object["metadata"]["namespace"].as_str()
        && !ns.is_empty()
        && ns != url_namespace
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// Gives an object with `generateName` and no name a unique-enough name.
pub fn generate_name(object: &mut Value) {
    let prefix = object["metadata"]["generateName"].as_str().unwrap_or_default().to_string();
    if name_of(object).is_empty() && !prefix.is_empty() {
        let suffix: String = uuid::Uuid::new_v4().simple().to_string().chars().take(5).collect();
        metadata_mut(object).insert("name".into(), json!(format!("{prefix}{suffix}")));
    }
}

/// Admits an object for creation: name rules, defaults, validation.
pub fn admit_create(rt: &ResourceType, object: Value, fields: FieldValidation) -> Result<Admitted, ApiError> {
    let name = name_of(&object).to_string();
    let mut violations = name_violations(rt, &name);
    if !violations.is_empty() {
        return Err(ApiError::invalid(&rt.kind, &rt.group, &name, &violations));
    }
    let (mut object, warnings) = admit_custom(rt, object, None, fields)?;
    if !rt.custom {
        default_builtin(rt, &mut object);
        violations.extend(validate_builtin(rt, &object, None));
    }
    if violations.is_empty() {
        Ok((object, warnings))
    } else {
        Err(ApiError::invalid(&rt.kind, &rt.group, &name, &violations))
    }
}

/// Admits an update of `current` to `next`.
pub fn admit_update(
    rt: &ResourceType,
    next: Value,
    current: &Value,
    fields: FieldValidation,
) -> Result<Admitted, ApiError> {
    let name = name_of(&next).to_string();
    let (object, warnings) = admit_custom(rt, next, Some(current), fields)?;
    let violations = if rt.custom { vec![] } else { validate_builtin(rt, &object, Some(current)) };
    if violations.is_empty() {
        Ok((object, warnings))
    } else {
        Err(ApiError::invalid(&rt.kind, &rt.group, &name, &violations))
    }
}

/// Schema work for custom resources: prune or refuse unknown fields, default, validate.
fn admit_custom(
    rt: &ResourceType,
    mut object: Value,
    old: Option<&Value>,
    fields: FieldValidation,
) -> Result<Admitted, ApiError> {
    let Some(schema) = rt.schema.as_ref() else { return Ok((object, vec![])) };
    let unknown = schema.prune_unknown_fields(&mut object);
    if fields == FieldValidation::Strict && !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(|f| format!("unknown field \"{f}\"")).collect();
        return Err(ApiError::bad_request(format!("strict decoding error: {}", listed.join(", "))));
    }
    let warnings = match fields {
        FieldValidation::Warn => unknown.iter().map(|f| format!("unknown field \"{f}\"")).collect(),
        _ => vec![],
    };
    let object = schema.apply_defaults(&object);
    schema
        .validate(&object, old)
        .map_err(|violations| ApiError::invalid(&rt.kind, &rt.group, name_of(&object), &violations))?;
    Ok((object, warnings))
}

fn name_violations(rt: &ResourceType, name: &str) -> Vec<FieldViolation> {
    let violation = |reason: &str, message: String| FieldViolation {
        field: "metadata.name".into(),
        reason: reason.into(),
        message,
    };
    if name.is_empty() {
        return vec![violation(
            "FieldValueRequired",
            "Required value: name or generateName is required".into(),
        )];
    }
    // Pods, Services and Namespaces need DNS labels; everything else DNS subdomains.
    let label_only = rt.group.is_empty() && matches!(rt.plural.as_str(), "pods" | "services" | "namespaces");
    let ok = if label_only { is_dns_label(name) } else { is_dns_subdomain(name) };
    if ok {
        return vec![];
    }
    let rule = if label_only {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    } else {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    };
    vec![violation("FieldValueInvalid", format!("Invalid value: \"{name}\": {rule}"))]
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Defaults of the built-in kinds, as far as our code and kubectl look at them.
fn default_builtin(rt: &ResourceType, object: &mut Value) {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "pods") => {
            let spec = &mut object["spec"];
            set_default(spec, "restartPolicy", json!("Always"));
            set_default(spec, "terminationGracePeriodSeconds", json!(30));
            set_default(spec, "schedulerName", json!("default-scheduler"));
            set_default(spec, "dnsPolicy", json!("ClusterFirst"));
            if let Some(containers) = spec["containers"].as_array_mut() {
                for c in containers {
                    set_default(c, "imagePullPolicy", json!("IfNotPresent"));
                    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                }
            }
            object["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
        }
        ("", "namespaces") => {
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            object["status"] = json!({"phase": "Active"});
        }
        ("", "services") => {
            let spec = &mut object["spec"];
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
            if let Some(ports) = spec["ports"].as_array_mut() {
                for port in ports {
                    set_default(port, "protocol", json!("TCP"));
                    let number = port["port"].clone();
                    set_default(port, "targetPort", number);
                }
            }
        }
        ("", "persistentvolumeclaims") => {
            // As the API server's StorageObjectInUseProtection admission plugin does: a
            // claim in use by a Pod is not removed until no Pod uses it.
            super::store::add_finalizer(object, CLAIM_PROTECTION_FINALIZER);
            object["status"] = json!({"phase": "Pending"});
        }
        ("apps", "deployments") => {
            set_default(&mut object["spec"], "replicas", json!(1));
        }
        _ => {}
    }
}

/// The finalizer that keeps a claim while a Pod uses it.
pub const CLAIM_PROTECTION_FINALIZER: &str = "kubernetes.io/pvc-protection";

fn set_default(target: &mut Value, key: &str, value: Value) {
    if let Some(map) = target.as_object_mut() {
        map.entry(key).or_insert(value);
    }
}

/// The checks of built-in kinds our tests rely on seeing refused.
fn validate_builtin(rt: &ResourceType, object: &Value, old: Option<&Value>) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if rt.group.is_empty() && rt.plural == "pods" {
        let containers = object["spec"]["containers"].as_array().map(Vec::as_slice).unwrap_or_default();
        if containers.is_empty() {
            violations.push(FieldViolation {
                field: "spec.containers".into(),
                reason: "FieldValueRequired".into(),
                message: "Required value".into(),
            });
        }
        for (i, c) in containers.iter().enumerate() {
            for field in ["name", "image"] {
                if c[field].as_str().unwrap_or_default().is_empty() {
                    violations.push(FieldViolation {
                        field: format!("spec.containers[{i}].{field}"),
                        reason: "FieldValueRequired".into(),
                        message: "Required value".into(),
                    });
                }
            }
        }
        if let Some(old) = old
            && mutable_pod_spec(&object["spec"]) != mutable_pod_spec(&old["spec"])
        {
            violations.push(FieldViolation {
                field: "spec".into(),
                reason: "FieldValueForbidden".into(),
                message:
                    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, \
                          `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` \
                          (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`"
                        .into(),
            });
        }
    }
    violations
}

/// A Pod spec without the fields an update may change.
fn mutable_pod_spec(spec: &Value) -> Value {
    let mut spec = spec.clone();
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec[list].as_array_mut() {
            for c in containers {
                if let Some(map) = c.as_object_mut() {
                    map.remove("image");
                }
            }
        }
    }
    if let Some(map) = spec.as_object_mut() {
        for key in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"] {
            map.remove(key);
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::registry::Registry;

    fn registry() -> Registry {
        crate::api::registry::with_project_crds()
    }

    #[test]
    fn custom_resources_are_defaulted_validated_and_pruned() {
        let rt = registry().lookup("etcd.kubectl-etcd.dev", "v1alpha1", "etcdclusters").expect("served");
        let typo = json!({"metadata": {"name": "demo"}, "spec": {"version": "3.5.1", "sizee": 3}});
        let error = admit_create(&rt, typo.clone(), FieldValidation::Strict).expect_err("strict refuses");
        assert_eq!(error.message, r#"strict decoding error: unknown field "spec.sizee""#);
        let (object, warnings) = admit_create(&rt, typo, FieldValidation::Warn).expect("warn admits");
        assert_eq!(warnings, [r#"unknown field "spec.sizee""#]);
        assert_eq!(object["spec"]["size"], 3, "defaulted");
        assert!(object["spec"].get("sizee").is_none(), "pruned");
        let big = json!({"metadata": {"name": "demo"}, "spec": {"version": "3.5.1", "size": 12}});
        let error = admit_create(&rt, big, FieldValidation::Strict).expect_err("invalid");
        assert_eq!((error.code, error.reason), (422, "Invalid"));
        assert!(error.message.contains("spec.size"), "{}", error.message);
    }

    #[test]
    fn names_are_checked_and_generated() {
        let pods = registry().lookup("", "v1", "pods").expect("served");
        let pod = |name: &str| json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let error = admit_create(&pods, pod("Bad_Name"), FieldValidation::Strict).expect_err("bad name");
        assert!(error.message.contains("RFC 1123 label"), "{}", error.message);
        let mut generated = json!({"metadata": {"generateName": "demo-"}});
        generate_name(&mut generated);
        assert!(name_of(&generated).starts_with("demo-") && name_of(&generated).len() == 10);
        let (admitted, _) = admit_create(&pods, pod("ok"), FieldValidation::Strict).expect("admitted");
        assert_eq!(admitted["status"]["phase"], "Pending");
        assert_eq!(admitted["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn pod_specs_are_immutable_but_images() {
        let pods = registry().lookup("", "v1", "pods").expect("served");
        let old = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "etcd:v3.4.23", "args": ["a"]}]}});
        let mut new_image = old.clone();
        new_image["spec"]["containers"][0]["image"] = json!("etcd:v3.5.1");
        assert!(admit_update(&pods, new_image, &old, FieldValidation::Strict).is_ok());
        let mut new_args = old.clone();
        new_args["spec"]["containers"][0]["args"] = json!(["b"]);
        let error = admit_update(&pods, new_args, &old, FieldValidation::Strict).expect_err("args are fixed");
        assert!(error.message.contains("pod updates may not change fields"), "{}", error.message);
    }

    #[test]
    fn body_must_match_the_url() {
        let pods = registry().lookup("", "v1", "pods").expect("served");
        let other_ns = json!({"metadata": {"name": "p", "namespace": "other"}});
        assert_eq!(check_identity(&pods, "default", &other_ns).map_err(|e| e.code), Err(400));
        let wrong_kind = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "p"}});
        assert_eq!(check_identity(&pods, "default", &wrong_kind).map_err(|e| e.code), Err(400));
    }
}
