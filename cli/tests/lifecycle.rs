//! The plugin end to end, as a user runs it: the built `kubectl-etcd` binary against a
//! sandbox with a node running real etcd, and the operator running in this process.
//! create, list, status, scale, pause, resume and delete, with their exit codes; create
//! asks nothing without a terminal.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::time::{Duration, Instant};

use common::{expect_code, plugin, stderr, stdout};

use etcd_sandbox::testkit::TestSandbox;
use kube::Api;
use shared::crd::EtcdCluster;

/// The rows of the members table in `status` output (the lines after its header).
fn member_rows(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| !line.starts_with("ID "))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_status_scale_pause_resume_delete() {
    let started = Instant::now();
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.as_path();
    let out = plugin(kc, &["list"]).await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("no EtcdCluster resource: install the CRDs first"), "{}", stderr(&out));
    sb.install_crds().await.expect("CRDs created");
    let _operator = tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");

    // Refused before anything is sent.
    let out = plugin(kc, &["create", "demo2", "--size", "10"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("spec.size in body should be less than or equal to 9"), "{}", stderr(&out));
    let out = plugin(kc, &["create", "x", "--version", "3.9.9"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("does not support etcd 3.9"), "{}", stderr(&out));

    // Create and wait.
    let out = plugin(kc, &["create", "demo", "--size", "3", "--wait", "--timeout", "2m"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("etcdcluster/demo is Running: 3/3 members ready"), "{}", stdout(&out));
    let out = plugin(kc, &["create", "demo"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    // List: only demo, ready.
    let out = plugin(kc, &["list", "--request-timeout", "10s"]).await;
    expect_code(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("NAME ") && lines[0].contains("READY"), "{text}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&row[..5], ["demo", "3", "3/3", "3.5.30", "Running"], "{text}");

    // Status: healthy, three members, one leader.
    let out = plugin(kc, &["status", "demo"]).await;
    expect_code(&out, 0);
    let rows = member_rows(&stdout(&out));
    assert_eq!(rows.len(), 3, "{}", stdout(&out));
    assert_eq!(rows.iter().filter(|r| r.contains(" leader ")).count(), 1, "{rows:?}");
    assert!(rows.iter().all(|r| r.contains(" true ")), "{rows:?}");
    let out = plugin(kc, &["status", "demo", "-o", "json"]).await;
    expect_code(&out, 0);
    let object: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status -o json is JSON");
    assert_eq!(object["status"]["members"].as_array().map(Vec::len), Some(3));

    // Scale: refused outside 1..=9, then to 5.
    let out = plugin(kc, &["scale", "demo", "--size", "12"]).await;
    expect_code(&out, 3);
    assert_eq!(clusters.get("demo").await.expect("demo").spec.size, 3, "nothing changed");
    let out = plugin(kc, &["scale", "demo", "--size", "5", "--wait", "--timeout", "2m"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("5/5 members ready"), "{}", stdout(&out));
    let out = plugin(kc, &["status", "demo"]).await;
    expect_code(&out, 0);
    assert_eq!(member_rows(&stdout(&out)).len(), 5, "{}", stdout(&out));

    // Paused and a member lost: degraded, and nothing replaces it.
    expect_code(&plugin(kc, &["pause", "demo"]).await, 0);
    sb.sandbox.node.as_ref().expect("node").faults().lose("default", "demo-1").expect("lose demo-1");
    let deadline = Instant::now() + Duration::from_secs(30);
    let degraded = loop {
        let out = plugin(kc, &["status", "demo"]).await;
        if out.status.code() == Some(4) || Instant::now() > deadline {
            break out;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    expect_code(&degraded, 4);
    assert!(stdout(&degraded).contains("Paused:"), "{}", stdout(&degraded));
    let out = plugin(kc, &["scale", "demo", "--size", "5", "--wait", "--timeout", "2s"]).await;
    expect_code(&out, 6);
    assert!(
        stderr(&out).contains("timed out after 2s") && stderr(&out).contains("last seen Paused"),
        "{}",
        stderr(&out)
    );
    expect_code(&plugin(kc, &["resume", "demo"]).await, 0);
    assert!(!clusters.get("demo").await.expect("demo").spec.paused);

    // Delete: refused without --yes off a terminal, then done.
    let out = plugin(kc, &["delete", "demo"]).await;
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("refusing to delete without --yes when not on a terminal"),
        "{}",
        stderr(&out)
    );
    assert!(clusters.get("demo").await.is_ok(), "still there");
    let out = plugin(kc, &["delete", "demo", "--yes", "--wait", "--timeout", "1m"]).await;
    expect_code(&out, 0);
    let out = plugin(kc, &["status", "demo"]).await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("etcdcluster demo not found in namespace default"), "{}", stderr(&out));

    println!("lifecycle took {:.1} s", started.elapsed().as_secs_f64());
    sb.stop().await;
}

/// Without a terminal (as here: stdin is null, stderr a pipe) `create` asks nothing, even
/// with size, version and storage left out: it creates the defaults at once.
#[tokio::test]
async fn create_without_a_terminal_asks_nothing_and_uses_the_defaults() {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    let kubeconfig = sb.kubeconfig();
    let out = tokio::time::timeout(Duration::from_secs(60), plugin(&kubeconfig, &["create", "plain"]))
        .await
        .expect("create finishes without waiting for an answer");
    expect_code(&out, 0);
    assert_eq!(stdout(&out), "etcdcluster/plain created in namespace default\n");
    assert_eq!(stderr(&out), "", "no question, no note");
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec = clusters.get("plain").await.expect("created").spec;
    assert_eq!(
        (spec.size, spec.version.as_str()),
        (3, shared::version::default_version().to_string().as_str())
    );
    assert_eq!(
        (spec.storage.kind, spec.storage.size.as_deref()),
        (shared::crd::StorageKind::Persistent, Some("1Gi"))
    );
    let out = plugin(&kubeconfig, &["create", "scripted", "--yes", "--size", "1"]).await;
    expect_code(&out, 0);
    assert_eq!(clusters.get("scripted").await.expect("created").spec.size, 1);
    sb.stop().await;
}

/// What the operator no longer reports disappears from the status: a warning about an
/// even size is gone once the size is odd (the status used to be a merge patch that left
/// absent fields alone, so the warning stayed forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_the_operator_no_longer_reports_is_cleared() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.as_path();
    sb.install_crds().await.expect("CRDs created");
    let _operator = tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let out = plugin(kc, &["create", "ev", "--size", "4", "--storage", "ephemeral", "--wait"]).await;
    expect_code(&out, 0);
    let out = plugin(kc, &["status", "ev"]).await;
    assert!(stdout(&out).contains("size 4 is even"), "the warning at size 4: {}", stdout(&out));
    let out = plugin(kc, &["scale", "ev", "--size", "5", "--wait", "--timeout", "2m"]).await;
    expect_code(&out, 0);
    // The next status the operator writes after the scale has no warning.
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = clusters.get("ev").await.expect("cluster").status.unwrap_or_default();
        if status.desired_members == 5 && status.ready_members == 5 {
            assert!(status.warnings.is_empty(), "warnings at size 5: {:?}", status.warnings);
            break;
        }
        assert!(Instant::now() < deadline, "not at 5 members in 30 s: {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = plugin(kc, &["status", "ev"]).await;
    expect_code(&out, 0);
    println!("{}", stdout(&out));
    assert!(!stdout(&out).contains("is even"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("Warnings:"), "{}", stdout(&out));
    sb.stop().await;
}
