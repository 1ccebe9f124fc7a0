//! Rolling upgrades end to end, with real etcd 3.4.23, 3.5.16 and 3.5.30 on the sandbox: members
//! change one at a time, followers first and the leader last after leadership moved, while
//! a writer puts keys; no acknowledged write is lost. Persistent members restart in place;
//! ephemeral members are replaced by learners at the new version. An image that cannot
//! start halts the upgrade after one member, with quorum kept and a clear condition, and
//! setting a version that starts lets it finish.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{Writer, create_cluster, operator, pod_ips, sandbox, wait_status};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;
use shared::crd::{BackupPhase, ClusterPhase, EtcdBackup, EtcdCluster, EtcdClusterStatus};

/// Sets `spec.version`.
async fn set_version(clusters: &Api<EtcdCluster>, version: &str) {
    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"version": version}})))
        .await
        .expect("version set");
}

/// Every member voting, healthy and reporting `version`, and the cluster Running.
fn all_at(status: &EtcdClusterStatus, version: &str, size: usize) -> bool {
    status.phase == Some(ClusterPhase::Running)
        && status.current_version.as_deref() == Some(version)
        && status.members.len() == size
        && status.members.iter().all(|m| m.healthy && m.version.as_deref() == Some(version))
}

/// The operator's upgrade Events about `demo` last seen at or after `since`, in the order
/// last seen, as `(reason, member Pod, note)`. (Events with the same reason about the same
/// Pod are one series: its last time counts.)
async fn upgrade_events(client: &Client, since: Timestamp) -> Vec<(String, String, String)> {
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let mut list: Vec<Event> = events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("demo"))
        .filter(|e| matches!(e.reason.as_deref(), Some("MemberVersionChanged" | "LeaderMoved")))
        .filter(|e| last_seen(e) >= Some(since))
        .collect();
    list.sort_by_key(last_seen);
    list.into_iter()
        .map(|e| {
            let pod = e.related.as_ref().and_then(|r| r.name.clone()).unwrap_or_default();
            (e.reason.unwrap_or_default(), pod, e.note.unwrap_or_default())
        })
        .collect()
}

fn last_seen(event: &Event) -> Option<Timestamp> {
    event.series.as_ref().map(|s| s.last_observed_time.0).or(event.event_time.as_ref().map(|t| t.0))
}

/// Upgrades to `version` and checks the round: every member changed once, the leader of
/// the start changed last, right after leadership moved away from it. Returns how long the
/// round took.
async fn upgrade_round(client: &Client, clusters: &Api<EtcdCluster>, version: &str) -> Duration {
    let before = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let leader = before.leader.clone().expect("a leader before the upgrade");
    let since = Timestamp::now();
    let started = Instant::now();
    set_version(clusters, version).await;
    wait_status(clusters, 180, &format!("every member at {version}"), |s| all_at(s, version, 3)).await;
    let took = started.elapsed();
    let round = upgrade_events(client, since).await;
    let changed: Vec<&str> = round
        .iter()
        .filter(|(reason, ..)| reason == "MemberVersionChanged")
        .map(|(_, pod, _)| pod.as_str())
        .collect();
    assert_eq!(changed.len(), 3, "each member changed once: {round:#?}");
    assert_eq!(changed.last(), Some(&leader.as_str()), "the leader changed last: {round:#?}");
    let moved = round.iter().position(|(reason, pod, _)| reason == "LeaderMoved" && *pod != leader);
    let last_change = round.iter().rposition(|(reason, ..)| reason == "MemberVersionChanged");
    assert!(moved.is_some() && moved < last_change, "leadership moved before the leader changed: {round:#?}");
    println!("upgrade to {version}: {:.1} s, order {}", took.as_secs_f64(), changed.join(", "));
    took
}

