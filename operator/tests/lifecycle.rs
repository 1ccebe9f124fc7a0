//! The operator end to end on the sandbox with real etcd: a 3-member cluster is created
//! (all initial members at once), grows to 5 one learner at a time, and shrinks back to 3;
//! real `etcdctl` checks the voting members and that written keys survive.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use common::{create_cluster, etcdctl, operator, pod_ips, sandbox, wait_running};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;

/// (voting members, learners) as etcd lists them.
async fn voters_and_learners(ip: &str) -> (usize, usize) {
    let members = common::member_list(ip).await;
    let learners = members.iter().filter(|m| m.2).count();
    (members.len() - learners, learners)
}

#[tokio::test]
async fn create_grow_and_shrink_a_cluster() {
    let sb = sandbox().await;
    let operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, json!({"size": 3, "version": "3.5.30"})).await;

    let took = wait_running(&clusters, 3, "create").await;
    println!("3 members ready in {:.1} s", took.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    assert_eq!(voters_and_learners(&ips[0]).await, (3, 0));
    etcdctl(&ips[0], &["put", "before-scaling", "kept"]).await;

    // While the cluster grows, sample etcd's member list: never more than one learner.
    let most_learners = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sampling = {
        let (ip, most) = (ips[0].clone(), most_learners.clone());
        tokio::spawn(async move {
            let endpoint = [format!("http://{ip}:2379")];
            let Ok(mut etcd) = etcd_client::Client::connect(endpoint, None).await else { return };
            loop {
                if let Ok(list) = etcd.member_list().await {
                    let learners = list.members().iter().filter(|m| m.is_learner()).count();
                    most.fetch_max(learners, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 5}})))
        .await
        .expect("scale up");
    let took = wait_running(&clusters, 5, "scale 3 -> 5").await;
    sampling.abort();
    let most = most_learners.load(std::sync::atomic::Ordering::Relaxed);
    assert!(most <= 1, "{most} learners at once");
    println!("at most {most} learner(s) at a time while growing (sampled every 20 ms)");
    println!("grew 3 -> 5 in {:.1} s", took.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    assert_eq!(voters_and_learners(&ips[0]).await, (5, 0), "every learner promoted");
    assert_eq!(etcdctl(&ips[4], &["get", "before-scaling", "--print-value-only"]).await.trim(), "kept");

    clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 3}})))
        .await
        .expect("scale down");
    let took = wait_running(&clusters, 3, "scale 5 -> 3").await;
    println!("shrank 5 -> 3 in {:.1} s", took.as_secs_f64());
    let ips = pod_ips(&sb.client).await;
    assert_eq!(ips.len(), 3, "the removed members' Pods are gone");
    assert_eq!(voters_and_learners(&ips[0]).await, (3, 0));
    assert_eq!(etcdctl(&ips[0], &["get", "before-scaling", "--print-value-only"]).await.trim(), "kept");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(sb.client.clone(), "default");
    let left = claims
        .list(&ListParams::default().labels("etcd.kubectl-etcd.dev/cluster=demo"))
        .await
        .expect("claims");
    assert_eq!(left.items.len(), 3, "the removed members' claims are gone");

    operator.abort();
    sb.stop().await;
}
