//! Every kind of Pod the product creates, rendered by the real builders, meets the Pod
//! Security Standards' `restricted` profile and passes checkov's Kubernetes checks:
//!
//! - a member with persistent storage, and one with ephemeral storage;
//! - the seed member of a restore from a store (init containers fetch, restore, install);
//! - the seed member of a restore from an uploaded file (init container receive);
//! - the operator's Deployment, as `manifests/install.yaml` has it (`cli/tests/install.rs`
//!   checks that file equals what `kubectl etcd install --dry-run` prints).
//!
//! `restricted_profile` is pure: the profile's rules written as a checker. `checkov` writes
//! the same objects as YAML files and runs checkov (installed by `scripts/prereqs.sh` into
//! `~/.cache/kubectl-etcd/checkov`); it fails when checkov is missing.

use std::path::PathBuf;

use etcd_operator::resources::pod::{InitialState, MemberPod, member_pod};
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

/// The `restricted` Pod Security Standard, as
/// <https://kubernetes.io/docs/concepts/security/pod-security-standards/> writes it (policy
/// version `latest`, Kubernetes 1.25+), baseline controls included. Returns each rule a
/// Pod spec breaks, with the container that breaks it.
mod restricted {
    use k8s_openapi::api::core::v1::{Container, PodSpec, SecurityContext};

    /// Capabilities the baseline profile lets a container add.
    const BASELINE_CAPABILITIES: &[&str] = &[
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ];
    /// Sysctls the baseline profile allows.
    const SAFE_SYSCTLS: &[&str] = &[
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    ];
    /// Volume types the restricted profile allows.
    fn volume_allowed(v: &k8s_openapi::api::core::v1::Volume) -> bool {
        // Every other source of a Volume must be unset.
        v.host_path.is_none()
            && v.nfs.is_none()
            && v.iscsi.is_none()
            && v.glusterfs.is_none()
            && v.rbd.is_none()
            && v.flex_volume.is_none()
            && v.cinder.is_none()
            && v.cephfs.is_none()
            && v.flocker.is_none()
            && v.fc.is_none()
            && v.azure_file.is_none()
            && v.azure_disk.is_none()
            && v.vsphere_volume.is_none()
            && v.quobyte.is_none()
            && v.photon_persistent_disk.is_none()
            && v.portworx_volume.is_none()
            && v.scale_io.is_none()
            && v.storageos.is_none()
            && v.gce_persistent_disk.is_none()
            && v.aws_elastic_block_store.is_none()
            && v.git_repo.is_none()
            && v.image.is_none()
    }

