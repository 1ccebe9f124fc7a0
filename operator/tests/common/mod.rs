//! What the operator's end-to-end tests share: a sandbox with a node and the CRDs, the
//! operator running in-process, and checks through the API and real etcdctl.

#![allow(dead_code)] // each test file uses a part of this module

pub mod tls;

use std::time::{Duration, Instant};

use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};
use shared::crd::{EtcdCluster, EtcdClusterSpec, EtcdClusterStatus};
use shared::names;
use shared::tls::ClientCredentials;

/// A sandbox with a node, the CRDs installed and logs on for the test.
pub async fn sandbox() -> TestSandbox {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    sb
}

/// What the tests' operator runs with: the sandbox's node runs every container over the
/// host's files, so member Pods see the operator's and `file://` snapshots can be restored.
pub fn sandbox_settings() -> etcd_operator::controller::Settings {
    etcd_operator::controller::Settings {
        file_snapshots_reach_pods: true,
        ..etcd_operator::controller::Settings::default()
    }
}

/// The operator, running in this process until the handle is aborted.
pub fn operator(client: &Client) -> tokio::task::JoinHandle<()> {
    tokio::spawn(etcd_operator::controller::run_with(
        client.clone(),
        sandbox_settings(),
        std::future::pending(),
    ))
}

/// The operator, running in this process until the handle is aborted, with a client of
/// its own that sends the operator's `User-Agent`, so the sandbox counts its requests
/// apart from the test's.
pub async fn identified_operator(sb: &TestSandbox) -> tokio::task::JoinHandle<()> {
    let config = sb.sandbox.client_config().await.expect("the sandbox's client configuration");
    let client = etcd_operator::client::from_config(config).expect("the operator's client");
    tokio::spawn(etcd_operator::controller::run_with(client, sandbox_settings(), std::future::pending()))
}

/// Creates the cluster `demo` in `default` with the given spec (JSON).
pub async fn create_cluster(client: &Client, spec: Value) -> Api<EtcdCluster> {
    let clusters: Api<EtcdCluster> = Api::namespaced(client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(spec).expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("cluster created");
    clusters
}

/// Waits until `check` holds for the cluster's status, or fails after `seconds`. It
/// watches the cluster, so it returns as soon as the operator writes such a status.
pub async fn wait_status(
    clusters: &Api<EtcdCluster>,
    seconds: u64,
    what: &str,
    check: impl Fn(&EtcdClusterStatus) -> bool,
) -> Duration {
    let started = Instant::now();
    let holds = |cluster: Option<&EtcdCluster>| cluster.and_then(|c| c.status.as_ref()).is_some_and(&check);
    let waited = tokio::time::timeout(
        Duration::from_secs(seconds),
        kube::runtime::wait::await_condition(clusters.clone(), "demo", holds),
    )
    .await;
    match waited {
        Ok(Ok(_)) => started.elapsed(),
        Ok(Err(error)) => panic!("{what}: watching the cluster failed: {error}"),
        Err(_) => {
            let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
            panic!("{what}: not within {seconds} s: {status:#?}")
        }
    }
}

/// Waits until the cluster runs `size` healthy voting members.
pub async fn wait_running(clusters: &Api<EtcdCluster>, size: usize, what: &str) -> Duration {
    let expected = format!("{size}/{size}");
    wait_status(clusters, 120, what, |s| {
        s.ready.as_deref() == Some(expected.as_str())
            && s.phase == Some(shared::crd::ClusterPhase::Running)
            && s.members.len() == size
    })
    .await
}

/// The Events about the cluster `demo` (regarding it).
pub async fn cluster_events(client: &Client) -> Vec<k8s_openapi::api::events::v1::Event> {
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client.clone(), "default");
    let list = events.list(&ListParams::default()).await.expect("events").items;
    list.into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("demo"))
        .collect()
}

/// The cluster's member Pods.
pub async fn pods(client: &Client) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    api.list(&ListParams::default().labels("etcd.kubectl-etcd.dev/cluster=demo")).await.expect("pods").items
}

/// IPs of the member Pods that have one.
pub async fn pod_ips(client: &Client) -> Vec<String> {
    pods(client).await.iter().filter_map(|p| p.status.as_ref()?.pod_ip.clone()).collect()
}

