//! Every kind of Pod the product creates, rendered by the real builders, meets the Pod
//! Security Standards' `restricted` profile and passes checkov's Kubernetes checks:
//!
//! - a member with persistent storage, and one with ephemeral storage;
//! - the seed member of a restore from a store (init containers fetch, restore, install);
//! - the seed member of a restore from an uploaded file (init container receive);
//! - the operator's Deployment, as `manifests/install.yaml` has it (`cli/tests/install.rs`
//!   checks that file equals what `kubectl etcd install --dry-run` prints).
//!
//! `restricted_profile` is pure: the Pod Security admission check the sandbox enforces by
//! namespace label (`etcd_sandbox::api::pod_security`, the profile's rules as the
//! PodSecurity plugin words them), at level `restricted`. `checkov` writes
//! the same objects as YAML files and runs checkov (installed by `scripts/prereqs.sh` into
//! `~/.cache/kubectl-etcd/checkov`); it fails when checkov is missing.

use std::path::PathBuf;

use etcd_operator::resources::pod::{InitialState, MemberPod, member_pod};
use etcd_sandbox::api::pod_security::{Level, violations};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, PodSpec};
use serde_json::json;
use shared::crd::EtcdCluster;
use shared::names;

/// One rendered object: its file name, the object as JSON, and its Pod spec.
struct Rendered {
    file: &'static str,
    object: serde_json::Value,
    spec: PodSpec,
}

fn cluster(extra: serde_json::Value) -> EtcdCluster {
    let mut object = json!({
        "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1",
        "kind": "EtcdCluster",
        "metadata": {"name": "demo", "namespace": "db", "uid": "0b6c0a4e-1d7f-4c3e-9a57-2f1e8d6c5b4a"},
        "spec": {"size": 3, "version": "3.5.30"},
    });
    if let (Some(spec), Some(extra)) = (object["spec"].as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(object).expect("an EtcdCluster")
}

fn member(file: &'static str, cluster: &EtcdCluster) -> Rendered {
    let initial =
        vec![("demo-0".to_string(), names::peer_url("demo-0", "demo", "db", names::CLUSTER_DOMAIN))];
    let spec = MemberPod {
        member: "demo-0",
        version: "3.5.30",
        initial_cluster: &initial,
        state: InitialState::New,
        token: "demo-tok",
        operator_image: "ghcr.io/kubectl-etcd/etcd-operator:v0.1.0",
        cluster_domain: names::CLUSTER_DOMAIN,
    };
    let pod: Pod = member_pod(cluster, &spec).expect("a member Pod");
    let mut object = serde_json::to_value(&pod).expect("JSON");
    object["apiVersion"] = json!("v1");
    object["kind"] = json!("Pod");
    Rendered { file, spec: pod.spec.expect("a Pod spec"), object }
}

fn operator_deployment() -> Rendered {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/install.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let object = serde_yaml::Deserializer::from_str(&text)
        .map(|d| <serde_json::Value as serde::Deserialize>::deserialize(d).expect("a YAML document"))
        .find(|d| d["kind"] == "Deployment")
        .expect("install.yaml has the operator's Deployment");
    let deployment: Deployment = serde_json::from_value(object.clone()).expect("a Deployment");
    let spec = deployment.spec.template.spec.expect("a Pod template");
    Rendered { file: "operator-deployment.yaml", object, spec }
}

/// Every kind of Pod, each with the fields a user may add left at their defaults.
fn every_pod() -> Vec<Rendered> {
    let persistent = cluster(json!({}));
    let ephemeral = cluster(json!({"storage": {"kind": "Ephemeral"}}));
    let fetched = cluster(json!({"bootstrap": {"fromSnapshot": {
        "location": {"url": "s3://backups/demo/snapshot.db", "credentialsSecret": "store"},
        "sha256": "ab".repeat(32),
    }}}));
    let uploaded =
        cluster(json!({"bootstrap": {"fromSnapshot": {"upload": true, "sha256": "ab".repeat(32)}}}));
    let pods = vec![
        member("member-persistent.yaml", &persistent),
        member("member-ephemeral.yaml", &ephemeral),
        member("restore-seed.yaml", &fetched),
        member("upload-seed.yaml", &uploaded),
        operator_deployment(),
    ];
    assert_eq!(pods[2].spec.init_containers.as_ref().map(Vec::len), Some(3), "the restore seed's steps");
    assert_eq!(pods[3].spec.init_containers.as_ref().map(Vec::len), Some(3), "the upload seed's steps");
    pods
}

/// A Pod spec as the admission check reads it.
fn as_pod(spec: &PodSpec) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Pod", "spec": spec})
}

