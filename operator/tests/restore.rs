//! Restores that must be refused, and one across versions, on the sandbox with real etcd:
//! a snapshot with one byte flipped and a missing one fail with a clear reason and create
//! nothing; a 3.4 snapshot restores into a 3.5 cluster with every key; claims a deleted
//! cluster retained are never restored over; a seed whose `snapshot restore` dies part-way is
//! seeded again.
//!
//! Runs as root (the sandbox's node), as CI does.

mod backup_support;
mod common;

use backup_support::{
    Filled, backup_until_final, cluster_names, cluster_with_keys, create_restore, restore_and_compare,
    wait_restore,
};
use common::{create_cluster, operator, pod_ips, sandbox, wait_running};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::Api;
use serde_json::json;
use shared::crd::{BackupPhase, EtcdCluster, EtcdRestore, RestorePhase};

/// Creates EtcdRestore `name` with `spec`, waits until it has Failed, prints why.
async fn refused(
    client: &kube::Client,
    name: &str,
    spec: serde_json::Value,
) -> shared::crd::EtcdRestoreStatus {
    let restores = create_restore(client, name, spec).await;
    let (failed, _) = wait_restore(&restores, name, 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    println!(
        "{name}: {} — {}",
        failed.reason.as_deref().unwrap_or("?"),
        failed.message.as_deref().unwrap_or("?")
    );
    failed
}

/// A running single-member cluster `demo` whose claim is kept when it is deleted.
async fn retained_single(client: &kube::Client, what: &str) -> Api<EtcdCluster> {
    let clusters = create_cluster(
        client,
        json!({"size": 1, "version": "3.5.30", "storage": {"retainPolicy": "Retain"}}),
    )
    .await;
    wait_running(&clusters, 1, what).await;
    clusters
}

/// A one-shot EtcdBackup `name` of `demo` into a new local folder, once it has ended.
async fn file_backup(
    client: &kube::Client,
    name: &str,
) -> (tempfile::TempDir, shared::crd::EtcdBackupStatus) {
    let root = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", root.path().display());
    let (status, _) =
        backup_until_final(client, name, json!({"clusterName": "demo", "destination": {"url": url}}), 60)
            .await;
    (root, status)
}

#[tokio::test]
async fn a_3_4_snapshot_restores_into_3_5_and_bad_snapshots_are_refused() {
    let Filled { sb, operator, written, .. } = cluster_with_keys(1, "3.4.23", 2_000, "v34").await;

    let (root, status) = file_backup(&sb.client, "v34").await;
    let info = status.snapshot.clone().unwrap_or_else(|| panic!("{status:#?}"));
    assert_eq!(info.etcd_version, "3.4.23");
    let snapshot_file = std::path::PathBuf::from(info.location.trim_start_matches("file://"));

    // One byte flipped in the middle of a copy.
    let corrupt = root.path().join("corrupt.db");
    let mut bytes = std::fs::read(&snapshot_file).expect("snapshot");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&corrupt, &bytes).expect("corrupt copy");
    let restores: Api<EtcdRestore> = Api::namespaced(sb.client.clone(), "default");
    let failed = refused(
        &sb.client,
        "corrupt",
        json!({"clusterName": "bad-a", "source": {"location": {"url": format!("file://{}", corrupt.display())}}, "size": 3, "version": "3.5.30"}),
    )
    .await;
    assert_eq!(failed.reason.as_deref(), Some("SnapshotCorrupt"));
    assert!(failed.conditions.iter().any(|c| c.type_ == "Failed" && c.reason == "SnapshotCorrupt"));

    // The right file with a wrong recorded checksum is refused as well.
    create_restore(
        &sb.client,
        "wrong-sum",
        json!({"clusterName": "bad-b", "source": {"location": {"url": info.location}, "sha256": "0".repeat(64)}, "version": "3.5.30"}),
    )
    .await;
    let (failed, _) =
        wait_restore(&restores, "wrong-sum", 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    assert_eq!(failed.reason.as_deref(), Some("SnapshotCorrupt"), "{failed:#?}");

    // A snapshot that is not there.
    let failed = refused(
        &sb.client,
        "missing",
        json!({"clusterName": "bad-c", "source": {"location": {"url": format!("file://{}/demo/missing.db", root.path().display())}}, "version": "3.5.30"}),
    )
    .await;
    assert_eq!(failed.reason.as_deref(), Some("SnapshotNotFound"));

    // A backup that does not exist.
    create_restore(&sb.client, "no-backup", json!({"clusterName": "bad-d", "source": {"backup": "nope"}}))
        .await;
    let (failed, _) =
        wait_restore(&restores, "no-backup", 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    assert_eq!(failed.reason.as_deref(), Some("BackupNotFound"));

    // Nothing was half-created: no cluster, Pod or claim of any refused restore.
    assert_eq!(cluster_names(&sb.client).await, ["demo"]);
    let mut leftovers = names_of::<Pod>(&sb.client, "bad-").await;
    leftovers.extend(names_of::<PersistentVolumeClaim>(&sb.client, "data-bad-").await);
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Restoring into a name that exists is refused, and the existing cluster is untouched.
    create_restore(&sb.client, "taken", json!({"clusterName": "demo", "source": {"backup": "v34"}})).await;
    let (failed, _) = wait_restore(&restores, "taken", 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    assert_eq!(failed.reason.as_deref(), Some("ClusterExists"));

    // 3.4.23 snapshot -> 3.5.30 cluster of 3.
    let took =
        restore_and_compare(&sb.client, "upgraded", json!({"backup": "v34"}), 3, "3.5.30", &written).await;
    println!(
        "3.4.23 snapshot restored into 3 members of 3.5.30 in {:.1} s, 2,000 keys equal on each",
        took.as_secs_f64()
    );

    // A seed that cannot start (no image of etcd 3.5.29 on this node) says which step fails
    // and why, in the status and in an Event, while the restore keeps trying.
    create_restore(
        &sb.client,
        "no-image",
        json!({"clusterName": "stuck", "source": {"backup": "v34"}, "size": 1, "version": "3.5.29"}),
    )
    .await;
    let (stuck, _) =
        wait_restore(&restores, "no-image", 60, |s| s.reason.as_deref() == Some("SeedFailing")).await;
    let message = stuck.message.clone().unwrap_or_default();
    println!("seed failing: {message}");
    assert_eq!(stuck.phase, Some(RestorePhase::Restoring));
    assert!(
        message.contains("stuck-0") && message.contains("restore-snapshot cannot start: ErrImagePull"),
        "{message}"
    );
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(sb.client.clone(), "default");
    let reasons: Vec<(String, String)> = events
        .list(&Default::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.kind.as_deref()) == Some("EtcdRestore"))
        .map(|e| (e.regarding.and_then(|r| r.name).unwrap_or_default(), e.reason.unwrap_or_default()))
        .collect();
    println!("restore events: {reasons:?}");
    for expected in [("no-image", "SeedFailing"), ("corrupt", "SnapshotCorrupt"), ("upgraded", "Restored")] {
        assert!(
            reasons.iter().any(|(n, r)| n == expected.0 && r == expected.1),
            "{expected:?} in {reasons:?}"
        );
    }
    let backup_events = events.list(&Default::default()).await.expect("events").items;
    assert!(
        backup_events.iter().any(|e| e.reason.as_deref() == Some("BackupSucceeded")
            && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("v34")),
        "a backup publishes an Event"
    );

    operator.abort();
    sb.stop().await;
}

/// The value of `key` on the member at `ip` (etcd 3.5.30's etcdctl), or `None` when absent.
async fn value_of(ip: &str, key: &str) -> Option<String> {
    let out = etcd_sandbox::testkit::etcdctl("3.5.30", ip, &["get", key, "--print-value-only"])
        .await
        .expect("etcdctl get");
    let value = out.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// Names of the claims in `default` that start with `prefix`.
async fn claim_names(client: &kube::Client, prefix: &str) -> Vec<String> {
    names_of::<PersistentVolumeClaim>(client, prefix).await
}

/// Names of the objects of kind `K` in `default` that start with `prefix`.
async fn names_of<K>(client: &kube::Client, prefix: &str) -> Vec<String>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let objects: Api<K> = Api::namespaced(client.clone(), "default");
    objects
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(kube::ResourceExt::name_any)
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// `retainPolicy: Retain` keeps a deleted cluster's claims, which may hold writes newer than
/// any snapshot: a restore under the same name must never start members on them. It is
/// refused before anything is created (`ClaimsExist`, naming the claims), and once they are
/// deleted the same snapshot restores and serves its own data.
#[tokio::test]
async fn a_restore_refuses_the_claims_a_deleted_cluster_retained() {
    let sb = sandbox().await;
    let operator = operator(&sb.client);
    let started = std::time::Instant::now();
    let clusters = retained_single(&sb.client, "create").await;
    let ip = pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
    let mut etcd = etcd_client::Client::connect([format!("http://{ip}:2379")], None).await.expect("connect");
    etcd.put("k", "1", None).await.expect("k=1");

    let (_root, status) = file_backup(&sb.client, "k1").await;
    assert_eq!(status.phase, Some(BackupPhase::Succeeded), "{status:#?}");
    let snapshot = status.snapshot.clone().expect("snapshot recorded");
    etcd.put("k", "2", None).await.expect("k=2, acknowledged after the backup");
    drop(etcd);

    // Delete the cluster; with Retain its claim stays, holding k=2.
    clusters.delete("demo", &Default::default()).await.expect("cluster deleted");
    let deleting = std::time::Instant::now();
    while !cluster_names(&sb.client).await.is_empty() || !common::pods(&sb.client).await.is_empty() {
        assert!(deleting.elapsed() < std::time::Duration::from_secs(60), "the cluster and its Pod go");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(claim_names(&sb.client, "data-demo-").await, ["data-demo-0"], "retained");

    // Restore the k=1 snapshot under the same name.
    let restores = create_restore(
        &sb.client,
        "same-name",
        json!({"clusterName": "demo", "source": {"backup": "k1"}, "size": 1, "version": "3.5.30",
               "storage": {"retainPolicy": "Retain"}}),
    )
    .await;
    let (status, took) = wait_restore(&restores, "same-name", 180, |s| {
        matches!(s.phase, Some(RestorePhase::Succeeded | RestorePhase::Failed))
    })
    .await;
    if status.phase == Some(RestorePhase::Succeeded) {
        let ip = pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
        let k = value_of(&ip, "k").await;
        panic!(
            "the restore into the retained claim Succeeded in {:.1} s and serves k = {k:?} (the snapshot has \
             k = 1): {status:#?}",
            took.as_secs_f64()
        );
    }
    let message = status.message.clone().unwrap_or_default();
    println!(
        "refused in {:.1} s: {} — {message}",
        took.as_secs_f64(),
        status.reason.as_deref().unwrap_or("?")
    );
    assert_eq!(status.reason.as_deref(), Some("ClaimsExist"), "{status:#?}");
    assert!(status.conditions.iter().any(|c| c.type_ == "Failed" && c.reason == "ClaimsExist"));
    assert!(
        message.contains("data-demo-0") && message.contains("delete") && message.contains("another name"),
        "{message}"
    );
    // Nothing was created; the claim is as it was.
    assert!(cluster_names(&sb.client).await.is_empty());
    assert!(common::pods(&sb.client).await.is_empty());
    assert_eq!(claim_names(&sb.client, "data-demo-").await, ["data-demo-0"]);

    // An EtcdCluster seeded from the snapshot directly (no EtcdRestore to check the claims)
    // mounts the retained claim: its seed refuses the data it did not install.
    let seeded: EtcdCluster = serde_json::from_value(json!({
        "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster", "metadata": {"name": "demo"},
        "spec": {"size": 1, "version": "3.5.30", "storage": {"retainPolicy": "Retain"},
                 "bootstrap": {"fromSnapshot": {"location": {"url": snapshot.location}, "sha256": snapshot.sha256}}},
    }))
    .expect("cluster");
    clusters.create(&Default::default(), &seeded).await.expect("seeded cluster created");
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let waiting = std::time::Instant::now();
    loop {
        let failed = pods.get_opt("demo-0").await.expect("pod").and_then(|p| {
            p.status?.init_container_statuses?.into_iter().find(|c| {
                let exit = |s: &Option<k8s_openapi::api::core::v1::ContainerState>| {
                    s.as_ref().and_then(|s| s.terminated.as_ref()).map(|t| t.exit_code)
                };
                c.name == "fetch-snapshot" && (exit(&c.state) == Some(1) || exit(&c.last_state) == Some(1))
            })
        });
        if failed.is_some() {
            break;
        }
        assert!(waiting.elapsed() < std::time::Duration::from_secs(60), "the seed refuses the claim");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let params = kube::api::LogParams { container: Some("fetch-snapshot".into()), ..Default::default() };
    let log = pods.logs("demo-0", &params).await.expect("the seed's log");
    println!("seed refused in {:.1} s: {}", waiting.elapsed().as_secs_f64(), log.trim());
    assert!(log.contains("DataExists") && log.contains("that no restore installed"), "{log}");
    clusters.delete("demo", &Default::default()).await.expect("seeded cluster deleted");
    let deleting = std::time::Instant::now();
    while !cluster_names(&sb.client).await.is_empty() || !common::pods(&sb.client).await.is_empty() {
        assert!(deleting.elapsed() < std::time::Duration::from_secs(60), "the cluster and its Pod go");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // The retained data is as it was: a cluster of that name started on it serves k=2.
    let clusters = retained_single(&sb.client, "restart on the retained claim").await;
    let ip = pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
    assert_eq!(value_of(&ip, "k").await.as_deref(), Some("2"), "the acknowledged write is kept");
    clusters.delete("demo", &Default::default()).await.expect("cluster deleted");
    let deleting = std::time::Instant::now();
    while !cluster_names(&sb.client).await.is_empty() || !common::pods(&sb.client).await.is_empty() {
        assert!(deleting.elapsed() < std::time::Duration::from_secs(60), "the cluster and its Pod go");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    // Deleting the claim (after copying what is needed from it) lets the same snapshot
    // restore under the same name, with the snapshot's data.
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(sb.client.clone(), "default");
    claims.delete("data-demo-0", &Default::default()).await.expect("claim deleted");
    let deleting = std::time::Instant::now();
    while !claim_names(&sb.client, "data-demo-").await.is_empty() {
        assert!(deleting.elapsed() < std::time::Duration::from_secs(60), "the claim goes");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    create_restore(
        &sb.client,
        "after-cleanup",
        json!({"clusterName": "demo", "source": {"backup": "k1"}, "size": 1, "version": "3.5.30"}),
    )
    .await;
    let (status, took) = wait_restore(&restores, "after-cleanup", 180, |s| {
        matches!(s.phase, Some(RestorePhase::Succeeded | RestorePhase::Failed))
    })
    .await;
    assert_eq!(status.phase, Some(RestorePhase::Succeeded), "{status:#?}");
    let ip = pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
    assert_eq!(value_of(&ip, "k").await.as_deref(), Some("1"), "the snapshot's value");
    println!(
        "after deleting the claim, restored under the same name in {:.1} s: k = 1 (test took {:.1} s)",
        took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    operator.abort();
    sb.stop().await;
}

/// Waits for the `snapshot restore` process of `member` to have the staging folder open
/// (its copy of the database under way), then kills it with SIGKILL, as an OOM kill or a
/// node's pressure would. Returns what it saw open.
fn kill_restore_part_way(member: String, seconds: u64) -> String {
    let name_flag = format!("--name={member}");
    let started = std::time::Instant::now();
    loop {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(seconds),
            "no restore process of {member}"
        );
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let dir = entry.path();
            let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else { continue };
            let args: Vec<String> =
                cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let restoring = args.windows(2).any(|w| w[0] == "snapshot" && w[1] == "restore");
            if !restoring || !args.contains(&name_flag) {
                continue;
            }
            let open = std::fs::read_dir(dir.join("fd"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .find(|target| target.to_string_lossy().contains("restore/data/"));
            if let Some(target) = open {
                let pid = entry.file_name().to_string_lossy().into_owned();
                let killed =
                    std::process::Command::new("kill").args(["-9", &pid]).status().expect("kill runs");
                assert!(killed.success(), "kill -9 {pid}");
                return target.display().to_string();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A seed member whose `snapshot restore` dies part-way (killed while it writes the staging
/// folder) leaves files there; a kubelet retries only that init container, which then
/// refuses the folder for ever. The operator sees the refusal, makes the member's Pod again
/// (a Warning Event `MemberReseeded`), every seed step runs from the first, and the restore
/// succeeds with every key on every member.
#[tokio::test]
async fn a_seed_whose_restore_dies_part_way_is_seeded_again() {
    let Filled { sb, operator, written, .. } = cluster_with_keys(1, "3.5.30", 20_000, "killed").await;
    let (_root, status) = file_backup(&sb.client, "full").await;
    assert_eq!(status.phase, Some(BackupPhase::Succeeded), "{status:#?}");

    let killer = tokio::task::spawn_blocking(|| kill_restore_part_way("reseeded-1".into(), 120));
    let restore =
        restore_and_compare(&sb.client, "reseeded", json!({"backup": "full"}), 3, "3.5.30", &written);
    let (took, killed) = tokio::join!(restore, killer);
    let killed = killed.expect("the killer ran");
    println!(
        "killed reseeded-1's snapshot restore while it had {killed} open; the restore succeeded in {:.1} s, \
         20,000 keys equal on each of 3 members",
        took.as_secs_f64()
    );
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(sb.client.clone(), "default");
    let reseeded: Vec<_> = events
        .list(&Default::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("MemberReseeded"))
        .collect();
    println!("{:?}", reseeded.iter().map(|e| e.note.clone().unwrap_or_default()).collect::<Vec<_>>());
    assert!(
        reseeded.iter().any(|e| e.type_.as_deref() == Some("Warning")
            && e.note.as_deref().is_some_and(|n| n.contains("reseeded-1"))
            && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("reseeded")),
        "a Warning Event names the member made again: {reseeded:?}"
    );

    operator.abort();
    sb.stop().await;
}
