//! TLS clusters end to end on the sandbox with real etcd (3.5.30 and 3.4.23): the operator
//! issues a CA and the certificates, members serve HTTPS with client certificates required,
//! and real `etcdctl` checks what a user would: no client certificate is refused, the
//! cluster's client certificate reads and writes, the member list shows `https://` peer
//! URLs, and a certificate from another CA is refused. The operator's output is captured
//! and searched for private keys.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use common::tls::{Captured, client_flags, etcdctl, write_credentials};
use common::{create_cluster, operator, pod_ips, sandbox, wait_running};
use etcd_operator::tls::certificates;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use serde_json::json;
use shared::tls::ClientCredentials;

async fn tls_cluster(version: &str) {
    let logs = Captured::start();
    let sb = sandbox().await;
    let operator = operator(&sb.client);
    let clusters = create_cluster(&sb.client, json!({"size": 3, "version": version, "tls": {}})).await;
    let took = wait_running(&clusters, 3, "a TLS cluster").await;
    println!("{version}: 3 TLS members ready in {:.1} s", took.as_secs_f64());

    let secrets: Api<Secret> = Api::namespaced(sb.client.clone(), "default");
    let client_secret =
        secrets.get("demo-client-tls").await.expect("the operator issued a client certificate");
    let credentials = ClientCredentials::from_secret(&client_secret, "demo-client.default.svc".into())
        .expect("credentials");
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = write_credentials(
        &dir.path().join("ours"),
        &credentials.ca_pem,
        &credentials.cert_pem,
        &credentials.key_pem,
    );
    let ips = pod_ips(&sb.client).await;

    let without = etcdctl(
        version,
        &ips[0],
        &[format!("--cacert={}", ours[0].display()), "--insecure-skip-tls-verify".into()],
        &["get", "x"],
    );
    let refused = without.expect_err("a client without a certificate is refused");
    println!("{version}: without a client certificate: {}", refused.lines().last().unwrap_or_default());

    let flags = client_flags(&ours);
    etcdctl(version, &ips[0], &flags, &["put", "tls-key", "tls-value"])
        .expect("put with the client certificate");
    let read = etcdctl(version, &ips[1], &flags, &["get", "tls-key", "--print-value-only"]).expect("get");
    assert_eq!(read.trim(), "tls-value");
    println!(
        "{version}: with the cluster's client certificate: put, then get from another member: {}",
        read.trim()
    );

    let list = etcdctl(version, &ips[0], &flags, &["member", "list"]).expect("member list");
    let peer_urls: Vec<&str> = list.lines().filter_map(|l| l.split(", ").nth(3)).collect();
    assert_eq!(peer_urls.len(), 3, "{list}");
    assert!(peer_urls.iter().all(|u| u.starts_with("https://")), "{list}");
    println!("{version}: member list:\n{}", list.trim_end());

    let now = k8s_openapi::jiff::Timestamp::now();
    let other_ca = certificates::issue_ca("other", now).expect("another CA");
    let foreign = certificates::issue(&other_ca, "other-ca-tls", &certificates::client_request("demo"), now)
        .expect("cert");
    let theirs = write_credentials(
        &dir.path().join("theirs"),
        &credentials.ca_pem,
        &foreign.cert_pem,
        &foreign.key_pem,
    );
    let refused = etcdctl(version, &ips[0], &client_flags(&theirs), &["get", "tls-key"])
        .expect_err("a certificate of another CA is refused");
    println!("{version}: with a certificate of another CA: {}", refused.lines().last().unwrap_or_default());

    operator.abort();
    let output = logs.text();
    assert!(!output.is_empty(), "the operator's output was captured");
    assert!(!output.contains("PRIVATE KEY"), "a private key in the operator's output");
    println!("{version}: {} bytes of operator output, no private key in it", output.len());
    sb.stop().await;
}

#[tokio::test]
async fn a_tls_cluster_on_3_5_requires_client_certificates_of_its_ca() {
    tls_cluster("3.5.30").await;
}

#[tokio::test]
async fn a_tls_cluster_on_3_4_requires_client_certificates_of_its_ca() {
    tls_cluster("3.4.23").await;
}
