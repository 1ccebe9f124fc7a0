//! The node agent as a kubelet: init containers run first and share an emptyDir with the
//! containers; `kubectl logs` shows output; an unknown image waits in ErrImagePull;
//! deleting a Pod sends SIGTERM; PVC data outlives its Pod; a Pod can be cut off the
//! network and healed, or lost as with a dead node.
//!
//! Runs as root (network namespaces), as CI does.

use std::time::Duration;

use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::{Value, json};

const IMAGE: &str = "gcr.io/etcd-development/etcd:v3.5.1";

fn shell_pod(name: &str, extra: Value) -> Pod {
    let mut pod = json!({
        "metadata": {"name": name},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": IMAGE, "command": ["sh", "-c"], "args": ["echo hello"]}]}
    });
    merge(&mut pod, extra);
    serde_json::from_value(pod).expect("pod spec")
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, value) => *slot = value,
    }
}

async fn until<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..seconds * 10 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within {seconds} s");
}

fn phase(pod: &Pod) -> String {
    pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default()
}

fn waiting_reason(pod: &Pod) -> Option<String> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .clone()
}

async fn kubectl(sb: &TestSandbox, args: &[&str]) -> String {
    let out = tokio::process::Command::new("/usr/bin/kubectl")
        .env("KUBECONFIG", sb.kubeconfig())
        .arg(format!("--cache-dir={}", sb.dir().join("kubectl-cache").display()))
        .args(args)
        .output()
        .await
        .expect("kubectl runs");
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn init_containers_volumes_logs_and_image_errors() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let pod = shell_pod(
        "init-demo",
        json!({"spec": {
            "volumes": [{"name": "work", "emptyDir": {}}],
            "initContainers": [
                {"name": "first", "image": IMAGE, "command": ["sh", "-c", "echo one > /work/order"], "volumeMounts": [{"name": "work", "mountPath": "/work"}]},
                {"name": "second", "image": IMAGE, "command": ["sh", "-c", "echo two >> /work/order"], "volumeMounts": [{"name": "work", "mountPath": "/work"}]}
            ],
            "containers": [{"name": "main", "image": IMAGE, "command": ["sh", "-c"], "args": ["cat /work/order; etcdctl version | head -1"],
                            "volumeMounts": [{"name": "work", "mountPath": "/work"}]}]
        }}),
    );
    pods.create(&PostParams::default(), &pod).await.expect("created");
    until("the pod to succeed", 20, || async {
        pods.get("init-demo").await.is_ok_and(|p| phase(&p) == "Succeeded")
    })
    .await;
    let logs = kubectl(&sb, &["logs", "init-demo"]).await;
    assert_eq!(
        logs, "one\ntwo\netcdctl version: 3.5.1\n",
        "init containers ran in order, then main, with etcdctl on PATH"
    );

    let missing =
        shell_pod("no-image", json!({"spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}}));
    pods.create(&PostParams::default(), &missing).await.expect("created");
    until("ErrImagePull", 10, || async {
        pods.get("no-image").await.is_ok_and(|p| waiting_reason(&p).as_deref() == Some("ErrImagePull"))
    })
    .await;
    assert_eq!(phase(&pods.get("no-image").await.expect("pod")), "Pending");
    sb.stop().await;
}

#[tokio::test]
async fn deletion_sends_sigterm_and_claims_outlive_pods() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(sb.client.clone(), "default");
    let claim: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }))
    .expect("claim");
    claims.create(&PostParams::default(), &claim).await.expect("claim created");
    let writer = shell_pod(
        "writer",
        json!({"spec": {
            "restartPolicy": "Always",
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "terminationGracePeriodSeconds": 10,
            "containers": [{"name": "main", "image": IMAGE, "command": ["sh", "-c"],
                "args": ["echo kept > /data/file; trap 'echo got-term; exit 0' TERM; echo started; while true; do sleep 0.1; done"],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]
        }}),
    );
    pods.create(&PostParams::default(), &writer).await.expect("created");
    until("the writer to run", 20, || async {
        pods.get("writer").await.is_ok_and(|p| phase(&p) == "Running")
    })
    .await;
    until("the writer's first output", 10, || async {
        std::fs::read_to_string(sb.dir().join("logs/default/writer/main.log"))
            .is_ok_and(|l| l.contains("started"))
    })
    .await;
    let started = std::time::Instant::now();
    pods.delete("writer", &DeleteParams::default()).await.expect("delete");
    until("the pod to go", 15, || async { pods.get("writer").await.is_err() }).await;
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "it stopped on SIGTERM, before the grace period ran out"
    );
    let log = std::fs::read_to_string(sb.dir().join("logs/default/writer/main.log")).expect("log kept");
    assert!(log.contains("got-term"), "the container saw SIGTERM: {log}");

    let reader = shell_pod(
        "reader",
        json!({"spec": {
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "containers": [{"name": "main", "image": IMAGE, "command": ["sh", "-c"], "args": ["cat /data/file"],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]
        }}),
    );
    pods.create(&PostParams::default(), &reader).await.expect("created");
    until("the reader to finish", 20, || async {
        pods.get("reader").await.is_ok_and(|p| phase(&p) == "Succeeded")
    })
    .await;
    assert_eq!(
        kubectl(&sb, &["logs", "reader"]).await,
        "kept\n",
        "data written by one pod is read by the next"
    );
    sb.stop().await;
}

