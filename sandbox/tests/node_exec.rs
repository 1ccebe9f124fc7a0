//! `pods/exec` on the sandbox's node, through both clients: kube-rs's `Api::<Pod>::exec`
//! and the real `kubectl exec` (1.32). A command runs in the Pod's network namespace with
//! the image's programs (`etcdctl` reaches the member at 127.0.0.1 of the Pod), its output
//! comes back on stdout/stderr, stdin reaches it, and its exit code is the client's. Both
//! with containers over the machine's files and with isolated containers (own root, own user).
//! `kubectl logs --since/--since-time` keeps the lines from that time on.
//!
//! Runs as root (network namespaces), as CI does.

use std::process::Stdio;
use std::time::Duration;

use etcd_sandbox::instance::Options;
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{AttachParams, PostParams};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IMAGE: &str = "gcr.io/etcd-development/etcd:v3.5.30";

fn etcd_pod() -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "m0"},
        "spec": {
            "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "runAsNonRoot": true},
            "containers": [{
                "name": "etcd",
                "image": IMAGE,
                "command": ["/usr/local/bin/etcd", "--name", "m0", "--data-dir", "/var/lib/etcd/data",
                    "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
                    "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
                    "--initial-cluster", "m0=http://127.0.0.1:2380"],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/etcd"}],
                "readinessProbe": {"tcpSocket": {"port": 2379}, "periodSeconds": 1},
            }],
            "volumes": [{"name": "data", "emptyDir": {}}],
        }
    }))
    .expect("pod spec")
}

