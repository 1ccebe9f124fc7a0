//! cert-manager as the certificate source (`spec.tls.certManager`) end to end on the sandbox
//! with real etcd 3.5.30. The test plays cert-manager: it installs a minimal Certificate CRD
//! and fills each Certificate's Secret with a certificate its own CA issues for the
//! Certificate's names and usages.
//!
//! What it checks: without the CRD the cluster is refused (CertManagerMissing) and nothing
//! is created; once the CRD is there the cluster waits, naming the Certificate
//! (WaitingForCertificates); once the Secrets are filled it runs 3/3 over TLS and etcdctl
//! with the client Secret reads and writes; the Secrets are adopted by the cluster and go
//! with it, with the Certificates; no private key in the operator's output, the cluster's
//! YAML or the Certificates.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::tls::{Captured, client_flags, etcdctl, write_credentials};
use common::{create_cluster, operator, pod_ips, pods, sandbox, wait_running, wait_status};
use etcd_operator::tls::cert_manager::Certificate;
use etcd_operator::tls::certificates::{self, CertificateRequest, Issued, LEAF_LIFETIME, Role};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use shared::tls::ClientCredentials;

const VERSION: &str = "3.5.30";

/// The smallest CustomResourceDefinition of cert-manager's Certificate that serves what the
/// operator writes (the fields are kept as they are).
fn certificate_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "certificates.cert-manager.io"},
        "spec": {
            "group": "cert-manager.io",
            "scope": "Namespaced",
            "names": {"plural": "certificates", "singular": "certificate", "kind": "Certificate", "listKind": "CertificateList"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}},
            }],
        },
    }))
    .expect("a CRD")
}

/// What the Certificate asks for, as the operator's own issuer reads a request.
fn request_of(certificate: &Certificate) -> CertificateRequest {
    let spec = &certificate.spec;
    let server = spec.usages.iter().any(|u| u == "server auth");
    CertificateRequest {
        common_name: spec.common_name.clone(),
        dns_names: spec.dns_names.clone(),
        ips: spec.ip_addresses.iter().map(|ip| ip.parse::<IpAddr>().expect("an IP address")).collect(),
        role: if server { Role::Server } else { Role::Client },
        lifetime: LEAF_LIFETIME,
    }
}

