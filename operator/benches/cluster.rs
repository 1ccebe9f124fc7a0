//! How close the operator comes to the best possible, measured side by side in one run on
//! the sandbox with real etcd. Not part of the test run; figures are printed, never
//! asserted:
//!
//! ```text
//! cargo bench -p etcd-operator --bench cluster          # BENCH_RUNS=5 for more runs
//! ```
//!
//! Prints a table (median, min, max of the runs; the baseline and the ratio where there is
//! one) and writes the same figures as JSON to `target/bench/cluster.json`. The method is
//! in `docs/performance.md`.

#[path = "../tests/backup_support/mod.rs"]
mod backup_support;
#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use backup_support::{cluster_ips, create_backup, create_restore, wait_backup};
use common::{Route, Writer, WriterReport, pod_ips, sandbox, wait_status};
use etcd_operator::resources::pod::READINESS_PATH;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde_json::{Value, json};
use shared::conditions::pod_ready;
use shared::crd::{BackupPhase, ClusterPhase, EtcdCluster, EtcdClusterSpec, EtcdRestore, RestorePhase};

/// One measured figure: its samples, and the baseline's where there is one.
struct Figure {
    name: String,
    unit: &'static str,
    samples: Vec<f64>,
    baseline: Vec<f64>,
}

impl Figure {
    fn new(name: &str, unit: &'static str) -> Figure {
        Figure { name: name.to_string(), unit, samples: Vec::new(), baseline: Vec::new() }
    }
}

/// Median, min and max of `values` (`None` when empty).
fn stats(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    Some((median, sorted[0], sorted[n - 1]))
}

fn runs() -> usize {
    std::env::var("BENCH_RUNS").ok().and_then(|r| r.parse().ok()).filter(|r| *r > 0).unwrap_or(3)
}

/// Creates the EtcdCluster `name` in `default`.
/// The etcd version of every group but the upgrades (which name their own): `BENCH_ETCD`,
/// 3.5.30 by default. `scripts/bench.sh` runs the groups again on 3.4.23.
fn etcd_version() -> String {
    std::env::var("BENCH_ETCD").unwrap_or_else(|_| DEFAULT_ETCD.to_string())
}

/// The newest etcd the benchmark runs.
const DEFAULT_ETCD: &str = "3.5.30";

/// A 3-member cluster's spec at [`etcd_version`] with `storage`.
fn three(storage: &str) -> Value {
    json!({"size": 3, "version": etcd_version(), "storage": {"kind": storage}})
}

async fn create(client: &Client, name: &str, spec: Value) -> Api<EtcdCluster> {
    let clusters: Api<EtcdCluster> = Api::namespaced(client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(spec).expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new(name, spec)).await.expect("cluster created");
    clusters
}

/// Waits until cluster `demo` runs `size` healthy voting members at `version`.
async fn running(clusters: &Api<EtcdCluster>, size: usize, version: &str) -> Duration {
    let ready = format!("{size}/{size}");
    wait_status(clusters, 300, "running", |s| {
        s.phase == Some(ClusterPhase::Running)
            && s.ready.as_deref() == Some(ready.as_str())
            && s.members.len() == size
            && s.members.iter().all(|m| m.version.as_deref() == Some(version))
    })
    .await
}

/// A member Pod of a static cluster started by hand, as a plain script would: every member
/// at once with the same `--initial-cluster`. Labelled like the operator's members, so the
/// test writer finds them. With `snapshot`, an init container first restores that file into
/// the member's data folder (`etcdutl snapshot restore`, as the etcd docs do it by hand).
fn static_pod(member: &str, size: usize, version: &str, snapshot: Option<&Path>) -> Pod {
    let initial: Vec<String> =
        (0..size).map(|i| format!("demo-{i}={}", peer_url(&format!("demo-{i}")))).collect();
    member_pod(member, &initial, "new", version, snapshot)
}

/// The peer URL of member `member` of the baseline cluster `demo`.
fn peer_url(member: &str) -> String {
    format!("http://{member}.demo.default.svc.cluster.local:2380")
}

/// A member Pod started by hand with `initial` (`name=peer URL` entries) and
/// `--initial-cluster-state=state` (`new`, or `existing` for a member added at runtime).
fn member_pod(member: &str, initial: &[String], state: &str, version: &str, snapshot: Option<&Path>) -> Pod {
    let peer = |m: &str| peer_url(m);
    let image = format!("gcr.io/etcd-development/etcd:v{version}");
    let restore: Vec<Value> = snapshot
        .map(|file| {
            // etcdutl took over `snapshot restore` in 3.5; 3.4 has it in etcdctl (API v3).
            let (tool, env) = if version.starts_with("3.4.") {
                ("/usr/local/bin/etcdctl", json!([{"name": "ETCDCTL_API", "value": "3"}]))
            } else {
                ("/usr/local/bin/etcdutl", json!([]))
            };
            json!({
                "name": "restore", "image": image, "command": [tool], "env": env,
                "args": [
                    "snapshot", "restore", file.display().to_string(), format!("--name={member}"),
                    format!("--initial-cluster={}", initial.join(",")),
                    format!("--initial-advertise-peer-urls={}", peer(member)),
                    "--initial-cluster-token=baseline", "--data-dir=/var/lib/etcd/data"
                ],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/etcd"}],
            })
        })
        .into_iter()
        .collect();
    serde_json::from_value(json!({
        "metadata": {"name": member, "labels": {"etcd.kubectl-etcd.dev/cluster": "demo"}},
        "spec": {
            "hostname": member, "subdomain": "demo",
            "volumes": [{"name": "data", "emptyDir": {}}],
            "initContainers": restore,
            "containers": [{
                "name": "etcd",
                "image": image,
                "command": ["/usr/local/bin/etcd"],
                "args": [
                    format!("--name={member}"), "--data-dir=/var/lib/etcd/data",
                    "--listen-client-urls=http://0.0.0.0:2379", "--listen-peer-urls=http://0.0.0.0:2380",
                    format!("--advertise-client-urls=http://{member}.demo.default.svc.cluster.local:2379"),
                    format!("--initial-advertise-peer-urls={}", peer(member)),
                    format!("--initial-cluster={}", initial.join(",")),
                    format!("--initial-cluster-state={state}"), "--initial-cluster-token=baseline",
                    "--listen-metrics-urls=http://0.0.0.0:2381"
                ],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/etcd"}],
                // The same readiness check as the operator's members, so that a client
                // through Ready members meets the same routing on both sides.
                "readinessProbe": {
                    "httpGet": {"path": READINESS_PATH, "port": 2381},
                    "periodSeconds": 1, "failureThreshold": 3
                },
            }]
        }
    }))
    .expect("pod")
}

