//! The Kubernetes version the sandbox reports (`etcd-sandbox up --kube-version 1.30`) and
//! what that version's API server does differently with CustomResourceDefinitions. All the
//! version data is here, with its sources:
//!
//! - `selectableFields` (custom resource field selectors, KEP-4358): unknown before 1.30;
//!   alpha in 1.30 behind the `CustomResourceFieldSelectors` gate, off by default, so the
//!   CRD strategy's `dropDisabledFields` drops the field from a new definition; beta and on
//!   in 1.31; GA in 1.32.
//!   <https://kubernetes.io/blog/2024/12/xx/kubernetes-1-32-custom-resource-field-selectors/>,
//!   <https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/>.
//! - CEL libraries, from `k8s.io/apiserver/pkg/cel/environment/base.go` (`baseOpts`):
//!   `quantity` in 1.28, `ip`/`cidr` in 1.30, `format` in 1.31. A new CRD's rules are
//!   compiled with the environment of `DefaultCompatibilityVersion()`, one minor below the
//!   server's, so a library is usable in a new rule one release after it was introduced
//!   (quantity from 1.29); an older server refuses the rule with the CEL compiler's
//!   `undeclared reference` error.

use serde_json::Value;
pub use shared::kubernetes::KubernetesVersion as KubeVersion;
use shared::kubernetes::SELECTABLE_FIELDS;
use shared::validate::FieldViolation;

/// What the sandbox reports when not told otherwise (kubectl 1.32 is what the prereqs
/// install).
pub const DEFAULT_VERSION: KubeVersion = KubeVersion::one(32);

/// How a version treats `spec.versions[*].selectableFields`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectableFields {
    /// Not in the API: an unknown field.
    Unknown,
    /// Known, feature gate off by default: dropped from new definitions.
    Dropped,
    /// Served.
    Served,
}

/// How `version` treats `selectableFields`: unknown before 1.30, dropped on 1.30 (alpha,
/// gate off), served from [`SELECTABLE_FIELDS`].
pub fn selectable_fields(version: KubeVersion) -> SelectableFields {
    if version < KubeVersion::one(30) {
        SelectableFields::Unknown
    } else if version < SELECTABLE_FIELDS {
        SelectableFields::Dropped
    } else {
        SelectableFields::Served
    }
}

/// The version new CEL expressions are compiled for (`DefaultCompatibilityVersion`).
fn cel_compatibility(version: KubeVersion) -> KubeVersion {
    KubeVersion::one(version.minor.saturating_sub(1))
}

/// CEL functions of the Kubernetes libraries and the version that introduced each library.
const CEL_LIBRARIES: [(&str, KubeVersion, &[&str]); 3] = [
    ("quantity", KubeVersion::one(28), &["quantity", "isQuantity"]),
    ("ip and cidr", KubeVersion::one(30), &["ip", "isIP", "cidr", "isCIDR"]),
    ("format", KubeVersion::one(31), &["format"]),
];

/// Drops or refuses `selectableFields` in a definition as `version` does. `strict` is
/// `fieldValidation=Strict`. Returns the warnings to send, or the unknown fields refused.
pub fn admit_selectable_fields(
    version: KubeVersion,
    crd: &mut Value,
    strict: bool,
) -> Result<Vec<String>, String> {
    let treatment = selectable_fields(version);
    if treatment == SelectableFields::Served {
        return Ok(vec![]);
    }
    let mut unknown = Vec::new();
    for (i, served) in crd["spec"]["versions"].as_array_mut().into_iter().flatten().enumerate() {
        if served.as_object_mut().and_then(|v| v.remove("selectableFields")).is_some() {
            unknown.push(format!("unknown field \"spec.versions[{i}].selectableFields\""));
        }
    }
    match treatment {
        SelectableFields::Unknown if strict && !unknown.is_empty() => {
            Err(format!("strict decoding error: {}", unknown.join(", ")))
        }
        SelectableFields::Unknown => Ok(unknown),
        _ => Ok(vec![]),
    }
}

/// The `x-kubernetes-validations` rules of a definition that call a CEL library `version`
/// does not offer to new expressions, as the API server reports them.
pub fn cel_violations(version: KubeVersion, crd: &Value) -> Vec<FieldViolation> {
    let compatibility = cel_compatibility(version);
    let missing: Vec<&str> = CEL_LIBRARIES
        .iter()
        .filter(|(_, introduced, _)| *introduced > compatibility)
        .flat_map(|(_, _, functions)| functions.iter().copied())
        .collect();
    if missing.is_empty() {
        return vec![];
    }
    let versions = crd["spec"]["versions"].as_array().map(Vec::as_slice).unwrap_or_default();
    // A definition whose versions share one schema reports it as `spec.validation`, as
    // the internal API type holds it.
    let shared = versions.windows(2).all(|w| w[0]["schema"] == w[1]["schema"]);
    let mut violations = Vec::new();
    for (i, served) in versions.iter().enumerate() {
        if shared && i > 0 {
            break;
        }
        let root = if shared {
            "spec.validation.openAPIV3Schema".to_string()
        } else {
            format!("spec.versions[{i}].schema.openAPIV3Schema")
        };
        walk(&served["schema"]["openAPIV3Schema"], &root, &missing, &mut violations);
    }
    violations
}

