//! A bounded chaos test: a writer puts sequential keys and records which were
//! acknowledged, while members of a 3-member cluster are crashed and lost at random
//! intervals (one fault at a time, each after the cluster healed from the last: losing two
//! of three at once is a quorum loss no operator can undo). At the end every acknowledged
//! key is readable, the cluster is back at its size, and the test prints its counts.
//!
//! Runs as root (the sandbox's node), as CI does; takes about a minute.

mod common;

use std::time::{Duration, Instant};

use common::{Writer, create_cluster, operator, sandbox, three, wait_running, wait_status};
use shared::crd::ClusterPhase;

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

#[tokio::test]
async fn acknowledged_writes_survive_crashes_and_lost_members() {
    let seed = std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261122u64);
    println!("chaos seed {seed} (set CHAOS_SEED to repeat)");
    let sb = sandbox().await;
    let _operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, three("Persistent")).await;
    wait_running(&clusters, 3, "create").await;

    let writer = Writer::start(&sb.client, "chaos/");

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
    wait_status(&clusters, 60, "back at size", |s| {
        s.phase == Some(ClusterPhase::Running) && s.ready.as_deref() == Some("3/3")
    })
    .await;
    let report = writer.stop_and_check(&sb.client).await;
    println!(
        "writes acknowledged: {}, failed attempts: {}, longest gap: {:.1} s, faults injected: {FAULTS}, \
         slowest heal: {:.1} s",
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_secs_f64(),
        heal_times.iter().max().map_or(0.0, Duration::as_secs_f64)
    );
    assert!(report.acknowledged.len() > 100, "the writer kept writing through the faults");
    sb.stop().await;
}