#[tokio::test]
async fn pods_can_be_isolated_healed_and_lost() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let server = shell_pod(
        "listener",
        json!({"spec": {"restartPolicy": "Always", "containers": [{"name": "main", "image": IMAGE,
            "command": ["etcd"],
            "readinessProbe": {"tcpSocket": {"port": 2379}, "periodSeconds": 1}}]}}),
    );
    let mut server = server;
    if let Some(spec) = server.spec.as_mut() {
        spec.containers[0].args = Some(vec![
            format!("--data-dir={}", sb.dir().join("listener-data").display()),
            "--listen-client-urls=http://0.0.0.0:2379".into(),
            "--advertise-client-urls=http://127.0.0.1:2379".into(),
        ]);
    }
    pods.create(&PostParams::default(), &server).await.expect("created");
    let ready = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    };
    until("the listener to be ready", 20, || async { pods.get("listener").await.is_ok_and(|p| ready(&p)) })
        .await;
    let ip = pods.get("listener").await.ok().and_then(|p| p.status).and_then(|s| s.pod_ip).expect("pod IP");
    let reachable = |ip: String| async move {
        tokio::time::timeout(Duration::from_millis(500), tokio::net::TcpStream::connect((ip.as_str(), 2379)))
            .await
            .is_ok_and(|c| c.is_ok())
    };
    assert!(reachable(ip.clone()).await);
    let faults = sb.sandbox.node.as_ref().expect("node").faults();
    faults.isolate("default", "listener", true).await.expect("isolated");
    assert!(!reachable(ip.clone()).await, "an isolated pod cannot be reached");
    faults.isolate("default", "listener", false).await.expect("healed");
    until("a healed pod to be reachable again", 3, || {
        let ip = ip.clone();
        async move { reachable(ip).await }
    })
    .await;

    faults.lose("default", "listener").expect("lost");
    until("the pod object to go", 5, || async { pods.get("listener").await.is_err() }).await;
    until("the process to go", 5, || {
        let ip = ip.clone();
        async move { !reachable(ip).await }
    })
    .await;
    sb.stop().await;
}

#[tokio::test]
async fn pods_reach_the_api_in_cluster_and_the_operator_image_runs_the_local_operator() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let (url, tls) = sb.sandbox.in_cluster.as_ref().expect("in-cluster endpoint");
    // A client configured as kube-rs configures itself in a Pod: HTTPS, the CA, a token.
    let mut config = kube::Config::new(url.parse().expect("URL"));
    config.root_cert = Some(vec![tls.ca_der.to_vec()]);
    config.auth_info.token = Some("etcd-sandbox-token".to_string().into());
    let in_cluster = kube::Client::try_from(config).expect("client");
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(in_cluster);
    let listed = namespaces.list(&Default::default()).await.expect("in-cluster HTTPS request");
    assert!(listed.items.iter().any(|n| n.metadata.name.as_deref() == Some("default")));

    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let probe = shell_pod(
        "in-cluster",
        json!({"spec": {"containers": [{"name": "main", "image": IMAGE, "command": ["sh", "-c"], "args": [
            "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; \
             grep -c 'BEGIN CERTIFICATE' /var/run/secrets/kubernetes.io/serviceaccount/ca.crt; \
             echo https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
        ]}]}}),
    );
    pods.create(&PostParams::default(), &probe).await.expect("created");
    until("the probe pod to finish", 20, || async {
        pods.get("in-cluster").await.is_ok_and(|p| phase(&p) == "Succeeded")
    })
    .await;
    assert_eq!(kubectl(&sb, &["logs", "in-cluster"]).await, format!("default\n1\n{url}\n"));

    let operator = etcd_sandbox::instance::operator_binary().expect(
        "the etcd-operator binary is built (scripts/test.sh runs `cargo build --workspace --bins` first)",
    );
    assert!(operator.exists());
    let operator_pod = shell_pod(
        "operator",
        json!({"spec": {"containers": [{"name": "main", "image": "ghcr.io/kubectl-etcd/etcd-operator:v0.1.0", "command": null, "args": ["crd"]}]}}),
    );
    pods.create(&PostParams::default(), &operator_pod).await.expect("created");
    until("the operator pod to finish", 20, || async {
        pods.get("operator").await.is_ok_and(|p| phase(&p) == "Succeeded")
    })
    .await;
    let printed = kubectl(&sb, &["logs", "operator"]).await;
    assert!(printed.contains("name: etcdclusters.etcd.kubectl-etcd.dev"), "{printed}");
    sb.stop().await;
}
