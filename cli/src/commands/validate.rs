//! `kubectl etcd validate -f FILE`: checks EtcdCluster, EtcdBackup and EtcdRestore manifests
//! against the same schema and CEL rules the API server enforces, without a cluster. Useful
//! in CI before `kubectl apply`.

use std::io::Read;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::crd::{API_GROUP, API_VERSION, definitions};
use shared::validate::{FieldViolation, ResourceSchema};

use crate::exit::Outcome;

/// Check manifests against the rules the API server enforces; nothing is sent anywhere.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd validate -f cluster.yaml\n  \
    kubectl etcd validate -f cluster.yaml -f backup.yaml -o json\n  \
    helm template ./chart | kubectl etcd validate -f -\n\n\
    Documents of other kinds are skipped (noted on stderr). Exit code 3 when any document breaks a rule.")]
pub struct Args {
    /// Manifest file to check (multi-document YAML or JSON); `-` reads standard input.
    /// Repeat for several files.
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    files: Vec<PathBuf>,

    /// Output format of the report: text (default), json or yaml.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    output: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Yaml,
}

/// Why the manifests could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not YAML.
    #[error("{path} is not valid YAML: {source}")]
    Yaml {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_yaml::Error,
    },
    /// The report could not be written.
    #[error("cannot write the report: {0}")]
    Report(String),
}

/// The verdict on one document.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Verdict {
    file: String,
    kind: String,
    name: String,
    valid: bool,
    violations: Vec<Violation>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Violation {
    field: String,
    reason: String,
    message: String,
}

impl From<FieldViolation> for Violation {
    fn from(v: FieldViolation) -> Self {
        Violation { field: v.field, reason: v.reason, message: v.message }
    }
}

/// Runs the command: prints a verdict per document on stdout.
pub fn run(args: &Args) -> Result<Outcome, ValidateError> {
    let mut verdicts = Vec::new();
    for file in &args.files {
        let (label, text) = read(file)?;
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .map_err(|source| ValidateError::Yaml { path: label.clone(), source })?;
            if value.is_null() {
                continue; // an empty document, e.g. after a trailing `---`
            }
            match check_document(&value) {
                Some(verdict) => verdicts.push(Verdict { file: label.clone(), ..verdict }),
                None => eprintln!("skipped {} in {label}: not a kubectl-etcd resource", describe(&value)),
            }
        }
    }
    print_report(&verdicts, args.output)?;
    let all_valid = verdicts.iter().all(|v| v.valid);
    Ok(if all_valid { Outcome::Success } else { Outcome::Refused })
}

fn read(file: &PathBuf) -> Result<(String, String), ValidateError> {
    let label = file.display().to_string();
    let mut text = String::new();
    let result = if label == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    result.map_err(|source| ValidateError::Read { path: label.clone(), source })?;
    Ok((label, text))
}

/// `kind/name` of any document, for messages.
fn describe(value: &Value) -> String {
    let kind = value["kind"].as_str().unwrap_or("<no kind>");
    let name = value["metadata"]["name"].as_str().unwrap_or("<no name>");
    format!("{kind}/{name}")
}

