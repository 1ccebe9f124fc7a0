//! `docs/reference/crds.md`: for each custom resource, its names, printer columns, every
//! field path with its type, default, constraints and description (the doc comments), and
//! the CEL validation rules with the messages the API server answers with. Fields of
//! embedded Kubernetes types (affinity, tolerations, ...) are named, not expanded.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

use super::markdown::{cell, code, table};

/// Fields whose schema is a Kubernetes type, documented by Kubernetes: the field name and
/// the type it holds.
const KUBERNETES_TYPES: &[(&str, &str)] = &[
    ("affinity", "core/v1 Affinity"),
    ("resources", "core/v1 ResourceRequirements"),
    ("tolerations", "core/v1 Toleration"),
    ("conditions", "meta/v1 Condition"),
];

/// The page for `crds`.
pub fn render(crds: &[CustomResourceDefinition]) -> String {
    let mut out = String::from(
        "# Custom resource reference\n\n\
         Generated from the resource types in `shared/src/crd/` by `scripts/reference.sh`; do not \
         edit by hand. The descriptions are the types' doc comments, which `kubectl explain` shows \
         too.\n\n",
    );
    for crd in crds {
        out.push_str(&resource(crd));
    }
    out
}

/// One field path and what is known about it.
struct Field {
    path: String,
    kind: String,
    default: String,
    description: String,
}

/// A CEL rule and where it applies.
struct Rule {
    path: String,
    message: String,
    rule: String,
}

