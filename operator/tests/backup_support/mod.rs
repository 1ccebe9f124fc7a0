//! What the backup and restore tests share: writing and reading many keys, EtcdBackup and
//! EtcdRestore objects, an S3-compatible server (moto) started by the test, and etcdutl.

#![allow(dead_code)] // each test file uses a part of this module

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use etcd_client::{Client, Txn, TxnOp};
use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};
use shared::crd::{EtcdBackup, EtcdBackupStatus, EtcdRestore, EtcdRestoreStatus};

pub mod stores;
#[allow(unused_imports)] // each test file uses a part of this module
pub use stores::*;

/// A running cluster `demo` holding keys, with the operator running in this process.
pub struct Filled {
    /// The test's sandbox.
    pub sb: etcd_sandbox::testkit::TestSandbox,
    /// The operator (abort it at the end).
    pub operator: tokio::task::JoinHandle<()>,
    /// The EtcdClusters of `default`.
    pub clusters: Api<shared::crd::EtcdCluster>,
    /// The first member's IP.
    pub ip: String,
    /// The keys written and their values.
    pub written: BTreeMap<String, String>,
}

/// Starts a sandbox and the operator, creates `demo` with `size` members at `version`,
/// waits until it runs and writes `count` keys tagged `tag` through its first member.
pub async fn cluster_with_keys(size: usize, version: &str, count: usize, tag: &str) -> Filled {
    let sb = crate::common::sandbox().await;
    let operator = crate::common::operator(&sb.client);
    let clusters = crate::common::create_cluster(&sb.client, json!({"size": size, "version": version})).await;
    crate::common::wait_running(&clusters, size, &format!("create {version}")).await;
    let ip = crate::common::pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
    let written = write_keys(&ip, count, tag).await;
    Filled { sb, operator, clusters, ip, written }
}

/// Writes `count` keys `key-<n>` = `value-<n>-<tag>` in transactions of 100.
pub async fn write_keys(ip: &str, count: usize, tag: &str) -> BTreeMap<String, String> {
    let mut client = Client::connect([format!("http://{ip}:2379")], None).await.expect("connect");
    let mut written = BTreeMap::new();
    let keys: Vec<usize> = (0..count).collect();
    for batch in keys.chunks(100) {
        let ops: Vec<TxnOp> = batch
            .iter()
            .map(|n| {
                let (key, value) = (format!("key-{n:05}"), format!("value-{n:05}-{tag}"));
                written.insert(key.clone(), value.clone());
                TxnOp::put(key, value, None)
            })
            .collect();
        client.txn(Txn::new().and_then(ops)).await.expect("txn");
    }
    written
}

/// Every key and value the member at `ip` holds, as real etcdctl prints them.
pub async fn dump(version: &str, ip: &str) -> BTreeMap<String, String> {
    let out = etcd_sandbox::testkit::etcdctl(version, ip, &["get", "", "--prefix"])
        .await
        .expect("etcdctl get --prefix");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len() % 2, 0, "etcdctl prints key and value lines");
    lines.chunks(2).map(|kv| (kv[0].to_string(), kv[1].to_string())).collect()
}