fn walk(schema: &Value, path: &str, missing: &[&str], found: &mut Vec<FieldViolation>) {
    for (i, rule) in schema["x-kubernetes-validations"].as_array().into_iter().flatten().enumerate() {
        let text = rule["rule"].as_str().unwrap_or_default();
        if let Some(error) = compile_error(text, missing) {
            found.push(FieldViolation {
                field: format!("{path}.x-kubernetes-validations[{i}].rule"),
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: apiextensions.ValidationRule{{Rule:{text:?}, Message:{:?}}}: compilation failed: {error}",
                    rule["message"].as_str().unwrap_or_default()
                ),
            });
        }
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        walk(property, &format!("{path}.properties[{name}]"), missing, found);
    }
    if schema["items"].is_object() {
        walk(&schema["items"], &format!("{path}.items"), missing, found);
    }
    if schema["additionalProperties"].is_object() {
        walk(&schema["additionalProperties"], &format!("{path}.additionalProperties"), missing, found);
    }
}

/// cel-go's error for the first call of a function in `missing`:
/// `ERROR: <input>:1:1: undeclared reference to 'quantity' (in container '')`, with the
/// line and a caret under the call.
fn compile_error(rule: &str, missing: &[&str]) -> Option<String> {
    let chars: Vec<char> = rule.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let member = start > 0 && chars[start - 1] == '.';
            let next = chars[i..].iter().find(|c| !c.is_whitespace()).copied();
            let called = next == Some('(') || (word == "format" && next == Some('.'));
            if !member && called && missing.contains(&word.as_str()) {
                let before: String = chars[..start].iter().collect();
                let line = before.matches('\n').count() + 1;
                let column = start - before.rfind('\n').map_or(0, |n| n + 1) + 1;
                let text = rule.lines().nth(line - 1).unwrap_or_default();
                return Some(format!(
                    "ERROR: <input>:{line}:{column}: undeclared reference to '{word}' (in container '')\n | {text}\n | {}^",
                    ".".repeat(column - 1)
                ));
            }
            continue;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn v(text: &str) -> KubeVersion {
        text.parse().expect("a version")
    }

    fn crd(rule: &str) -> Value {
        json!({"spec": {"versions": [{"name": "v1", "selectableFields": [{"jsonPath": ".spec.color"}],
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                "x-kubernetes-validations": [{"rule": rule, "message": "too big"}]}}}}}]}})
    }

    #[test]
    fn versions_parse_as_kubectl_prints_them() {
        assert_eq!(v("1.30"), KubeVersion { major: 1, minor: 30 });
        assert_eq!(v("v1.31.2"), KubeVersion { major: 1, minor: 31 });
        assert!("2.0".parse::<KubeVersion>().is_err() && "1".parse::<KubeVersion>().is_err());
        assert_eq!(DEFAULT_VERSION.to_string(), "1.32");
    }

    #[test]
    fn selectable_fields_are_unknown_then_dropped_then_served() {
        let strict = admit_selectable_fields(v("1.29"), &mut crd("true"), true);
        assert_eq!(
            strict,
            Err(r#"strict decoding error: unknown field "spec.versions[0].selectableFields""#.into())
        );
        let mut warned = crd("true");
        assert_eq!(
            admit_selectable_fields(v("1.29"), &mut warned, false),
            Ok(vec![r#"unknown field "spec.versions[0].selectableFields""#.to_string()])
        );
        assert!(warned["spec"]["versions"][0].get("selectableFields").is_none());
        let mut dropped = crd("true");
        assert_eq!(admit_selectable_fields(v("1.30"), &mut dropped, true), Ok(vec![]));
        assert!(dropped["spec"]["versions"][0].get("selectableFields").is_none(), "gate off: dropped");
        let mut served = crd("true");
        assert_eq!(admit_selectable_fields(v("1.31"), &mut served, true), Ok(vec![]));
        assert!(served["spec"]["versions"][0]["selectableFields"].is_array());
    }

    #[test]
    fn cel_libraries_are_usable_one_release_after_they_came() {
        let rule = "quantity(self.size).isLessThan(quantity('1Gi'))";
        let refused = cel_violations(v("1.28"), &crd(rule));
        assert_eq!(refused.len(), 1);
        assert_eq!(
            refused[0].field,
            "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
        );
        assert!(
            refused[0].message.ends_with(
                "compilation failed: ERROR: <input>:1:1: undeclared reference to 'quantity' (in container '')\n | quantity(self.size).isLessThan(quantity('1Gi'))\n | ^"
            ),
            "{}",
            refused[0].message
        );
        assert!(cel_violations(v("1.29"), &crd(rule)).is_empty());
        let ip = cel_violations(v("1.30"), &crd("self.size == 1 || isIP(self.addr)"));
        assert!(ip[0].message.contains("<input>:1:19: undeclared reference to 'isIP'"), "{}", ip[0].message);
        assert!(cel_violations(v("1.31"), &crd("isIP(self.addr)")).is_empty());
        assert!(
            cel_violations(v("1.28"), &crd("self.name == 'quantity(x)' && self.ip == 1")).is_empty(),
            "strings and fields are not calls"
        );
    }
}
