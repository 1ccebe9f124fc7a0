//! Checking objects against a CustomResourceDefinition the way the Kubernetes API server
//! does, without one: schema defaults, the structural rules (types, required fields, ranges,
//! enums, patterns, lengths) and the CEL rules (`x-kubernetes-validations`, including
//! transition rules against the previous object).
//!
//! The sandbox uses it to answer `422 Invalid` like a real API server; the plugin uses it to
//! refuse bad input before writing anything; the tests use it to prove every rule.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::cel::{Validator as CelValidator, apply_defaults};
use serde_json::{Map, Value};

/// Formats the Kubernetes API server understands in a structural schema.
const KNOWN_FORMATS: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "date-time",
    "int32",
    "int64",
    "float",
    "double",
];

/// Cause type of a value with the wrong JSON type.
const TYPE_INVALID: &str = "FieldValueTypeInvalid";

/// Keywords a structural schema forbids inside `allOf`, `anyOf`, `oneOf` and `not`.
const FORBIDDEN_IN_JUNCTORS: &[&str] =
    &["type", "description", "default", "additionalProperties", "nullable"];

/// Why a definition's schema cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The definition does not serve the requested version.
    #[error("the definition {crd} has no version {version}")]
    NoSuchVersion {
        /// Name of the CustomResourceDefinition.
        crd: String,
        /// The version asked for.
        version: String,
    },
    /// The version has no `openAPIV3Schema`.
    #[error("version {version} of {crd} has no openAPIV3Schema")]
    NoSchema {
        /// Name of the CustomResourceDefinition.
        crd: String,
        /// The version asked for.
        version: String,
    },
    /// The schema is not structural or not valid JSON Schema.
    #[error("the schema is not usable: {0}")]
    Invalid(String),
}

/// One rule an object breaks, shaped like a `metav1.StatusCause` of a 422 answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the offending field, e.g. `spec.storage.size` or `spec.pod.tolerations[0]`.
    pub field: String,
    /// Kubernetes cause type: `FieldValueInvalid`, `FieldValueRequired`,
    /// `FieldValueForbidden`, `FieldValueNotSupported`, `FieldValueTypeInvalid`, ...
    pub reason: String,
    /// What is wrong, in the words the API server would use.
    pub message: String,
}

impl std::fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The schema of one version of a custom resource, ready to default and validate objects.
pub struct ResourceSchema {
    openapi: Value,
    structural: jsonschema::Validator,
    cel: CelValidator,
}

impl std::fmt::Debug for ResourceSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceSchema").finish_non_exhaustive()
    }
}

impl ResourceSchema {
    /// The schema of `version` of a CustomResourceDefinition.
    pub fn from_crd(crd: &CustomResourceDefinition, version: &str) -> Result<Self, SchemaError> {
        let crd_name = crd.metadata.name.clone().unwrap_or_default();
        let served =
            crd.spec.versions.iter().find(|v| v.name == version).ok_or_else(|| {
                SchemaError::NoSuchVersion { crd: crd_name.clone(), version: version.into() }
            })?;
        let schema = served
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .ok_or_else(|| SchemaError::NoSchema { crd: crd_name, version: version.into() })?;
        let openapi = serde_json::to_value(schema).map_err(|e| SchemaError::Invalid(e.to_string()))?;
        Self::from_openapi(openapi)
    }

    /// A schema from an `openAPIV3Schema` document. Refuses schemas that are not structural.
    pub fn from_openapi(openapi: Value) -> Result<Self, SchemaError> {
        let problems = structural_problems(&openapi);
        if !problems.is_empty() {
            return Err(SchemaError::Invalid(problems.join("; ")));
        }
        let structural = jsonschema::draft4::options()
            .should_validate_formats(false)
            .build(&to_json_schema(&openapi))
            .map_err(|e| SchemaError::Invalid(e.to_string()))?;
        Ok(Self { openapi, structural, cel: CelValidator::new() })
    }

    /// The `openAPIV3Schema` document this schema was built from.
    pub fn openapi(&self) -> &Value {
        &self.openapi
    }

    /// The object with every missing field that has a schema default filled in, as the API
    /// server stores it.
    pub fn apply_defaults(&self, object: &Value) -> Value {
        apply_defaults(&self.openapi, object)
    }

