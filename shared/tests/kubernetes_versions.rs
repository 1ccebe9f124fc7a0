//! Every generated manifest works on every supported Kubernetes version
//! (`shared::kubernetes::MINIMUM` to `NEWEST_TESTED`):
//! - `manifests/crd/*` and `manifests/install.yaml` validate, strictly (unknown fields are
//!   errors), against each minor's published API schemas, offline, with PyPI
//!   `kubernetes-validate` (installed by `scripts/prereqs.sh`);
//! - every CEL rule of the CRDs calls only functions that the oldest supported API server
//!   compiles in a new rule, by the list of CEL libraries per Kubernetes version in
//!   `tests/data/kubernetes_cel_libraries.json` (each with its source).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use shared::kubernetes::{self, KubernetesVersion, MINIMUM};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The committed CRD manifests, the one-file install manifest and the dashboard's ConfigMap.
fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repository().join("manifests/crd"))
        .expect("manifests/crd exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "three CRDs: {files:?}");
    files.push(repository().join("manifests/install.yaml"));
    // The Grafana dashboard's ConfigMap (the prometheus-operator's objects beside it are
    // custom resources without published schemas: operator/tests/monitoring.rs checks them).
    files.push(repository().join("manifests/monitoring/dashboard-configmap.yaml"));
    files
}

/// `kubernetes-validate` in the venv `scripts/prereqs.sh` makes; fails loudly without it.
fn kubernetes_validate() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME is set");
    let path = Path::new(&home).join(".cache/kubectl-etcd/kubernetes-validate/bin/kubernetes-validate");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/prereqs.sh (it installs PyPI kubernetes-validate into that venv)",
        path.display()
    );
    path
}

#[test]
fn manifests_validate_against_every_supported_version() {
    let validate = kubernetes_validate();
    let files = manifests();
    let mut failures = Vec::new();
    for version in kubernetes::tested_versions() {
        let output = std::process::Command::new(&validate)
            .args(["--strict", "--quiet", "--no-warn", "--kubernetes-version", &version.to_string()])
            .args(&files)
            .output()
            .expect("kubernetes-validate runs");
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        let verdict = if output.status.success() { "valid" } else { "REFUSED" };
        println!("Kubernetes {version}: {verdict} ({} files)", files.len());
        if !output.status.success() {
            failures.push(format!("Kubernetes {version} ({}):\n{}", output.status, text.trim_end()));
        }
    }
    assert!(
        failures.is_empty(),
        "manifests refused by a supported Kubernetes version:\n{}",
        failures.join("\n")
    );
}

#[derive(Deserialize)]
struct Libraries {
    libraries: Vec<Library>,
}

#[derive(Deserialize)]
struct Library {
    name: String,
    introduced: String,
    removed: Option<String>,
    functions: Vec<String>,
}

fn version(text: &str) -> KubernetesVersion {
    let (major, minor) = text.split_once('.').expect("MAJOR.MINOR");
    KubernetesVersion { major: major.parse().expect("a number"), minor: minor.parse().expect("a number") }
}

/// Each function name with the first version whose API server compiles it in a new rule,
/// and the library it comes from: the library's version plus one (new rules compile with
/// the environment of the previous minor; see the data file's `new_rules`), or 1.0 for the
/// libraries every server has.
fn first_versions() -> BTreeMap<String, (KubernetesVersion, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/kubernetes_cel_libraries.json");
    let text = std::fs::read_to_string(&path).expect("the CEL library list is readable");
    let data: Libraries = serde_json::from_str(&text).expect("the CEL library list parses");
    let mut first: BTreeMap<String, (KubernetesVersion, String)> = BTreeMap::new();
    // A removed library (strings version 0) was replaced by a superset (version 2): only the
    // successor counts.
    for library in data.libraries.into_iter().filter(|l| l.removed.is_none()) {
        let introduced = version(&library.introduced);
        // 1.0 is the epoch base.go gives the libraries every server has.
        let usable = match introduced.minor {
            0 => introduced,
            minor => KubernetesVersion { minor: minor + 1, ..introduced },
        };
        for function in library.functions {
            let entry = first.entry(function).or_insert((usable, library.name.clone()));
            if usable < entry.0 {
                *entry = (usable, library.name.clone());
            }
        }
    }
    first
}

