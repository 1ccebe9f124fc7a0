//! `kubectl etcd install` and `uninstall`: the committed `manifests/install.yaml` is what
//! `install --dry-run` prints, and end to end on a sandbox with a node, install makes the
//! CRDs and a running operator Deployment (which runs a cluster), uninstall refuses while
//! a cluster exists, and with --force removes everything.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{expect_code, plugin, stderr, stdout};
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;

const REGENERATE: &str = "run `cargo run -q -p kubectl-etcd --bin kubectl-etcd -- install --dry-run > manifests/install.yaml` and commit the result";

/// The real kubectl against the sandbox.
async fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let output = tokio::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .await
        .expect("kubectl runs (it is installed at /usr/bin/kubectl in CI)");
    let text = format!("{}{}", stdout(&output), stderr(&output));
    println!("kubectl {}\n{text}", args.join(" "));
    text
}

#[tokio::test]
async fn committed_install_manifest_is_what_dry_run_prints() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/install.yaml");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e}): {REGENERATE}", path.display()));
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"))
        .args(["install", "--dry-run"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .await
        .expect("the plugin runs");
    expect_code(&output, 0);
    assert!(committed == stdout(&output), "{} is stale: {REGENERATE}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_runs_the_operator_and_uninstall_removes_it() {
    let started = Instant::now();
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.as_path();

    let out = plugin(kc, &["install"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("deployment/etcd-operator serverside-applied"), "{}", stdout(&out));
    let listed = kubectl(kc, &["get", "deploy,crd", "-n", "etcd-operator"]).await;
    assert!(listed.contains("etcd-operator") && listed.contains("etcdclusters.etcd.kubectl-etcd.dev"));
    let out = plugin(kc, &["install"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("namespace/etcd-operator exists"), "installing again is an upgrade");
    // `version` finds the installed operator, of the plugin's own version: no warning.
    let out = plugin(kc, &["version"]).await;
    expect_code(&out, 0);
    let version = env!("CARGO_PKG_VERSION");
    assert!(stdout(&out).contains(&format!("Plugin version: {version}")), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("Operator version: {version} (namespace etcd-operator,")),
        "{}",
        stdout(&out)
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    // The installed operator (a Pod running the built etcd-operator) runs a cluster.
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "etcd-operator");
    let selector = ListParams::default().labels("app.kubernetes.io/name=etcd-operator");
    let deadline = Instant::now() + Duration::from_secs(60);
    while pods.list(&selector).await.map(|l| l.items.len()).unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "the Deployment makes an operator Pod");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let out = plugin(kc, &["create", "demo", "--size", "1", "--wait", "--timeout", "2m"]).await;
    expect_code(&out, 0);

    // Uninstall: refused while demo exists, then forced.
    let out = plugin(kc, &["uninstall"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("default/demo") && stderr(&out).contains("--force"), "{}", stderr(&out));
    let listed = kubectl(kc, &["get", "deploy,crd", "-n", "etcd-operator"]).await;
    assert!(listed.contains("etcdclusters.etcd.kubectl-etcd.dev"), "nothing was removed");
    let out = plugin(kc, &["uninstall", "--force"]).await;
    expect_code(&out, 0);
    let listed = kubectl(kc, &["get", "deploy,crd", "-n", "etcd-operator"]).await;
    assert!(!listed.contains("etcd-operator ") && !listed.contains("kubectl-etcd.dev"), "{listed}");
    let out = plugin(kc, &["uninstall"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("deployment/etcd-operator not found"), "uninstall again is harmless");
    let out = plugin(kc, &["version", "-o", "json"]).await;
    expect_code(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("versions as JSON");
    assert_eq!(json["operators"], serde_json::json!([]), "no operator left");
    let namespaces = kubectl(kc, &["get", "ns", "default", "-o", "name"]).await;
    assert_eq!(namespaces.trim(), "namespace/default", "namespaces install did not create are kept");
    println!("install/uninstall took {:.1} s", started.elapsed().as_secs_f64());
    sb.stop().await;
}

#[tokio::test]
async fn install_image_deploys_the_users_own_image_and_restores_run_it_too() {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.as_path();
    let image = "registry.example.com:5000/platform/etcd-operator:v0.1.0-custom";

    let out = plugin(kc, &["install", "--image", "Registry/Not An Image"]).await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("is not an image reference"), "{}", stderr(&out));
    let out = plugin(kc, &["install", "--image", image, "--version", "0.1.0"]).await;
    expect_code(&out, 2);

    let out = plugin(kc, &["install", "--image", image]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains(&format!("etcd-operator ({image}) installed")), "{}", stdout(&out));
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(sb.client.clone(), "etcd-operator");
    let deployment = deployments.get("etcd-operator").await.expect("the Deployment exists");
    let container = &deployment.spec.template.spec.expect("pod spec").containers[0];
    assert_eq!(container.image.as_deref(), Some(image));
    let own_image =
        container.env.iter().flatten().find(|e| e.name == "OPERATOR_IMAGE").and_then(|e| e.value.clone());
    assert_eq!(own_image.as_deref(), Some(image), "the operator gives restores its own image");
    sb.stop().await;
}

/// A stand-in for one of the prometheus-operator's CRDs: its group, version, kind and
/// plural, with a schema that keeps any field (the objects' shape is checked against the
/// real CRDs' fields in operator/tests/monitoring.rs).
fn monitoring_crd(kind: &str, plural: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.monitoring.coreos.com\n\
         spec:\n  group: monitoring.coreos.com\n  scope: Namespaced\n  names:\n    kind: {kind}\n    plural: {plural}\n    \
         singular: {}\n    listKind: {kind}List\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      \
         openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n",
        kind.to_lowercase()
    )
}

#[tokio::test]
async fn install_monitoring_needs_the_prometheus_operator_api_and_applies_its_objects() {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.as_path();

    let out = plugin(kc, &["install", "--monitoring", "--dry-run"]).await;
    expect_code(&out, 0);
    for kind in ["ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap"] {
        assert!(stdout(&out).contains(&format!("kind: {kind}\n")), "{kind} in the dry run");
    }

    // Without the prometheus-operator's API: refused, nothing changed.
    let out = plugin(kc, &["install", "--monitoring"]).await;
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("monitoring.coreos.com/v1") && stderr(&out).contains("nothing was changed")
    );
    let listed = kubectl(kc, &["get", "crd", "-o", "name"]).await;
    assert!(!listed.contains("kubectl-etcd.dev"), "no CRD was applied: {listed}");

    let crds: String = [
        ("ServiceMonitor", "servicemonitors"),
        ("PodMonitor", "podmonitors"),
        ("PrometheusRule", "prometheusrules"),
    ]
    .iter()
    .map(|(kind, plural)| format!("---\n{}", monitoring_crd(kind, plural)))
    .collect();
    let file = sb.dir().join("prometheus-operator-crds.yaml");
    std::fs::write(&file, crds).expect("written");
    kubectl(kc, &["apply", "-f", file.to_str().expect("UTF-8")]).await;
    let out = plugin(kc, &["install", "--monitoring"]).await;
    expect_code(&out, 0);
    for object in [
        "servicemonitor/etcd-members",
        "podmonitor/etcd-operator",
        "prometheusrule/etcd",
        "configmap/etcd-dashboard",
    ] {
        assert!(stdout(&out).contains(&format!("{object} serverside-applied")), "{object}: {}", stdout(&out));
    }
    let listed = kubectl(
        kc,
        &[
            "get",
            "servicemonitors,podmonitors,prometheusrules,configmaps",
            "-n",
            "etcd-operator",
            "-o",
            "name",
        ],
    )
    .await;
    for object in ["servicemonitor", "podmonitor", "prometheusrule", "configmap/etcd-dashboard"] {
        assert!(listed.contains(object), "{object} in etcd-operator: {listed}");
    }
    let out = plugin(kc, &["uninstall"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("servicemonitor/etcd-members deleted"), "{}", stdout(&out));
    sb.stop().await;
}