/// Creates an EtcdBackup from a spec (JSON).
pub async fn create_backup(client: &kube::Client, name: &str, spec: Value) -> Api<EtcdBackup> {
    let api: Api<EtcdBackup> = Api::namespaced(client.clone(), "default");
    let backup: EtcdBackup =
        serde_json::from_value(json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdBackup", "metadata": {"name": name}, "spec": spec}))
            .expect("backup");
    api.create(&PostParams::default(), &backup).await.expect("backup created");
    api
}

/// Waits until `check` holds for the backup's status.
pub async fn wait_backup(
    api: &Api<EtcdBackup>,
    name: &str,
    seconds: u64,
    check: impl Fn(&EtcdBackupStatus) -> bool,
) -> (EtcdBackupStatus, Duration) {
    let started = Instant::now();
    loop {
        let status = api.get(name).await.expect("backup").status.unwrap_or_default();
        if check(&status) {
            return (status, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "backup {name}: not within {seconds} s: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Creates an EtcdBackup from a spec (JSON) and waits up to `seconds` until it has
/// succeeded or failed.
pub async fn backup_until_final(
    client: &kube::Client,
    name: &str,
    spec: Value,
    seconds: u64,
) -> (EtcdBackupStatus, Duration) {
    let api = create_backup(client, name, spec).await;
    wait_backup(&api, name, seconds, |s| {
        matches!(s.phase, Some(shared::crd::BackupPhase::Succeeded | shared::crd::BackupPhase::Failed))
    })
    .await
}

/// Backs `demo` up as EtcdBackup `name` to `destination` (JSON), checks it succeeded, prints
/// its size, revision and time, and returns what it recorded.
pub async fn backup_stored(
    client: &kube::Client,
    name: &str,
    destination: &Value,
) -> shared::crd::SnapshotInfo {
    let spec = json!({"clusterName": "demo", "destination": destination});
    let (status, took) = backup_until_final(client, name, spec, 120).await;
    assert_eq!(status.phase, Some(shared::crd::BackupPhase::Succeeded), "{status:#?}");
    let info = status.snapshot.expect("snapshot recorded");
    let scheme = info.location.split("://").next().unwrap_or_default();
    println!(
        "{scheme}:// backup: {} bytes at revision {} in {:.2} s",
        info.size_bytes,
        info.revision,
        took.as_secs_f64()
    );
    info
}

/// Backs `demo` up to `destination` (JSON) as `name` and expects the store to refuse it
/// with `reason`; prints what the operator said.
pub async fn backup_refused(client: &kube::Client, name: &str, destination: &Value, reason: &str) {
    let spec = json!({"clusterName": "demo", "destination": destination});
    let (failed, _) = backup_until_final(client, name, spec, 120).await;
    println!("{name}: {:?}: {:?}", failed.reason, failed.message);
    assert_eq!(failed.phase, Some(shared::crd::BackupPhase::Failed), "{failed:#?}");
    assert_eq!(failed.reason.as_deref(), Some(reason), "{failed:#?}");
}

/// Reads the snapshot `info` names back through the operator's store code, with
/// `destination`'s options (JSON) and `credentials`, checks its hashes and, with etcdutl of
/// `version`, its revision; prints what etcdutl says.
pub async fn check_stored(
    destination: &Value,
    credentials: &BTreeMap<String, String>,
    info: &shared::crd::SnapshotInfo,
    version: &str,
) {
    let mut source: shared::crd::StorageLocation =
        serde_json::from_value(destination.clone()).expect("location");
    source.url = info.location.clone();
    let folder = tempfile::tempdir().expect("temp dir");
    let copy = folder.path().join("read-back.db");
    read_back(&source, credentials, &info.sha256, &copy).await;
    let etcdutl = snapshot_status(version, &copy).await;
    println!("etcdutl snapshot status: {etcdutl}");
    assert_eq!(etcdutl["revision"].as_i64(), Some(info.revision));
}

/// Creates an EtcdRestore from a spec (JSON).
pub async fn create_restore(client: &kube::Client, name: &str, spec: Value) -> Api<EtcdRestore> {
    let api: Api<EtcdRestore> = Api::namespaced(client.clone(), "default");
    let restore: EtcdRestore =
        serde_json::from_value(json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdRestore", "metadata": {"name": name}, "spec": spec}))
            .expect("restore");
    api.create(&PostParams::default(), &restore).await.expect("restore created");
    api
}

/// Waits until `check` holds for the restore's status.
pub async fn wait_restore(
    api: &Api<EtcdRestore>,
    name: &str,
    seconds: u64,
    check: impl Fn(&EtcdRestoreStatus) -> bool,
) -> (EtcdRestoreStatus, Duration) {
    let started = Instant::now();
    loop {
        let status = api.get(name).await.expect("restore").status.unwrap_or_default();
        if check(&status) {
            return (status, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "restore {name}: not within {seconds} s: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `etcdutl snapshot status -w json` of etcd `version` on a file.
pub async fn snapshot_status(version: &str, file: &std::path::Path) -> Value {
    etcd_sandbox::testkit::snapshot_status(version, file).await.expect("etcdutl snapshot status runs")
}

/// SHA-256 of a file, in hex.
pub fn sha256_of(file: &std::path::Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(file).expect("read");
    shared::snapshot::hex(sha2::Sha256::digest(&bytes).as_slice())
}

/// Reads the snapshot at `location` back through the operator's store code into
/// `folder/name`, checks it has `sha256` and etcd's hash, and returns the file (for etcdutl).
pub async fn read_back(
    location: &shared::crd::StorageLocation,
    credentials: &BTreeMap<String, String>,
    sha256: &str,
    file: &std::path::Path,
) {
    let opened = etcd_operator::backup::store::open(location, credentials).expect("store opens");
    let mut out = tokio::fs::File::create(file).await.expect("create");
    let digest =
        etcd_operator::backup::snapshot::read_object(&opened, Some(&mut out)).await.expect("read back");
    assert_eq!(digest.sha256, sha256, "the recorded sha256");
    assert_eq!(digest.problem(Some(sha256)), None, "etcd's hash");
}

/// IPs of the member Pods of cluster `name`.
pub async fn cluster_ips(client: &kube::Client, name: &str) -> Vec<String> {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "default");
    let selector = kube::api::ListParams::default().labels(&format!("etcd.kubectl-etcd.dev/cluster={name}"));
    pods.list(&selector)
        .await
        .expect("pods")
        .items
        .iter()
        .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
        .collect()
}

/// Names of the EtcdClusters in `default`.
pub async fn cluster_names(client: &kube::Client) -> Vec<String> {
    let clusters: Api<shared::crd::EtcdCluster> = Api::namespaced(client.clone(), "default");
    clusters
        .list(&Default::default())
        .await
        .expect("clusters")
        .items
        .iter()
        .map(kube::ResourceExt::name_any)
        .collect()
}

/// Restores `backup` (an EtcdBackup name) into a new cluster `name` of `size` members and
/// checks every key and value of `expected` on every member with real etcdctl. Returns how
/// long the restore took until the cluster ran at its size.
pub async fn restore_and_compare(
    client: &kube::Client,
    name: &str,
    source: Value,
    size: usize,
    version: &str,
    expected: &BTreeMap<String, String>,
) -> Duration {
    let restores = create_restore(
        client,
        name,
        json!({"clusterName": name, "source": source, "size": size, "version": version}),
    )
    .await;
    let (status, took) = wait_restore(&restores, name, 240, |s| {
        matches!(s.phase, Some(shared::crd::RestorePhase::Succeeded | shared::crd::RestorePhase::Failed))
    })
    .await;
    assert_eq!(status.phase, Some(shared::crd::RestorePhase::Succeeded), "{status:#?}");
    let ips = cluster_ips(client, name).await;
    assert_eq!(ips.len(), size, "{name}: {ips:?}");
    for ip in &ips {
        let got = dump(version, ip).await;
        let missing = expected.iter().filter(|(k, v)| got.get(*k) != Some(*v)).count();
        assert_eq!(
            missing,
            0,
            "{name} member {ip}: {missing} of {} keys missing or different",
            expected.len()
        );
        assert_eq!(got.len(), expected.len(), "{name} member {ip}: no other keys");
    }
    took
}
