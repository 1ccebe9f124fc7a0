//! The node agent runs real etcd: three Pods created by hand (etcd 3.4.23, a static
//! `--initial-cluster` of Pod DNS names) form a cluster, checked with the real `etcdctl`
//! from the machine; a member whose process crashes is restarted in place with its data;
//! a changed image restarts the container with the new image and the same data.
//! Stopping the sandbox leaves no process, namespace or bridge behind.
//!
//! Runs as root (network namespaces), as CI does.

use std::time::Duration;

use etcd_sandbox::etcd_builds::locate;
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

const MEMBERS: [&str; 3] = ["demo-0", "demo-1", "demo-2"];

fn member_pod(name: &str) -> Pod {
    let peer = |m: &str| format!("{m}=http://{m}.demo.default.svc.cluster.local:2380");
    let initial_cluster = MEMBERS.iter().map(|m| peer(m)).collect::<Vec<_>>().join(",");
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "demo"}},
        "spec": {
            "hostname": name,
            "subdomain": "demo",
            "restartPolicy": "Always",
            "volumes": [{"name": "data", "emptyDir": {}}],
            "containers": [{
                "name": "etcd",
                "image": "gcr.io/etcd-development/etcd:v3.4.23",
                "command": ["/usr/local/bin/etcd"],
                "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "args": [
                    "--name=$(POD_NAME)",
                    "--data-dir=/var/lib/etcd/data",
                    "--listen-client-urls=http://0.0.0.0:2379",
                    "--listen-peer-urls=http://0.0.0.0:2380",
                    "--advertise-client-urls=http://$(POD_NAME).demo.default.svc.cluster.local:2379",
                    "--initial-advertise-peer-urls=http://$(POD_NAME).demo.default.svc.cluster.local:2380",
                    format!("--initial-cluster={initial_cluster}"),
                    "--initial-cluster-state=new",
                    "--initial-cluster-token=sandbox-test"
                ],
                "ports": [{"name": "client", "containerPort": 2379}, {"name": "peer", "containerPort": 2380}],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/etcd"}],
                "readinessProbe": {"tcpSocket": {"port": "client"}, "periodSeconds": 1},
            }]
        }
    }))
    .expect("pod spec")
}

fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first())
        .map_or(0, |c| c.restart_count)
}

fn ip(pod: &Pod) -> String {
    pod.status.as_ref().and_then(|s| s.pod_ip.clone()).expect("pod has an IP")
}

