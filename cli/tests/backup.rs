//! The plugin's backup commands end to end, as a user runs them: `backup --wait` to a local
//! path, `backups`, `backup --download` through the API's port-forward (byte for byte what
//! `etcdctl snapshot save` writes at the same revision, and it restores), and the exit codes
//! of an unavailable cluster and an unwritable file.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{plugin, stdout};
use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};
use shared::crd::EtcdCluster;

async fn create(client: &kube::Client, name: &str, spec: Value) {
    let clusters: Api<EtcdCluster> = Api::namespaced(client.clone(), "default");
    let cluster = EtcdCluster::new(name, serde_json::from_value(spec).expect("spec"));
    clusters.create(&PostParams::default(), &cluster).await.expect("cluster created");
}

/// Pod IP of a member.
async fn ip_of(client: &kube::Client, pod: &str) -> String {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "default");
    pods.get(pod).await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP")
}

#[tokio::test]
async fn backup_backups_download_and_restore_through_the_plugin() {
    let (sb, operator) = common::sandbox_with_operator().await;
    let kubeconfig = sb.kubeconfig();
    create(&sb.client, "demo", json!({"size": 3, "version": "3.5.30"})).await;
    common::wait_demo_ready(&sb.client).await;
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let ip = ip_of(&sb.client, "demo-0").await;
    let mut etcd = etcd_client::Client::connect([format!("http://{ip}:2379")], None).await.expect("etcd");
    for n in 0..500 {
        etcd.put(format!("k{n:04}"), format!("v{n}"), None).await.expect("put");
    }

    // backup --wait to a local path, then backups.
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", dir.path().join("store").display());
    let out = plugin(&kubeconfig, &["backup", "demo", "--to", &url, "--backup-name", "b1", "--wait"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("etcdbackup/b1:") && stdout(&out).contains("at revision 501"),
        "{}",
        stdout(&out)
    );
    let out = plugin(&kubeconfig, &["backups", "demo"]).await;
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let row = text.lines().find(|l| l.starts_with("b1 ")).unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("Succeeded") && row.contains(" 501 ") && row.contains("3.5.30") && row.contains(&url),
        "{row}"
    );
    let listed: Value =
        serde_json::from_str(&stdout(&plugin(&kubeconfig, &["backups", "demo", "-o", "json"]).await))
            .expect("JSON");
    assert_eq!(listed[0]["snapshot"]["revision"], 501);

    // --download through the API, against etcdctl snapshot save at the same revision.
    let file = dir.path().join("demo.db");
    let file_arg = file.display().to_string();
    let out = plugin(&kubeconfig, &["backup", "demo", "--download", &file_arg, "-o", "json"]).await;
    assert_eq!(out.status.code(), Some(0));
    let done: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(done["revision"], 501);
    assert!(!dir.path().join("demo.db.part").exists(), "no part file left");
    let downloaded = std::fs::read(&file).expect("downloaded file");
    assert_eq!(done["sizeBytes"].as_u64(), Some(downloaded.len() as u64));
    let member = done["member"].as_str().expect("member");
    let saved = dir.path().join("etcdctl.db");
    etcd_sandbox::testkit::etcdctl(
        "3.5.30",
        &ip_of(&sb.client, member).await,
        &["snapshot", "save", &saved.display().to_string()],
    )
    .await
    .unwrap();
    let by_etcdctl = std::fs::read(&saved).expect("etcdctl's file");
    println!("--download: {} bytes; etcdctl snapshot save: {} bytes", downloaded.len(), by_etcdctl.len());
    assert_eq!(downloaded.len(), by_etcdctl.len(), "the same database size");
    // From etcd 3.5.x (seen on 3.5.30, not on 3.5.1) every snapshot commits a database
    // transaction first, so two snapshots of unchanged data differ in bbolt's meta pages:
    // the data is compared by etcdutl's own content hash, revision and key count.
    let status = |file| etcd_sandbox::testkit::snapshot_status("3.5.30", file);
    let ours = status(&file).await.unwrap();
    let theirs = status(&saved).await.unwrap();
    println!("etcdutl snapshot status: --download {ours}, etcdctl snapshot save {theirs}");
    assert_eq!(ours, theirs, "the download holds what etcdctl snapshot save holds at the same revision");
    assert_eq!(ours["revision"], 501);

    // It restores.
    let out = plugin(
        &kubeconfig,
        &[
            "restore",
            "copy",
            "--from",
            &format!("file://{file_arg}"),
            "--version",
            "3.5.30",
            "--size",
            "1",
            "--wait",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let copy_ip = ip_of(&sb.client, "copy-0").await;
    let got = etcd_sandbox::testkit::etcdctl("3.5.30", &copy_ip, &["get", "k", "--prefix", "--keys-only"])
        .await
        .expect("get");
    assert_eq!(got.lines().filter(|l| !l.is_empty()).count(), 500, "every key restored");

    // The same file uploaded from the workstation: a damaged copy is refused before anything
    // is created; the sound one goes through the API's port-forward to the seed member.
    let mut damaged = downloaded.clone();
    damaged[4096] ^= 0x01;
    let damaged_file = dir.path().join("damaged.db");
    std::fs::write(&damaged_file, &damaged).expect("damaged copy");
    let out = plugin(
        &kubeconfig,
        &["restore", "broken", "--from", &damaged_file.display().to_string(), "--size", "1", "--wait"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("integrity hash") && said.contains("nothing was changed"), "{said}");
    assert!(clusters.get_opt("broken").await.expect("get").is_none(), "no cluster");
    let restores: Api<shared::crd::EtcdRestore> = Api::namespaced(sb.client.clone(), "default");
    assert!(restores.get_opt("restore-broken").await.expect("get").is_none(), "no EtcdRestore");
    let started = Instant::now();
    let out =
        plugin(&kubeconfig, &["restore", "uploaded", "--from", &file_arg, "--size", "1", "--wait"]).await;
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{said}");
    println!(
        "restore --from FILE ({} bytes): {:.1}s\n{said}",
        downloaded.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(said.contains("uploaded-0 received and checked the snapshot"), "{said}");
    assert!(stdout(&out).contains("etcdcluster/uploaded restored"), "{}", stdout(&out));
    let uploaded_ip = ip_of(&sb.client, "uploaded-0").await;
    let got = etcd_sandbox::testkit::etcdctl("3.5.30", &uploaded_ip, &["get", "k0499", "--print-value-only"])
        .await
        .expect("get");
    assert_eq!(got.trim(), "v499", "the uploaded snapshot's data");
    let restore = restores.get("restore-uploaded").await.expect("restore");
    assert_eq!(restore.status.and_then(|s| s.sha256), done["sha256"].as_str().map(String::from));

    // A restore from a backup name, refused when the name is taken.
    let out = plugin(&kubeconfig, &["restore", "demo", "--from", "b1", "--wait"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ClusterExists"));

    // Exit codes: no member answers (5); the file cannot be written (7), leaving nothing.
    create(&sb.client, "idle", json!({"size": 1, "version": "3.5.30", "paused": true})).await;
    let out = plugin(
        &kubeconfig,
        &["backup", "idle", "--download", &dir.path().join("idle.db").display().to_string()],
    )
    .await;
    assert_eq!(out.status.code(), Some(5));
    assert!(!dir.path().join("idle.db").exists());
    let out = plugin(&kubeconfig, &["backup", "demo", "--download", "/nonexistent-dir/x.db"]).await;
    assert_eq!(out.status.code(), Some(7));
    assert!(!Path::new("/nonexistent-dir/x.db").exists());
    let out = plugin(&kubeconfig, &["backup", "missing", "--download", "x.db"]).await;
    assert_eq!(out.status.code(), Some(1), "not found is an error");

    operator.abort();
    sb.stop().await;
}