/// Runs etcdctl 3.5.30 against one member.
pub async fn etcdctl(ip: &str, args: &[&str]) -> String {
    etcd_sandbox::testkit::etcdctl("3.5.30", ip, args).await.expect("etcdctl runs against the member")
}

/// etcd's member list: (name, hex ID, learner).
pub async fn member_list(ip: &str) -> Vec<(String, String, bool)> {
    let listed: Value =
        serde_json::from_str(&etcdctl(ip, &["member", "list", "-w", "json", "--hex"]).await).expect("JSON");
    listed["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["ID"].as_str().unwrap_or_default().to_string(),
                m["isLearner"] == true,
            )
        })
        .collect()
}

/// The member ID (hex) the status shows for `member`.
pub fn id_of(status: &EtcdClusterStatus, member: &str) -> Option<String> {
    status.members.iter().find(|m| m.name == member).and_then(|m| m.id.clone())
}

/// A Pod's UID and restart count.
pub async fn pod_identity(client: &Client, name: &str) -> (String, i32) {
    let pod = Api::<Pod>::namespaced(client.clone(), "default").get(name).await.expect("pod");
    let restarts = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first())
        .map_or(0, |c| c.restart_count);
    (pod.uid().unwrap_or_default(), restarts)
}

/// The spec of a 3-member cluster with the given storage kind.
pub fn three(storage: &str) -> Value {
    json!({"size": 3, "version": "3.5.30", "storage": {"kind": storage}})
}

/// Connects to the members at `ips` (short timeouts, for tests that reconnect often).
pub async fn connect(ips: &[String]) -> Option<etcd_client::Client> {
    connect_over(ips, None).await
}

/// Connects to the members at `ips`, over TLS with `tls` (short timeouts).
pub async fn connect_over(
    ips: &[String],
    tls: Option<&shared::tls::ClientCredentials>,
) -> Option<etcd_client::Client> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let endpoints: Vec<String> = ips.iter().map(|ip| format!("{scheme}://{ip}:2379")).collect();
    let options = etcd_client::ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(1))
        .with_timeout(Duration::from_secs(2));
    let options = match tls {
        Some(credentials) => options.with_tls(etcd_operator::etcd::tls_options(credentials)),
        None => options,
    };
    etcd_client::Client::connect(endpoints, Some(options)).await.ok()
}

/// Which member Pods a client connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Every member Pod with an IP: a client given the members' addresses.
    AllMembers,
    /// One member Pod picked at random among the Ready ones, as the cluster's client Service
    /// picks a new connection's backend; a client that fails reconnects through it again.
    ReadyMember,
}

/// Connects to the member Pods of `demo` as the operator does: plainly, or with the
/// cluster's client certificate (Secret `demo-client-tls`) once every member Pod serves
/// HTTPS (`observe::serve_tls`), so it follows a cluster while TLS is turned on.
pub async fn connect_to_members(client: &Client) -> Option<etcd_client::Client> {
    connect_by(client, Route::AllMembers).await
}

/// [`connect_to_members`], to the member Pods `route` picks; `None` when it picks none.
pub async fn connect_by(client: &Client, route: Route) -> Option<etcd_client::Client> {
    let mut pods = pods(client).await;
    if route == Route::ReadyMember {
        pods.retain(shared::conditions::pod_ready);
        if !pods.is_empty() {
            use std::hash::{BuildHasher, Hasher};
            let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
            let picked = pods.swap_remove(usize::try_from(random % pods.len() as u64).unwrap_or(0));
            pods = vec![picked];
        }
    }
    let tls = if etcd_operator::reconcile::observe::serve_tls(&pods) {
        let secret =
            Api::<Secret>::namespaced(client.clone(), "default").get_opt("demo-client-tls").await.ok()??;
        Some(ClientCredentials::from_secret(&secret, names::tls_server_name("demo", "default")).ok()?)
    } else {
        None
    };
    let endpoints: Vec<String> = etcd_operator::reconcile::observe::client_endpoints(&pods, tls.is_some())
        .into_iter()
        .map(|(_, url)| url)
        .collect();
    if endpoints.is_empty() {
        return None;
    }
    let mut options = etcd_client::ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(1))
        .with_timeout(Duration::from_secs(2));
    if let Some(credentials) = &tls {
        options = options.with_tls(etcd_operator::etcd::tls_options(credentials));
    }
    etcd_client::Client::connect(endpoints, Some(options)).await.ok()
}

