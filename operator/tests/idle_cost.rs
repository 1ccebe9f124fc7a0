//! What an idle cluster costs the API server: a 3-member cluster runs, nothing changes for
//! a minute, and the sandbox counts the operator's requests in that minute by verb and
//! resource. Prints the figure; asserts the bound the design sets.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{create_cluster, identified_operator, sandbox, three, wait_running};
use etcd_operator::client::OPERATOR_USER_AGENT;
use shared::crd::ClusterPhase;

/// How long the cluster sits idle while its requests are counted.
const WINDOW: Duration = Duration::from_secs(60);
/// How long to wait after Running before counting.
const SETTLE: Duration = Duration::from_secs(5);
/// How often the design reconciles an idle cluster (`reconcile::IDLE`).
const IDLE_RECONCILE: Duration = Duration::from_secs(30);
/// What one idle reconcile may send, by design: list Pods, claims and Services, and patch
/// the status when its health check is due. The Services and disruption budget are not
/// applied again while nothing changes (only every 10 minutes).
const REQUESTS_PER_RECONCILE: u64 = 3 + 1;
/// The operator's own status writes do not wake it (it watches clusters' generation).
const WAKES_PER_RECONCILE: u64 = 1;
/// The operator's watches (clusters, Pods, claims, Services) each reopen at most once in
/// the window: kube-runtime's watcher asks for a 290 s timeout.
const WATCHES: u64 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_cluster_costs_a_bounded_handful_of_requests_a_minute() {
    let started = Instant::now();
    let sb = sandbox().await;
    let _operator = identified_operator(&sb).await;
    let clusters = create_cluster(&sb.client, three("Persistent")).await;
    let took = wait_running(&clusters, 3, "three members running").await;
    eprintln!("running after {:.1} s", took.as_secs_f64());
    // Let the reconciles that reaching Running caused finish before counting.
    tokio::time::sleep(SETTLE).await;
    let generation_before = clusters.get("demo").await.expect("cluster").metadata.generation;

    let before = sb.requests();
    let opened = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let idle = sb.requests().since(&before).of_client(OPERATOR_USER_AGENT);
    let measured = opened.elapsed();

    let cluster = clusters.get("demo").await.expect("cluster");
    let status = cluster.status.unwrap_or_default();
    assert_eq!(
        (status.phase, status.ready.as_deref(), cluster.metadata.generation),
        (Some(ClusterPhase::Running), Some("3/3"), generation_before),
        "the cluster stayed idle"
    );
    // By design: a periodic reconcile every 30 s (up to one more when the window starts on
    // a tick).
    let reconciles = (measured.as_secs() / IDLE_RECONCILE.as_secs() + 1) * WAKES_PER_RECONCILE;
    let bound = reconciles * REQUESTS_PER_RECONCILE + WATCHES;
    let per_minute = idle.total() as f64 * 60.0 / measured.as_secs_f64();
    eprintln!(
        "idle cost: {} operator requests in {:.1} s = {per_minute:.1} per minute for one 3-member cluster \
         (design bound {bound}):\n{idle}",
        idle.total(),
        measured.as_secs_f64()
    );
    for verb in ["create", "update", "delete", "deletecollection"] {
        let changes: u64 = idle.iter().filter(|(k, _)| k.verb == verb).map(|(_, n)| n).sum();
        assert_eq!(changes, 0, "an idle cluster needs no {verb}:\n{idle}");
    }
    assert!(idle.count("list", "pods") > 0, "the periodic health check ran in the window:\n{idle}");
    for resource in ["services", "poddisruptionbudgets"] {
        assert_eq!(idle.count("patch", resource), 0, "{resource} are not applied again while idle:\n{idle}");
    }
    assert!(idle.count("patch", "etcdclusters/status") > 0, "lastHealthCheck was written:\n{idle}");
    assert!(
        idle.total() <= bound,
        "{} requests in {measured:?}, more than the design's {bound}",
        idle.total()
    );
    eprintln!("idle cost test took {:.1} s", started.elapsed().as_secs_f64());
    sb.stop().await;
}