    pub fn violations(spec: &PodSpec) -> Vec<String> {
        let mut found = Vec::new();
        let pod = spec.security_context.clone().unwrap_or_default();
        // Baseline: host namespaces, host ports, HostProcess, sysctls, SELinux, AppArmor.
        for (field, value) in
            [("hostNetwork", spec.host_network), ("hostPID", spec.host_pid), ("hostIPC", spec.host_ipc)]
        {
            if value == Some(true) {
                found.push(format!("Host Namespaces: {field} must be unset or false"));
            }
        }
        if pod.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
            found.push("HostProcess: the Pod must not be a Windows HostProcess Pod".into());
        }
        for sysctl in pod.sysctls.iter().flatten() {
            if !SAFE_SYSCTLS.contains(&sysctl.name.as_str()) {
                found.push(format!("Sysctls: {} is not in the safe set", sysctl.name));
            }
        }
        for volume in spec.volumes.iter().flatten() {
            if !volume_allowed(volume) {
                found.push(format!("Volume Types: volume {} is of a type restricted forbids", volume.name));
            }
        }
        // Restricted, Pod level: runAsNonRoot, runAsUser, seccomp.
        let pod_non_root = pod.run_as_non_root == Some(true);
        if pod.run_as_user == Some(0) {
            found.push("Running as Non-root user: the Pod's runAsUser must not be 0".into());
        }
        let pod_seccomp = pod.seccomp_profile.as_ref().map(|p| p.type_.as_str());
        if pod_seccomp == Some("Unconfined") {
            found.push("Seccomp: the Pod's seccompProfile must not be Unconfined".into());
        }
        let pod_seccomp_ok = matches!(pod_seccomp, Some("RuntimeDefault" | "Localhost"));
        if pod.se_linux_options.as_ref().is_some_and(|o| !selinux_ok(o)) {
            found.push("SELinux: the Pod's seLinuxOptions set a forbidden type, user or role".into());
        }
        if pod.app_armor_profile.as_ref().is_some_and(|p| p.type_ == "Unconfined") {
            found.push("AppArmor: the Pod's profile must not be Unconfined".into());
        }
        let containers = spec.init_containers.iter().flatten().chain(&spec.containers);
        for container in containers {
            found.extend(container_violations(container, pod_non_root, pod_seccomp_ok));
        }
        found
    }

    fn selinux_ok(o: &k8s_openapi::api::core::v1::SELinuxOptions) -> bool {
        matches!(o.type_.as_deref(), None | Some("" | "container_t" | "container_init_t" | "container_kvm_t"))
            && o.user.as_deref().unwrap_or_default().is_empty()
            && o.role.as_deref().unwrap_or_default().is_empty()
    }

    fn container_violations(c: &Container, pod_non_root: bool, pod_seccomp_ok: bool) -> Vec<String> {
        let mut found = Vec::new();
        let name = &c.name;
        let sc: SecurityContext = c.security_context.clone().unwrap_or_default();
        if sc.privileged == Some(true) {
            found.push(format!("Privileged Containers: {name} is privileged"));
        }
        if sc.proc_mount.as_deref().is_some_and(|m| m != "Default") {
            found.push(format!("/proc Mount Type: {name} must use the Default /proc mount"));
        }
        if c.ports.iter().flatten().any(|p| p.host_port.is_some_and(|port| port != 0)) {
            found.push(format!("Host Ports: {name} uses a host port"));
        }
        if sc.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
            found.push(format!("HostProcess: {name} is a HostProcess container"));
        }
        if sc.se_linux_options.as_ref().is_some_and(|o| !selinux_ok(o)) {
            found.push(format!("SELinux: {name} sets a forbidden type, user or role"));
        }
        if sc.allow_privilege_escalation != Some(false) {
            found.push(format!("Privilege Escalation: {name} must set allowPrivilegeEscalation: false"));
        }
        match sc.run_as_non_root {
            Some(false) => found.push(format!("Running as Non-root: {name} sets runAsNonRoot: false")),
            None if !pod_non_root => {
                found.push(format!("Running as Non-root: neither the Pod nor {name} sets runAsNonRoot: true"))
            }
            _ => {}
        }
        if sc.run_as_user == Some(0) {
            found.push(format!("Running as Non-root user: {name} sets runAsUser: 0"));
        }
        match sc.seccomp_profile.as_ref().map(|p| p.type_.as_str()) {
            Some("RuntimeDefault" | "Localhost") => {}
            None if pod_seccomp_ok => {}
            other => found.push(format!(
                "Seccomp: {name} must run with RuntimeDefault or Localhost (it has {other:?}, the Pod none)"
            )),
        }
        let capabilities = sc.capabilities.clone().unwrap_or_default();
        if !capabilities.drop.iter().flatten().any(|c| c == "ALL") {
            found.push(format!("Capabilities: {name} must drop ALL"));
        }
        for added in capabilities.add.iter().flatten() {
            if added != "NET_BIND_SERVICE" {
                let baseline =
                    if BASELINE_CAPABILITIES.contains(&added.as_str()) { "" } else { " (nor baseline)" };
                found.push(format!("Capabilities: {name} adds {added}, which restricted forbids{baseline}"));
            }
        }
        found
    }
}

#[test]
fn restricted_profile() {
    let pods = every_pod();
    let mut report = Vec::new();
    for pod in &pods {
        for violation in restricted::violations(&pod.spec) {
            report.push(format!("{}: {violation}", pod.file));
        }
    }
    assert!(report.is_empty(), "Pod Security `restricted` is broken:\n{}", report.join("\n"));

    // The checker itself catches what the profile forbids.
    let mut bad = pods[0].spec.clone();
    bad.host_network = Some(true);
    bad.security_context = None;
    bad.containers[0].security_context = None;
    let found = restricted::violations(&bad);
    for rule in ["Host Namespaces", "Privilege Escalation", "Running as Non-root", "Seccomp", "Capabilities"]
    {
        assert!(found.iter().any(|v| v.starts_with(rule)), "{rule} in {found:#?}");
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
