//! A full backend end to end, with real etcd 3.5.30 and 3.4.23 on the sandbox: a cluster
//! with a 16 MiB quota is filled by overwrites until etcd raises NOSPACE and refuses
//! writes; the status (alarms, the Degraded condition) and an Event show it; the operator
//! compacts the history, defragments every member (the leader last) and disarms the
//! alarm; writes succeed again. Prints the time from the alarm to the first accepted write.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{connect, create_cluster, operator, pod_ips, sandbox, wait_status};
use kube::{Api, Client};
use serde_json::json;
use shared::crd::{ClusterPhase, DefragTrigger, EtcdCluster};

/// The reasons of the Events about `demo`, in any order.
async fn event_reasons(client: &Client) -> Vec<String> {
    common::cluster_events(client).await.into_iter().filter_map(|e| e.reason).collect()
}

/// Overwrites 64 keys with 64 KiB values until etcd refuses a write for want of space;
/// returns when it did and how many writes it took.
async fn fill_until_no_space(client: &Client) -> (Instant, usize) {
    let mut etcd = connect(&pod_ips(client).await).await.expect("a member answers");
    let value = vec![b'x'; 64 * 1024];
    for n in 0..10_000 {
        match etcd.put(format!("fill/{:02}", n % 64), value.clone(), None).await {
            Ok(_) => {}
            Err(e) if e.to_string().contains("database space exceeded") => return (Instant::now(), n),
            Err(e) => panic!("write {n} failed for another reason: {e}"),
        }
    }
    panic!("10000 writes of 64 KiB never filled a 16 MiB quota");
}

async fn no_space_is_recovered(version: &str) {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters: Api<EtcdCluster> = create_cluster(
        &sb.client,
        json!({"size": 3, "version": version, "etcd": {"quotaBackendBytes": "16Mi"}}),
    )
    .await;
    wait_status(&clusters, 120, "created", |s| {
        s.phase == Some(ClusterPhase::Running) && s.members.len() == 3 && s.members.iter().all(|m| m.healthy)
    })
    .await;
    let leader =
        clusters.get("demo").await.expect("cluster").status.unwrap_or_default().leader.expect("leader");

    let (alarm_at, writes) = fill_until_no_space(&sb.client).await;
    let mut etcd = connect(&pod_ips(&sb.client).await).await.expect("a member answers");
    let refused = etcd.put("after/alarm", "x", None).await.expect_err("writes fail under NOSPACE");
    assert!(refused.to_string().contains("database space exceeded"), "{refused}");

    // The status shows the alarm on the member(s) and the Degraded condition says why.
    let shown = std::cell::RefCell::new(Vec::new());
    wait_status(&clusters, 60, "the NOSPACE alarm in the status", |s| {
        let seen = s.alarms.iter().any(|a| a.alarm == "NOSPACE")
            && s.conditions.iter().any(|c| c.type_ == "Degraded" && c.reason == "NoSpaceAlarm");
        if seen {
            *shown.borrow_mut() = s.alarms.iter().map(|a| format!("{} on {}", a.alarm, a.member)).collect();
        }
        seen
    })
    .await;
    let noticed = alarm_at.elapsed();

    // Writes are accepted again once the operator has compacted, defragmented and disarmed.
    let writable_at = loop {
        assert!(alarm_at.elapsed() < Duration::from_secs(180), "writes were never accepted again");
        if let Some(mut c) = connect(&pod_ips(&sb.client).await).await
            && c.put("after/alarm", "x", None).await.is_ok()
        {
            break alarm_at.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    wait_status(&clusters, 60, "the recovery recorded", |s| {
        s.alarms.is_empty()
            && s.defrag
                .as_ref()
                .and_then(|d| d.last.as_ref())
                .is_some_and(|l| l.trigger == DefragTrigger::NoSpace)
    })
    .await;
    let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let run = status.defrag.and_then(|d| d.last).expect("the last run");
    let order: Vec<&str> = run.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(order.len(), 3, "every member defragmented: {run:?}");
    assert_eq!(order.last(), Some(&leader.as_str()), "the leader last: {run:?}");
    assert!(run.compacted_revision.is_some(), "compacted first: {run:?}");
    let reasons = event_reasons(&sb.client).await;
    for reason in ["NoSpaceAlarm", "Compacted", "MemberDefragmented", "NoSpaceRecovered"] {
        assert!(reasons.iter().any(|r| r == reason), "Event {reason} published: {reasons:?}");
    }
    let reclaimed: Vec<String> =
        run.members.iter().map(|m| format!("{} {} -> {} B", m.name, m.before_bytes, m.after_bytes)).collect();
    println!(
        "etcd {version}: NOSPACE after {writes} writes of 64 KiB into 16 MiB; alarm in the status {:.1} s \
         after it ({}); writable again {:.1} s after the alarm; compacted to revision {}, defragmented {}",
        noticed.as_secs_f64(),
        shown.borrow().join(", "),
        writable_at.as_secs_f64(),
        run.compacted_revision.unwrap_or_default(),
        reclaimed.join(", ")
    );
    sb.stop().await;
}

#[tokio::test]
async fn no_space_is_recovered_on_3_5_30() {
    no_space_is_recovered("3.5.30").await;
}

#[tokio::test]
async fn no_space_is_recovered_on_3_4_23() {
    no_space_is_recovered("3.4.23").await;
}
