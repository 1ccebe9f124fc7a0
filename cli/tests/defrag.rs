//! Defragmentation and NOSPACE through the plugin, as a user runs it: the built `kubectl-etcd` against a
//! sandbox running real etcd 3.5.30, with the operator in this process. A cluster with a
//! 16 MiB quota is filled to NOSPACE with `recoverNoSpace: false`: `kubectl etcd status`
//! shows the alarm (exit 5: etcd's health counts no member). Turning recovery on lets the
//! operator compact, defragment and disarm, and `status` reports the run. Then
//! `kubectl etcd defrag --member --wait` defragments one member and prints what it gave
//! back; an unknown member is refused (exit 3) with nothing written.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{expect_code, plugin, stdout};
use etcd_sandbox::testkit::TestSandbox;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;
use shared::crd::{EtcdCluster, EtcdClusterSpec};

async fn pod_ip(client: &kube::Client, pod: &str) -> String {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "default");
    pods.get(pod).await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_no_space_and_defrag_waits_for_the_operator() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.as_path();
    sb.install_crds().await.expect("CRDs created");
    let _operator = tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(json!({"size": 3, "version": "3.5.30",
        "etcd": {"quotaBackendBytes": "16Mi"}, "maintenance": {"recoverNoSpace": false}}))
    .expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("created");
    let deadline = Instant::now() + Duration::from_secs(120);
    while plugin(kc, &["status", "demo"]).await.status.code() != Some(0) {
        assert!(Instant::now() < deadline, "the cluster never ran");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Fill the quota with overwrites until etcd refuses.
    let ip = pod_ip(&sb.client, "demo-0").await;
    let value = "x".repeat(64 * 1024);
    let mut refused = None;
    for n in 0..1000 {
        if let Err(e) =
            etcd_sandbox::testkit::etcdctl("3.5.30", &ip, &["put", &format!("fill/{}", n % 64), &value]).await
        {
            refused = Some(e.to_string());
            break;
        }
    }
    let refused = refused.expect("etcd refused a write");
    assert!(refused.contains("database space exceeded"), "{refused}");

    // status shows the alarm; the operator leaves it, as the spec says.
    let deadline = Instant::now() + Duration::from_secs(60);
    let shown = loop {
        let out = plugin(kc, &["status", "demo"]).await;
        if stdout(&out).contains("NOSPACE on") {
            break out;
        }
        assert!(Instant::now() < deadline, "status never showed the alarm");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(stdout(&shown).contains("NoSpaceAlarm"), "{}", stdout(&shown));
    assert_ne!(shown.status.code(), Some(0), "a cluster under NOSPACE is not healthy");

    // Recovery on: compacted, defragmented, disarmed; status healthy again with the run.
    let on = json!({"spec": {"maintenance": {"recoverNoSpace": true}}});
    clusters.patch("demo", &PatchParams::default(), &Patch::Merge(on)).await.expect("recovery on");
    let deadline = Instant::now() + Duration::from_secs(120);
    let healthy = loop {
        let out = plugin(kc, &["status", "demo"]).await;
        if out.status.code() == Some(0) && stdout(&out).contains("Last defrag:") {
            break out;
        }
        assert!(Instant::now() < deadline, "the cluster did not recover");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(stdout(&healthy).contains("NoSpace, 3 members"), "{}", stdout(&healthy));
    etcd_sandbox::testkit::etcdctl("3.5.30", &ip, &["put", "after", "room"]).await.expect("writable again");

    // A request for one member, followed to its end.
    let out = plugin(kc, &["defrag", "demo", "--member", "demo-9"]).await;
    expect_code(&out, 3);
    let out = plugin(kc, &["defrag", "demo", "--member", "demo-1", "--wait", "--timeout", "2m"]).await;
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("defragmentation requested") && text.contains("demo-1\t"), "{text}");
    assert!(text.contains("reclaimed") && !text.contains("demo-0\t"), "{text}");
    sb.stop().await;
}
