//! `upgrade-plan` and `upgrade` end to end: the built plugin against a sandbox running real
//! etcd 3.4.23, the operator in this process. The plan's table is checked line by line;
//! refused paths exit 3 and leave the resource unchanged; `upgrade --yes --wait` ends with
//! every member at the new version.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use common::{expect_code, plugin, stderr, stdout};
use etcd_sandbox::testkit::TestSandbox;
use kube::Api;
use shared::crd::EtcdCluster;

/// A sandbox with the CRDs, the operator running in this process, and its clusters.
async fn start() -> (TestSandbox, std::path::PathBuf, Api<EtcdCluster>, tokio::task::JoinHandle<()>) {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    sb.install_crds().await.expect("CRDs created");
    let operator = tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    (sb, kubeconfig, clusters, operator)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_plan_shows_the_steps_and_upgrade_carries_them_out() {
    let (sb, kubeconfig, clusters, _operator) = start().await;
    let kc = kubeconfig.as_path();
    let out = plugin(kc, &["create", "demo", "--size", "3", "--version", "3.4.23", "--wait"]).await;
    expect_code(&out, 0);
    let leader =
        clusters.get("demo").await.expect("cluster").status.and_then(|s| s.leader).expect("a leader");

    // The plan: followers first in name order, leadership moved to the first of them, the
    // leader last; every line checked.
    let out = plugin(kc, &["upgrade-plan", "demo", "--to", "v3.5.30"]).await;
    expect_code(&out, 0);
    let text = stdout(&out);
    let rows: Vec<Vec<&str>> = text.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        text.lines().next(),
        Some("Upgrade plan for etcdcluster demo: etcd 3.4.23 -> 3.5.30 (one minor step)")
    );
    assert!(text.lines().nth(1).is_some_and(|h| h.starts_with("STEP   ACTION")), "{text}");
    assert_eq!(rows.len(), 5, "{text}");
    assert_eq!(rows[0][..6], ["1", "check", "path", "<none>", "3.4.23", "3.5.30"]);
    let followers: Vec<String> =
        ["demo-0", "demo-1", "demo-2"].iter().filter(|m| **m != leader).map(|m| m.to_string()).collect();
    for (row, member) in rows[1..3].iter().zip(&followers) {
        assert_eq!(
            row[1..8],
            ["change", "version", member.as_str(), "3.4.23", "3.5.30", "in", "place"],
            "{text}"
        );
    }
    assert_eq!(rows[3][..5], ["4", "move", "leader", leader.as_str(), "<none>"], "{text}");
    assert!(rows[3].contains(&"to") && rows[3].contains(&followers[0].as_str()), "{text}");
    assert_eq!(rows[4][..8], ["5", "change", "version", leader.as_str(), "3.4.23", "3.5.30", "in", "place"]);
    let out = plugin(kc, &["upgrade-plan", "demo", "--to", "3.5.30", "-o", "json"]).await;
    expect_code(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("the plan as JSON");
    assert_eq!(json["steps"].as_array().map(Vec::len), Some(5));
    assert_eq!(json["steps"][4]["member"], leader.as_str());

    // Refused: changed nothing.
    let generation = clusters.get("demo").await.expect("cluster").metadata.generation;
    for (args, reason) in [
        (vec!["upgrade-plan", "demo", "--to", "3.5"], "\"3.5\" is not an etcd version"),
        (vec!["upgrade", "demo", "--to", "3.7.0", "--yes"], "does not support etcd 3.7"),
        (vec!["upgrade", "demo", "--to", "4.0.0", "--yes"], "cannot change its major version"),
        (vec!["upgrade", "demo", "--to", "3.3.9", "--yes"], "does not support downgrading from 3.4 to 3.3"),
        (vec!["upgrade", "demo", "--to", "3.5.30"], "needs --yes when not on a terminal"),
    ] {
        let out = plugin(kc, &args).await;
        expect_code(&out, 3);
        assert!(stderr(&out).contains(reason), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("nothing was changed"), "{}", stderr(&out));
    }
    assert_eq!(clusters.get("demo").await.expect("cluster").metadata.generation, generation);

    let out = plugin(kc, &["upgrade", "demo", "--to", "3.5.30", "--yes", "--wait", "--timeout", "3m"]).await;
    expect_code(&out, 0);
    assert!(stderr(&out).starts_with("Upgrade plan for etcdcluster demo"), "the plan is shown first");
    assert!(stdout(&out).contains("etcdcluster/demo upgrading to etcd 3.5.30"), "{}", stdout(&out));
    assert!(stdout(&out).contains("etcdcluster/demo is Running: 3/3 members ready, etcd 3.5.30"));
    let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
    assert!(status.members.iter().all(|m| m.version.as_deref() == Some("3.5.30")), "{status:?}");

    // Back across the minor: refused, unchanged.
    let out = plugin(kc, &["upgrade", "demo", "--to", "3.4.23", "--yes"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("3.4"), "{}", stderr(&out));
    assert_eq!(clusters.get("demo").await.expect("cluster").spec.version, "3.5.30");
    let out = plugin(kc, &["upgrade", "demo", "--to", "3.5.30", "--yes"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("already runs etcd 3.5.30"), "{}", stdout(&out));
    sb.stop().await;
}

/// etcd's advisories in the plugin: a new cluster at 3.5.1 is refused (exit 3, nothing
/// created) unless forced; a forced one runs with a status warning naming the patch to
/// take; and the plan to 3.6 stops at the 3.5 patch etcd's 3.6 upgrade guide asks for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advised_against_versions_are_refused_warned_and_planned_around() {
    let (sb, kubeconfig, clusters, _operator) = start().await;
    let kc = kubeconfig.as_path();

    let out = plugin(kc, &["create", "old", "--size", "1", "--version", "3.5.1", "--yes"]).await;
    expect_code(&out, 3);
    let refused = stderr(&out);
    assert!(
        refused.contains("etcd 3.5.1 must not hold data") && refused.contains("Choose 3.5.30"),
        "{refused}"
    );
    assert!(clusters.get_opt("old").await.expect("get").is_none(), "nothing was created");
    println!("create --version 3.5.1: exit 3: {}", refused.trim());

    let out = plugin(kc, &["create", "old", "--size", "3", "--version", "3.5.1", "--force", "--wait"]).await;
    expect_code(&out, 0);
    let out = plugin(kc, &["status", "old"]).await;
    let report = stdout(&out);
    assert!(
        report.contains("etcd 3.5.1 must not hold data")
            && report.contains("kubectl etcd upgrade old --to 3.5.30"),
        "{report}"
    );

    let out = plugin(kc, &["upgrade-plan", "old", "--to", "3.6.0"]).await;
    expect_code(&out, 0);
    let plan = stdout(&out);
    println!("{plan}");
    assert_eq!(
        plan.lines().next(),
        Some("Upgrade plan for etcdcluster old: etcd 3.5.1 -> 3.6.0 through 3.5.32 -> 3.6.0"),
        "{plan}"
    );
    let stops: Vec<Vec<&str>> = plan.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
    let to_stop = stops.iter().filter(|r| r.get(5) == Some(&"3.5.32")).count();
    let to_target =
        stops.iter().filter(|r| r.get(4) == Some(&"3.5.32") && r.get(5) == Some(&"3.6.0")).count();
    assert_eq!((to_stop, to_target), (3, 3), "each member to 3.5.32, then each to 3.6.0: {plan}");

    // An upgrade to another release under an advisory needs --force too.
    let out = plugin(kc, &["upgrade", "old", "--to", "3.5.2", "--yes"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("etcd 3.5.2 must not hold data"), "{}", stderr(&out));
    sb.stop().await;
}
