//! Certificate rotation end to end on the sandbox with real etcd (3.5.30 and 3.4.23): a
//! 3-member TLS cluster under a writer (over TLS, reading the client Secret again whenever
//! it reconnects) has its member certificates renewed, then its CA rotated, each asked for
//! with the request annotation `kubectl etcd rotate-certificates` writes. Checked: no
//! acknowledged write lost, the cluster Running 3/3 after each, every member Pod restarted
//! with its renewed Secrets, every member serving a certificate of the new CA (a client
//! trusting only the new CA verifies each one by the name the operator verifies by), and a
//! client certificate of the old CA refused once the old CA is dropped. Prints the writes,
//! the failed attempts, the longest gap and the time each rotation took. The operator's
//! output is captured and searched for private keys.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::tls::{Captured, client_credentials, client_flags, etcdctl, write_credentials};
use common::{Writer, create_cluster, operator, pod_ips, sandbox, wait_running, wait_status};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use shared::crd::{
    ClusterPhase, EtcdCluster, EtcdClusterStatus, ROTATE_CA_ANNOTATION, ROTATE_REQUEST_ANNOTATION,
};
use shared::tls::{CERT_KEY, ClientCredentials, secret_text};

/// The `tls.crt` of each of `demo`'s certificate Secrets, by Secret name.
async fn certificates(client: &Client) -> BTreeMap<String, String> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let mut found = BTreeMap::new();
    let mut names = vec!["demo-ca-tls".to_string(), "demo-client-tls".to_string()];
    for i in 0..3 {
        names.push(format!("demo-{i}-server-tls"));
        names.push(format!("demo-{i}-peer-tls"));
    }
    for name in names {
        let secret = secrets.get(&name).await.expect("the operator's Secret");
        found.insert(name, secret_text(&secret, CERT_KEY).expect("tls.crt"));
    }
    found
}

/// The member Pods' UIDs, by name.
async fn pod_uids(client: &Client) -> BTreeMap<String, String> {
    common::pods(client).await.iter().map(|p| (p.name_any(), p.uid().unwrap_or_default())).collect()
}

/// Request `id` carried out, no CA rotation under way, no member waiting for a restart,
/// and 3 healthy voting members.
fn rotated(status: &EtcdClusterStatus, id: &str) -> bool {
    status.tls.as_ref().is_some_and(|t| {
        t.last_request.as_deref() == Some(id) && t.ca_rotation.is_none() && t.pending_members.is_empty()
    }) && status.phase == Some(ClusterPhase::Running)
        && status.ready.as_deref() == Some("3/3")
        && status.members.len() == 3
        && status.members.iter().all(|m| m.healthy)
}