/// Starts a static cluster of `size` by hand (each member restored from `snapshot` first,
/// when given) and waits until every member answers a status request (etcdctl's `endpoint
/// health`). Returns the time that took, from creating the Pods.
async fn static_cluster(client: &Client, size: usize, version: &str, snapshot: Option<&Path>) -> Duration {
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let headless: Service = serde_json::from_value(json!({
        "metadata": {"name": "demo"},
        "spec": {"clusterIP": "None", "selector": {"etcd.kubectl-etcd.dev/cluster": "demo"},
                 "publishNotReadyAddresses": true, "ports": [{"name": "peer", "port": 2380}]}
    }))
    .expect("service");
    services.create(&PostParams::default(), &headless).await.expect("service created");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let started = Instant::now();
    for i in 0..size {
        pods.create(&PostParams::default(), &static_pod(&format!("demo-{i}"), size, version, snapshot))
            .await
            .expect("pod");
    }
    loop {
        let ips = pod_ips(client).await;
        if ips.len() == size && all_healthy(&ips, Some(version)).await {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(300), "the static cluster did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every member at `ips` answers a status request (at `version`, when given) and knows a
/// leader. Short timeouts, so the poll itself adds little to what it measures.
async fn all_healthy(ips: &[String], version: Option<&str>) -> bool {
    let options = etcd_client::ConnectOptions::new()
        .with_connect_timeout(Duration::from_millis(200))
        .with_timeout(Duration::from_millis(500));
    for ip in ips {
        let endpoint = [format!("http://{ip}:2379")];
        let Ok(mut client) = etcd_client::Client::connect(endpoint, Some(options.clone())).await else {
            return false;
        };
        match client.status().await {
            Ok(status) if status.leader() != 0 && version.is_none_or(|v| status.version() == v) => {}
            _ => return false,
        }
    }
    true
}

/// Time to ready: operator and static baseline, for `size` members.
async fn time_to_ready(size: usize, figure: &mut Figure) {
    for _ in 0..runs() {
        let sb = sandbox().await;
        let operator = common::operator(&sb.client);
        let started = Instant::now();
        let clusters = create(
            &sb.client,
            "demo",
            json!({"size": size, "version": etcd_version(), "storage": {"kind": "Persistent"}}),
        )
        .await;
        running(&clusters, size, &etcd_version()).await;
        figure.samples.push(started.elapsed().as_secs_f64());
        operator.abort();
        sb.stop().await;

        let sb = sandbox().await;
        figure.baseline.push(static_cluster(&sb.client, size, &etcd_version(), None).await.as_secs_f64());
        sb.stop().await;
    }
}

/// Scale 3 -> 4 and 4 -> 3.
async fn scaling(up: &mut Figure, down: &mut Figure) {
    for _ in 0..runs() {
        let sb = sandbox().await;
        let operator = common::operator(&sb.client);
        let clusters = create(&sb.client, "demo", three("Persistent")).await;
        running(&clusters, 3, &etcd_version()).await;
        for (size, figure) in [(4, &mut *up), (3, &mut *down)] {
            let started = Instant::now();
            let patch = Patch::Merge(json!({"spec": {"size": size}}));
            clusters.patch("demo", &PatchParams::default(), &patch).await.expect("scaled");
            wait_status(&clusters, 120, "scaled", |s| {
                s.phase == Some(ClusterPhase::Running)
                    && s.members.len() == size
                    && s.ready.as_deref() == Some(format!("{size}/{size}").as_str())
                    && s.observed_generation.is_some()
            })
            .await;
            figure.samples.push(started.elapsed().as_secs_f64());
        }
        operator.abort();
        sb.stop().await;
    }
}

/// Baselines of growth by hand, on a static 3-member cluster: the same learner add, start
/// and promotion the operator does, each retried every 50 ms while etcd refuses it for now
/// ("unhealthy cluster" within about 5 s of a member connecting, "not in sync" while the
/// learner catches up). `up`: from the first `MemberAddAsLearner` to 4 healthy voters.
/// `ephemeral`: a member's Pod (and its emptyDir data) lost, then removed from etcd once
/// etcd sees it down and replaced by a new learner of the same name; from the loss to 3
/// healthy voters again.
async fn growth_by_hand(mut up: Option<&mut Figure>, mut ephemeral: Option<&mut Figure>) {
    for _ in 0..runs() {
        if let Some(up) = up.as_deref_mut() {
            let sb = sandbox().await;
            static_cluster(&sb.client, 3, &etcd_version(), None).await;
            let started = Instant::now();
            add_member_by_hand(&sb.client, "demo-3").await;
            up.baseline.push(started.elapsed().as_secs_f64());
            sb.stop().await;
        }
        let Some(ephemeral) = ephemeral.as_deref_mut() else { continue };
        let sb = sandbox().await;
        static_cluster(&sb.client, 3, &etcd_version(), None).await;
        let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
        let lost_ip = pods.get("demo-1").await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP");
        let started = Instant::now();
        sb.sandbox.node.as_ref().expect("node").faults().lose("default", "demo-1").expect("lost");
        let survivors: Vec<String> =
            pod_ips(&sb.client).await.into_iter().filter(|ip| *ip != lost_ip).collect();
        let mut etcd = common::connect(&survivors).await.expect("the survivors answer");
        let lost_id = etcd
            .member_list()
            .await
            .expect("member list")
            .members()
            .iter()
            .find(|m| m.name() == "demo-1")
            .map(|m| m.id())
            .expect("demo-1 is a member");
        // What the operator waits for too: a member etcd still sees healthy is not removed.
        while all_healthy(std::slice::from_ref(&lost_ip), None).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        retry_while_etcd_refuses("remove demo-1", || {
            let mut etcd = etcd.clone();
            async move { etcd.member_remove(lost_id).await.map(|_| ()) }
        })
        .await;
        while pods.get_opt("demo-1").await.expect("get pod").is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        add_member_by_hand(&sb.client, "demo-1").await;
        ephemeral.baseline.push(started.elapsed().as_secs_f64());
        sb.stop().await;
    }
}

/// Adds `member` to the baseline cluster by hand: `MemberAddAsLearner`, its Pod with
/// `--initial-cluster-state=existing`, `MemberPromote`; until every member is healthy.
async fn add_member_by_hand(client: &Client, member: &str) {
    let mut etcd = common::connect(&pod_ips(client).await).await.expect("the members answer");
    let added = retry_while_etcd_refuses(&format!("add {member}"), || {
        let mut etcd = etcd.clone();
        let options = etcd_client::MemberAddOptions::new().with_is_learner();
        async move { etcd.member_add([peer_url(member)], Some(options)).await }
    })
    .await;
    let id = added.member().map(|m| m.id()).expect("the added member");
    let initial: Vec<String> = added
        .member_list()
        .iter()
        .map(|m| {
            let name = if m.id() == id { member.to_string() } else { m.name().to_string() };
            format!("{name}={}", m.peer_urls().first().cloned().unwrap_or_default())
        })
        .collect();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.create(&PostParams::default(), &member_pod(member, &initial, "existing", &etcd_version(), None))
        .await
        .expect("the new member's Pod");
    retry_while_etcd_refuses(&format!("promote {member}"), || {
        let mut etcd = etcd.clone();
        async move { etcd.member_promote(id).await.map(|_| ()) }
    })
    .await;
    let started = Instant::now();
    loop {
        let ips = pod_ips(client).await;
        if ips.len() == initial.len() && all_healthy(&ips, None).await {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{member} did not become healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    etcd.member_list().await.expect("member list");
}

/// Calls `call` every 50 ms until etcd accepts it, for up to 2 minutes.
async fn retry_while_etcd_refuses<T, F>(what: &str, call: impl Fn() -> F) -> T
where
    F: std::future::Future<Output = Result<T, etcd_client::Error>>,
{
    let started = Instant::now();
    loop {
        match call().await {
            Ok(done) => return done,
            Err(error) => {
                assert!(started.elapsed() < Duration::from_secs(120), "{what}: etcd kept refusing: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A member's Pod lost (persistent and ephemeral) or its process crashed, until the
/// cluster is whole again.
async fn healing(lost_persistent: &mut Figure, lost_ephemeral: &mut Figure, crashed: &mut Figure) {
    for _ in 0..runs() {
        for (storage, figure) in [("Persistent", &mut *lost_persistent), ("Ephemeral", &mut *lost_ephemeral)]
        {
            let sb = sandbox().await;
            let operator = common::operator(&sb.client);
            let clusters = create(&sb.client, "demo", three(storage)).await;
            running(&clusters, 3, &etcd_version()).await;
            let faults = sb.sandbox.node.as_ref().expect("node").faults();
            let before = common::pod_identity(&sb.client, "demo-1").await;
            let started = Instant::now();
            faults.lose("default", "demo-1").expect("lost");
            heal(&sb.client, &clusters, "demo-1", &before, started).await;
            figure.samples.push(started.elapsed().as_secs_f64());
            if storage == "Persistent" {
                let before = common::pod_identity(&sb.client, "demo-2").await;
                let started = Instant::now();
                faults.crash("default", "demo-2").expect("crashed");
                heal(&sb.client, &clusters, "demo-2", &before, started).await;
                crashed.samples.push(started.elapsed().as_secs_f64());
            }
            operator.abort();
            sb.stop().await;
        }
    }
}

/// Waits until `member` is a new or restarted Pod whose etcd answers with a leader, and the
/// cluster runs 3 members again. Asking the member itself keeps a status the operator has
/// not yet updated since the fault (still Running 3/3) from ending the wait early.
async fn heal(
    client: &Client,
    clusters: &Api<EtcdCluster>,
    member: &str,
    before: &(String, i32),
    started: Instant,
) {
    loop {
        if let Ok(now) = Api::<Pod>::namespaced(client.clone(), "default").get(member).await
            && common::pod_identity(client, member).await != *before
            && now.metadata.deletion_timestamp.is_none()
            && let Some(ip) = now.status.as_ref().and_then(|s| s.pod_ip.clone())
            && all_healthy(&[ip], None).await
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{member} was not replaced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running(clusters, 3, &etcd_version()).await;
}

/// A rolling upgrade `from` -> `to` of 3 persistent members under two writers at once: one
/// given every member's address, one connected to a Ready member, as through the client
/// Service. Its duration, each writer's longest gap between acknowledged writes, and failed
/// attempts. Baseline: the same upgrade done by hand on a static cluster (with the same
/// readiness probe), followers first, leadership moved, then the leader.
async fn upgrade_disruption(from: &str, to: &str) -> Vec<Figure> {
    let name = |what: &str| format!("upgrade {from} -> {to}: {what}");
    let mut took = Figure::new(&name("duration"), "s");
    let mut gaps = Disruption::new(&name("longest write gap"), &name("failed writes"));
    let mut ready_gaps = Disruption::new(
        &name("longest write gap, via a Ready member"),
        &name("failed writes, via a Ready member"),
    );
    for _ in 0..runs() {
        let sb = sandbox().await;
        let operator = common::operator(&sb.client);
        let clusters = create(&sb.client, "demo", json!({"size": 3, "version": from})).await;
        running(&clusters, 3, from).await;
        let writers = Writers::start(&sb.client).await;
        let started = Instant::now();
        let patch = Patch::Merge(json!({"spec": {"version": to}}));
        clusters.patch("demo", &PatchParams::default(), &patch).await.expect("upgrade started");
        running(&clusters, 3, to).await;
        took.samples.push(started.elapsed().as_secs_f64());
        let (all, ready) = writers.stop(&sb.client, &format!("upgrade {from} -> {to}, operator")).await;
        gaps.sample(&all, Side::Operator);
        ready_gaps.sample(&ready, Side::Operator);
        operator.abort();
        sb.stop().await;

        let sb = sandbox().await;
        static_cluster(&sb.client, 3, from, None).await;
        let writers = Writers::start(&sb.client).await;
        let started = Instant::now();
        upgrade_by_hand(&sb.client, to).await;
        took.baseline.push(started.elapsed().as_secs_f64());
        let (all, ready) = writers.stop(&sb.client, &format!("upgrade {from} -> {to}, by hand")).await;
        gaps.sample(&all, Side::Baseline);
        ready_gaps.sample(&ready, Side::Baseline);
        sb.stop().await;
    }
    let mut figures = vec![took];
    figures.extend(gaps.figures());
    figures.extend(ready_gaps.figures());
    figures
}

/// Which column of a figure a sample goes to.
#[derive(Clone, Copy)]
enum Side {
    Operator,
    Baseline,
}

/// The longest write gap and the failed writes a writer saw, over the runs.
struct Disruption {
    gap: Figure,
    failed: Figure,
}

impl Disruption {
    fn new(gap: &str, failed: &str) -> Disruption {
        Disruption { gap: Figure::new(gap, "s"), failed: Figure::new(failed, "count") }
    }

    fn sample(&mut self, report: &WriterReport, side: Side) {
        let (gaps, failures) = match side {
            Side::Operator => (&mut self.gap.samples, &mut self.failed.samples),
            Side::Baseline => (&mut self.gap.baseline, &mut self.failed.baseline),
        };
        gaps.push(report.longest_gap.as_secs_f64());
        failures.push(report.failed as f64);
    }

    fn figures(self) -> Vec<Figure> {
        vec![self.gap, self.failed]
    }
}

/// The two writers of an upgrade run, started 2 s before it, once every member Pod is Ready.
struct Writers {
    all: Writer,
    ready: Writer,
}

impl Writers {
    async fn start(client: &Client) -> Writers {
        let started = Instant::now();
        while !common::pods(client).await.iter().all(pod_ready) {
            assert!(started.elapsed() < Duration::from_secs(60), "the member Pods were not Ready in 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let all = Writer::start(client, "bench/");
        let ready = Writer::start_by(client, "bench-ready/", Route::ReadyMember);
        tokio::time::sleep(Duration::from_secs(2)).await;
        Writers { all, ready }
    }

    /// Waits 2 s, stops both writers, checks that no acknowledged write was lost and
    /// prints what each writer's longest gap met.
    async fn stop(self, client: &Client, run: &str) -> (WriterReport, WriterReport) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let all = self.all.stop_and_check(client).await;
        let ready = self.ready.stop_and_check(client).await;
        for (route, report) in [("every member", &all), ("a Ready member", &ready)] {
            eprintln!(
                "{run}, writer to {route}: longest write gap {:.2} s, {}",
                report.longest_gap.as_secs_f64(),
                report.longest_gap_cause
            );
        }
        (all, ready)
    }
}

/// What a careful person does: each follower's image changed and awaited (its etcd answers
/// at the new version, then its Pod is Ready), leadership moved to an upgraded follower,
/// then the old leader changed.
async fn upgrade_by_hand(client: &Client, version: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut members = Vec::new();
    for i in 0..3 {
        let name = format!("demo-{i}");
        let pod = pods.get(&name).await.expect("pod");
        let ip = pod.status.and_then(|s| s.pod_ip).expect("pod IP");
        let mut etcd = common::connect(std::slice::from_ref(&ip)).await.expect("member answers");
        let status = etcd.status().await.expect("status");
        members.push((name, ip, status.header().map(|h| h.member_id()).unwrap_or_default(), status.leader()));
    }
    let leader_id = members[0].3;
    let image = format!("gcr.io/etcd-development/etcd:v{version}");
    let change = |name: String| {
        let pods = pods.clone();
        let patch = Patch::Strategic(json!({"spec": {"containers": [{"name": "etcd", "image": image}]}}));
        async move { pods.patch(&name, &PatchParams::default(), &patch).await.expect("image changed") }
    };
    let followers: Vec<&(String, String, u64, u64)> = members.iter().filter(|m| m.2 != leader_id).collect();
    for (name, ip, ..) in &followers {
        change(name.clone()).await;
        wait_member(ip, version).await;
        wait_ready(&pods, name).await;
    }
    let (leader_name, leader_ip, ..) = members.iter().find(|m| m.2 == leader_id).expect("a leader");
    let mut etcd = common::connect(std::slice::from_ref(leader_ip)).await.expect("leader answers");
    etcd.move_leader(followers[0].2).await.expect("leadership moved");
    change(leader_name.clone()).await;
    wait_member(leader_ip, version).await;
    wait_ready(&pods, leader_name).await;
}

/// Waits until Pod `name` is Ready again (`kubectl wait --for=condition=Ready`), as a
/// careful person does before the next member so that clients through a Service always
/// have the others; the operator does the same.
async fn wait_ready(pods: &Api<Pod>, name: &str) {
    let started = Instant::now();
    while !pods.get(name).await.is_ok_and(|pod| pod_ready(&pod)) {
        assert!(started.elapsed() < Duration::from_secs(60), "{name} was not Ready in 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the member at `ip` answers at `version` with a leader.
async fn wait_member(ip: &str, version: &str) {
    let started = Instant::now();
    while !all_healthy(&[ip.to_string()], Some(version)).await {
        assert!(started.elapsed() < Duration::from_secs(60), "{ip} did not come back at {version}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the operator costs while its clusters are idle.
struct Cost {
    /// Resident memory (VmRSS) at the end of the window, MiB.
    resident_mib: f64,
    /// User plus system CPU over the window, % of one core.
    cpu_percent: f64,
    /// Its API requests per cluster per minute, counted by the sandbox by User-Agent.
    requests_per_cluster_minute: f64,
}

/// The operator as its own process managing `count` idle single-member clusters (single
/// members so that 50 fit on the machine), over a one-minute window.
async fn operator_cost(count: usize) -> Cost {
    let sb = sandbox().await;
    let mut operator = tokio::process::Command::new(env!("CARGO_BIN_EXE_etcd-operator"))
        .args(["run", "--leader-elect=false", "--metrics-address", "127.0.0.1:0"])
        .env("KUBECONFIG", sb.kubeconfig())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the operator starts");
    let pid = operator.id().expect("the operator runs");
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    for i in 0..count {
        create(&sb.client, &format!("idle{i}"), json!({"size": 1, "version": etcd_version()})).await;
    }
    let started = Instant::now();
    loop {
        let list = clusters.list(&Default::default()).await.expect("clusters");
        let running = list
            .items
            .iter()
            .filter(|c| c.status.as_ref().is_some_and(|s| s.phase == Some(ClusterPhase::Running)))
            .count();
        if running == count {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "{running} of {count} clusters running");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let window = Duration::from_secs(60);
    let counts_before = sb.requests();
    let cpu_before = cpu_seconds(pid);
    tokio::time::sleep(window).await;
    let counted = sb.requests().since(&counts_before).of_client(etcd_operator::client::OPERATOR_USER_AGENT);
    let cost = Cost {
        resident_mib: resident_mib(pid),
        cpu_percent: (cpu_seconds(pid) - cpu_before) / window.as_secs_f64() * 100.0,
        requests_per_cluster_minute: counted.total() as f64 / count as f64 * 60.0 / window.as_secs_f64(),
    };
    let _ = operator.kill().await;
    sb.stop().await;
    cost
}

/// The cost figures for 1, 10 and 50 idle clusters, and how memory grows per cluster
/// between them (the slope must not rise with the number of clusters).
async fn operator_costs() -> Vec<Figure> {
    const COUNTS: [usize; 3] = [1, 10, 50];
    let mut figures = Vec::new();
    let mut memory = Vec::new();
    for count in COUNTS {
        let (mut mem, mut cpu, mut requests) = (
            Figure::new(&format!("operator resident memory, {count} idle clusters"), "MiB"),
            Figure::new(&format!("operator CPU, {count} idle clusters"), "% of a core"),
            Figure::new(&format!("API requests per idle cluster, {count} clusters"), "per minute"),
        );
        for _ in 0..runs().min(2) {
            let cost = operator_cost(count).await;
            mem.samples.push(cost.resident_mib);
            cpu.samples.push(cost.cpu_percent);
            requests.samples.push(cost.requests_per_cluster_minute);
        }
        memory.push((count, stats(&mem.samples).map(|(median, ..)| median).unwrap_or_default()));
        figures.extend([mem, cpu, requests]);
    }
    for pair in memory.windows(2) {
        let [(fewer, below), (more, above)] = pair else { continue };
        let mut slope = Figure::new(&format!("operator memory per added cluster, {fewer} -> {more}"), "MiB");
        slope.samples.push((above - below) / (more - fewer) as f64);
        figures.push(slope);
    }
    figures
}

/// User plus system CPU seconds a process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which is in parentheses): utime is the 12th, stime the 13th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<f64> = after.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    let ticks = fields.get(11).copied().unwrap_or_default() + fields.get(12).copied().unwrap_or_default();
    ticks / 100.0 // USER_HZ, 100 on Linux
}

/// Resident memory of a process, in MiB.
fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or_default();
    kib / 1024.0
}

/// The plugin's binary, built with the same profile beside the operator's
/// (`scripts/bench.sh` builds both).
fn plugin_binary() -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_BIN_EXE_etcd-operator")).with_file_name("kubectl-etcd");
    assert!(
        path.exists(),
        "{} is missing: build it with the same profile first (scripts/bench.sh does: cargo build --release \
         --workspace --bins)",
        path.display()
    );
    path
}

/// The plugin: `--help` and `status` wall time, and the binaries' sizes.
async fn plugin(help: &mut Figure, status: &mut Figure, sizes: &mut Vec<Figure>) {
    let sb = sandbox().await;
    let operator = common::operator(&sb.client);
    let clusters = create(&sb.client, "demo", three("Persistent")).await;
    running(&clusters, 3, &etcd_version()).await;
    let plugin = plugin_binary();
    for _ in 0..runs() * 3 {
        for (args, figure) in [(vec!["--help"], &mut *help), (vec!["status", "demo"], &mut *status)] {
            let started = Instant::now();
            let out = std::process::Command::new(&plugin)
                .arg("--kubeconfig")
                .arg(sb.kubeconfig())
                .args(&args)
                .output()
                .expect("the plugin runs");
            figure.samples.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    operator.abort();
    sb.stop().await;
    for (name, path) in [
        ("kubectl-etcd binary size", plugin.as_path()),
        ("etcd-operator binary size", std::path::Path::new(env!("CARGO_BIN_EXE_etcd-operator"))),
    ] {
        let mut figure = Figure::new(name, "MiB");
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or_default();
        figure.samples.push(bytes as f64 / 1024.0 / 1024.0);
        sizes.push(figure);
    }
}

/// The database size backups and restores are measured on.
const FILLED_BYTES: i64 = 256 * 1024 * 1024;

/// Puts ~100 KiB values of pseudo-random bytes (nothing compresses them) into cluster
/// `demo`, four writers at a time, until every member's database is at least
/// [`FILLED_BYTES`]. Returns the smallest member's database size in bytes.
async fn fill(client: &Client) -> i64 {
    const VALUE_BYTES: usize = 100 * 1024;
    const WRITERS: u64 = 4;
    const PUTS_PER_WRITER: u64 = 16;
    let ips = pod_ips(client).await;
    let endpoints: Vec<String> = ips.iter().map(|ip| format!("http://{ip}:2379")).collect();
    let etcd = etcd_client::Client::connect(endpoints, None).await.expect("the cluster answers");
    let mut next = 0u64;
    loop {
        let mut sizes = Vec::new();
        for ip in &ips {
            let mut member = common::connect(std::slice::from_ref(ip)).await.expect("a member answers");
            sizes.push(member.status().await.expect("status").db_size());
        }
        let smallest = sizes.into_iter().min().unwrap_or_default();
        if smallest >= FILLED_BYTES {
            return smallest;
        }
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let mut etcd = etcd.clone();
                let first = next + w * PUTS_PER_WRITER;
                tokio::spawn(async move {
                    for n in first..first + PUTS_PER_WRITER {
                        // xorshift64, seeded by the key number
                        let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                        let value: Vec<u8> = (0..VALUE_BYTES / 8)
                            .flat_map(|_| {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                x.to_le_bytes()
                            })
                            .collect();
                        etcd.put(format!("fill/{n:08}"), value, None).await.expect("put");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("a writer ends");
        }
        next += WRITERS * PUTS_PER_WRITER;
    }
}

/// MiB per second.
fn rate(bytes: f64, took: Duration) -> f64 {
    bytes / 1024.0 / 1024.0 / took.as_secs_f64()
}

/// Backups and restores of one cluster filled to [`FILLED_BYTES`]: an EtcdBackup to a
/// `file://` folder and `kubectl etcd backup --download`, each against `etcdctl snapshot
/// save` from the same member right after; then an EtcdRestore of the first backup into a
/// new 3-member cluster, against `etcdutl snapshot restore` of the same file into every
/// member of a static cluster and its start (in a fresh sandbox).
async fn backup_and_restore() -> Vec<Figure> {
    let mut size = Figure::new("backup: database size", "MiB");
    let mut to_file = Figure::new("backup: EtcdBackup to file://", "s");
    let mut to_file_rate = Figure::new("backup: EtcdBackup to file://, rate", "MiB/s");
    let mut download = Figure::new("backup: kubectl etcd backup --download", "s");
    let mut download_rate = Figure::new("backup: kubectl etcd backup --download, rate", "MiB/s");
    let mut restore = Figure::new("restore into 3 members: duration", "s");
    // Where a restore's time goes: the snapshot verified, then each member ready in turn.
    let mut stages: Vec<Figure> =
        ["snapshot verified", "1 of 3 members ready", "2 of 3 members ready", "3 of 3 members ready"]
            .iter()
            .map(|stage| Figure::new(&format!("restore into 3 members: {stage}"), "s"))
            .collect();

    let sb = sandbox().await;
    let operator = common::operator(&sb.client);
    let clusters = create(&sb.client, "demo", three("Persistent")).await;
    running(&clusters, 3, &etcd_version()).await;
    let started = Instant::now();
    let filled = fill(&sb.client).await;
    println!(
        "filled cluster demo to {:.0} MiB in {:.1} s",
        filled as f64 / 1024.0 / 1024.0,
        started.elapsed().as_secs_f64()
    );
    size.samples.push(filled as f64 / 1024.0 / 1024.0);
    let folder = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", folder.path().join("store").display());
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let mut first_snapshot = None;
    for run in 0..runs() {
        let name = format!("b{run}");
        let started = Instant::now();
        let backups =
            create_backup(&sb.client, &name, json!({"clusterName": "demo", "destination": {"url": url}}))
                .await;
        let (status, _) = wait_backup(&backups, &name, 600, |s| {
            matches!(s.phase, Some(BackupPhase::Succeeded | BackupPhase::Failed))
        })
        .await;
        let took = started.elapsed();
        let info = status.snapshot.clone().filter(|_| status.phase == Some(BackupPhase::Succeeded));
        let info = info.unwrap_or_else(|| panic!("backup {name} failed: {status:#?}"));
        to_file.samples.push(took.as_secs_f64());
        to_file_rate.samples.push(rate(info.size_bytes as f64, took));
        first_snapshot.get_or_insert_with(|| PathBuf::from(info.location.trim_start_matches("file://")));

        let file = folder.path().join(format!("download-{run}.db"));
        let started = Instant::now();
        let out = tokio::process::Command::new(plugin_binary())
            .arg("--kubeconfig")
            .arg(sb.kubeconfig())
            .args(["backup", "demo", "--download"])
            .arg(&file)
            .args(["-o", "json"])
            .output()
            .await
            .expect("the plugin runs");
        let took = started.elapsed();
        assert!(out.status.success(), "backup --download: {}", String::from_utf8_lossy(&out.stderr));
        let done: Value = serde_json::from_slice(&out.stdout).expect("the plugin prints JSON");
        let bytes = done["sizeBytes"].as_f64().expect("sizeBytes");
        download.samples.push(took.as_secs_f64());
        download_rate.samples.push(rate(bytes, took));

        // The baseline, from the member the plugin read, as soon as the plugin is done.
        let member = done["member"].as_str().expect("member");
        let ip = pods.get(member).await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP");
        let saved = folder.path().join(format!("etcdctl-{run}.db"));
        let started = Instant::now();
        let save = ["--command-timeout=600s", "snapshot", "save", &saved.display().to_string()];
        etcd_sandbox::testkit::etcdctl(&etcd_version(), &ip, &save).await.expect("etcdctl snapshot save");
        let took = started.elapsed();
        let bytes = std::fs::metadata(&saved).expect("etcdctl's snapshot").len() as f64;
        for (figure, value) in [
            (&mut to_file, took.as_secs_f64()),
            (&mut download, took.as_secs_f64()),
            (&mut to_file_rate, rate(bytes, took)),
            (&mut download_rate, rate(bytes, took)),
        ] {
            figure.baseline.push(value);
        }
        for copy in [&file, &saved] {
            std::fs::remove_file(copy).expect("a copy removed");
        }
    }

    let restores: Api<EtcdRestore> = Api::namespaced(sb.client.clone(), "default");
    for run in 0..runs() {
        let name = format!("restored{run}");
        // Each change of the restore or its cluster wakes the loop below at once; the
        // 100 ms sleep is only the safety net.
        let named = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut changes = futures::stream::select(
            watcher(restores.clone(), named.clone()).default_backoff().map(|_| ()).boxed(),
            watcher(clusters.clone(), named).default_backoff().map(|_| ()).boxed(),
        );
        let started = Instant::now();
        create_restore(
            &sb.client,
            &name,
            json!({"clusterName": name, "source": {"backup": "b0"}, "size": 3, "version": etcd_version()}),
        )
        .await;
        let mut reached: Vec<Option<Duration>> = vec![None; stages.len()];
        loop {
            let status = restores.get(&name).await.expect("restore").status.unwrap_or_default();
            let ready = clusters
                .get_opt(&name)
                .await
                .expect("clusters")
                .and_then(|c| c.status)
                .map_or(0, |c| c.ready_members);
            let verified = status.phase.is_some_and(|p| p != RestorePhase::Verifying);
            for (at, done) in reached.iter_mut().zip([verified, ready >= 1, ready >= 2, ready >= 3]) {
                if done {
                    at.get_or_insert(started.elapsed());
                }
            }
            match status.phase {
                Some(RestorePhase::Succeeded) => break,
                Some(RestorePhase::Failed) => panic!("restore {name} failed: {status:#?}"),
                _ => {}
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "restore {name}: not within 600 s: {status:#?}"
            );
            tokio::select! {
                _ = changes.next() => {}
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
        restore.samples.push(started.elapsed().as_secs_f64());
        for (stage, at) in stages.iter_mut().zip(reached) {
            stage.samples.extend(at.map(|d| d.as_secs_f64()));
        }
        // Out of the way of the next run: the cluster and its members deleted.
        clusters.delete(&name, &Default::default()).await.expect("restored cluster deleted");
        let started = Instant::now();
        while !cluster_ips(&sb.client, &name).await.is_empty() {
            assert!(started.elapsed() < Duration::from_secs(120), "{name}'s members were not deleted");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    operator.abort();
    sb.stop().await;
    let snapshot = first_snapshot.expect("a backup ran");
    for _ in 0..runs() {
        let sb = sandbox().await;
        restore
            .baseline
            .push(static_cluster(&sb.client, 3, &etcd_version(), Some(&snapshot)).await.as_secs_f64());
        sb.stop().await;
    }
    let mut figures = vec![size, to_file, to_file_rate, download, download_rate, restore];
    figures.extend(stages);
    figures
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let runtime = runtime.expect("a tokio runtime");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wanted = |group: &str| only.is_empty() || only.split(',').any(|g| g == group);
    let mut figures = runtime.block_on(async {
        let mut figures = Vec::new();
        let mut shown = 0;
        if wanted("ready") {
            for size in [3, 5] {
                let mut figure = Figure::new(&format!("time to ready, {size} members"), "s");
                time_to_ready(size, &mut figure).await;
                figures.push(figure);
            }
            shown = show_progress("ready", &figures, shown);
        }
        let mut up = Figure::new("scale up 3 -> 4", "s");
        let mut ephemeral = Figure::new("heal: Pod lost, ephemeral", "s");
        if wanted("scale") {
            let mut down = Figure::new("scale down 4 -> 3", "s");
            scaling(&mut up, &mut down).await;
            figures.push(down);
        }
        if wanted("heal") {
            let mut persistent = Figure::new("heal: Pod lost, persistent", "s");
            let mut crashed = Figure::new("heal: process crashed", "s");
            healing(&mut persistent, &mut ephemeral, &mut crashed).await;
            figures.extend([persistent, crashed]);
        }
        let (scale, heal) = (wanted("scale"), wanted("heal"));
        growth_by_hand(scale.then_some(&mut up), heal.then_some(&mut ephemeral)).await;
        figures.extend(scale.then_some(up));
        figures.extend(heal.then_some(ephemeral));
        if scale || heal {
            shown = show_progress("scale and heal", &figures, shown);
        }
        if wanted("upgrade") {
            // A minor upgrade from the oldest version supported to a 3.5 release outside
            // etcd's advisories (the operator refuses 3.5.0-3.5.5), and a patch upgrade to
            // the newest.
            for (from, to) in [("3.4.23", "3.5.16"), ("3.5.16", "3.5.30")] {
                figures.extend(upgrade_disruption(from, to).await);
            }
            shown = show_progress("upgrade", &figures, shown);
        }
        if wanted("cost") {
            figures.extend(operator_costs().await);
            shown = show_progress("cost", &figures, shown);
        }
        if wanted("plugin") {
            let (mut help, mut status) =
                (Figure::new("kubectl etcd --help", "ms"), Figure::new("kubectl etcd status demo", "ms"));
            let mut sizes = Vec::new();
            plugin(&mut help, &mut status, &mut sizes).await;
            figures.extend([help, status]);
            figures.extend(sizes);
            show_progress("plugin", &figures, shown);
        }
        if wanted("backup") {
            figures.extend(backup_and_restore().await);
        }
        figures
    });
    let version = etcd_version();
    if version != DEFAULT_ETCD {
        for figure in figures.iter_mut().filter(|f| !f.name.starts_with("upgrade ")) {
            figure.name = format!("{} (etcd {version})", figure.name);
        }
    }
    report(&figures, &version);
}

/// The table's heading.
fn heading() -> String {
    format!(
        "{:<62} {:>10} {:>8} {:>8} {:>5}  {:>9} {:>6}  unit",
        "figure", "median", "min", "max", "runs", "baseline", "ratio"
    )
}

/// A figure's row of the table: median, min, max, runs, the baseline's median and the
/// ratio; `None` when it has no samples.
fn row(figure: &Figure) -> Option<String> {
    let fmt = |v: f64| if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") };
    let (median, min, max) = stats(&figure.samples)?;
    let baseline = stats(&figure.baseline).map(|(m, ..)| m);
    let ratio = baseline.filter(|b| *b > 0.0).map(|b| median / b);
    Some(format!(
        "{:<62} {:>10} {:>8} {:>8} {:>5}  {:>9} {:>6}  {}",
        figure.name,
        fmt(median),
        fmt(min),
        fmt(max),
        figure.samples.len(),
        baseline.map_or_else(|| "-".to_string(), fmt),
        ratio.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x")),
        figure.unit
    ))
}

/// Prints the rows of the figures a group just added (from `shown` on) to stderr, so that
/// a later group's failure does not lose them; returns how many are shown now.
fn show_progress(group: &str, figures: &[Figure], shown: usize) -> usize {
    eprintln!("== {group} done");
    for line in figures.iter().skip(shown).filter_map(row) {
        eprintln!("{line}");
    }
    figures.len()
}

/// Prints the table and writes the JSON (`cluster.json`, or `cluster-etcd-VERSION.json` for
/// a run on another etcd than the default).
fn report(figures: &[Figure], version: &str) {
    println!("{}", heading());
    let mut json = Vec::new();
    for figure in figures {
        let Some(line) = row(figure) else { continue };
        println!("{line}");
        let Some((median, min, max)) = stats(&figure.samples) else { continue };
        let baseline = stats(&figure.baseline).map(|(m, ..)| m);
        let ratio = baseline.filter(|b| *b > 0.0).map(|b| median / b);
        json.push(json!({
            "figure": figure.name, "unit": figure.unit, "median": median, "min": min, "max": max,
            "runs": figure.samples.len(), "samples": figure.samples,
            "baseline": baseline, "baselineSamples": figure.baseline, "ratio": ratio,
        }));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let file = if version == DEFAULT_ETCD {
        "cluster.json".to_string()
    } else {
        format!("cluster-etcd-{version}.json")
    };
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let text = serde_json::to_string_pretty(&json!({"figures": json})).unwrap_or_default();
        std::fs::write(dir.join(&file), text)
    });
    match written {
        Ok(()) => println!("figures written to {}", dir.join(&file).display()),
        Err(error) => eprintln!("cannot write {}: {error}", dir.display()),
    }
}