/// One version change under its own writer: every acknowledged write is read back after
/// it; prints the writes, the failed attempts and the longest gap.
async fn round_under_a_writer(client: &Client, clusters: &Api<EtcdCluster>, label: &str, version: &str) {
    let writer = Writer::start(client, &format!("{label}/"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let took = upgrade_round(client, clusters, version).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = writer.stop_and_check(client).await;
    println!(
        "{label} -> {version} in {:.1} s: {} writes acknowledged and all read back, {} failed attempts, \
         longest gap without a successful write {:.2} s ({})",
        took.as_secs_f64(),
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_secs_f64(),
        report.longest_gap_cause
    );
    assert!(report.acknowledged.len() > 20, "{label}: the writer kept writing through the change");
}

/// The version matrix on persistent members, each change under its own writer: a minor
/// upgrade 3.4.23 -> 3.5.30, a patch rollback 3.5.30 -> 3.5.16 and a patch upgrade
/// 3.5.16 -> 3.5.30, all in place.
#[tokio::test]
async fn persistent_members_upgrade_in_place_leader_last_without_losing_a_write() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(
        &sb.client,
        json!({"size": 3, "version": "3.4.23", "storage": {"kind": "Persistent"}}),
    )
    .await;
    wait_status(&clusters, 120, "created at 3.4.23", |s| all_at(s, "3.4.23", 3)).await;
    let uids: Vec<String> =
        common::pods(&sb.client).await.iter().filter_map(|p| p.metadata.uid.clone()).collect();

    round_under_a_writer(&sb.client, &clusters, "minor 3.4.23", "3.5.30").await;
    // A patch downgrade within a minor (a rollback) keeps the data.
    round_under_a_writer(&sb.client, &clusters, "rollback 3.5.30", "3.5.16").await;
    round_under_a_writer(&sb.client, &clusters, "patch 3.5.16", "3.5.30").await;

    // In place: the same Pods (and so the same members and data), restarted.
    let after: Vec<String> =
        common::pods(&sb.client).await.iter().filter_map(|p| p.metadata.uid.clone()).collect();
    assert_eq!(after, uids, "the same Pods throughout");
    let ips = pod_ips(&sb.client).await;
    let members = common::member_list(&ips[0]).await;
    assert_eq!(members.len(), 3, "{members:?}");
    assert!(members.iter().all(|(_, _, learner)| !learner));
    for ip in &ips {
        let status = common::etcdctl(ip, &["endpoint", "status", "-w", "json"]).await;
        assert!(status.contains("\"version\":\"3.5.30\""), "{ip}: {status}");
    }
    // Each member's own copy (serializable reads) holds the same keys.
    let mut counts = Vec::new();
    for ip in &ips {
        let out = common::etcdctl(ip, &["get", "--prefix", "--keys-only", "--consistency=s", ""]).await;
        counts.push(out.lines().filter(|l| !l.trim().is_empty()).count());
    }
    assert!(counts.iter().all(|c| *c == counts[0] && *c > 60), "keys per member: {counts:?}");
    sb.stop().await;
}

/// A new cluster at the default (newest) version, 3.5.30, under a writer.
#[tokio::test]
async fn a_new_cluster_at_3_5_30_keeps_every_acknowledged_write() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let started = Instant::now();
    let clusters = create_cluster(&sb.client, json!({"size": 3, "version": "3.5.30"})).await;
    wait_status(&clusters, 120, "created at 3.5.30", |s| all_at(s, "3.5.30", 3)).await;
    let created = started.elapsed();
    let writer = Writer::start(&sb.client, "create/");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let report = writer.stop_and_check(&sb.client).await;
    println!(
        "create at 3.5.30: Running in {:.1} s; then {} writes acknowledged and all read back, {} failed \
         attempts, longest gap {:.2} s",
        created.as_secs_f64(),
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_secs_f64()
    );
    assert!(report.acknowledged.len() > 20 && report.failed == 0, "a healthy new cluster takes every write");
    sb.stop().await;
}

#[tokio::test]
async fn ephemeral_members_are_replaced_at_the_new_version_in_one_minor_step() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters =
        create_cluster(&sb.client, json!({"size": 3, "version": "3.4.23", "storage": {"kind": "Ephemeral"}}))
            .await;
    wait_status(&clusters, 120, "created at 3.4.23", |s| all_at(s, "3.4.23", 3)).await;
    let before: Vec<String> = clusters
        .get("demo")
        .await
        .expect("cluster")
        .status
        .unwrap_or_default()
        .members
        .iter()
        .filter_map(|m| m.id.clone())
        .collect();
    let writer = Writer::start(&sb.client, "replace/");
    let started = Instant::now();
    // 3.4.23 straight to 3.5.30: one minor step.
    set_version(&clusters, "3.5.30").await;
    let mut most_learners = 0;
    let mut most_members = 0;
    loop {
        let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
        most_members = most_members.max(status.members.len());
        most_learners = most_learners
            .max(status.members.iter().filter(|m| m.role == Some(shared::crd::MemberRole::Learner)).count());
        if all_at(&status, "3.5.30", 3) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(240), "not upgraded within 240 s: {status:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("ephemeral 3.4.23 -> 3.5.30 by replacement: {:.1} s", started.elapsed().as_secs_f64());
    let report = writer.stop_and_check(&sb.client).await;
    println!(
        "writer: {} writes acknowledged, {} failed attempts, longest gap {:.2} s",
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_secs_f64()
    );
    assert!(most_learners <= 1, "one learner at a time");
    assert!(most_members <= 4, "one extra member at a time, seen {most_members}");
    let after = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    assert!(
        after.members.iter().all(|m| !before.contains(m.id.as_ref().expect("an ID"))),
        "every member was replaced: {before:?} -> {:?}",
        after.members
    );
    let ips = pod_ips(&sb.client).await;
    assert_eq!(common::member_list(&ips[0]).await.len(), 3, "the old members are gone from the list");
    sb.stop().await;
}

