//! Healing, end to end on the sandbox with real etcd and the real operator: a crashed member
//! restarts in place; a lost persistent member comes back as itself; a lost ephemeral
//! member is replaced by a new one; a paused cluster waits; losing quorum is reported
//! and the survivor is left alone.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::Duration;

use common::{
    create_cluster, id_of, member_list, operator, pod_identity, pod_ips, pods, sandbox, three, wait_running,
    wait_status,
};
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use shared::crd::ClusterPhase;

/// A running 3-member persistent cluster `demo` holding `durable=yes`, and its status.
async fn persistent_three_holding_a_key(
    client: &kube::Client,
) -> (kube::Api<shared::crd::EtcdCluster>, shared::crd::EtcdClusterStatus) {
    let clusters = create_cluster(client, three("Persistent")).await;
    wait_running(&clusters, 3, "create").await;
    let before = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let ips = pod_ips(client).await;
    common::etcdctl(&ips[0], &["put", "durable", "yes"]).await;
    (clusters, before)
}

#[tokio::test]
async fn crashed_and_lost_persistent_members_come_back_as_themselves() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let (clusters, before) = persistent_three_holding_a_key(&sb.client).await;
    let faults = sb.sandbox.node.as_ref().expect("node").faults();

    let (uid, _) = pod_identity(&sb.client, "demo-1").await;
    faults.crash("default", "demo-1").expect("crash");
    for _ in 0..100 {
        if pod_identity(&sb.client, "demo-1").await.1 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_running(&clusters, 3, "after the crash").await;
    let (same_uid, restarts) = pod_identity(&sb.client, "demo-1").await;
    assert_eq!((same_uid, restarts), (uid, 1), "restarted in place by its node, not replaced");

    let (lost_uid, _) = pod_identity(&sb.client, "demo-2").await;
    let lost_at = std::time::Instant::now();
    faults.lose("default", "demo-2").expect("lose");
    let mut recreated = false;
    for _ in 0..600 {
        let current = pods(&sb.client).await.into_iter().find(|p| p.name_any() == "demo-2");
        if current.is_some_and(|p| p.uid() != Some(lost_uid.clone())) {
            recreated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recreated, "the operator recreated demo-2's Pod");
    wait_running(&clusters, 3, "the lost member back").await;
    println!("persistent member lost -> back in {:.1} s", lost_at.elapsed().as_secs_f64());
    let after = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    assert_eq!(id_of(&after, "demo-2"), id_of(&before, "demo-2"), "the same member came back");
    let ip = pods(&sb.client)
        .await
        .iter()
        .find(|p| p.name_any() == "demo-2")
        .and_then(|p| p.status.clone()?.pod_ip)
        .expect("ip");
    assert_eq!(
        common::etcdctl(&ip, &["get", "durable", "--print-value-only", "--consistency=s"]).await.trim(),
        "yes"
    );
    sb.stop().await;
}

/// A persistent member whose Pod and claim are both gone (a node lost with its local
/// volume) has no data: it must not come back under its old member ID on an empty volume
/// (etcd panics: "tocommit out of range"), but be replaced as a new member.
#[tokio::test]
async fn a_persistent_member_whose_data_is_gone_is_replaced_as_a_new_member() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let (clusters, before) = persistent_three_holding_a_key(&sb.client).await;

    let started = std::time::Instant::now();
    let claims: kube::Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
        kube::Api::namespaced(sb.client.clone(), "default");
    claims.delete("data-demo-1", &Default::default()).await.expect("claim deleted");
    let faults = sb.sandbox.node.as_ref().expect("node").faults();
    faults.lose("default", "demo-1").expect("lose");
    let mut replaced = None;
    for _ in 0..900 {
        let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
        if status.phase == Some(ClusterPhase::Running)
            && status.members.len() == 3
            && status.members.iter().all(|m| m.healthy)
            && status.members.iter().all(|m| id_of(&status, &m.name) != id_of(&before, "demo-1"))
        {
            replaced = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let Some(after) = replaced else {
        panic!("the member without data was not replaced in 90 s: {after:#?}")
    };
    println!("persistent member lost with its data -> replaced in {:.1} s", started.elapsed().as_secs_f64());
    for ip in pod_ips(&sb.client).await {
        let value = common::etcdctl(&ip, &["get", "durable", "--print-value-only", "--consistency=s"]).await;
        assert_eq!(value.trim(), "yes", "{ip} holds the data");
    }
    assert_eq!(member_list(&pod_ips(&sb.client).await[0]).await.len(), 3, "{after:?}");
    sb.stop().await;
}

#[tokio::test]
async fn a_lost_ephemeral_member_is_replaced() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, three("Ephemeral")).await;
    wait_running(&clusters, 3, "create").await;
    let before = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    let old_id = id_of(&before, "demo-1").expect("demo-1 has an id");
    sb.sandbox.node.as_ref().expect("node").faults().lose("default", "demo-1").expect("lose");
    let healed = wait_status(&clusters, 120, "a replacement joined", |s| {
        s.ready.as_deref() == Some("3/3")
            && s.phase == Some(ClusterPhase::Running)
            && s.members.len() == 3
            && s.members.iter().all(|m| m.id.as_deref() != Some(old_id.as_str()))
    })
    .await;
    println!("ephemeral member lost -> replaced in {:.1} s", healed.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    let members = member_list(&ips[0]).await;
    assert_eq!(members.len(), 3);
    assert!(
        members.iter().all(|(_, id, learner)| id.trim_start_matches('0') != old_id && !learner),
        "{members:?}"
    );
    sb.stop().await;
}

#[tokio::test]
async fn losing_quorum_is_reported_and_the_survivor_left_alone() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, three("Ephemeral")).await;
    wait_running(&clusters, 3, "create").await;
    let (survivor_uid, _) = pod_identity(&sb.client, "demo-0").await;
    let faults = sb.sandbox.node.as_ref().expect("node").faults();
    faults.lose("default", "demo-1").expect("lose");
    faults.lose("default", "demo-2").expect("lose");
    wait_status(&clusters, 60, "QuorumLost reported", |s| {
        s.phase == Some(ClusterPhase::Unavailable)
            && s.conditions.iter().any(|c| {
                c.type_ == "Available"
                    && c.status == "False"
                    && c.reason == "QuorumLost"
                    && c.message.contains("kubectl etcd restore")
            })
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let left = pods(&sb.client).await;
    assert_eq!(
        left.iter().map(ResourceExt::name_any).collect::<Vec<_>>(),
        ["demo-0"],
        "nothing was created or replaced"
    );
    assert_eq!(pod_identity(&sb.client, "demo-0").await, (survivor_uid, 0), "the survivor was not touched");
    sb.stop().await;
}

#[tokio::test]
async fn a_paused_cluster_waits_for_resume() {
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, three("Persistent")).await;
    wait_running(&clusters, 3, "create").await;
    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"paused": true}})))
        .await
        .expect("pause");
    sb.sandbox.node.as_ref().expect("node").faults().lose("default", "demo-1").expect("lose");
    wait_status(&clusters, 30, "Paused reported", |s| s.phase == Some(ClusterPhase::Paused)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(pods(&sb.client).await.len(), 2, "a paused cluster does not replace the lost Pod");
    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"paused": false}})))
        .await
        .expect("resume");
    wait_running(&clusters, 3, "after resume").await;
    sb.stop().await;
}

