//! A bounded chaos test: a writer puts sequential keys and records which were
//! acknowledged, while members of a 3-member cluster are crashed and lost at random
//! intervals (one fault at a time, each after the cluster healed from the last: losing two
//! of three at once is a quorum loss no operator can undo). At the end every acknowledged
//! key is readable, the cluster is back at its size, and the test prints its counts.
//!
//! Runs as root (the sandbox's node), as CI does; takes about a minute.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{create_cluster, operator, pod_ips, sandbox, three, wait_running, wait_status};
use shared::crd::ClusterPhase;
use tokio::sync::Mutex;

/// Faults injected, alternating crash and loss.
const FAULTS: usize = 6;

/// A small deterministic generator, so a failing run can be repeated with its seed.
struct Lcg(u64);

impl Lcg {
    fn next_in(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        low + (self.0 >> 33) % (high - low + 1)
    }
}

async fn connect(ips: &[String]) -> Option<etcd_client::Client> {
    let endpoints: Vec<String> = ips.iter().map(|ip| format!("http://{ip}:2379")).collect();
    let options = etcd_client::ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(1))
        .with_timeout(Duration::from_secs(2));
    etcd_client::Client::connect(endpoints, Some(options)).await.ok()
}

#[tokio::test]
async fn acknowledged_writes_survive_crashes_and_lost_members() {
    let seed = std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261122u64);
    println!("chaos seed {seed} (set CHAOS_SEED to repeat)");
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, three("Persistent")).await;
    wait_running(&clusters, 3, "create").await;

    // The writer: sequential keys, each recorded once etcd acknowledged it.
    let acknowledged = Arc::new(Mutex::new(Vec::<u64>::new()));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acknowledged, failed, stop, client) =
            (acknowledged.clone(), failed.clone(), stop.clone(), sb.client.clone());
        tokio::spawn(async move {
            let mut etcd = None;
            let mut next = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if etcd.is_none() {
                    etcd = connect(&pod_ips(&client).await).await;
                }
                let Some(c) = etcd.as_mut() else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                match c.put(format!("chaos/{next:06}"), next.to_string(), None).await {
                    Ok(_) => {
                        acknowledged.lock().await.push(next);
                        next += 1;
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        etcd = None; // members may have new addresses: reconnect
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        })
    };

    let faults = sb.sandbox.node.as_ref().expect("node").faults();
    let mut random = Lcg(seed);
    let mut heal_times = Vec::new();
    for i in 0..FAULTS {
        tokio::time::sleep(Duration::from_millis(random.next_in(500, 3000))).await;
        let victim = format!("demo-{}", random.next_in(0, 2));
        let kind = if i % 2 == 0 { "crash" } else { "lose" };
        let before = common::pod_identity(&sb.client, &victim).await;
        let started = Instant::now();
        if kind == "crash" {
            faults.crash("default", &victim).expect("crash");
        } else {
            faults.lose("default", &victim).expect("lose");
        }
        // Healed when the victim is a new or restarted Pod and the cluster is whole again.
        loop {
            let now = common::pods(&sb.client).await;
            let replaced = now.iter().any(|p| {
                kube::ResourceExt::name_any(p) == victim
                    && (kube::ResourceExt::uid(p) != Some(before.0.clone())
                        || p.status
                            .as_ref()
                            .and_then(|s| s.container_statuses.as_ref())
                            .and_then(|c| c.first())
                            .map_or(0, |c| c.restart_count)
                            > before.1)
            });
            if replaced {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{victim} was not restarted or recreated within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        wait_running(&clusters, 3, &format!("healing after fault {i} ({kind} {victim})")).await;
        let took = started.elapsed();
        println!("fault {i}: {kind} {victim}, healed in {:.1} s", took.as_secs_f64());
        heal_times.push(took);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer ends");

    wait_status(&clusters, 60, "back at size", |s| {
        s.phase == Some(ClusterPhase::Running) && s.ready.as_deref() == Some("3/3")
    })
    .await;
    let acknowledged = acknowledged.lock().await.clone();
    let mut reader = connect(&pod_ips(&sb.client).await).await.expect("a member answers");
    let stored = reader
        .get("chaos/", Some(etcd_client::GetOptions::new().with_prefix()))
        .await
        .expect("a linearizable read of every key");
    let present: std::collections::HashSet<u64> =
        stored.kvs().iter().filter_map(|kv| kv.value_str().ok()?.parse().ok()).collect();
    let lost: Vec<u64> = acknowledged.iter().filter(|k| !present.contains(k)).copied().collect();
    println!(
        "writes acknowledged: {}, failed attempts: {}, faults injected: {FAULTS}, slowest heal: {:.1} s",
        acknowledged.len(),
        failed.load(Ordering::Relaxed),
        heal_times.iter().max().map_or(0.0, Duration::as_secs_f64)
    );
    assert!(acknowledged.len() > 100, "the writer kept writing through the faults");
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    sb.stop().await;
}
