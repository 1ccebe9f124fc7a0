//! What the operator counts as a healthy member, against real etcd (3.5.30 and 3.4.23 from
//! the build cache, plain processes on 127.0.0.1): a member with an alarm is not healthy
//! even though it answers a Status call, and promoting a member that already votes (a
//! promotion repeated after a crash) counts as done. And what a member Pod's readiness
//! probe sees: ready while the member serves, even with a NOSPACE alarm; not ready once it
//! has lost its leader, though it still accepts connections on its client port.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use etcd_client::{AlarmAction, AlarmOptions, AlarmType, Client, ConnectOptions};
use etcd_operator::resources::pod::READINESS_PATH;
use etcd_sandbox::etcd_builds::{EtcdBuild, locate};
use tokio::process::{Child, Command};

/// The versions these tests run: the newest 3.5 the project tests and the 3.4 it supports.
const VERSIONS: [&str; 2] = ["3.5.30", "3.4.23"];

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A running cluster: its processes (killed on drop), its data, each member's
/// `(name, client URL)` and each member's metrics address (`--listen-metrics-urls`).
struct Cluster {
    children: Vec<Child>,
    _data: tempfile::TempDir,
    endpoints: Vec<(String, String)>,
    metrics: Vec<String>,
}

/// Starts an `n`-member cluster of `build` and waits until every member sees a leader.
async fn start_cluster(build: &EtcdBuild, n: usize) -> Cluster {
    let data = tempfile::tempdir().expect("temp dir");
    let ports: Vec<(u16, u16, u16)> = (0..n).map(|_| (free_port(), free_port(), free_port())).collect();
    let initial_cluster = ports
        .iter()
        .enumerate()
        .map(|(i, (_, peer, _))| format!("m{i}=http://127.0.0.1:{peer}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut children = Vec::new();
    let mut endpoints = Vec::new();
    let mut metrics = Vec::new();
    for (i, (client, peer, metrics_port)) in ports.iter().enumerate() {
        let client_url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let metrics_address = format!("127.0.0.1:{metrics_port}");
        let child = Command::new(build.etcd())
            .args(["--name", &format!("m{i}"), "--data-dir"])
            .arg(data.path().join(format!("m{i}")))
            .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &initial_cluster, "--initial-cluster-state", "new"])
            .arg(format!("--listen-metrics-urls=http://{metrics_address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("etcd starts");
        children.push(child);
        endpoints.push((format!("m{i}"), client_url));
        metrics.push(metrics_address);
    }
    for (_, url) in &endpoints {
        let mut client = connect(url).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if client.status().await.is_ok_and(|s| s.leader() != 0) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "etcd at {url} saw no leader in 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Cluster { children, _data: data, endpoints, metrics }
}

async fn connect(endpoint: &str) -> Client {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let options = ConnectOptions::new().with_connect_timeout(Duration::from_secs(1));
        if let Ok(mut client) = Client::connect([endpoint], Some(options)).await
            && client.status().await.is_ok()
        {
            return client;
        }
        assert!(tokio::time::Instant::now() < deadline, "etcd at {endpoint} did not answer in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_with_a_nospace_alarm_is_unhealthy() {
    for version in VERSIONS {
        let build = locate(version).unwrap();
        let cluster = start_cluster(&build, 3).await;
        let mut client = connect(&cluster.endpoints[0].1).await;
        let list = client.member_list().await.expect("member list");
        let alarmed =
            list.members().iter().find(|m| m.name() == "m2").map(|m| m.id()).expect("m2 is a member");

        let before = etcd_operator::etcd::observe(&cluster.endpoints, None).await.expect("observe");
        assert!(
            before.members.iter().all(|m| m.healthy),
            "etcd {version}: all healthy at first: {before:#?}"
        );

        let mut options = AlarmOptions::new();
        options.with_member(alarmed);
        client.alarm(AlarmAction::Activate, AlarmType::Nospace, Some(options)).await.expect("alarm raised");
        for (name, url) in &cluster.endpoints {
            let status = connect(url).await.status().await.expect("status");
            println!("etcd {version}: {name} Status errors after the alarm: {:?}", status.errors());
        }

        let after = etcd_operator::etcd::observe(&cluster.endpoints, None).await.expect("observe");
        let m2 = after.members.iter().find(|m| m.id == alarmed).expect("m2 observed");
        assert!(!m2.healthy, "etcd {version}: m2 has a NOSPACE alarm but is counted healthy: {after:#?}");
        let others: Vec<_> = after.members.iter().filter(|m| m.id != alarmed).collect();
        assert!(
            others.iter().all(|m| m.healthy),
            "etcd {version}: the alarm names m2 only, the others stay healthy: {after:#?}"
        );
        assert_eq!(after.alarms, [(alarmed, "NOSPACE".to_string())], "etcd {version}: the alarm is reported");
        assert_eq!(
            after.members.iter().filter(|m| m.leader).count(),
            1,
            "etcd {version}: the healthy members agree on one leader: {after:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoting_a_voting_member_counts_as_done() {
    for version in VERSIONS {
        let build = locate(version).unwrap();
        let cluster = start_cluster(&build, 1).await;
        let url = cluster.endpoints[0].1.clone();
        let mut client = connect(&url).await;
        let id = client.member_list().await.expect("member list").members()[0].id();
        let raw = client.member_promote(id).await.expect_err("etcd refuses to promote a voting member");
        println!("etcd {version}: promoting voting member {id:x} answers: {raw}");

        let answer = etcd_operator::etcd::promote(std::slice::from_ref(&url), id, None).await;
        assert!(answer.is_ok(), "etcd {version}: a repeated promotion counts as done, got {answer:?}");
    }
}

/// The HTTP status of a member Pod's readiness probe request ([`READINESS_PATH`] on the
/// metrics address), within the kubelet's default probe timeout of 1 s; `None` when no
/// answer came in time.
async fn readiness(metrics_address: &str) -> Option<u16> {
    let url = format!("http://{metrics_address}{READINESS_PATH}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().expect("an HTTP client");
    client.get(url).send().await.ok().map(|answer| answer.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readiness_probe_passes_while_the_member_serves_and_fails_without_a_leader() {
    for version in VERSIONS {
        let build = locate(version).unwrap();
        let mut cluster = start_cluster(&build, 3).await;
        for (metrics, (name, _)) in cluster.metrics.iter().zip(&cluster.endpoints) {
            assert_eq!(readiness(metrics).await, Some(200), "etcd {version}: {name} serves, so it is ready");
        }

        let mut client = connect(&cluster.endpoints[0].1).await;
        let list = client.member_list().await.expect("member list");
        let m0 = list.members().iter().find(|m| m.name() == "m0").map(|m| m.id()).expect("m0 is a member");
        let mut options = AlarmOptions::new();
        options.with_member(m0);
        client.alarm(AlarmAction::Activate, AlarmType::Nospace, Some(options)).await.expect("alarm raised");
        assert_eq!(
            readiness(&cluster.metrics[0]).await,
            Some(200),
            "etcd {version}: a full member still serves reads, deletes and compaction: it stays ready"
        );

        for child in &mut cluster.children[1..] {
            child.kill().await.expect("member stopped");
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let answer = readiness(&cluster.metrics[0]).await;
            if answer != Some(200) {
                println!("etcd {version}: m0 without its peers answers the readiness probe with {answer:?}");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "etcd {version}: m0 lost its peers 20 s ago and still passes the readiness probe"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let client_address = cluster.endpoints[0].1.trim_start_matches("http://").to_string();
        assert!(
            tokio::net::TcpStream::connect(&client_address).await.is_ok(),
            "etcd {version}: m0 still accepts connections on its client port, which a TCP probe would take for ready"
        );
    }
}
