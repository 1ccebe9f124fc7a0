//! Every etcd version the project tests against is installed, reports its version, and
//! serves the etcd-client library the operator uses: a single-member cluster of each
//! version is started for real, written to and read back.
//!
//! A missing build fails here, loudly, with the command that installs it.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use etcd_sandbox::etcd_builds::{EtcdBuild, TEST_VERSIONS, locate};
use tokio::process::{Child, Command};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

async fn start_member(build: &EtcdBuild, data: &std::path::Path) -> (Child, String) {
    let (client, peer) = (free_port(), free_port());
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let child = Command::new(build.etcd())
        .args(["--name", "m0", "--data-dir"])
        .arg(data)
        .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
        .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
        .args(["--initial-cluster", &format!("m0={peer_url}"), "--initial-cluster-state", "new"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("etcd starts");
    (child, client_url)
}

async fn connect(endpoint: &str) -> etcd_client::Client {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let options = etcd_client::ConnectOptions::new().with_connect_timeout(Duration::from_secs(1));
        if let Ok(mut client) = etcd_client::Client::connect([endpoint], Some(options)).await
            && client.status().await.is_ok()
        {
            return client;
        }
        assert!(tokio::time::Instant::now() < deadline, "etcd at {endpoint} did not answer in 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_test_version_is_installed_and_serves_etcd_client() {
    for version in TEST_VERSIONS {
        let build = locate(version).unwrap();

        let output = Command::new(build.etcd()).arg("--version").output().await.expect("etcd --version runs");
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(printed.contains(&format!("etcd Version: {version}")), "etcd {version} printed {printed}");
        let output =
            Command::new(build.etcdctl()).arg("version").output().await.expect("etcdctl version runs");
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(
            printed.contains(&format!("etcdctl version: {version}")),
            "etcdctl {version} printed {printed}"
        );
        if version.starts_with("3.5") {
            assert!(build.etcdutl().is_some(), "etcd {version} ships etcdutl");
        }

        let data = tempfile::tempdir().expect("temp dir");
        let (mut child, endpoint) = start_member(&build, &data.path().join("member")).await;
        let mut client = connect(&endpoint).await;
        let status = client.status().await.expect("status");
        assert_eq!(status.version(), version, "the member reports its version");
        client.put("foundation", version, None).await.expect("put");
        let got = client.get("foundation", None).await.expect("get");
        let value = got.kvs().first().map(|kv| kv.value().to_vec());
        assert_eq!(value.as_deref(), Some(version.as_bytes()));
        let members = client.member_list().await.expect("member list");
        assert_eq!(members.members().len(), 1);
        child.kill().await.expect("etcd stops");
    }
}