/// Checks an object of ours as the API server would (schema and rules); `Err` says every
/// rule it breaks in one line, for a prompt to show before asking again.
pub fn as_the_api_server_would<K: kube::CustomResourceExt + serde::Serialize>(
    object: &K,
) -> Result<(), String> {
    let schema = ResourceSchema::from_crd(&K::crd(), API_VERSION).map_err(|e| e.to_string())?;
    let value = serde_json::to_value(object).map_err(|e| e.to_string())?;
    schema
        .validate(&value, None)
        .map_err(|broken| broken.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
}

/// The verdict on a document of our API group; `None` for other kinds.
fn check_document(value: &Value) -> Option<Verdict> {
    let api_version = value["apiVersion"].as_str()?;
    let (group, version) = api_version.split_once('/')?;
    if group != API_GROUP {
        return None;
    }
    let kind = value["kind"].as_str().unwrap_or_default().to_string();
    let name = value["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let refuse = |field: &str, message: String| Verdict {
        file: String::new(),
        kind: kind.clone(),
        name: name.clone(),
        valid: false,
        violations: vec![Violation { field: field.into(), reason: "FieldValueNotSupported".into(), message }],
    };
    let Some(crd) = definitions().into_iter().find(|c| c.spec.names.kind == kind) else {
        return Some(refuse("kind", format!("{kind:?} is not a kind of {API_GROUP}")));
    };
    if version != API_VERSION {
        return Some(refuse(
            "apiVersion",
            format!("{api_version} is not served: use {API_GROUP}/{API_VERSION}"),
        ));
    }
    let violations = match ResourceSchema::from_crd(&crd, API_VERSION) {
        Err(e) => {
            vec![Violation { field: String::new(), reason: "InternalError".into(), message: e.to_string() }]
        }
        Ok(schema) => {
            // Unknown fields are refused, as `kubectl apply` (strict field validation) refuses them.
            let mut known = value.clone();
            let unknown = schema.prune_unknown_fields(&mut known);
            let mut violations: Vec<Violation> = unknown
                .into_iter()
                .map(|field| Violation {
                    message: format!("unknown field \"{field}\""),
                    field,
                    reason: "FieldValueInvalid".into(),
                })
                .collect();
            if let Err(broken) = schema.validate(&known, None) {
                violations.extend(broken.into_iter().map(Violation::from));
            }
            violations
        }
    };
    Some(Verdict { file: String::new(), kind, name, valid: violations.is_empty(), violations })
}

fn print_report(verdicts: &[Verdict], format: Format) -> Result<(), ValidateError> {
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(verdicts).map_err(|e| ValidateError::Report(e.to_string()))? + "\n"
        }
        Format::Yaml => serde_yaml::to_string(verdicts).map_err(|e| ValidateError::Report(e.to_string()))?,
        Format::Text => verdicts.iter().map(text_verdict).collect(),
    };
    print!("{text}");
    Ok(())
}

fn text_verdict(v: &Verdict) -> String {
    let resource = format!("{}/{}", v.kind.to_lowercase(), v.name);
    if v.valid {
        return format!("{resource} ({}): valid\n", v.file);
    }
    let mut out = format!("{resource} ({}): invalid\n", v.file);
    for violation in &v.violations {
        let field = if violation.field.is_empty() { "<object>" } else { &violation.field };
        out.push_str(&format!("  {field}: {}\n", violation.message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn other_groups_are_skipped_and_unknown_kinds_refused() {
        assert_eq!(check_document(&json!({"apiVersion": "v1", "kind": "ConfigMap"})), None);
        let unknown =
            check_document(&json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdProxy"}))
                .expect("our group is checked");
        assert!(!unknown.valid && unknown.violations[0].field == "kind");
        let old = check_document(&json!({"apiVersion": "etcd.kubectl-etcd.dev/v1", "kind": "EtcdCluster"}))
            .expect("our group is checked");
        assert!(!old.valid && old.violations[0].message.contains("use etcd.kubectl-etcd.dev/v1alpha1"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let typo = json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo", "labels": {"free": "form"}},
            "spec": {"version": "3.5.30", "sizee": 5, "pod": {"labels": {"free": "form"}}}
        });
        let verdict = check_document(&typo).expect("our group is checked");
        assert!(!verdict.valid);
        assert_eq!(verdict.violations.len(), 1, "{:?}", verdict.violations);
        assert_eq!(verdict.violations[0].field, "spec.sizee");
        assert_eq!(verdict.violations[0].message, "unknown field \"spec.sizee\"");
    }

    #[test]
    fn text_report_lists_each_violation() {
        let verdict = Verdict {
            file: "c.yaml".into(),
            kind: "EtcdCluster".into(),
            name: "x".into(),
            valid: false,
            violations: vec![Violation {
                field: "spec.size".into(),
                reason: "r".into(),
                message: "too big".into(),
            }],
        };
        assert_eq!(text_verdict(&verdict), "etcdcluster/x (c.yaml): invalid\n  spec.size: too big\n");
    }
}