/// The `x-kubernetes-validations` rules anywhere in a document.
fn rules(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(validations)) = map.get("x-kubernetes-validations") {
                found.extend(validations.iter().filter_map(|v| v["rule"].as_str().map(String::from)));
            }
            map.values().for_each(|v| rules(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| rules(v, found)),
        _ => {}
    }
}

/// The functions and macros a CEL expression calls: each identifier followed by `(`, outside
/// string literals; `a.b(` is the namespaced `a.b` when `namespaced` knows it, else `b`.
fn calls(rule: &str, namespaced: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut code = String::new();
    let mut quote = None;
    let mut escaped = false;
    for c in rule.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    code.push(' ');
                }
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None => code.push(c),
        }
    }
    let chars: Vec<char> = code.chars().collect();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_alphabetic() || chars[i] == '_') || (i > 0 && is_ident(chars[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        let mut next = i;
        while next < chars.len() && chars[next].is_whitespace() {
            next += 1;
        }
        if chars.get(next) != Some(&'(') {
            continue;
        }
        let mut qualified = name.clone();
        if start >= 2 && chars[start - 1] == '.' {
            let end = start - 1;
            let mut begin = end;
            while begin > 0 && is_ident(chars[begin - 1]) {
                begin -= 1;
            }
            let receiver: String = chars[begin..end].iter().collect();
            if namespaced(&format!("{receiver}.{name}")) {
                qualified = format!("{receiver}.{name}");
            }
        }
        found.push(qualified);
    }
    found
}

#[test]
fn the_call_scanner_finds_functions_and_skips_strings() {
    let known = |n: &str| n == "optional.of";
    assert_eq!(
        calls("!has(self.size) || quantity(self.size).compareTo(quantity('1Gi (x)')) >= 0", &known),
        ["has", "quantity", "compareTo", "quantity"]
    );
    assert_eq!(calls("self.all(k, !k.startsWith('a.b(c)'))", &known), ["all", "startsWith"]);
    assert_eq!(
        calls("optional.of(self.x).orValue(1) == 1 && self.matches(\"x\\\"(\")", &known),
        ["optional.of", "orValue", "matches"]
    );
}

#[test]
fn cel_rules_use_only_what_the_minimum_compiles() {
    let first = first_versions();
    let namespaced = |name: &str| first.contains_key(name);
    let mut problems = std::collections::BTreeSet::new();
    let mut needs: BTreeMap<KubernetesVersion, usize> = BTreeMap::new();
    let mut count = 0;
    for file in &manifests()[..3] {
        let text = std::fs::read_to_string(file).expect("readable manifest");
        let document: Value = serde_yaml::from_str(&text).expect("a YAML document");
        let mut found = Vec::new();
        rules(&document, &mut found);
        for rule in found {
            count += 1;
            let mut rule_needs = KubernetesVersion { major: 1, minor: 0 };
            for function in calls(&rule, &namespaced) {
                match first.get(&function) {
                    None => {
                        problems.insert(format!(
                            "{}: `{function}` in `{rule}` is in no library of tests/data/kubernetes_cel_libraries.json: \
                             add it there with the version that introduced it and its source",
                            file.display()
                        ));
                    }
                    Some((since, library)) => {
                        rule_needs = rule_needs.max(*since);
                        if *since > MINIMUM {
                            problems.insert(format!(
                                "{}: `{function}` ({library}) in `{rule}` compiles in new rules from Kubernetes \
                                 {since} only, the minimum is {MINIMUM}",
                                file.display()
                            ));
                        }
                    }
                }
            }
            *needs.entry(rule_needs).or_default() += 1;
        }
    }
    let needs: Vec<String> = needs.iter().map(|(version, rules)| format!("{rules} need {version}")).collect();
    println!("{count} CEL rules; the oldest Kubernetes that compiles them: {}", needs.join(", "));
    assert!(count > 20, "the CRDs have their CEL rules ({count} found)");
    assert!(problems.is_empty(), "{}", problems.into_iter().collect::<Vec<_>>().join("\n"));
}
