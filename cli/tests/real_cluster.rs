//! The whole product as a security-minded cluster runs it: a sandbox that claims the
//! minimum Kubernetes version, authorizes service-account tokens by RBAC, enforces Pod
//! Security `restricted` on the namespaces (by label, as the admission plugin does) and runs
//! every container in a root of its own as its securityContext's user. Through the plugin
//! and the operator that `kubectl etcd install` deployed (its Pod, in-cluster configuration
//! and its own token): create, scale up and down, upgrade, back up to S3, GCS and Azure,
//! restore each into a new cluster, every key read back from every member.
//!
//! Runs as root (the sandbox's node), as CI does; needs moto, fake-gcs-server and Azurite
//! (`scripts/prereqs.sh`).

mod common;
#[path = "../../operator/tests/backup_support/stores.rs"]
mod stores;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{expect_code, plugin, stdout};
use etcd_sandbox::api::kube_version::KubeVersion;
use etcd_sandbox::instance::Options;
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;
use stores::{
    AZURITE_KEY, AzureServer, GCS_EMULATOR_KEY, GcsServer, S3Server, azure_secret, gcs_secret, s3_secret,
};

const SELECTOR: &str = "etcd.kubectl-etcd.dev/cluster";

/// Runs the plugin, expects `code`, and returns what it printed on stdout.
async fn etcd(kubeconfig: &Path, args: &[&str], code: i32) -> String {
    let out = plugin(kubeconfig, args).await;
    expect_code(&out, code);
    stdout(&out)
}

/// The Pod IPs of `cluster`'s members, by member name.
async fn member_ips(client: &Client, cluster: &str) -> BTreeMap<String, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let list =
        pods.list(&ListParams::default().labels(&format!("{SELECTOR}={cluster}"))).await.expect("pods");
    list.items.into_iter().filter_map(|p| Some((p.metadata.name?, p.status?.pod_ip?))).collect()
}

/// Writes `count` keys `k-<n>` = `v-<n>` through the member at `ip`.
async fn write_keys(ip: &str, count: usize) -> BTreeMap<String, String> {
    let mut client = etcd_client::Client::connect([format!("http://{ip}:2379")], None)
        .await
        .expect("connects to a member");
    let mut written = BTreeMap::new();
    for n in 0..count {
        let (key, value) = (format!("k-{n:04}"), format!("v-{n:04}"));
        client.put(key.as_str(), value.as_str(), None).await.expect("put");
        written.insert(key, value);
    }
    written
}