    /// Removes every field the schema does not declare, as the API server prunes them, and
    /// returns their paths (e.g. `spec.sizee`). Maps (`additionalProperties`) and nodes with
    /// `x-kubernetes-preserve-unknown-fields` keep what they hold.
    pub fn prune_unknown_fields(&self, object: &mut Value) -> Vec<String> {
        let mut pruned = Vec::new();
        prune(&self.openapi, object, "", &mut pruned);
        pruned
    }

    /// Every rule `object` breaks: structural rules first, then CEL rules. `old` is the
    /// stored object on an update (it enables transition rules), `None` on a create.
    /// Defaults are applied before checking, as the API server does.
    pub fn validate(&self, object: &Value, old: Option<&Value>) -> Result<(), Vec<FieldViolation>> {
        let object = self.apply_defaults(object);
        let mut violations: Vec<FieldViolation> =
            self.structural.iter_errors(&object).map(|e| structural_violation(&e)).collect();
        // As the API server does, CEL rules run unless a field has the wrong type (a
        // "blocking" error: the rules could not see the value they were written for).
        let blocked = violations.iter().any(|v| v.reason == TYPE_INVALID);
        if !blocked && let Err(errors) = self.cel.validate(&self.openapi, &object, old) {
            violations.extend(errors.into_vec().into_iter().map(|e| FieldViolation {
                field: e.field_path,
                reason: e.reason.unwrap_or_else(|| "FieldValueInvalid".to_string()),
                message: e.message,
            }));
        }
        if violations.is_empty() { Ok(()) } else { Err(violations) }
    }
}

/// Turns a JSON Schema error into the cause the API server would report.
fn structural_violation(error: &jsonschema::ValidationError<'_>) -> FieldViolation {
    use jsonschema::error::ValidationErrorKind as Kind;
    let path = field_path(error.instance_path());
    let at = if path.is_empty() { "<root>".to_string() } else { path.clone() };
    let value = error.instance().to_string();
    let (field, reason, message) = match error.kind() {
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let field = if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
            (field, "FieldValueRequired", "Required value".to_string())
        }
        Kind::Enum { options } => {
            let supported = options
                .as_array()
                .map(|o| o.iter().map(Value::to_string).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            (
                path,
                "FieldValueNotSupported",
                format!("Unsupported value: {value}: supported values: {supported}"),
            )
        }
        Kind::Type { .. } => (path, TYPE_INVALID, format!("Invalid value: {value}: {at} in body {error}")),
        Kind::Minimum { limit } => (
            path,
            "FieldValueInvalid",
            format!(
                "Invalid value: {value}: {at} in body should be greater than or equal to {}",
                number(limit)
            ),
        ),
        Kind::Maximum { limit } => (
            path,
            "FieldValueInvalid",
            format!("Invalid value: {value}: {at} in body should be less than or equal to {}", number(limit)),
        ),
        Kind::Pattern { pattern } => (
            path,
            "FieldValueInvalid",
            format!("Invalid value: {value}: {at} in body should match '{pattern}'"),
        ),
        Kind::MaxLength { limit } => {
            (path, "FieldValueTooLong", format!("Too long: may not be more than {limit} bytes"))
        }
        Kind::MinLength { limit } => (
            path,
            "FieldValueInvalid",
            format!("Invalid value: {value}: {at} in body should be at least {limit} chars long"),
        ),
        _ => (path, "FieldValueInvalid", format!("Invalid value: {value}: {error}")),
    };
    FieldViolation { field, reason: reason.to_string(), message }
}

/// A schema limit as the API server prints it: `9`, not `9.0`.
fn number(limit: &Value) -> String {
    match limit.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => limit.to_string(),
    }
}

/// `/spec/pod/tolerations/0/key` as Kubernetes writes it: `spec.pod.tolerations[0].key`.
fn field_path(location: &jsonschema::paths::Location) -> String {
    use jsonschema::paths::LocationSegment;
    let mut path = String::new();
    for segment in location.segments() {
        match segment {
            LocationSegment::Property(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&name);
            }
            LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn prune(schema: &Value, value: &mut Value, path: &str, pruned: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    let join = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = schema.get("properties") {
                // The API server always keeps the root's type and object metadata.
                let implicit = |k: &str| path.is_empty() && matches!(k, "apiVersion" | "kind" | "metadata");
                let unknown: Vec<String> =
                    map.keys().filter(|k| !properties.contains_key(*k) && !implicit(k)).cloned().collect();
                for key in unknown {
                    map.remove(&key);
                    pruned.push(join(&key));
                }
                for (key, child) in map.iter_mut() {
                    if let Some(child_schema) = properties.get(key) {
                        prune(child_schema, child, &join(key), pruned);
                    }
                }
            } else if let Some(values @ Value::Object(_)) = schema.get("additionalProperties") {
                for (key, child) in map.iter_mut() {
                    prune(values, child, &join(key), pruned);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune(item_schema, item, &format!("{path}[{i}]"), pruned);
                }
            }
        }
        _ => {}
    }
}