#[tokio::test]
async fn an_image_that_cannot_start_halts_the_upgrade_until_a_good_version_is_set() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(
        &sb.client,
        json!({"size": 3, "version": "3.5.16", "storage": {"kind": "Persistent"}}),
    )
    .await;
    wait_status(&clusters, 120, "created at 3.5.16", |s| all_at(s, "3.5.16", 3)).await;
    // 3.5.29 is a real etcd release, but the sandbox has no image of it: it cannot be pulled.
    set_version(&clusters, "3.5.29").await;
    let waited = wait_status(&clusters, 60, "halted and Degraded", |s| {
        s.phase == Some(ClusterPhase::Degraded)
            && s.conditions.iter().any(|c| c.type_ == "Degraded" && c.reason == "MemberFailing")
    })
    .await;
    // Stays halted: one member down, two healthy (quorum kept), nothing else changed.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let degraded = status.conditions.iter().find(|c| c.type_ == "Degraded").expect("Degraded");
    println!("halted after {:.1} s: {}", waited.as_secs_f64(), degraded.message);
    assert!(degraded.message.contains("cannot run etcd 3.5.29"), "{}", degraded.message);
    assert!(degraded.message.contains("set spec.version"), "{}", degraded.message);
    assert!(status.conditions.iter().any(|c| c.type_ == "Available" && c.status == "True"), "{status:#?}");
    let healthy: Vec<&str> = status.members.iter().filter(|m| m.healthy).map(|m| m.name.as_str()).collect();
    assert_eq!(healthy.len(), 2, "one member down, the others untouched: {status:#?}");
    assert!(status.members.iter().filter(|m| m.healthy).all(|m| m.version.as_deref() == Some("3.5.16")));
    let pods = common::pods(&sb.client).await;
    let at_bad: Vec<_> = pods.iter().filter(|p| common::image_of(p).ends_with(":v3.5.29")).collect();
    assert_eq!(at_bad.len(), 1, "exactly one member was tried at the bad version");

    // Fixing the version (forward to one that starts) lets the upgrade finish.
    let started = Instant::now();
    set_version(&clusters, "3.5.30").await;
    wait_status(&clusters, 120, "every member at 3.5.30", |s| all_at(s, "3.5.30", 3)).await;
    println!("finished at 3.5.30 {:.1} s after the fix", started.elapsed().as_secs_f64());
    sb.stop().await;
}

#[tokio::test]
async fn the_snapshot_the_spec_asks_for_is_taken_before_any_member_changes() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let folder = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", folder.path().join("backups").display());
    let clusters = create_cluster(
        &sb.client,
        json!({"size": 3, "version": "3.5.16", "backup": {"destination": {"url": url}}}),
    )
    .await;
    wait_status(&clusters, 120, "created at 3.5.16", |s| all_at(s, "3.5.16", 3)).await;
    let since = Timestamp::now();
    set_version(&clusters, "3.5.30").await;
    wait_status(&clusters, 180, "every member at 3.5.30", |s| all_at(s, "3.5.30", 3)).await;

    let backups: Api<EtcdBackup> = Api::namespaced(sb.client.clone(), "default");
    // Named after the generation that asked for 3.5.30 (nothing changed the spec since).
    let generation = clusters.get("demo").await.expect("cluster").metadata.generation.expect("generation");
    let name = shared::names::pre_upgrade_backup_name("demo", "3.5.30".parse().expect("version"), generation);
    let backup = backups.get(&name).await.expect("the pre-upgrade EtcdBackup");
    let status = backup.status.unwrap_or_default();
    assert_eq!(status.phase, Some(BackupPhase::Succeeded), "{status:?}");
    let snapshot = status.snapshot.expect("the snapshot's details");
    assert_eq!(snapshot.etcd_version, "3.5.16", "taken before any member changed");
    let file = std::path::PathBuf::from(snapshot.location.trim_start_matches("file://"));
    assert!(std::fs::metadata(&file).is_ok_and(|m| m.len() > 0), "{} stored", file.display());
    let completed = status.completed_at.expect("completed").0;
    let events: Api<Event> = Api::namespaced(sb.client.clone(), "default");
    let first_change = events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("MemberVersionChanged"))
        .filter_map(|e| e.event_time.map(|t| t.0))
        .filter(|t| *t >= since)
        .min()
        .expect("members changed");
    assert!(completed <= first_change, "snapshot at {completed}, first change at {first_change}");
    println!(
        "pre-upgrade snapshot {} ({} bytes) stored before the first member changed",
        file.display(),
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or_default()
    );
    sb.stop().await;
}
