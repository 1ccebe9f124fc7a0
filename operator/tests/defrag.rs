//! Defragmentation end to end, with real etcd 3.5.30 and 3.4.23 on the sandbox: after many
//! overwrites and a compaction, a scheduled defragmentation gives the space back, one
//! member at a time, followers first and the leader last, while a writer puts keys (every
//! acknowledged write is read back); then a request for one member (the annotation
//! `kubectl etcd defrag --member` writes) defragments only it. Prints the bytes reclaimed
//! per member and the longest gap the writer saw.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::Duration;

use common::{Writer, connect, create_cluster, operator, pod_ips, sandbox, wait_status};
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use shared::crd::{
    ClusterPhase, DEFRAG_MEMBER_ANNOTATION, DEFRAG_REQUEST_ANNOTATION, DefragTrigger, EtcdCluster,
};

async fn defragmentation_reclaims_space_leader_last(version: &str) {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters: Api<EtcdCluster> = create_cluster(&sb.client, json!({"size": 3, "version": version})).await;
    wait_status(&clusters, 120, "created", |s| {
        s.phase == Some(ClusterPhase::Running) && s.members.len() == 3 && s.members.iter().all(|m| m.healthy)
    })
    .await;
    let leader =
        clusters.get("demo").await.expect("cluster").status.unwrap_or_default().leader.expect("leader");

    // Many overwrites, then a compaction: the history's pages become free space.
    let mut etcd = connect(&pod_ips(&sb.client).await).await.expect("a member answers");
    let value = vec![b'x'; 16 * 1024];
    for n in 0..1500 {
        etcd.put(format!("churn/{:02}", n % 32), value.clone(), None).await.expect("put");
    }
    let revision = etcd.get("churn/00", None).await.expect("get").header().map(|h| h.revision()).unwrap_or(0);
    etcd.compact(revision, Some(etcd_client::CompactionOptions::new().with_physical()))
        .await
        .expect("compact");
    // The members report the free space once their status is read again (the idle look is
    // every 30 s; under a loaded CI machine two looks can take longer than a minute).
    wait_status(&clusters, 120, "free space reported", |s| {
        s.members.iter().all(|m| {
            let (size, used) = (m.db_size_bytes.unwrap_or(0), m.db_size_in_use_bytes.unwrap_or(i64::MAX));
            size > 0 && used * 2 < size
        })
    })
    .await;

    let writer = Writer::start(&sb.client, "defrag/");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let schedule = json!({"spec": {"maintenance": {"defragSchedule": "*/5 * * * * *"}}});
    clusters.patch("demo", &PatchParams::default(), &Patch::Merge(schedule)).await.expect("schedule set");
    // The schedule fires every 5 s; the first run is the one that finds free space.
    let first = std::cell::RefCell::new(None);
    let took = wait_status(&clusters, 120, "a scheduled defragmentation of every member", |s| {
        let last =
            s.defrag.as_ref().and_then(|d| d.last.clone()).filter(|l| l.trigger == DefragTrigger::Schedule);
        let seen = last.is_some();
        *first.borrow_mut() = last;
        seen
    })
    .await;
    let report = writer.stop_and_check(&sb.client).await;
    let run = first.into_inner().expect("the run");
    let order: Vec<&str> = run.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(order.len(), 3, "every member had free space and was defragmented: {run:?}");
    assert_eq!(order.last(), Some(&leader.as_str()), "the leader last: {run:?}");
    assert!(run.members.iter().all(|m| m.reclaimed_bytes > 0), "each gave space back: {run:?}");
    let per_member: Vec<String> = run
        .members
        .iter()
        .map(|m| format!("{} {} -> {} B ({} ms)", m.name, m.before_bytes, m.after_bytes, m.duration_ms))
        .collect();
    println!(
        "etcd {version}: scheduled defragmentation done {:.1} s after the schedule was set, order {}; {}; \
         writer: {} writes acknowledged and all read back, {} failed attempts, longest gap without a \
         successful write {:.2} s",
        took.as_secs_f64(),
        order.join(", "),
        per_member.join(", "),
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_secs_f64()
    );

    // A request for one member, as `kubectl etcd defrag demo --member demo-1` writes it.
    let unschedule = json!({"spec": {"maintenance": {"defragSchedule": null}}});
    clusters.patch("demo", &PatchParams::default(), &Patch::Merge(unschedule)).await.expect("unscheduled");
    let request = json!({"metadata": {"annotations": {
        DEFRAG_REQUEST_ANNOTATION: "request-1", DEFRAG_MEMBER_ANNOTATION: "demo-1"}}});
    clusters.patch("demo", &PatchParams::default(), &Patch::Merge(request)).await.expect("requested");
    wait_status(&clusters, 60, "the request done", |s| {
        s.defrag.as_ref().and_then(|d| d.last.as_ref()).is_some_and(|l| l.id == "request-1")
    })
    .await;
    let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let run = status.defrag.and_then(|d| d.last).expect("the run");
    assert_eq!(run.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["demo-1"], "{run:?}");
    sb.stop().await;
}

#[tokio::test]
async fn defragmentation_reclaims_space_leader_last_on_3_5_30() {
    defragmentation_reclaims_space_leader_last("3.5.30").await;
}

#[tokio::test]
async fn defragmentation_reclaims_space_leader_last_on_3_4_23() {
    defragmentation_reclaims_space_leader_last("3.4.23").await;
}