async fn running_member(sb: &TestSandbox) -> Api<Pod> {
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    pods.create(&PostParams::default(), &etcd_pod()).await.expect("pod created");
    for _ in 0..600 {
        let pod = pods.get("m0").await.expect("pod");
        let ready = pod
            .status
            .and_then(|s| s.conditions)
            .into_iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        if ready {
            return pods;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("m0 did not become ready within 60 s");
}

/// Runs `command` in m0 through kube-rs; stdout, stderr and the exit code.
async fn kube_exec(pods: &Api<Pod>, command: &[&str], stdin: Option<&str>) -> (String, String, i32) {
    let params = AttachParams::default().container("etcd").stdin(stdin.is_some()).stdout(true).stderr(true);
    let mut attached = pods.exec("m0", command.to_vec(), &params).await.expect("exec starts");
    if let Some(text) = stdin {
        let mut writer = attached.stdin().expect("stdin");
        writer.write_all(text.as_bytes()).await.expect("stdin written");
        writer.shutdown().await.expect("stdin closed");
    }
    let (mut out, mut err) = (attached.stdout().expect("stdout"), attached.stderr().expect("stderr"));
    let status = attached.take_status().expect("status");
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let (_, _, status) =
        tokio::join!(out.read_to_string(&mut stdout), err.read_to_string(&mut stderr), status);
    let status = status.expect("a status");
    let code = match status.status.as_deref() {
        Some("Success") => 0,
        _ => status
            .details
            .and_then(|d| d.causes)
            .and_then(|c| c.first().and_then(|c| c.message.clone()))
            .and_then(|m| m.parse().ok())
            .unwrap_or(-1),
    };
    (stdout, stderr, code)
}

async fn kubectl_exec(sb: &TestSandbox, args: &[&str], stdin: Option<&str>) -> (String, String, i32) {
    let kubectl = "/usr/bin/kubectl";
    assert!(std::path::Path::new(kubectl).exists(), "kubectl 1.32 is required at {kubectl}");
    let mut child = tokio::process::Command::new(kubectl)
        .env("KUBECONFIG", sb.kubeconfig())
        .arg(format!("--cache-dir={}", sb.dir().join("kubectl-cache").display()))
        .arg("exec")
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    if let Some(text) = stdin {
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(text.as_bytes()).await.expect("stdin written");
    }
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("kubectl exec ends")
        .expect("kubectl output");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    println!("kubectl exec {args:?} -> {:?}\n{}{}", out.status.code(), text(&out.stdout), text(&out.stderr));
    (text(&out.stdout), text(&out.stderr), out.status.code().unwrap_or(-1))
}

async fn exec_through_both_clients(sb: TestSandbox) {
    let pods = running_member(&sb).await;

    // kube-rs: etcdctl of the image, against the member at the Pod's own 127.0.0.1.
    let (out, _, code) = kube_exec(&pods, &["etcdctl", "put", "/x/a", "1"], None).await;
    assert_eq!((out.trim(), code), ("OK", 0));
    let (out, err, code) = kube_exec(&pods, &["etcdctl", "get", "--prefix", "/x"], None).await;
    assert_eq!((out.as_str(), code), ("/x/a\n1\n", 0), "{err}");
    let (out, _, _) = kube_exec(&pods, &["etcdctl", "version"], None).await;
    assert!(out.contains("etcdctl version: 3.5.30"), "{out}");
    let (_, err, code) = kube_exec(&pods, &["sh", "-c", "echo oops >&2; exit 3"], None).await;
    assert_eq!((err.as_str(), code), ("oops\n", 3));
    let (out, _, code) = kube_exec(&pods, &["sh", "-c", "cat; echo done"], Some("from stdin\n")).await;
    assert_eq!((out.as_str(), code), ("from stdin\ndone\n", 0));

    // The real kubectl.
    let (out, _, code) = kubectl_exec(&sb, &["m0", "--", "etcdctl", "get", "--prefix", "/x"], None).await;
    assert_eq!((out.as_str(), code), ("/x/a\n1\n", 0));
    let (_, err, code) = kubectl_exec(&sb, &["m0", "-c", "etcd", "--", "sh", "-c", "exit 3"], None).await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("command terminated with exit code 3"), "{err}");
    let (out, _, code) = kubectl_exec(&sb, &["-i", "m0", "--", "etcdctl", "put", "/x/b"], Some("2")).await;
    assert_eq!((out.trim(), code), ("OK", 0));
    let (out, _, _) =
        kubectl_exec(&sb, &["m0", "--", "etcdctl", "get", "/x/b", "--print-value-only"], None).await;
    assert_eq!(out, "2\n");
    let (_, err, code) = kubectl_exec(&sb, &["m0", "--", "curl", "http://x"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("executable file not found"), "{err}");
    let (_, err, code) = kubectl_exec(&sb, &["m0", "-c", "nope", "--", "sh"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("container nope is not valid"), "{err}");

    // pods/log with --since/--since-time goes by the time each etcd line states.
    let logs = |args: &'static [&'static str]| {
        let kubeconfig = sb.kubeconfig();
        async move {
            let out = tokio::process::Command::new("/usr/bin/kubectl")
                .env("KUBECONFIG", kubeconfig)
                .arg("logs")
                .args(args)
                .output()
                .await
                .expect("kubectl logs runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let recent = logs(&["m0", "--since=1h"]).await;
    assert!(recent.contains("ready to serve client requests"), "{recent}");
    assert_eq!(logs(&["m0", "--since-time=2099-01-01T00:00:00Z"]).await, "");
    sb.stop().await;
}

#[tokio::test]
async fn exec_runs_in_the_pod_with_the_images_programs() {
    exec_through_both_clients(TestSandbox::start_with_node().await.expect("sandbox")).await;
}

#[tokio::test]
async fn exec_runs_in_an_isolated_container_as_its_user() {
    let options = Options { isolate_containers: true, ..Options::default() };
    let sb = TestSandbox::start_with(options).await.expect("sandbox");
    let pods = running_member(&sb).await;
    let (out, _, code) = kube_exec(&pods, &["sh", "-c", "id -u; ls /usr/local/bin"], None).await;
    assert_eq!(code, 0);
    assert_eq!(out, "1000\netcd\netcdctl\netcdutl\n", "the container's user and the image's files only");
    exec_through_both_clients_after_pod(sb, pods).await;
}

async fn exec_through_both_clients_after_pod(sb: TestSandbox, pods: Api<Pod>) {
    let (out, _, code) = kube_exec(&pods, &["etcdctl", "put", "/x/a", "1"], None).await;
    assert_eq!((out.trim(), code), ("OK", 0));
    let (out, _, code) = kubectl_exec(&sb, &["m0", "--", "etcdctl", "get", "--prefix", "/x"], None).await;
    assert_eq!((out.as_str(), code), ("/x/a\n1\n", 0));
    sb.stop().await;
}
