//! `etcd-sandbox up` as a person runs it: it prints where the API is, `kubectl get ns`
//! works with its kubeconfig, Pods run, `etcd-sandbox fault` reaches them; SIGTERM stops
//! everything and leaves nothing behind; after a SIGKILL, the next sandbox removes what the
//! killed one left (processes, namespaces, bridge).
//!
//! Runs as root, as CI does; needs kubectl at /usr/bin/kubectl.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SANDBOX: &str = env!("CARGO_BIN_EXE_etcd-sandbox");

async fn up(dir: &Path) -> Child {
    let mut child = Command::new(SANDBOX)
        .args(["up", "--port", "0", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("etcd-sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the sandbox reports within 20 s")
        .expect("readable")
        .expect("a line");
    assert!(
        line.starts_with("etcd-sandbox: API at http://127.0.0.1:") && line.contains("KUBECONFIG="),
        "{line}"
    );
    assert!(dir.join("kubeconfig").exists(), "the kubeconfig is written before the line is printed");
    child
}

async fn kubectl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("/usr/bin/kubectl")
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .arg(format!("--cache-dir={}", dir.join("kubectl-cache").display()))
        .args(args)
        .output()
        .await
        .expect("kubectl runs");
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

async fn run_pod(dir: &Path, name: &str) -> String {
    let manifest = dir.join(format!("{name}.yaml"));
    let data = dir.display();
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - name: etcd\n    image: gcr.io/etcd-development/etcd:v3.5.0\n    command: [/usr/local/bin/etcd]\n    args: [--name={name}, --data-dir={data}/{name}-data, --listen-client-urls=http://0.0.0.0:2379, --advertise-client-urls=http://127.0.0.1:2379]\n    readinessProbe: {{tcpSocket: {{port: 2379}}, periodSeconds: 1}}\n"
    );
    std::fs::write(&manifest, pod).expect("manifest written");
    let (ok, said) = kubectl(dir, &["apply", "-f", &manifest.display().to_string()]).await;
    assert!(ok, "{said}");
    let (ok, said) =
        kubectl(dir, &["wait", "--for=condition=Ready", &format!("pod/{name}"), "--timeout=30s"]).await;
    assert!(ok, "{said}");
    let (_, ip) = kubectl(dir, &["get", "pod", name, "-o", "jsonpath={.status.podIP}"]).await;
    ip
}

/// `esb<N>-` for the subnet 10.244.N.0/24 the pod's IP is in.
fn netns_prefix(pod_ip: &str) -> String {
    let third = pod_ip.split('.').nth(2).expect("an IPv4 address");
    format!("esb{third}-")
}

/// Namespaces and the bridge of subnet `esb<N>-`, and whether the marked etcd still runs.
fn leftovers(prefix: &str, marker: &str) -> (Vec<String>, bool) {
    let netns = std::process::Command::new("ip").args(["netns", "list"]).output().expect("ip runs");
    let mut namespaces: Vec<String> = String::from_utf8_lossy(&netns.stdout)
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(String::from)
        .collect();
    let bridge = prefix.replacen("esb", "esbr", 1).trim_end_matches('-').to_string();
    let link =
        std::process::Command::new("ip").args(["link", "show", "dev", &bridge]).output().expect("ip runs");
    if link.status.success() {
        namespaces.push(bridge);
    }
    let processes =
        std::process::Command::new("pgrep").args(["-f", "--", marker]).output().expect("pgrep runs");
    let running = match processes.status.code() {
        Some(0) => true,
        Some(1) => false,
        other => panic!("pgrep failed ({other:?}): {}", String::from_utf8_lossy(&processes.stderr)),
    };
    (namespaces, running)
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} within 10 s");
}

#[tokio::test]
async fn up_serves_kubectl_and_cleans_up_after_sigterm_and_after_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("first");
    let mut sandbox = up(&first).await;
    let (ok, namespaces) = kubectl(&first, &["get", "ns"]).await;
    assert!(ok && namespaces.contains("default"), "{namespaces}");
    let (ok, nodes) = kubectl(&first, &["get", "nodes"]).await;
    assert!(ok && nodes.contains("sandbox-node"), "{nodes}");

    let marker = format!("--name=upmember{}", std::process::id());
    let pod = marker.trim_start_matches("--name=").to_string();
    let ip = run_pod(&first, &pod).await;
    let prefix = netns_prefix(&ip);
    let fault = Command::new(SANDBOX)
        .args(["fault", "crash", &pod, "--dir"])
        .arg(&first)
        .output()
        .await
        .expect("fault runs");
    assert!(fault.status.success(), "{}", String::from_utf8_lossy(&fault.stderr));
    let mut restarted = false;
    for _ in 0..100 {
        let (_, count) = kubectl(
            &first,
            &["get", "pod", &pod, "-o", "jsonpath={.status.containerStatuses[0].restartCount}"],
        )
        .await;
        if count.trim() == "1" {
            restarted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(restarted, "the crashed container restarted");

    let pid = sandbox.id().expect("running");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM)
        .expect("SIGTERM sent");
    let status = tokio::time::timeout(Duration::from_secs(30), sandbox.wait())
        .await
        .expect("stops in time")
        .expect("exit");
    assert!(status.success(), "{status}");
    assert_eq!(
        leftovers(&prefix, &marker),
        (vec![], false),
        "SIGTERM leaves no namespace and no etcd behind"
    );

    // A sandbox killed with SIGKILL leaves its Pods behind ...
    let second = dir.path().join("second");
    let mut killed = up(&second).await;
    let ip = run_pod(&second, &pod).await;
    let prefix = netns_prefix(&ip);
    killed.kill().await.expect("SIGKILL");
    let (namespaces, running) = leftovers(&prefix, &marker);
    assert!(!namespaces.is_empty() && running, "a killed sandbox leaves its pods running");
    // ... and the next one removes them before it starts.
    let third = dir.path().join("third");
    let mut next = up(&third).await;
    // The new sandbox may claim the freed subnet for its own bridge; the killed one's
    // namespaces and processes must be gone.
    eventually("the killed sandbox's namespaces and processes removed", || {
        let (left, running) = leftovers(&prefix, &marker);
        !running && left.iter().all(|name| name.starts_with("esbr"))
    })
    .await;
    let pid = next.id().expect("running");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM)
        .expect("SIGTERM sent");
    let status = tokio::time::timeout(Duration::from_secs(30), next.wait())
        .await
        .expect("stops in time")
        .expect("exit");
    assert!(status.success());
    assert_eq!(leftovers(&prefix, &marker), (vec![], false), "nothing left at the end");
}