/// Asks for a rotation (`ca`: of the CA too) under a writer, waits for it, and checks and
/// prints the writer's figures. Returns how long the rotation took.
async fn rotate_under_a_writer(client: &Client, clusters: &Api<EtcdCluster>, id: &str, ca: bool) -> Duration {
    let label = if ca { "CA rotation" } else { "member certificates" };
    let writer = Writer::start(client, &format!("{id}/"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let annotations = json!({"metadata": {"annotations": {
        ROTATE_REQUEST_ANNOTATION: id,
        ROTATE_CA_ANNOTATION: ca.then_some("true"),
    }}});
    clusters.patch("demo", &PatchParams::default(), &Patch::Merge(annotations)).await.expect("request");
    wait_status(clusters, 600, label, |s| rotated(s, id)).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = writer.stop_and_check(client).await;
    println!(
        "{label}: {:.1} s; {} writes acknowledged and all read back (0 lost), {} failed attempts, longest gap \
         without a successful write {} ms",
        took.as_secs_f64(),
        report.acknowledged.len(),
        report.failed,
        report.longest_gap.as_millis()
    );
    assert!(report.acknowledged.len() > 20, "{label}: the writer kept writing through the rotation");
    took
}

/// Connects to the one member at `ip` with `credentials` (which verify the member by its
/// fixed server name against their CAs) and asks for its status.
async fn member_answers(ip: &str, credentials: &ClientCredentials) -> Result<(), String> {
    let mut client = common::connect_over(&[ip.to_string()], Some(credentials))
        .await
        .ok_or_else(|| format!("cannot connect to {ip}"))?;
    client.status().await.map(|_| ()).map_err(|e| e.to_string())
}

async fn rotation(version: &str) {
    let logs = Captured::start();
    let sb = sandbox().await;
    let operator = operator(&sb.client);
    let spec = json!({"size": 3, "version": version, "tls": {}, "storage": {"kind": "Persistent"}});
    let clusters = create_cluster(&sb.client, spec).await;
    let took = wait_running(&clusters, 3, "a TLS cluster").await;
    println!("{version}: 3 TLS members ready in {:.1} s", took.as_secs_f64());
    let old = client_credentials(&sb.client).await.expect("the client Secret");
    let before = certificates(&sb.client).await;
    let uids = pod_uids(&sb.client).await;

    // 1. Member certificates.
    rotate_under_a_writer(&sb.client, &clusters, "renew-1", false).await;
    let renewed = certificates(&sb.client).await;
    for (name, pem) in &renewed {
        if name == "demo-ca-tls" {
            assert_eq!(pem, &before[name], "the CA stays");
        } else {
            assert_ne!(pem, &before[name], "{name} renewed");
        }
    }
    let after = pod_uids(&sb.client).await;
    for (pod, uid) in &uids {
        assert_ne!(after.get(pod), Some(uid), "{pod} restarted with its renewed Secrets");
    }

    // Once each: the request is carried out once, not again by a later reconcile.
    let renewals = |why: &str| {
        logs.text().lines().filter(|l| l.contains("renewed a certificate") && l.contains(why)).count()
    };
    assert_eq!(renewals("asked for"), 7, "the client's and each member's server and peer certificate, once");

    // 2. The CA.
    rotate_under_a_writer(&sb.client, &clusters, "ca-1", true).await;
    assert_eq!(renewals("issued by another CA"), 7, "every certificate issued again by the new CA, once");
    let rotated = certificates(&sb.client).await;
    for (name, pem) in &rotated {
        assert_ne!(pem, &renewed[name], "{name} replaced by the CA rotation");
    }
    let new = client_credentials(&sb.client).await.expect("the client Secret");
    assert_eq!(new.ca_pem.trim(), rotated["demo-ca-tls"].trim(), "only the new CA is trusted");
    let status = clusters.get("demo").await.expect("cluster").status.expect("status");
    println!("{version}: certificates after the rotations:");
    for c in &status.tls.as_ref().expect("status.tls").certificates {
        println!("  {}\texpires {}\trenewed at {}", c.secret, c.expires.0, c.renew_at.0);
    }

    // Every member serves a certificate of the new CA, verified by the operator's name for
    // members; a client trusting only the old CA cannot verify any of them.
    let ips = pod_ips(&sb.client).await;
    assert_eq!(ips.len(), 3);
    for ip in &ips {
        member_answers(ip, &new).await.unwrap_or_else(|e| panic!("{ip} with the new CA: {e}"));
        let old_trust = ClientCredentials { ca_pem: old.ca_pem.clone(), ..new.clone() };
        let refused =
            member_answers(ip, &old_trust).await.expect_err("a certificate of the old CA is served");
        println!("{version}: {ip} verified against the new CA; against the old CA only: {refused}");
    }
    // etcdctl: the new client certificate reads and writes; the old one is refused.
    let dir = tempfile::tempdir().expect("tempdir");
    let new_files = write_credentials(&dir.path().join("new"), &new.ca_pem, &new.cert_pem, &new.key_pem);
    let flags = client_flags(&new_files);
    etcdctl(version, &ips[0], &flags, &["put", "after-rotation", "yes"])
        .expect("put with the new certificate");
    let read =
        etcdctl(version, &ips[1], &flags, &["get", "after-rotation", "--print-value-only"]).expect("get");
    assert_eq!(read.trim(), "yes");
    let old_files = write_credentials(&dir.path().join("old"), &new.ca_pem, &old.cert_pem, &old.key_pem);
    let refused = etcdctl(version, &ips[0], &client_flags(&old_files), &["get", "after-rotation"])
        .expect_err("the client certificate of the old CA is refused");
    println!("{version}: the old client certificate: {}", refused.lines().last().unwrap_or_default());

    operator.abort();
    logs.check_no_private_key(version);
    sb.stop().await;
}

#[tokio::test]
async fn member_certificates_then_the_ca_rotate_on_3_5_without_losing_a_write() {
    rotation("3.5.30").await;
}

#[tokio::test]
async fn member_certificates_then_the_ca_rotate_on_3_4_without_losing_a_write() {
    rotation("3.4.23").await;
}
