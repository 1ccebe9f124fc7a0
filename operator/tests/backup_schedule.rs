//! Scheduled backups on the sandbox with real etcd: a schedule every 3 seconds with
//! retention keepLast 2 keeps exactly the 2 newest snapshots; a destination that fails
//! reports the failure and leaves the kept snapshots alone.
//!
//! Runs as root (the sandbox's node), as CI does.

mod backup_support;
mod common;

use std::time::{Duration, Instant};

use backup_support::{Filled, cluster_with_keys, create_backup, s3_secret, wait_backup};
use kube::api::{Patch, PatchParams};
use serde_json::json;
use shared::crd::BackupPhase;

/// The snapshot files in a folder, sorted.
fn files(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_schedule_keeps_the_newest_two_and_survives_a_failing_destination() {
    let Filled { sb, operator, .. } = cluster_with_keys(1, "3.5.30", 100, "s").await;

    let root = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", root.path().display());
    let folder = root.path().join("demo");
    let backups = create_backup(
        &sb.client,
        "every3s",
        json!({
            "clusterName": "demo",
            "destination": {"url": url},
            "schedule": "*/3 * * * * *",
            "retention": {"keepLast": 2}
        }),
    )
    .await;
    // Count runs by their distinct snapshots; after 4, retention must have kept 2.
    let started = Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 4 {
        assert!(started.elapsed() < Duration::from_secs(60), "4 scheduled runs not within 60 s: {seen:?}");
        let status = backups.get("every3s").await.expect("backup").status.unwrap_or_default();
        if let Some(snapshot) = status.snapshot {
            seen.insert(snapshot.location);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("4 scheduled snapshots in {:.1} s", started.elapsed().as_secs_f64());
    let (status, _) = wait_backup(&backups, "every3s", 10, |s| s.phase == Some(BackupPhase::Succeeded)).await;
    assert!(status.next_schedule_time.is_some(), "{status:#?}");
    let kept = files(&folder);
    assert_eq!(kept.len(), 2, "retention keepLast 2 keeps exactly 2: {kept:?}");
    let newest: Vec<String> =
        seen.iter().rev().take(2).map(|l| l.rsplit('/').next().unwrap_or_default().to_string()).collect();
    let mut newest_sorted = newest.clone();
    newest_sorted.sort();
    assert_eq!(kept, newest_sorted, "the 2 newest are kept");
    assert_eq!(status.retained.len(), 2, "{:#?}", status.retained);
    assert_eq!(status.retained.first(), status.snapshot.as_ref(), "newest first");

    // A destination that cannot be reached: the attempt fails, says why, and nothing kept
    // so far is touched.
    s3_secret(&sb.client, "s3-credentials").await;
    let unreachable = json!({"spec": {"destination": {
        "url": "s3://nowhere/etcd",
        "credentialsSecret": "s3-credentials",
        "s3": {"endpoint": "http://127.0.0.1:9", "forcePathStyle": true, "allowHttp": true}
    }}});
    let before = files(&folder);
    backups.patch("every3s", &PatchParams::default(), &Patch::Merge(unreachable)).await.expect("patched");
    let (failed, _) = wait_backup(&backups, "every3s", 90, |s| s.phase == Some(BackupPhase::Failed)).await;
    println!(
        "failing destination: {} — {}",
        failed.reason.as_deref().unwrap_or("?"),
        failed.message.as_deref().unwrap_or("?")
    );
    assert_eq!(failed.reason.as_deref(), Some("StoreUnreachable"), "{failed:#?}");
    assert!(failed.message.as_deref().is_some_and(|m| m.contains("127.0.0.1:9")), "{failed:#?}");
    assert_eq!(failed.retained.len(), 2, "kept snapshots are still listed");
    assert!(failed.snapshot.is_some(), "the last good snapshot is still recorded");
    assert!(failed.conditions.iter().any(|c| c.type_ == "Failed" && c.reason == "StoreUnreachable"));
    // Only the runs before the patch could have written; whatever they wrote, 2 are kept and
    // the failing runs delete nothing.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = files(&folder);
    assert_eq!(after.len(), 2, "{before:?} -> {after:?}");

    operator.abort();
    sb.stop().await;
}