/// An OpenAPI v3 structural schema as a JSON Schema draft 4 document: `nullable` becomes a
/// null type, `x-kubernetes-int-or-string` an integer-or-string choice; Kubernetes
/// extensions and formats are left for the API-server-specific checks.
fn to_json_schema(openapi: &Value) -> Value {
    let Value::Object(node) = openapi else { return openapi.clone() };
    let mut out = Map::new();
    for (key, value) in node {
        let converted = match key.as_str() {
            "properties" | "patternProperties" | "definitions" => match value {
                Value::Object(props) => {
                    Value::Object(props.iter().map(|(k, v)| (k.clone(), to_json_schema(v))).collect())
                }
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(list) => Value::Array(list.iter().map(to_json_schema).collect()),
                other => other.clone(),
            },
            "format" | "x-kubernetes-validations" => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    if node.get("nullable") == Some(&Value::Bool(true))
        && let Some(Value::String(ty)) = node.get("type")
    {
        out.insert("type".into(), serde_json::json!([ty, "null"]));
        if let Some(Value::Array(options)) = out.get_mut("enum") {
            options.push(Value::Null);
        }
    }
    if node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) && !node.contains_key("anyOf") {
        out.insert("anyOf".into(), serde_json::json!([{"type": "integer"}, {"type": "string"}]));
    }
    Value::Object(out)
}

/// Every way `schema` breaks the Kubernetes rules for structural schemas, as readable
/// messages naming the path of the offending node. Empty when the schema is structural.
pub fn structural_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_node(schema, "openAPIV3Schema", false, &mut problems);
    problems
}

fn check_node(node: &Value, path: &str, in_junctor: bool, problems: &mut Vec<String>) {
    let Value::Object(node) = node else {
        problems.push(format!("{path}: a schema must be an object"));
        return;
    };
    if node.contains_key("$ref") {
        problems.push(format!("{path}: $ref is not allowed"));
    }
    let flag = |key: &str| node.get(key) == Some(&Value::Bool(true));
    if in_junctor {
        for key in FORBIDDEN_IN_JUNCTORS {
            if node.contains_key(*key) && !is_int_or_string_branch(node) {
                problems.push(format!("{path}: {key} is not allowed inside allOf/anyOf/oneOf/not"));
            }
        }
    } else if !node.contains_key("type")
        && !flag("x-kubernetes-int-or-string")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        problems.push(format!("{path}: type is required"));
    }
    if let Some(Value::String(format)) = node.get("format")
        && !KNOWN_FORMATS.contains(&format.as_str())
    {
        problems.push(format!("{path}: format {format:?} is not one Kubernetes knows"));
    }
    if node.contains_key("properties")
        && node.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false))
    {
        problems.push(format!("{path}: properties and additionalProperties are mutually exclusive"));
    }
    if let Some(Value::Object(props)) = node.get("properties") {
        for (name, child) in props {
            check_node(child, &format!("{path}.properties[{name}]"), in_junctor, problems);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child @ Value::Object(_)) = node.get(key) {
            check_node(child, &format!("{path}.{key}"), in_junctor, problems);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = node.get(key) {
            for (i, branch) in branches.iter().enumerate() {
                check_node(branch, &format!("{path}.{key}[{i}]"), true, problems);
            }
        }
    }
    if let Some(child) = node.get("not") {
        check_node(child, &format!("{path}.not"), true, problems);
    }
}

/// `{type: integer}` or `{type: string}` as a branch of an `x-kubernetes-int-or-string`
/// choice, the one place a type is allowed inside a junctor.
fn is_int_or_string_branch(node: &Map<String, Value>) -> bool {
    node.len() == 1 && matches!(node.get("type").and_then(Value::as_str), Some("integer" | "string"))
}