/// Every key and value each member of `cluster` holds equals `written`.
async fn every_member_holds(
    client: &Client,
    cluster: &str,
    version: &str,
    written: &BTreeMap<String, String>,
) {
    let ips = member_ips(client, cluster).await;
    assert_eq!(ips.len(), 3, "{cluster}: {ips:?}");
    for (member, ip) in ips {
        let out = etcd_sandbox::testkit::etcdctl(version, &ip, &["get", "k-", "--prefix"])
            .await
            .expect("etcdctl get --prefix");
        let lines: Vec<&str> = out.lines().collect();
        let held: BTreeMap<String, String> = lines
            .chunks(2)
            .map(|kv| (kv[0].to_string(), kv.get(1).copied().unwrap_or("").to_string()))
            .collect();
        assert_eq!(&held, written, "{member} of {cluster} holds every key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_operator_runs_clusters_under_rbac_pod_security_and_isolated_containers() {
    let started = Instant::now();
    let minimum = shared::kubernetes::MINIMUM;
    let options = Options {
        enforce_rbac: true,
        isolate_containers: true,
        kube_version: KubeVersion { major: 1, minor: minimum.minor },
        ..Options::default()
    };
    let sb = TestSandbox::start_with(options).await.expect("sandbox starts");
    let kc = sb.kubeconfig();
    let kc = kc.as_path();
    let namespaces: Api<Namespace> = Api::all(sb.client.clone());
    let restricted = json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    namespaces
        .patch("default", &PatchParams::default(), &Patch::Merge(&restricted))
        .await
        .expect("default enforces restricted");

    // The operator, installed as a user installs it, runs as a Pod of its own.
    let installed = etcd(kc, &["install"], 0).await;
    assert!(installed.contains("deployment/etcd-operator serverside-applied"), "{installed}");
    let operator_namespace = namespaces.get("etcd-operator").await.expect("install made its namespace");
    assert_eq!(
        operator_namespace.metadata.labels.unwrap_or_default().get("pod-security.kubernetes.io/enforce"),
        Some(&"restricted".to_string()),
        "the operator's namespace enforces restricted too"
    );
    let operator_pods: Api<Pod> = Api::namespaced(sb.client.clone(), "etcd-operator");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list =
            operator_pods.list(&ListParams::default().labels("app.kubernetes.io/name=etcd-operator")).await;
        let running = list
            .ok()
            .into_iter()
            .flat_map(|l| l.items)
            .any(|p| p.status.and_then(|s| s.phase).as_deref() == Some("Running"));
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "the operator's Pod runs within 60 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Create, write, scale up and down, upgrade: each waited for through the plugin.
    etcd(kc, &["create", "demo", "--size", "3", "--version", "3.5.16", "--wait", "--timeout", "3m"], 0).await;
    let first = member_ips(&sb.client, "demo").await.into_values().next().expect("a member");
    let written = write_keys(&first, 200).await;
    etcd(kc, &["scale", "demo", "--size", "5", "--wait", "--timeout", "3m"], 0).await;
    etcd(kc, &["scale", "demo", "--size", "3", "--wait", "--timeout", "3m"], 0).await;
    etcd(kc, &["upgrade", "demo", "--to", "3.5.30", "--yes", "--wait", "--timeout", "3m"], 0).await;
    every_member_holds(&sb.client, "demo", "3.5.30", &written).await;
    println!("created, scaled 3 -> 5 -> 3 and upgraded in {:.1} s", started.elapsed().as_secs_f64());

    // Back up to each store (reached at the sandbox's gateway) and restore each.
    let gateway = sb.sandbox.node.as_ref().expect("node").gateway();
    let s3 = S3Server::start(gateway, "snapshots").await;
    s3_secret(&sb.client, "s3-credentials").await;
    let gcs = GcsServer::start(gateway, "snapshots").await;
    gcs_secret(&sb.client, "gcs-credentials", GCS_EMULATOR_KEY).await;
    let azure = AzureServer::start(gateway, "snapshots").await;
    azure_secret(&sb.client, "azure-credentials", AZURITE_KEY).await;
    let stores: [(&str, &str, Vec<&str>); 3] = [
        (
            "s3",
            "s3://snapshots/etcd",
            vec![
                "--credentials-secret",
                "s3-credentials",
                "--s3-endpoint",
                &s3.endpoint,
                "--s3-path-style",
                "--s3-allow-http",
            ],
        ),
        (
            "gcs",
            "gs://snapshots/etcd",
            vec![
                "--credentials-secret",
                "gcs-credentials",
                "--gcs-endpoint",
                &gcs.endpoint,
                "--gcs-allow-http",
            ],
        ),
        (
            "azure",
            "az://snapshots/etcd",
            vec![
                "--credentials-secret",
                "azure-credentials",
                "--azure-endpoint",
                &azure.endpoint,
                "--azure-allow-http",
            ],
        ),
    ];
    for (name, url, flags) in &stores {
        let backup = format!("to-{name}");
        let mut args =
            vec!["backup", "demo", "--to", url, "--backup-name", &backup, "--wait", "--timeout", "2m"];
        args.extend(flags.iter().copied());
        etcd(kc, &args, 0).await;
    }
    for (name, _, _) in &stores {
        let (restored, backup) = (format!("from-{name}"), format!("to-{name}"));
        let took = Instant::now();
        etcd(kc, &["restore", &restored, "--from", &backup, "--size", "3", "--wait", "--timeout", "3m"], 0)
            .await;
        every_member_holds(&sb.client, &restored, "3.5.30", &written).await;
        println!(
            "restored {backup} into 3 members in {:.1} s, every key on each",
            took.elapsed().as_secs_f64()
        );
    }

    println!("the whole run took {:.1} s", started.elapsed().as_secs_f64());
    s3.stop().await;
    gcs.stop().await;
    azure.stop().await;
    sb.stop().await;
}
