//! Leader election: two operator replicas share one Lease; exactly one runs the controller,
//! and when it shuts down (releasing the Lease) the other takes over.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use etcd_operator::controller::{LeaseOptions, Settings, run_elected};
use etcd_operator::metrics::Metrics;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

fn lease(identity: &str) -> LeaseOptions {
    LeaseOptions {
        namespace: "default".into(),
        name: "etcd-operator".into(),
        identity: identity.into(),
        duration: 3,
        grace: 1,
    }
}

async fn until(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < Duration::from_secs(20), "{what} within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The default settings, counting into `metrics`.
fn settings(metrics: &Arc<Metrics>) -> Settings {
    Settings { metrics: metrics.clone(), ..Settings::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_leads_and_the_other_takes_over() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let sb = etcd_sandbox::testkit::TestSandbox::start().await.expect("sandbox starts");
    let (a, b) = (Arc::new(Metrics::default()), Arc::new(Metrics::default()));
    let (stop_a, stopped_a) = tokio::sync::oneshot::channel::<()>();
    let replica_a = tokio::spawn(run_elected(sb.client.clone(), lease("replica-a"), settings(&a), async {
        let _ = stopped_a.await;
    }));
    until("replica a leading", || a.leading.load(Ordering::Relaxed)).await;
    let replica_b = tokio::spawn(run_elected(
        sb.client.clone(),
        lease("replica-b"),
        settings(&b),
        std::future::pending(),
    ));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        a.leading.load(Ordering::Relaxed) && !b.leading.load(Ordering::Relaxed),
        "only one replica leads"
    );
    let holder =
        Api::<Lease>::namespaced(sb.client.clone(), "default").get("etcd-operator").await.expect("lease");
    assert_eq!(holder.spec.and_then(|s| s.holder_identity).as_deref(), Some("replica-a"));

    let _ = stop_a.send(());
    replica_a.await.expect("joined").expect("replica a stops cleanly");
    until("replica b taking over", || b.leading.load(Ordering::Relaxed)).await;
    replica_b.abort();
    sb.stop().await;
}