#[tokio::test]
async fn an_operator_killed_mid_scaling_converges_without_phantom_members() {
    let sb = sandbox().await;
    let first = operator(&sb.client);
    let clusters = create_cluster(&sb.client, three("Persistent")).await;
    wait_running(&clusters, 3, "create").await;
    let ip = pod_ips(&sb.client).await.remove(0);

    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 5}})))
        .await
        .expect("grow");
    // Kill the operator right after it added a member, before that member's Pod exists or
    // is promoted.
    for _ in 0..300 {
        if member_list(&ip).await.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.abort();
    assert_eq!(member_list(&ip).await.len(), 4, "killed mid scale-up");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second = operator(&sb.client);
    wait_running(&clusters, 5, "converged after a restart mid scale-up").await;
    let members = member_list(&ip).await;
    assert_eq!(
        (members.len(), members.iter().filter(|m| m.2).count()),
        (5, 0),
        "no phantom member, no learner left"
    );

    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 3}})))
        .await
        .expect("shrink");
    for _ in 0..300 {
        if member_list(&ip).await.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    second.abort();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _third = operator(&sb.client);
    wait_running(&clusters, 3, "converged after a restart mid scale-down").await;
    assert_eq!(member_list(&ip).await.len(), 3);
    assert_eq!(pods(&sb.client).await.len(), 3, "no Pod of a removed member left");
    sb.stop().await;
}
