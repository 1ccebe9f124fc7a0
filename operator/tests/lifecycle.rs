//! The operator end to end on the sandbox with real etcd: a 3-member cluster is created
//! (all initial members at once), grows to 5 one learner at a time, and shrinks back to 3;
//! real `etcdctl` checks the voting members and that written keys survive.
//!
//! Runs as root (the sandbox's node), as CI does.

use std::time::{Duration, Instant};

use etcd_sandbox::etcd_builds::locate;
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use shared::crd::{ClusterPhase, EtcdCluster, EtcdClusterSpec};

async fn install_crds(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in shared::crd::definitions() {
        crds.create(&PostParams::default(), &crd).await.expect("CRD created");
    }
}

/// Waits until the cluster reports `ready` healthy voters of `size` and phase Running.
async fn wait_running(clusters: &Api<EtcdCluster>, size: usize, what: &str) -> Duration {
    let started = Instant::now();
    let expected = format!("{size}/{size}");
    loop {
        let cluster = clusters.get("demo").await.expect("cluster");
        let status = cluster.status.clone().unwrap_or_default();
        if status.ready.as_deref() == Some(expected.as_str())
            && status.phase == Some(ClusterPhase::Running)
            && status.members.len() == size
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{what}: not running at {size} within 120 s: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pod_ips(client: &Client) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let listed =
        pods.list(&ListParams::default().labels("etcd.kubectl-etcd.dev/cluster=demo")).await.expect("pods");
    listed.items.iter().filter_map(|p| p.status.as_ref()?.pod_ip.clone()).collect()
}

async fn etcdctl(ip: &str, args: &[&str]) -> String {
    let build = locate("3.5.1").unwrap_or_else(|e| panic!("{e}"));
    let out = tokio::process::Command::new(build.etcdctl())
        .arg(format!("--endpoints=http://{ip}:2379"))
        .arg("--command-timeout=5s")
        .args(args)
        .output()
        .await
        .expect("etcdctl runs");
    assert!(out.status.success(), "etcdctl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (voting members, learners) as etcd lists them.
async fn voters_and_learners(ip: &str) -> (usize, usize) {
    let listed: serde_json::Value =
        serde_json::from_str(&etcdctl(ip, &["member", "list", "-w", "json"]).await).expect("JSON");
    let members = listed["members"].as_array().cloned().unwrap_or_default();
    let learners = members.iter().filter(|m| m["isLearner"] == true).count();
    (members.len() - learners, learners)
}

#[tokio::test]
async fn create_grow_and_shrink_a_cluster() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    install_crds(&sb.client).await;
    let operator = tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(json!({"size": 3, "version": "3.5.1"})).expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("cluster created");

    let took = wait_running(&clusters, 3, "create").await;
    println!("3 members ready in {:.1} s", took.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    assert_eq!(voters_and_learners(&ips[0]).await, (3, 0));
    etcdctl(&ips[0], &["put", "before-scaling", "kept"]).await;

    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 5}})))
        .await
        .expect("scale up");
    let took = wait_running(&clusters, 5, "scale 3 -> 5").await;
    println!("grew 3 -> 5 in {:.1} s", took.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    assert_eq!(voters_and_learners(&ips[0]).await, (5, 0), "every learner promoted");
    assert_eq!(etcdctl(&ips[4], &["get", "before-scaling", "--print-value-only"]).await.trim(), "kept");

    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 3}})))
        .await
        .expect("scale down");
    let took = wait_running(&clusters, 3, "scale 5 -> 3").await;
    println!("shrank 5 -> 3 in {:.1} s", took.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    assert_eq!(ips.len(), 3, "the removed members' Pods are gone");
    assert_eq!(voters_and_learners(&ips[0]).await, (3, 0));
    assert_eq!(etcdctl(&ips[0], &["get", "before-scaling", "--print-value-only"]).await.trim(), "kept");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(sb.client.clone(), "default");
    let left = claims
        .list(&ListParams::default().labels("etcd.kubectl-etcd.dev/cluster=demo"))
        .await
        .expect("claims");
    assert_eq!(left.items.len(), 3, "the removed members' claims are gone");

    operator.abort();
    sb.stop().await;
}