async fn wait_ready(pods: &Api<Pod>, name: &str, what: &str) -> Pod {
    for _ in 0..600 {
        if let Ok(pod) = pods.get(name).await
            && ready(&pod)
        {
            return pod;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = pods.get(name).await.map(|p| format!("{:?}", p.status)).unwrap_or_default();
    panic!("{name} not ready within 60 s ({what}): {state}");
}

async fn etcdctl(ip: &str, args: &[&str]) -> String {
    etcd_sandbox::testkit::etcdctl("3.4.23", ip, args).await.expect("etcdctl runs against the member")
}

fn netns_left(prefix: &str) -> Vec<String> {
    let out = std::process::Command::new("ip").args(["netns", "list"]).output().expect("ip runs");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with(prefix)).map(String::from).collect()
}

/// `member list` as JSON once every member listed has published its client URLs (or
/// after 10 s, so the assertions show what was listed).
async fn published_members(ip: &str) -> (String, Vec<serde_json::Value>) {
    let mut last = (String::new(), Vec::new());
    for _ in 0..100 {
        let members = etcdctl(ip, &["member", "list", "-w", "json"]).await;
        let listed: serde_json::Value = serde_json::from_str(&members).expect("member list is JSON");
        let entries = listed["members"].as_array().cloned().unwrap_or_default();
        let published = entries.iter().all(|e| e["clientURLs"][0].is_string());
        last = (members, entries);
        if published {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn three_etcd_pods_form_a_cluster_crashes_restart_in_place_and_image_changes_roll() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox with a node starts");
    let netns_prefix =
        format!("esb{}-", sb.sandbox.node.as_ref().map(|n| n.gateway().octets()[2]).unwrap_or_default());
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let services: Api<Service> = Api::namespaced(sb.client.clone(), "default");
    let headless: Service = serde_json::from_value(json!({
        "metadata": {"name": "demo"},
        "spec": {"clusterIP": "None", "selector": {"app": "demo"}, "publishNotReadyAddresses": true,
                 "ports": [{"name": "peer", "port": 2380}, {"name": "client", "port": 2379}]}
    }))
    .expect("service");
    services.create(&PostParams::default(), &headless).await.expect("service created");
    let started = std::time::Instant::now();
    for member in MEMBERS {
        pods.create(&PostParams::default(), &member_pod(member)).await.expect("pod created");
    }
    let mut ips = Vec::new();
    for member in MEMBERS {
        ips.push(ip(&wait_ready(&pods, member, "initial start").await));
    }
    println!("3 etcd pods ready in {:.1} s", started.elapsed().as_secs_f64());

    // A member's client URLs appear in the list once its own publish request has been
    // applied by the member asked; a ready Pod's publish may still be in flight there.
    let (members, entries) = published_members(&ips[0]).await;
    assert_eq!(entries.len(), 3, "{members}");
    for entry in &entries {
        let name = entry["name"].as_str().unwrap_or_default();
        assert!(MEMBERS.contains(&name), "member {name} is started (has a name): {members}");
        assert!(
            entry["clientURLs"][0].as_str().is_some_and(|u| u.contains(".demo.default.svc.cluster.local")),
            "member {name} advertises its DNS name: {members}"
        );
    }
    etcdctl(&ips[0], &["put", "greeting", "written-through-demo-0"]).await;
    assert_eq!(
        etcdctl(&ips[2], &["get", "greeting", "--print-value-only"]).await.trim(),
        "written-through-demo-0"
    );

    // Tools on the machine reach members by their DNS names through `etcd-sandbox exec`.
    let by_name = tokio::process::Command::new(env!("CARGO_BIN_EXE_etcd-sandbox"))
        .arg("exec")
        .arg("--dir")
        .arg(sb.dir())
        .arg("--")
        .arg(locate("3.4.23").unwrap().etcdctl())
        .args([
            "--endpoints=http://demo-1.demo.default.svc.cluster.local:2379",
            "get",
            "greeting",
            "--print-value-only",
        ])
        .output()
        .await
        .expect("etcd-sandbox exec runs");
    assert!(by_name.status.success(), "{}", String::from_utf8_lossy(&by_name.stderr));
    assert_eq!(String::from_utf8_lossy(&by_name.stdout).trim(), "written-through-demo-0");

    let demo1_id =
        entries.iter().find(|e| e["name"] == "demo-1").map(|e| e["ID"].clone()).expect("demo-1 listed");
    sb.sandbox.node.as_ref().expect("node").faults().crash("default", "demo-1").expect("crash injected");
    for _ in 0..100 {
        if pods.get("demo-1").await.is_ok_and(|p| restarts(&p) >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restarted = wait_ready(&pods, "demo-1", "after the crash").await;
    assert_eq!(restarts(&restarted), 1, "restarted once, in place");
    assert_eq!(ip(&restarted), ips[1], "same pod, same address");
    assert_eq!(
        etcdctl(&ips[1], &["get", "greeting", "--print-value-only"]).await.trim(),
        "written-through-demo-0"
    );
    let after: serde_json::Value =
        serde_json::from_str(&etcdctl(&ips[1], &["member", "list", "-w", "json"]).await).expect("JSON");
    let same = after["members"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == "demo-1")
        .map(|e| e["ID"].clone());
    assert_eq!(same, Some(demo1_id), "the same member came back");

    // An image change restarts the container with the new image and the same data, as a
    // kubelet does: the in-place upgrade of a member.
    let patch = |image: &str| {
        kube::api::Patch::Strategic(json!({"spec": {"containers": [{"name": "etcd", "image": image}]}}))
    };
    let params = kube::api::PatchParams::default();
    pods.patch("demo-2", &params, &patch("gcr.io/etcd-development/etcd:v3.5.1"))
        .await
        .expect("image patched");
    let mut upgraded = None;
    for _ in 0..300 {
        if let Ok(pod) = pods.get("demo-2").await
            && restarts(&pod) >= 1
            && ready(&pod)
        {
            upgraded = Some(pod);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let upgraded = upgraded.expect("demo-2 restarted with the new image within 30 s");
    let status = upgraded.status.as_ref().and_then(|s| s.container_statuses.clone()).unwrap_or_default();
    assert_eq!(status[0].image, "gcr.io/etcd-development/etcd:v3.5.1");
    assert_eq!(status[0].restart_count, 1, "one restart for the image change");
    let mut reported = String::new();
    for _ in 0..100 {
        reported = etcdctl(&ips[2], &["endpoint", "status", "-w", "json"]).await;
        if reported.contains("\"version\":\"3.5.1\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reported.contains("\"version\":\"3.5.1\""), "demo-2 runs etcd 3.5.1: {reported}");
    assert_eq!(
        etcdctl(&ips[2], &["get", "greeting", "--print-value-only"]).await.trim(),
        "written-through-demo-0",
        "the data survived the image change"
    );

    // An image that cannot be pulled leaves the container waiting; setting a good image
    // back starts it at once.
    pods.patch("demo-0", &params, &patch("gcr.io/etcd-development/etcd:v3.5.99")).await.expect("patched");
    let mut waiting = String::new();
    for _ in 0..300 {
        let pod = pods.get("demo-0").await.expect("demo-0 exists");
        let state = pod.status.and_then(|s| s.container_statuses).and_then(|c| c.first().cloned());
        if let Some(reason) = state.and_then(|c| c.state).and_then(|s| s.waiting).and_then(|w| w.reason) {
            waiting = reason;
            if waiting == "ErrImagePull" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting, "ErrImagePull");
    pods.patch("demo-0", &params, &patch("gcr.io/etcd-development/etcd:v3.4.23")).await.expect("patched");
    let back = wait_ready(&pods, "demo-0", "after the good image was set back").await;
    assert_eq!(restarts(&back), 1);
    assert_eq!(
        etcdctl(&ips[0], &["get", "greeting", "--print-value-only"]).await.trim(),
        "written-through-demo-0"
    );

    assert!(!netns_left(&netns_prefix).is_empty(), "pods run in their own namespaces");
    sb.stop().await;
    assert!(netns_left(&netns_prefix).is_empty(), "no network namespace left behind");
}
