//! Clusters of 1 and 5 members are created and reach Ready, as real etcdctl and
//! `kubectl get etcd` show; deleting a cluster removes everything it owns, except the
//! claims of a cluster whose retain policy says to keep them.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{etcdctl, operator, sandbox};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use shared::crd::{ClusterPhase, EtcdCluster, EtcdClusterSpec};

async fn create(client: &Client, name: &str, spec: serde_json::Value) {
    let clusters: Api<EtcdCluster> = Api::namespaced(client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(spec).expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new(name, spec)).await.expect("created");
}

async fn wait_ready(client: &Client, name: &str, size: usize) {
    let clusters: Api<EtcdCluster> = Api::namespaced(client.clone(), "default");
    let started = Instant::now();
    let expected = format!("{size}/{size}");
    loop {
        let status = clusters.get(name).await.expect("cluster").status.unwrap_or_default();
        if status.phase == Some(ClusterPhase::Running) && status.ready.as_deref() == Some(expected.as_str()) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{name} not ready within 120 s: {status:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn selector(name: &str) -> ListParams {
    ListParams::default().labels(&format!("etcd.kubectl-etcd.dev/cluster={name}"))
}

async fn count<K>(client: &Client, name: &str) -> usize
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    Api::<K>::namespaced(client.clone(), "default").list(&selector(name)).await.expect("list").items.len()
}

async fn kubectl_get_etcd(kubeconfig: &std::path::Path, cache: &std::path::Path) -> String {
    let out = tokio::process::Command::new("/usr/bin/kubectl")
        .env("KUBECONFIG", kubeconfig)
        .arg(format!("--cache-dir={}", cache.display()))
        .args(["get", "etcd"])
        .output()
        .await
        .expect("kubectl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn sizes_one_and_five_and_deletion() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    create(&sb.client, "one", json!({"size": 1, "version": "3.4.23"})).await;
    create(
        &sb.client,
        "five",
        json!({"size": 5, "version": "3.5.30", "storage": {"retainPolicy": "Retain"}}),
    )
    .await;
    wait_ready(&sb.client, "one", 1).await;
    wait_ready(&sb.client, "five", 5).await;

    for (name, size) in [("one", 1usize), ("five", 5)] {
        let pods =
            Api::<Pod>::namespaced(sb.client.clone(), "default").list(&selector(name)).await.expect("pods");
        let ip = pods.items.iter().find_map(|p| p.status.as_ref()?.pod_ip.clone()).expect("an ip");
        let listed: serde_json::Value =
            serde_json::from_str(&etcdctl(&ip, &["member", "list", "-w", "json"]).await).expect("JSON");
        let members = listed["members"].as_array().cloned().unwrap_or_default();
        assert_eq!(members.len(), size, "{name}: {listed}");
        assert!(members.iter().all(|m| m["isLearner"] != true), "{name}: no learner left");
    }
    let table = kubectl_get_etcd(&sb.kubeconfig(), &sb.dir().join("kubectl-cache")).await;
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>())
    };
    assert_eq!(row("one"), Some(vec!["one", "1", "1/1"]), "{table}");
    assert_eq!(row("five"), Some(vec!["five", "5", "5/5"]), "{table}");

    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    for name in ["one", "five"] {
        clusters.delete(name, &DeleteParams::default()).await.expect("deleted");
    }
    let started = Instant::now();
    loop {
        let pods = count::<Pod>(&sb.client, "one").await + count::<Pod>(&sb.client, "five").await;
        let services = count::<Service>(&sb.client, "one").await + count::<Service>(&sb.client, "five").await;
        let budgets = count::<PodDisruptionBudget>(&sb.client, "one").await
            + count::<PodDisruptionBudget>(&sb.client, "five").await;
        let claims_one = count::<PersistentVolumeClaim>(&sb.client, "one").await;
        if pods + services + budgets + claims_one == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{pods} pods, {services} services, {budgets} budgets, {claims_one} claims left"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        count::<PersistentVolumeClaim>(&sb.client, "five").await,
        5,
        "retained claims outlive their cluster"
    );
    sb.stop().await;
}