#[test]
fn restricted_profile() {
    let pods = every_pod();
    let mut report = Vec::new();
    for pod in &pods {
        for violation in violations(Level::Restricted, &as_pod(&pod.spec)) {
            report.push(format!("{}: {}: {}", pod.file, violation.reason, violation.detail));
        }
    }
    assert!(report.is_empty(), "Pod Security `restricted` is broken:\n{}", report.join("\n"));

    // The checker itself catches what the profile forbids.
    let mut bad = pods[0].spec.clone();
    bad.host_network = Some(true);
    bad.security_context = None;
    bad.containers[0].security_context = None;
    let found = violations(Level::Restricted, &as_pod(&bad));
    for reason in [
        "host namespaces",
        "allowPrivilegeEscalation != false",
        "runAsNonRoot != true",
        "seccompProfile",
        "unrestricted capabilities",
    ] {
        assert!(found.iter().any(|v| v.reason == reason), "{reason} in {found:#?}");
    }
}

/// Checks checkov runs that do not apply to these Pods, each with its reason.
const SKIPPED: &[(&str, &str)] = &[
    (
        "CKV_K8S_11",
        "CPU limits: a CPU limit throttles etcd's heartbeats into needless leader elections; \
         requests are set, and spec.pod.resources takes limits for namespaces that want them",
    ),
    (
        "CKV_K8S_13",
        "memory limits: etcd's working set grows with its data, and a default limit below it \
         gets the member killed; spec.pod.resources takes limits",
    ),
    (
        "CKV_K8S_15",
        "image pull policy Always: etcd images are pinned release tags (v<version>), so \
         IfNotPresent is right and keeps a member's restart independent of the registry",
    ),
    (
        "CKV_K8S_43",
        "images by digest: the etcd version is chosen by tag (spec.version); pinning digests is \
         a registry policy (spec.repository can point at a mirror that enforces it)",
    ),
    (
        "CKV_K8S_35",
        "secrets as environment variables: the object-store clients of the restore seed's fetch \
         step read their credentials from the environment, only in that short-lived init container",
    ),
    (
        "CKV_K8S_38",
        "service account token mounted: the operator's Deployment calls the Kubernetes API with it; \
         member Pods set automountServiceAccountToken: false (pod.rs tests it)",
    ),
    (
        "CKV2_K8S_6",
        "a NetworkPolicy per Pod: who may reach etcd (the operator, the cluster's clients, metrics \
         scrapers) is the cluster owner's choice; docs/design.md names the ports to allow",
    ),
];

#[test]
fn checkov() {
    let home = std::env::var("HOME").expect("HOME");
    let checkov = PathBuf::from(home).join(".cache/kubectl-etcd/checkov/bin/checkov");
    assert!(
        checkov.is_file(),
        "checkov is not installed at {}: run scripts/prereqs.sh, which installs PyPI checkov there",
        checkov.display()
    );
    // checkov skips hidden folders, and tempdir()'s names start with a dot.
    let folder = tempfile::Builder::new().prefix("pod-security-").tempdir().expect("a temporary folder");
    let pods = every_pod();
    for pod in &pods {
        let yaml = serde_yaml::to_string(&pod.object).expect("YAML");
        std::fs::write(folder.path().join(pod.file), yaml).expect("writing a manifest");
    }
    let skip: Vec<&str> = SKIPPED.iter().map(|(id, _)| *id).collect();
    let output = std::process::Command::new(&checkov)
        .args(["--framework", "kubernetes", "--output", "json", "--skip-check", &skip.join(",")])
        .arg("--directory")
        .arg(folder.path())
        // No network here: do not fetch the guideline links of the hosted platform.
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", checkov.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("checkov printed no JSON report ({e}): {stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    // One report per framework: an object for one, a list for several.
    let report = match parsed {
        serde_json::Value::Array(reports) => reports
            .into_iter()
            .find(|r| r["check_type"] == "kubernetes")
            .unwrap_or_else(|| panic!("no kubernetes report from checkov: {stdout}")),
        report => report,
    };
    // With no resource found, checkov prints the summary alone.
    let summary = if report.get("summary").is_some() { &report["summary"] } else { &report };
    let count = |key: &str| summary[key].as_u64().unwrap_or_else(|| panic!("summary.{key} in {summary}"));
    let failed: Vec<String> = report["results"]["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("{} {} ({}, {})", c["check_id"], c["check_name"], c["resource"], c["file_path"]))
        .collect();
    println!(
        "checkov over {} manifests: {} passed, {} failed, {} skipped ({})",
        pods.len(),
        count("passed"),
        count("failed"),
        count("skipped"),
        skip.join(", ")
    );
    assert!(count("resource_count") >= pods.len() as u64, "checkov read every manifest: {summary}");
    assert!(count("passed") > 0, "checkov ran no check: {summary}");
    assert!(failed.is_empty() && count("failed") == 0, "checkov failed checks:\n{}", failed.join("\n"));
}
