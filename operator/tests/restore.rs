//! Restores that must be refused, and one across versions, on the sandbox with real etcd:
//! a snapshot with one byte flipped and a missing one fail with a clear reason and create
//! nothing; a 3.4 snapshot restores into a 3.5 cluster with every key.
//!
//! Runs as root (the sandbox's node), as CI does.

mod backup_support;
mod common;

use backup_support::{
    cluster_names, create_backup, create_restore, restore_and_compare, wait_backup, wait_restore, write_keys,
};
use common::{create_cluster, operator, pod_ips, sandbox, wait_running};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::Api;
use serde_json::json;
use shared::crd::{BackupPhase, RestorePhase};

#[tokio::test]
async fn a_3_4_snapshot_restores_into_3_5_and_bad_snapshots_are_refused() {
    let sb = sandbox().await;
    let operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, json!({"size": 1, "version": "3.4.23"})).await;
    wait_running(&clusters, 1, "create 3.4").await;
    let ip = pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
    let written = write_keys(&ip, 2_000, "v34").await;

    let root = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", root.path().display());
    let backups =
        create_backup(&sb.client, "v34", json!({"clusterName": "demo", "destination": {"url": url}})).await;
    let (status, _) = wait_backup(&backups, "v34", 60, |s| {
        matches!(s.phase, Some(BackupPhase::Succeeded | BackupPhase::Failed))
    })
    .await;
    let info = status.snapshot.clone().unwrap_or_else(|| panic!("{status:#?}"));
    assert_eq!(info.etcd_version, "3.4.23");
    let snapshot_file = std::path::PathBuf::from(info.location.trim_start_matches("file://"));

    // One byte flipped in the middle of a copy.
    let corrupt = root.path().join("corrupt.db");
    let mut bytes = std::fs::read(&snapshot_file).expect("snapshot");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&corrupt, &bytes).expect("corrupt copy");
    let restores = create_restore(
        &sb.client,
        "corrupt",
        json!({"clusterName": "bad-a", "source": {"location": {"url": format!("file://{}", corrupt.display())}}, "size": 3, "version": "3.5.30"}),
    )
    .await;
    let (failed, _) = wait_restore(&restores, "corrupt", 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    println!(
        "corrupt: {} — {}",
        failed.reason.as_deref().unwrap_or("?"),
        failed.message.as_deref().unwrap_or("?")
    );
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
    create_restore(
        &sb.client,
        "missing",
        json!({"clusterName": "bad-c", "source": {"location": {"url": format!("{url}/demo/missing.db")}}, "version": "3.5.30"}),
    )
    .await;
    let (failed, _) = wait_restore(&restores, "missing", 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    println!(
        "missing: {} — {}",
        failed.reason.as_deref().unwrap_or("?"),
        failed.message.as_deref().unwrap_or("?")
    );
    assert_eq!(failed.reason.as_deref(), Some("SnapshotNotFound"));

    // A backup that does not exist.
    create_restore(&sb.client, "no-backup", json!({"clusterName": "bad-d", "source": {"backup": "nope"}}))
        .await;
    let (failed, _) =
        wait_restore(&restores, "no-backup", 60, |s| s.phase == Some(RestorePhase::Failed)).await;
    assert_eq!(failed.reason.as_deref(), Some("BackupNotFound"));

    // Nothing was half-created: no cluster, Pod or claim of any refused restore.
    assert_eq!(cluster_names(&sb.client).await, ["demo"]);
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(sb.client.clone(), "default");
    let leftovers: Vec<String> = pods
        .list(&Default::default())
        .await
        .expect("pods")
        .items
        .iter()
        .map(kube::ResourceExt::name_any)
        .chain(
            claims
                .list(&Default::default())
                .await
                .expect("claims")
                .items
                .iter()
                .map(kube::ResourceExt::name_any),
        )
        .filter(|n| n.starts_with("bad-"))
        .collect();
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

    // A seed that cannot start (no image of etcd 3.5.2 on this node) says which step fails
    // and why, in the status and in an Event, while the restore keeps trying.
    create_restore(
        &sb.client,
        "no-image",
        json!({"clusterName": "stuck", "source": {"backup": "v34"}, "size": 1, "version": "3.5.2"}),
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
