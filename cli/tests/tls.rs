//! The plugin with a TLS cluster (3.5.30), as a user runs it: `kubectl etcd credentials`
//! writes files etcdctl reads and writes with, `backup --wait` to S3 (moto; the operator's snapshot over
//! TLS) and `backup --download` (the plugin's, through the API's port-forward, verifying the
//! member by the name its certificate carries), then restores of the S3 backup and of
//! the downloaded file (`restore --from FILE`) into new TLS clusters with the keys compared.
//! The plugin's output holds no private key (the operator's is searched in
//! operator/tests/tls.rs).
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;
// Only the S3 emulator of the stores is used here.
#[path = "../../operator/tests/backup_support/stores.rs"]
mod stores;

use common::{plugin, stderr, stdout};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use shared::crd::EtcdCluster;

/// etcdctl 3.5.30 against `https://<ip>:2379` with `flags`: Ok(stdout) or Err(stderr).
fn etcdctl(ip: &str, flags: &[String], args: &[&str]) -> Result<String, String> {
    let build =
        etcd_sandbox::etcd_builds::locate("3.5.30").expect("etcd build installed by scripts/prereqs.sh");
    build.run_etcdctl(&format!("https://{ip}:2379"), flags, args)
}

#[tokio::test]
async fn credentials_backup_and_download_of_a_tls_cluster() {
    let (sb, operator) = common::sandbox_with_operator().await;
    let kubeconfig = sb.kubeconfig();
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec = serde_json::from_value(json!({"size": 3, "version": "3.5.30", "tls": {}})).expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("created");
    common::wait_demo_ready(&sb.client).await;
    let mut outputs = String::new();

    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("creds");
    let out_arg = out_dir.display().to_string();
    let out = plugin(&kubeconfig, &["credentials", "demo", "--out", &out_arg]).await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("etcdctl --endpoints=https://localhost:2379"), "{}", stdout(&out));
    println!("credentials printed:\n{}", stdout(&out).trim_end());
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(sb.client.clone(), "default");
    let ip = pods.get("demo-0").await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP");
    // The Pod IP is named by no certificate: etcdctl skips the name check here (the plugin
    // and the operator verify by name; see docs/design.md, "TLS").
    let flags = ["ca.crt", "tls.crt", "tls.key"]
        .iter()
        .zip(["--cacert", "--cert", "--key"])
        .map(|(file, flag)| format!("{flag}={}", out_dir.join(file).display()))
        .chain(["--insecure-skip-tls-verify".to_string()])
        .collect::<Vec<_>>();
    for n in (0..200).step_by(50) {
        etcdctl(&ip, &flags, &["put", &format!("k{n:04}"), &format!("v{n}")])
            .expect("put with the credentials");
    }
    let read = etcdctl(&ip, &flags, &["get", "k0050", "--print-value-only"]).expect("get");
    assert_eq!(read.trim(), "v50");

    // The plugin's own window into etcd speaks TLS too: etcdctl in a member, with the
    // member's certificate, and the members' survey of `alarm list`.
    let out = plugin(&kubeconfig, &["etcdctl", "demo", "--", "get", "k0100", "--print-value-only"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "v100");
    let out = plugin(&kubeconfig, &["etcdctl", "demo", "--", "member", "list"]).await;
    assert_eq!(stdout(&out).matches("https://").count(), 6, "peer and client URLs: {}", stdout(&out));
    let out = plugin(&kubeconfig, &["alarm", "list", "demo", "-o", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");

    // Back up to S3 (moto, reached at the sandbox's gateway).
    let gateway = sb.sandbox.node.as_ref().expect("node").gateway();
    let s3 = stores::S3Server::start(gateway, "snapshots").await;
    stores::s3_secret(&sb.client, "s3-credentials").await;
    let backup = [
        "backup",
        "demo",
        "--to",
        "s3://snapshots/etcd",
        "--backup-name",
        "b1",
        "--wait",
        "--credentials-secret",
        "s3-credentials",
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-path-style",
        "--s3-allow-http",
    ];
    let out = plugin(&kubeconfig, &backup).await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    println!("backup --wait: {}", stdout(&out).trim_end());

    let file = dir.path().join("demo.db");
    let file_arg = file.display().to_string();
    let out = plugin(&kubeconfig, &["backup", "demo", "--download", &file_arg, "-o", "json"]).await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let size = std::fs::metadata(&file).expect("downloaded").len();
    assert!(size > 0);
    println!("backup --download: {size} bytes: {}", stdout(&out).trim_end());

    // Restore the backup into a new TLS cluster and compare the keys.
    let out =
        plugin(&kubeconfig, &["restore", "copy", "--from", "b1", "--size", "3", "--tls", "--yes", "--wait"])
            .await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    println!("restore --tls: {}", stdout(&out).trim_end());
    let out = plugin(
        &kubeconfig,
        &["credentials", "copy", "--out", &dir.path().join("copy").display().to_string()],
    )
    .await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let copy_ip = pods.get("copy-0").await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP");
    let copy_flags: Vec<String> = flags.iter().map(|f| f.replace("/creds/", "/copy/")).collect();
    let keys = |ip: String, flags: Vec<String>| {
        etcdctl(&ip, &flags, &["get", "k", "--prefix", "--keys-only"]).expect("keys")
    };
    let (before, after) = (keys(ip.clone(), flags.clone()), keys(copy_ip.clone(), copy_flags.clone()));
    assert_eq!(before, after, "the restored TLS cluster holds the same keys");
    println!("restored TLS cluster holds the same {} keys", after.lines().filter(|l| !l.is_empty()).count());
    let file_arg = file.display().to_string();
    let out = plugin(
        &kubeconfig,
        &[
            "restore",
            "fromfile",
            "--from",
            &file_arg,
            "--version",
            "3.5.30",
            "--size",
            "1",
            "--tls",
            "--yes",
            "--wait",
        ],
    )
    .await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    println!("restore --from FILE --tls: {}", stdout(&out).trim_end());
    let out = plugin(
        &kubeconfig,
        &["credentials", "fromfile", "--out", &dir.path().join("fromfile").display().to_string()],
    )
    .await;
    outputs += &(stdout(&out) + &stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file_ip = pods.get("fromfile-0").await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP");
    let file_flags: Vec<String> = flags.iter().map(|f| f.replace("/creds/", "/fromfile/")).collect();
    assert_eq!(keys(file_ip, file_flags), before, "the downloaded snapshot restores the same keys");
    println!("the downloaded snapshot restored into a TLS cluster holds the same keys");
    let refused = etcdctl(&copy_ip, &flags, &["get", "k0000"]).expect_err("the first cluster's certificate");
    println!(
        "the first cluster's certificate against the restored one: {}",
        refused.lines().last().unwrap_or_default()
    );

    assert!(!outputs.contains("PRIVATE KEY"), "a private key in the plugin's output");
    println!("{} bytes of plugin output, no private key in it", outputs.len());
    operator.abort();
    s3.stop().await;
    sb.stop().await;
}
