//! Conformance of the API emulator through the real kubectl 1.32: the project's committed
//! CRDs applied with `kubectl apply -f`, `get` with the CRD's printer columns (and
//! `-o wide`), `get -w`, `describe`, `explain`, `scale`, `wait --for=condition`,
//! `api-resources`, `delete`, and errors worded as a real cluster words them.
//!
//! kubectl is required: a machine without it fails here, naming what is missing.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use shared::crd::EtcdCluster;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn kubectl_binary() -> PathBuf {
    let path = PathBuf::from("/usr/bin/kubectl");
    assert!(path.exists(), "kubectl 1.32 is required at /usr/bin/kubectl for the sandbox conformance tests");
    path
}

fn kubectl_command(sb: &TestSandbox, args: &[&str]) -> Command {
    let mut command = Command::new(kubectl_binary());
    command
        .env("KUBECONFIG", sb.kubeconfig())
        .arg(format!("--cache-dir={}", sb.dir().join("kubectl-cache").display()))
        .args(args)
        .current_dir(repo());
    command
}

async fn kubectl(sb: &TestSandbox, args: &[&str]) -> Output {
    kubectl_command(sb, args).output().await.expect("kubectl runs")
}

async fn ok(sb: &TestSandbox, args: &[&str]) -> String {
    let out = kubectl(sb, args).await;
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn header(text: &str) -> Vec<&str> {
    text.lines().next().unwrap_or_default().split_whitespace().collect()
}

async fn install(sb: &TestSandbox) {
    let applied = ok(sb, &["apply", "-f", "manifests/crd/"]).await;
    assert!(applied.contains("etcdclusters.etcd.kubectl-etcd.dev created"), "{applied}");
    let established =
        ["wait", "--for=condition=established", "--timeout=10s", "crd/etcdclusters.etcd.kubectl-etcd.dev"];
    assert!(ok(sb, &established).await.contains("condition met"));
}

#[tokio::test]
async fn kubectl_manages_the_project_resources() {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    let namespaces = ok(&sb, &["get", "ns"]).await;
    assert!(namespaces.contains("default") && namespaces.contains("Active"), "{namespaces}");
    install(&sb).await;

    let resources = ok(&sb, &["api-resources", "--api-group=etcd.kubectl-etcd.dev"]).await;
    let cluster_line = resources.lines().find(|l| l.starts_with("etcdclusters")).expect("listed");
    assert_eq!(
        cluster_line.split_whitespace().collect::<Vec<_>>(),
        ["etcdclusters", "etcd", "etcd.kubectl-etcd.dev/v1alpha1", "true", "EtcdCluster"]
    );

    assert!(
        ok(&sb, &["apply", "-f", "examples/cluster.yaml"])
            .await
            .contains("etcdcluster.etcd.kubectl-etcd.dev/demo created")
    );
    let listed = ok(&sb, &["get", "etcd"]).await;
    assert_eq!(header(&listed), ["NAME", "SIZE", "READY", "VERSION", "PHASE", "AGE"]);
    assert!(listed.lines().nth(1).is_some_and(|l| l.starts_with("demo ") && l.contains(" 3 ")), "{listed}");

    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let status = json!({"status": {"phase": "Running", "ready": "3/3", "currentVersion": "3.5.1", "leader": "demo-1"}});
    clusters.patch_status("demo", &PatchParams::default(), &Patch::Merge(status)).await.expect("status");
    let wide = ok(&sb, &["get", "etcd", "-o", "wide"]).await;
    assert_eq!(
        header(&wide),
        ["NAME", "SIZE", "READY", "VERSION", "PHASE", "AGE", "LEADER", "LAST", "BACKUP"]
    );
    let row: Vec<&str> = wide.lines().nth(1).unwrap_or_default().split_whitespace().collect();
    assert_eq!(
        (row[0], row[1], row[2], row[3], row[4], row[6]),
        ("demo", "3", "3/3", "3.5.1", "Running", "demo-1"),
        "{wide}"
    );

    let explained = ok(&sb, &["explain", "etcdcluster.spec.size"]).await;
    assert!(explained.contains("Number of voting members (1 to 9)"), "{explained}");

    assert!(ok(&sb, &["scale", "etcd", "demo", "--replicas=5"]).await.contains("scaled"));
    assert_eq!(ok(&sb, &["get", "etcd", "demo", "-o", "jsonpath={.spec.size}"]).await, "5");
    let described = ok(&sb, &["describe", "etcd", "demo"]).await;
    assert!(described.contains("Name:         demo") && described.contains("Size:"), "{described}");

    let refused = kubectl(&sb, &["apply", "-f", "examples/invalid-cluster.yaml"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("spec.size: Invalid value: 10: spec.size in body should be less than or equal to 9"),
        "{said}"
    );
    assert!(said.contains("size and storageClassName apply only to Persistent storage"), "{said}");
    let mut child = kubectl_command(&sb, &["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"apiVersion: etcd.kubectl-etcd.dev/v1alpha1\nkind: EtcdCluster\nmetadata: {name: typo}\nspec: {version: 3.5.1, sizee: 3}\n")
        .await
        .expect("manifest written");
    drop(stdin);
    let typo = child.wait_with_output().await.expect("kubectl ends");
    assert_eq!(typo.status.code(), Some(1), "strict field validation refuses unknown fields");
    assert!(String::from_utf8_lossy(&typo.stderr).contains(r#"unknown field "spec.sizee""#));

    assert!(ok(&sb, &["delete", "etcd", "demo"]).await.contains("deleted"));
    let none = kubectl(&sb, &["get", "etcd"]).await;
    assert!(String::from_utf8_lossy(&none.stderr).contains("No resources found"));
    let protected = kubectl(&sb, &["delete", "ns", "default"]).await;
    assert!(String::from_utf8_lossy(&protected.stderr).contains("this namespace may not be deleted"));
    sb.stop().await;
}

#[tokio::test]
async fn kubectl_watches_and_waits() {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    install(&sb).await;
    let watch_log = sb.dir().join("watch.out");
    let mut watching = kubectl_command(&sb, &["get", "configmaps", "-w"])
        .stdout(std::fs::File::create(&watch_log).expect("log file"))
        .kill_on_drop(true)
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w starts");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    for name in ["first", "second"] {
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": name}})).expect("config map");
        maps.create(&PostParams::default(), &cm).await.expect("create");
    }
    wait_for_file_to_contain(&watch_log, "second").await;
    watching.kill().await.expect("stop kubectl");
    let streamed = std::fs::read_to_string(&watch_log).expect("log");
    assert!(streamed.contains("first") && streamed.contains("second"), "{streamed}");

    ok(&sb, &["apply", "-f", "examples/cluster.yaml"]).await;
    let waiting = kubectl_command(&sb, &["wait", "--for=condition=Available", "--timeout=20s", "etcd/demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl wait starts");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let available = json!({"status": {"conditions": [{
        "type": "Available", "status": "True", "reason": "QuorumHealthy", "message": "3 of 3 members healthy",
        "lastTransitionTime": "2026-11-22T00:00:00Z"
    }]}});
    clusters.patch_status("demo", &PatchParams::default(), &Patch::Merge(available)).await.expect("status");
    let status = waiting.wait_with_output().await.expect("waited");
    assert!(status.status.success(), "kubectl wait: {}", String::from_utf8_lossy(&status.stderr));
    assert!(String::from_utf8_lossy(&status.stdout).contains("condition met"));
    sb.stop().await;
}

async fn wait_for_file_to_contain(path: &Path, needle: &str) {
    for _ in 0..100 {
        if std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} did not show {needle:?} within 5 s", path.display());
}

#[tokio::test]
async fn events_from_kube_rs_recorder_show_in_kubectl_describe() {
    use kube::Resource;
    use kube::runtime::events::{Event, EventType, Recorder, Reporter};
    let sb = TestSandbox::start().await.expect("sandbox starts");
    install(&sb).await;
    ok(&sb, &["apply", "-f", "examples/cluster.yaml"]).await;
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let cluster = clusters.get("demo").await.expect("cluster");
    let reporter = Reporter { controller: "etcd-operator".into(), instance: Some("etcd-operator-0".into()) };
    let recorder = Recorder::new(sb.client.clone(), reporter);
    let event = Event {
        type_: EventType::Normal,
        reason: "MemberAdded".into(),
        note: Some("added demo-3 as a learner".into()),
        action: "Scale".into(),
        secondary: None,
    };
    recorder.publish(&event, &cluster.object_ref(&())).await.expect("event published as events.k8s.io/v1");
    let described = ok(&sb, &["describe", "etcd", "demo"]).await;
    let events = described.split("Events:").nth(1).unwrap_or_default();
    assert!(events.contains("MemberAdded") && events.contains("added demo-3 as a learner"), "{described}");
    assert!(events.contains("etcd-operator"), "the reporting controller shows as the source: {described}");
    sb.stop().await;
}
