//! A change of `spec.etcd` end to end, with real etcd 3.5.30 and 3.4.23 on the sandbox: the
//! members restart with the new flags one at a time, followers first and the leader last
//! after leadership moved, each on its own data (same member IDs), while a writer puts keys
//! and every acknowledged write is read back.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{Writer, create_cluster, operator, sandbox, wait_status};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use shared::crd::{ClusterPhase, EtcdClusterStatus};

const NEW_FLAGS: [&str; 3] = ["--snapshot-count=5000", "--heartbeat-interval=50", "--election-timeout=500"];

fn settled(status: &EtcdClusterStatus, version: &str) -> bool {
    status.phase == Some(ClusterPhase::Running)
        && status.members.len() == 3
        && status.members.iter().all(|m| m.healthy && m.version.as_deref() == Some(version))
}

/// Whether every member Pod's etcd container runs with `NEW_FLAGS`.
async fn every_pod_has_the_new_flags(client: &Client) -> bool {
    let pods = common::pods(client).await;
    pods.len() == 3 && pods.iter().all(has_the_new_flags)
}

fn has_the_new_flags(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    let args = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.iter().find(|c| c.name == "etcd"))
        .and_then(|c| c.args.clone())
        .unwrap_or_default();
    NEW_FLAGS.iter().all(|f| args.iter().any(|a| a == f))
}

/// The `MemberSettingsChanged` and `LeaderMoved` Events about `demo` since `since`, in
/// order, as `(reason, member Pod)`.
async fn rollout_events(client: &Client, since: Timestamp) -> Vec<(String, String)> {
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let seen =
        |e: &Event| e.series.as_ref().map(|s| s.last_observed_time.0).or(e.event_time.as_ref().map(|t| t.0));
    let mut list: Vec<Event> = events
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| matches!(e.reason.as_deref(), Some("MemberSettingsChanged" | "LeaderMoved")))
        .filter(|e| seen(e) >= Some(since))
        .collect();
    list.sort_by_key(seen);
    list.into_iter()
        .map(|e| (e.reason.unwrap_or_default(), e.related.and_then(|r| r.name).unwrap_or_default()))
        .collect()
}

async fn settings_roll_out_member_by_member(version: &str) {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters =
        create_cluster(&sb.client, json!({"size": 3, "version": version, "storage": {"kind": "Persistent"}}))
            .await;
    wait_status(&clusters, 120, "created", |s| settled(s, version)).await;
    let before = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let leader = before.leader.clone().expect("a leader");
    let ids: Vec<Option<String>> = before.members.iter().map(|m| m.id.clone()).collect();

    let writer = Writer::start(&sb.client, "settings/");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let since = Timestamp::now();
    let started = Instant::now();
    let etcd = json!({"snapshotCount": 5000, "heartbeatIntervalMs": 50, "electionTimeoutMs": 500});
    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"etcd": etcd}})))
        .await
        .expect("settings changed");
    let deadline = Instant::now() + Duration::from_secs(240);
    // The leader the status named last before the first leader's Pod changed: with 3.4's
    // elections (no pre-vote) and the new, shorter election timeout, a restarted follower
    // may take leadership on its own, and then the first leader restarts as a follower.
    let mut leader_before_its_restart = Some(leader.clone());
    loop {
        let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
        let first_leader_changed =
            common::pods(&sb.client).await.iter().any(|p| p.name_any() == leader && has_the_new_flags(p));
        if !first_leader_changed && status.leader.is_some() {
            leader_before_its_restart = status.leader.clone();
        }
        if settled(&status, version) && every_pod_has_the_new_flags(&sb.client).await {
            break;
        }
        assert!(Instant::now() < deadline, "the settings did not roll out: {status:#?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = writer.stop_and_check(&sb.client).await;

    let round = rollout_events(&sb.client, since).await;
    let restarted: Vec<&str> =
        round.iter().filter(|(r, _)| r == "MemberSettingsChanged").map(|(_, m)| m.as_str()).collect();
    assert_eq!(restarted.len(), 3, "each member restarted once: {round:?}");
    assert_eq!(restarted.last(), Some(&leader.as_str()), "the leader restarted last: {round:?}");
    let moved = round.iter().position(|(r, _)| r == "LeaderMoved");
    let last = round.iter().rposition(|(r, _)| r == "MemberSettingsChanged");
    let moved_on_its_own = leader_before_its_restart.as_deref() != Some(leader.as_str());
    assert!(
        (moved.is_some() && moved < last) || moved_on_its_own,
        "leadership moved before the leader restarted: {round:?}, leader just before: {leader_before_its_restart:?}"
    );
    let after = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let ids_after: Vec<Option<String>> = after.members.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids_after, ids, "each member came back as itself, on its data");
    println!(
        "etcd {version}: settings rolled out in {:.1} s, order {}; {} writes acknowledged and all read back, \
         {} failed attempts, longest gap without a successful write {:.2} s",
        took.as_secs_f64(),
        restarted.join(", "),
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_secs_f64()
    );
    assert!(report.acknowledged.len() > 20, "the writer kept writing through the rollout");
    sb.stop().await;
}

#[tokio::test]
async fn settings_roll_out_member_by_member_on_3_5_30() {
    settings_roll_out_member_by_member("3.5.30").await;
}

#[tokio::test]
async fn settings_roll_out_member_by_member_on_3_4_23() {
    settings_roll_out_member_by_member("3.4.23").await;
}
