//! What the plugin's end-to-end tests share: running the built binary as a user would.

#![allow(dead_code)] // each test file uses a part of this module

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Instant;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::PostParams;
use shared::crd::{EtcdCluster, EtcdClusterSpec};

/// Runs the plugin with the sandbox's kubeconfig, without a terminal, and returns its output.
pub async fn plugin(kubeconfig: &Path, args: &[&str]) -> Output {
    let kubeconfig = kubeconfig.to_str().expect("a UTF-8 path");
    let args: Vec<&str> = ["--kubeconfig", kubeconfig].iter().chain(args).copied().collect();
    plugin_with_env(None, &args).await
}

/// Runs the plugin with `$KUBECONFIG` set to `kubeconfig_env` (unset for `None`), without a
/// terminal, and returns its output.
pub async fn plugin_with_env(kubeconfig_env: Option<&str>, args: &[&str]) -> Output {
    let started = Instant::now();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"));
    command.args(args).env_remove("KUBECONFIG").stdin(Stdio::null());
    if let Some(value) = kubeconfig_env {
        command.env("KUBECONFIG", value);
    }
    let output = command.output().await.expect("plugin runs");
    println!(
        "kubectl etcd {} -> {:?} in {:.1} s\n{}{}",
        args.join(" "),
        output.status.code(),
        started.elapsed().as_secs_f64(),
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it is not the expected one.
pub fn expect_code(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(output), stderr(output));
}

/// Creates the namespace `namespace`, then EtcdClusters (etcd 3.5.30, default size) as
/// `(namespace, name)` pairs say, through `client`.
pub async fn create_clusters(client: &kube::Client, namespace: &str, clusters: &[(&str, &str)]) {
    let object: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": namespace}})).expect("a namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &object)
        .await
        .expect("namespace created");
    let spec: EtcdClusterSpec =
        serde_json::from_value(serde_json::json!({"version": "3.5.30"})).expect("spec");
    for (namespace, name) in clusters {
        let api: Api<EtcdCluster> = Api::namespaced(client.clone(), namespace);
        api.create(&PostParams::default(), &EtcdCluster::new(name, spec.clone()))
            .await
            .expect("cluster created");
    }
}

/// A sandbox with a node and the CRDs, and the operator running in this process with file
/// snapshots reaching Pods (the sandbox's node runs every container over the host's files,
/// so a seed Pod reads a `file://` snapshot; a real cluster refuses it: see the restore
/// docs).
pub async fn sandbox_with_operator() -> (etcd_sandbox::testkit::TestSandbox, tokio::task::JoinHandle<()>) {
    let sb = etcd_sandbox::testkit::TestSandbox::start_with_node().await.expect("sandbox");
    sb.install_crds().await.expect("CRDs");
    let settings = etcd_operator::controller::Settings {
        file_snapshots_reach_pods: true,
        ..etcd_operator::controller::Settings::default()
    };
    let operator = tokio::spawn(etcd_operator::controller::run_with(
        sb.client.clone(),
        settings,
        std::future::pending(),
    ));
    (sb, operator)
}

/// Waits up to 120 s until the EtcdCluster `demo` in `default` reports 3/3 members ready
/// (through the API: the plugin's `--wait` is tested elsewhere).
pub async fn wait_demo_ready(client: &kube::Client) {
    let clusters: Api<EtcdCluster> = Api::namespaced(client.clone(), "default");
    let started = Instant::now();
    loop {
        let status = clusters.get("demo").await.expect("cluster").status.unwrap_or_default();
        if status.ready.as_deref() == Some("3/3") && status.members.len() == 3 {
            return;
        }
        assert!(started.elapsed().as_secs() < 120, "demo not running: {status:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}
