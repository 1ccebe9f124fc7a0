//! Backups and restores end to end on the sandbox with real etcd: 10,000 keys are written,
//! backed up to a local path and to an S3-compatible server (moto) started by the test, each
//! snapshot is checked with etcdutl and by its recorded SHA-256, and each is restored into a
//! new 3-member cluster whose every key and value real etcdctl compares.
//!
//! Runs as root (the sandbox's node), as CI does; needs moto (`scripts/prereqs.sh`).

mod backup_support;
mod common;

use std::collections::BTreeMap;

use backup_support::{
    Filled, S3Server, backup_stored, backup_until_final, check_stored, cluster_with_keys,
    restore_and_compare, s3_secret, sha256_of, snapshot_status,
};
use serde_json::json;
use shared::crd::BackupPhase;

#[tokio::test]
async fn back_up_to_a_local_path_and_to_s3_and_restore_each() {
    let started = std::time::Instant::now();
    let Filled { sb, operator, clusters, written, .. } = cluster_with_keys(3, "3.5.30", 10_000, "a").await;
    println!("ready with {} keys in {:.1} s", written.len(), started.elapsed().as_secs_f64());

    // A local path: a folder on the operator's machine.
    let folder = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", folder.path().join("backups").display());
    let (status, took) = backup_until_final(
        &sb.client,
        "once",
        json!({"clusterName": "demo", "destination": {"url": url}}),
        120,
    )
    .await;
    assert_eq!(status.phase, Some(BackupPhase::Succeeded), "{status:#?}");
    let info = status.snapshot.clone().expect("snapshot recorded");
    println!(
        "file:// backup: {} bytes at revision {} from {} in {:.2} s ({:.1} MiB/s)",
        info.size_bytes,
        info.revision,
        info.member.as_deref().unwrap_or("?"),
        took.as_secs_f64(),
        info.size_bytes as f64 / 1048576.0 / took.as_secs_f64()
    );
    assert!(
        info.location.starts_with(&format!("{url}/demo/once-")) && info.location.ends_with(".db"),
        "{info:?}"
    );
    assert_eq!(info.etcd_version, "3.5.30");
    assert!(status.started_at.is_some() && status.completed_at.is_some());
    assert_eq!(status.reason, None);
    let file = std::path::PathBuf::from(info.location.trim_start_matches("file://"));
    assert_eq!(std::fs::metadata(&file).expect("snapshot file").len() as i64, info.size_bytes);
    assert_eq!(sha256_of(&file), info.sha256, "recorded sha256 is the file's");
    let etcdutl = snapshot_status("3.5.30", &file).await;
    println!("etcdutl snapshot status: {etcdutl}");
    assert_eq!(etcdutl["revision"].as_i64(), Some(info.revision), "revision");
    assert!(etcdutl["totalKey"].as_i64().is_some_and(|n| n >= 10_000), "{etcdutl}");
    let cluster = clusters.get("demo").await.expect("cluster");
    let last = cluster.status.and_then(|s| s.last_backup).expect("status.lastBackup");
    assert_eq!(last.location, info.location, "the cluster shows its last backup");

    // An S3-compatible store, reached at the sandbox's gateway.
    let gateway = sb.sandbox.node.as_ref().expect("node").gateway();
    let s3 = S3Server::start(gateway, "snapshots").await;
    s3_secret(&sb.client, "s3-credentials").await;
    let destination = json!({
        "url": "s3://snapshots/etcd",
        "credentialsSecret": "s3-credentials",
        "s3": {"endpoint": s3.endpoint, "forcePathStyle": true, "allowHttp": true}
    });
    let info = backup_stored(&sb.client, "to-s3", &destination).await;
    let key = info.location.trim_start_matches("s3://snapshots/").to_string();
    assert!(key.starts_with("etcd/demo/to-s3-"), "{key}");
    assert_eq!(s3.keys("snapshots", "etcd/").await, vec![key.clone()]);
    // Read it back through the same store code, into a file for etcdutl.
    let credentials = BTreeMap::from([
        ("AWS_ACCESS_KEY_ID".to_string(), "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "testing".to_string()),
    ]);
    check_stored(&destination, &credentials, &info, "3.5.30").await;

    // Restore each into a new 3-member cluster, side by side.
    let (from_file, from_s3) = tokio::join!(
        restore_and_compare(&sb.client, "from-file", json!({"backup": "once"}), 3, "3.5.30", &written),
        restore_and_compare(&sb.client, "from-s3", json!({"backup": "to-s3"}), 3, "3.5.30", &written),
    );
    println!(
        "restored into 3 members, 10,000 keys equal on each: from file:// in {:.1} s, from s3:// in {:.1} s",
        from_file.as_secs_f64(),
        from_s3.as_secs_f64()
    );

    operator.abort();
    s3.stop().await;
    sb.stop().await;
}