/// Plays cert-manager until aborted: every Certificate whose Secret does not exist gets one
/// with a certificate `ca` issues, the key and `ca.crt`, owned by no one (as cert-manager
/// writes it). Counts the Secrets it wrote.
fn fake_cert_manager(
    client: Client,
    ca: Issued,
    written: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let certificates: Api<Certificate> = Api::namespaced(client.clone(), "default");
        let secrets: Api<Secret> = Api::namespaced(client, "default");
        loop {
            for certificate in certificates.list(&ListParams::default()).await.expect("Certificates").items {
                let name = certificate.spec.secret_name.clone();
                if secrets.get_opt(&name).await.expect("Secret").is_some() {
                    continue;
                }
                let now = k8s_openapi::jiff::Timestamp::now();
                let issued =
                    certificates::issue(&ca, "test-ca", &request_of(&certificate), now).expect("issued");
                let mut secret = Secret::default();
                secret.metadata.name = Some(name.clone());
                secret.type_ = Some("kubernetes.io/tls".into());
                secret.data = Some(BTreeMap::from([
                    ("tls.crt".to_string(), ByteString(issued.cert_pem.into_bytes())),
                    ("tls.key".to_string(), ByteString(issued.key_pem.into_bytes())),
                    ("ca.crt".to_string(), ByteString(ca.cert_pem.clone().into_bytes())),
                ]));
                secrets.create(&PostParams::default(), &secret).await.expect("Secret written");
                written.lock().expect("list").push(name);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

fn reason(cluster: &shared::crd::EtcdClusterStatus, kind: &str) -> Option<(String, String)> {
    cluster.conditions.iter().find(|c| c.type_ == kind).map(|c| (c.reason.clone(), c.message.clone()))
}

#[tokio::test]
async fn a_cluster_runs_on_the_certificates_cert_manager_issues() {
    let logs = Captured::start();
    let sb = sandbox().await;
    let operator = operator(&sb.client);
    let started = Instant::now();
    let spec = json!({"size": 3, "version": VERSION,
        "tls": {"certManager": {"issuerRef": {"name": "test-ca", "kind": "ClusterIssuer"}, "duration": "2160h"}}});
    let clusters = create_cluster(&sb.client, spec).await;

    // Without cert-manager: refused, nothing created.
    let took = wait_status(&clusters, 60, "refused without cert-manager", |s| {
        reason(s, "Degraded").is_some_and(|(r, _)| r == "CertManagerMissing")
    })
    .await;
    let status = clusters.get("demo").await.expect("cluster").status.expect("status");
    let (_, message) = reason(&status, "Degraded").expect("Degraded");
    assert!(message.contains("install cert-manager"), "{message}");
    assert_eq!(status.phase, Some(shared::crd::ClusterPhase::Failed));
    let secrets: Api<Secret> = Api::namespaced(sb.client.clone(), "default");
    assert!(secrets.list(&ListParams::default()).await.expect("Secrets").items.is_empty(), "no Secret");
    assert!(pods(&sb.client).await.is_empty(), "no Pod");
    println!("without cert-manager: refused in {:.1} s: {message}", took.as_secs_f64());

    // cert-manager's Certificate resource appears: the cluster waits for its client Certificate.
    let crds: Api<CustomResourceDefinition> = Api::all(sb.client.clone());
    crds.create(&PostParams::default(), &certificate_crd()).await.expect("the Certificate CRD");
    let took = wait_status(&clusters, 60, "waiting for cert-manager", |s| {
        reason(s, "Progressing").is_some_and(|(r, _)| r == "WaitingForCertificates")
    })
    .await;
    let status = clusters.get("demo").await.expect("cluster").status.expect("status");
    let (_, message) = reason(&status, "Progressing").expect("Progressing");
    assert!(message.contains("kubectl describe certificate demo-client-tls -n default"), "{message}");
    assert_eq!(status.phase, Some(shared::crd::ClusterPhase::Pending));
    assert!(pods(&sb.client).await.is_empty(), "no Pod before its certificates");
    println!(
        "with the CRD, before cert-manager issues: waiting after {:.1} s: {message}",
        took.as_secs_f64()
    );

    // The test issues what the Certificates ask for: the cluster starts over TLS.
    let ca = certificates::issue_ca("test", certificates::CA_LIFETIME, k8s_openapi::jiff::Timestamp::now())
        .expect("the test's CA");
    let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let issuer = fake_cert_manager(sb.client.clone(), ca.clone(), written.clone());
    let took = wait_running(&clusters, 3, "a cluster on cert-manager's certificates").await;
    println!(
        "3 TLS members ready {:.1} s after cert-manager started issuing ({:.1} s since the cluster was created)",
        took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let certificate_api: Api<Certificate> = Api::namespaced(sb.client.clone(), "default");
    let mut names: Vec<String> = certificate_api
        .list(&ListParams::default())
        .await
        .expect("Certificates")
        .items
        .iter()
        .map(|c| c.spec.secret_name.clone())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "demo-0-peer-tls",
            "demo-0-server-tls",
            "demo-1-peer-tls",
            "demo-1-server-tls",
            "demo-2-peer-tls",
            "demo-2-server-tls",
            "demo-client-tls"
        ]
    );
    let mut filled = written.lock().expect("list").clone();
    filled.sort();
    assert_eq!(filled, names, "every Secret came from the test's issuer");
    for name in &names {
        let secret = secrets.get(name).await.expect("Secret");
        let owners = secret.metadata.owner_references.unwrap_or_default();
        assert!(
            owners.iter().any(|o| o.kind == "EtcdCluster" && o.name == "demo"),
            "{name} is adopted by the cluster: {owners:?}"
        );
    }
    println!("{} Certificates written by the operator, every Secret adopted by the cluster", names.len());

    let client_secret = secrets.get("demo-client-tls").await.expect("client Secret");
    let credentials = ClientCredentials::from_secret(&client_secret, "demo-client.default.svc".into())
        .expect("credentials");
    assert_eq!(credentials.ca_pem, ca.cert_pem, "the issuer's CA");
    let dir = tempfile::tempdir().expect("tempdir");
    let files =
        write_credentials(dir.path(), &credentials.ca_pem, &credentials.cert_pem, &credentials.key_pem);
    let flags = client_flags(&files);
    let ips = pod_ips(&sb.client).await;
    etcdctl(VERSION, &ips[0], &flags, &["put", "cm-key", "cm-value"])
        .expect("put with the client certificate");
    let read = etcdctl(VERSION, &ips[2], &flags, &["get", "cm-key", "--print-value-only"]).expect("get");
    assert_eq!(read.trim(), "cm-value");
    let list = etcdctl(VERSION, &ips[1], &flags, &["member", "list"]).expect("member list");
    assert!(list.lines().filter_map(|l| l.split(", ").nth(3)).all(|u| u.starts_with("https://")), "{list}");
    println!("etcdctl with the client Secret: put on one member, get from another: {}", read.trim());

    // Nothing shows a key: the cluster's YAML, the Certificates, the operator's output.
    let cluster_yaml = serde_json::to_string(&clusters.get("demo").await.expect("cluster")).expect("json");
    let certificates_json =
        serde_json::to_string(&certificate_api.list(&ListParams::default()).await.expect("list").items)
            .expect("json");
    for (what, text) in [("the cluster", &cluster_yaml), ("the Certificates", &certificates_json)] {
        assert!(!text.contains("PRIVATE KEY") && !text.contains(&credentials.key_pem), "a key in {what}");
    }

    // The cluster goes, and its Certificates and Secrets with it.
    issuer.abort();
    let deleting = Instant::now();
    clusters.delete("demo", &DeleteParams::default()).await.expect("deleted");
    loop {
        let left_certificates = certificate_api.list(&ListParams::default()).await.expect("list").items.len();
        let left_secrets = secrets.list(&ListParams::default()).await.expect("list").items.len();
        if left_certificates == 0 && left_secrets == 0 {
            break;
        }
        assert!(
            deleting.elapsed() < Duration::from_secs(60),
            "{left_certificates} Certificates and {left_secrets} Secrets left after the cluster was deleted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "the cluster deleted: its Certificates and Secrets gone in {:.1} s",
        deleting.elapsed().as_secs_f64()
    );

    operator.abort();
    let output = logs.text();
    assert!(!output.is_empty(), "the operator's output was captured");
    assert!(!output.contains("PRIVATE KEY"), "a private key in the operator's output");
    println!("{} bytes of operator output, no private key in it", output.len());
    sb.stop().await;
}