fn resource(crd: &CustomResourceDefinition) -> String {
    let names = &crd.spec.names;
    let mut out = format!("## {}\n\n", names.kind);
    for version in &crd.spec.versions {
        let mut facts = vec![
            format!("API version {}", code(&format!("{}/{}", crd.spec.group, version.name))),
            format!("scope {}", crd.spec.scope),
            format!("plural {}", code(&names.plural)),
        ];
        if let Some(short) = names.short_names.as_ref().filter(|s| !s.is_empty()) {
            facts.push(format!(
                "short names {}",
                short.iter().map(|s| code(s)).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(categories) = names.categories.as_ref().filter(|c| !c.is_empty()) {
            facts.push(format!(
                "categories {}",
                categories.iter().map(|c| code(c)).collect::<Vec<_>>().join(", ")
            ));
        }
        out.push_str(&format!("{}.\n\n", facts.join("; ")));
        let Some(schema) = version.schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref()) else {
            continue;
        };
        if let Some(description) = &schema.description {
            out.push_str(&format!("{}\n\n", description.trim()));
        }
        if let Some(columns) = version.additional_printer_columns.as_ref().filter(|c| !c.is_empty()) {
            out.push_str("### Columns (`kubectl get`)\n\n");
            let rows: Vec<Vec<String>> = columns
                .iter()
                .map(|c| {
                    let wide = if c.priority.unwrap_or(0) > 0 { "with `-o wide`" } else { "always" };
                    vec![cell(&c.name), code(&c.json_path), wide.to_string()]
                })
                .collect();
            out.push_str(&table(&["column", "from", "shown"], &rows));
        }
        let mut fields = Vec::new();
        let mut rules = Vec::new();
        walk(schema, "", &mut fields, &mut rules);
        out.push_str("### Fields\n\n");
        let rows: Vec<Vec<String>> = fields
            .into_iter()
            .filter(|f| !["apiVersion", "kind", "metadata"].contains(&f.path.as_str()))
            .map(|f| vec![code(&f.path), cell(&f.kind), f.default, cell(&f.description)])
            .collect();
        out.push_str(&table(&["field", "type", "default", "description"], &rows));
        if !rules.is_empty() {
            out.push_str("### Validation rules\n\nThe API server checks these CEL rules and answers with the message when one fails.\n\n");
            let rows: Vec<Vec<String>> = rules
                .into_iter()
                .map(|r| vec![code(&r.path), cell(&r.message), code(&cell(&r.rule))])
                .collect();
            out.push_str(&table(&["on", "message", "rule"], &rows));
        }
    }
    out
}

/// Collects the fields under `schema` (at `path`, empty for the root) and its rules.
fn walk(schema: &JSONSchemaProps, path: &str, fields: &mut Vec<Field>, rules: &mut Vec<Rule>) {
    for rule in schema.x_kubernetes_validations.iter().flatten() {
        let on = if path.is_empty() { "(the object)".to_string() } else { path.to_string() };
        rules.push(Rule {
            path: on,
            message: rule.message.clone().unwrap_or_else(|| "(the rule itself)".to_string()),
            rule: rule.rule.clone(),
        });
    }
    let required = schema.required.clone().unwrap_or_default();
    for (name, property) in schema.properties.iter().flatten() {
        let field_path = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
        let embedded = KUBERNETES_TYPES.iter().find(|(field, _)| field == name).map(|(_, kind)| *kind);
        let mut kind = type_of(property);
        if let Some(embedded) = embedded {
            kind = if kind.starts_with("[]") { format!("[]{embedded}") } else { embedded.to_string() };
        }
        if required.contains(name) {
            kind.push_str(", required");
        }
        let default = property.default.as_ref().map_or_else(String::new, |d| code(&d.0.to_string()));
        fields.push(Field { path: field_path.clone(), kind, default, description: describe(property) });
        if embedded.is_none() {
            walk_children(property, &field_path, fields, rules);
        }
    }
}

/// Descends into an object's properties, an array's items and a map's values.
fn walk_children(schema: &JSONSchemaProps, path: &str, fields: &mut Vec<Field>, rules: &mut Vec<Rule>) {
    if schema.properties.is_some() || schema.x_kubernetes_validations.is_some() {
        walk(schema, path, fields, rules);
    }
    if let Some(JSONSchemaPropsOrArray::Schema(items)) = &schema.items {
        walk_children(items, &format!("{path}[]"), fields, rules);
    }
    if let Some(JSONSchemaPropsOrBool::Schema(values)) = &schema.additional_properties {
        walk_children(values, &format!("{path}.<key>"), fields, rules);
    }
}

/// `integer`, `string (date-time)`, `[]object`, `map[string]string`, `int or string`.
fn type_of(schema: &JSONSchemaProps) -> String {
    if schema.x_kubernetes_int_or_string == Some(true) {
        return "int or string".to_string();
    }
    match schema.type_.as_deref() {
        Some("array") => match &schema.items {
            Some(JSONSchemaPropsOrArray::Schema(items)) => format!("[]{}", type_of(items)),
            _ => "array".to_string(),
        },
        Some("object") => match &schema.additional_properties {
            Some(JSONSchemaPropsOrBool::Schema(values)) => format!("map[string]{}", type_of(values)),
            _ => "object".to_string(),
        },
        Some(kind) => match &schema.format {
            Some(format) => format!("{kind} ({format})"),
            None => kind.to_string(),
        },
        None => "any".to_string(),
    }
}

/// The description, then the schema's constraints in words.
fn describe(schema: &JSONSchemaProps) -> String {
    let mut parts: Vec<String> = schema.description.iter().map(|d| d.trim().to_string()).collect();
    if let Some(choices) = &schema.enum_ {
        let choices: Vec<String> = choices
            .iter()
            .map(|c| code(c.0.as_str().map_or_else(|| c.0.to_string(), str::to_string).as_str()))
            .collect();
        parts.push(format!("One of: {}.", choices.join(", ")));
    }
    match (schema.minimum, schema.maximum) {
        (Some(min), Some(max)) => parts.push(format!("From {min} to {max}.")),
        (Some(min), None) => parts.push(format!("At least {min}.")),
        (None, Some(max)) => parts.push(format!("At most {max}.")),
        (None, None) => {}
    }
    match (schema.min_length, schema.max_length) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters.")),
        (Some(min), None) => parts.push(format!("At least {min} characters.")),
        (None, Some(max)) => parts.push(format!("At most {max} characters.")),
        (None, None) => {}
    }
    if let Some(pattern) = &schema.pattern {
        parts.push(format!("Matches {}.", code(pattern)));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_field_default_and_rule_message_is_on_the_page() {
        let page = render(&shared::crd::definitions());
        for kind in ["## EtcdCluster", "## EtcdBackup", "## EtcdRestore"] {
            assert!(page.contains(&format!("{kind}\n")), "{kind}");
        }
        let row = page.lines().find(|l| l.starts_with("| `spec.size` |")).expect("spec.size");
        assert!(row.starts_with("| `spec.size` | integer (int32) | `3` |"), "{row}");
        assert!(row.contains("From 1 to 9."), "{row}");
        assert!(page.contains("| `spec.version` | string, required |"), "required fields say so");
        assert!(page.contains("| `status.members[].name` |"), "array items are walked");
        assert!(page.contains("| `spec.pod.affinity` | core/v1 Affinity |"), "Kubernetes types are named");
        assert!(!page.contains("spec.pod.affinity.nodeAffinity"), "and not expanded");
        assert!(page.contains("| `spec.pod.tolerations` | []core/v1 Toleration |"));
        let mut messages = Vec::new();
        for crd in shared::crd::definitions() {
            rule_messages(&serde_json::to_value(&crd).expect("JSON"), &mut messages);
        }
        assert!(messages.len() >= 10, "the CRDs have their rules: {messages:?}");
        for message in messages {
            assert!(page.contains(&format!("| {} |", cell(&message))), "rule message {message:?}");
        }
        assert!(page.contains("| Leader | `.status.leader` | with `-o wide` |"), "printer columns");
    }

    /// Every `message` of every `x-kubernetes-validations` entry under `value`.
    fn rule_messages(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    if key == "x-kubernetes-validations" {
                        let rules = child.as_array().into_iter().flatten();
                        found.extend(rules.filter_map(|r| r["message"].as_str().map(str::to_string)));
                    } else {
                        rule_messages(child, found);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| rule_messages(item, found)),
            _ => {}
        }
    }

    #[test]
    fn types_read_like_kubernetes_docs() {
        let schema =
            |value: serde_json::Value| -> JSONSchemaProps { serde_json::from_value(value).expect("schema") };
        assert_eq!(
            type_of(&schema(serde_json::json!({"type": "string", "format": "date-time"}))),
            "string (date-time)"
        );
        assert_eq!(
            type_of(&schema(serde_json::json!({"type": "array", "items": {"type": "object"}}))),
            "[]object"
        );
        assert_eq!(
            type_of(&schema(
                serde_json::json!({"type": "object", "additionalProperties": {"type": "string"}})
            )),
            "map[string]string"
        );
        assert_eq!(
            type_of(&schema(serde_json::json!({"x-kubernetes-int-or-string": true}))),
            "int or string"
        );
        let described = describe(&schema(
            serde_json::json!({"description": "How many.", "enum": ["A", "B"], "maxLength": 40}),
        ));
        assert_eq!(described, "How many. One of: `A`, `B`. At most 40 characters.");
    }
}