/// A client that puts sequential keys `<prefix>NNNNNN` as fast as etcd acknowledges them,
/// reconnecting to whatever member Pods exist (or a Ready one, [`Route`]) after a failure
/// ([`connect_by`]: it follows a cluster that turns TLS on), and records which keys were acknowledged, how
/// many attempts failed and the longest time without a successful write.
pub struct Writer {
    prefix: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<WriterReport>,
}

/// What a [`Writer`] saw.
pub struct WriterReport {
    /// The keys (as numbers) etcd acknowledged.
    pub acknowledged: Vec<u64>,
    /// Puts that failed.
    pub failed: u64,
    /// The longest time between two successful writes.
    pub longest_gap: Duration,
    /// What happened in the longest gap: when it began (since the writer started) and the
    /// errors of the attempts that failed in it, with how long each took.
    pub longest_gap_cause: String,
}

impl Writer {
    /// Starts writing keys under `prefix` to the cluster `demo`, over TLS once its members
    /// serve it (with the client Secret as it is at each reconnection, so the writer
    /// follows certificate rotation too).
    pub fn start(client: &Client, prefix: &str) -> Writer {
        Writer::start_by(client, prefix, Route::AllMembers)
    }

    /// [`Writer::start`], connecting (and reconnecting after a failure) to the member Pods
    /// `route` picks.
    pub fn start_by(client: &Client, prefix: &str, route: Route) -> Writer {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (client, flag, key_prefix) = (client.clone(), stop.clone(), prefix.to_string());
        let task = tokio::spawn(async move {
            let mut report = WriterReport {
                acknowledged: Vec::new(),
                failed: 0,
                longest_gap: Duration::ZERO,
                longest_gap_cause: String::new(),
            };
            let mut etcd = None;
            let started = Instant::now();
            // Gaps are counted between two acknowledged writes: not while the first waits
            // for a member (a Ready one may take a probe period to appear).
            let mut last_success: Option<Instant> = None;
            let mut failures_since: Vec<String> = Vec::new();
            let mut next = 0u64;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if etcd.is_none() {
                    let connecting = Instant::now();
                    etcd = connect_by(&client, route).await;
                    if etcd.is_none() {
                        failures_since
                            .push(format!("no connection ({} ms)", connecting.elapsed().as_millis()));
                    }
                }
                let Some(c) = etcd.as_mut() else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let attempt = Instant::now();
                match c.put(format!("{key_prefix}{next:06}"), next.to_string(), None).await {
                    Ok(_) => {
                        report.acknowledged.push(next);
                        if let Some(last) = last_success
                            && last.elapsed() > report.longest_gap
                        {
                            report.longest_gap = last.elapsed();
                            report.longest_gap_cause = format!(
                                "from {:.2} s: {}",
                                (last - started).as_secs_f64(),
                                if failures_since.is_empty() {
                                    "one slow put".into()
                                } else {
                                    failures_since.join("; ")
                                }
                            );
                        }
                        failures_since.clear();
                        last_success = Some(Instant::now());
                        next += 1;
                    }
                    Err(error) => {
                        failures_since.push(format!("{error} ({} ms)", attempt.elapsed().as_millis()));
                        report.failed += 1;
                        etcd = None; // members may have new addresses: reconnect
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            report
        });
        Writer { prefix: prefix.to_string(), stop, task }
    }

    /// Stops writing, reads every key back (a linearizable read) and fails the test if an
    /// acknowledged key is missing. Returns what the writer saw.
    pub async fn stop_and_check(self, client: &Client) -> WriterReport {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let report = self.task.await.expect("the writer ends");
        assert!(
            !report.acknowledged.is_empty(),
            "the writer under {} had no write acknowledged",
            self.prefix
        );
        let mut reader = connect_to_members(client).await.expect("a member answers");
        let stored = reader
            .get(self.prefix.as_str(), Some(etcd_client::GetOptions::new().with_prefix()))
            .await
            .expect("a linearizable read of every key");
        let present: std::collections::HashSet<u64> =
            stored.kvs().iter().filter_map(|kv| kv.value_str().ok()?.parse().ok()).collect();
        let lost: Vec<u64> = report.acknowledged.iter().filter(|k| !present.contains(k)).copied().collect();
        assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
        report
    }
}

/// The image of a Pod's etcd container.
pub fn image_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.iter().find(|c| c.name == "etcd"))
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}
