//! cert-manager as the source of a TLS cluster's certificates (`spec.tls.certManager`).
//!
//! For every certificate the operator would otherwise issue itself (a server and a peer
//! certificate per member, one client certificate) it writes a cert-manager `Certificate`
//! with the same names and usages (the [`certificates`] requests), named like the Secret
//! cert-manager fills. A member's Pod is created only once its Secrets hold `tls.crt`,
//! `tls.key` and `ca.crt`; until then the cluster waits, naming the Certificates. A filled
//! Secret is adopted (an owner reference to the cluster), so it goes with the cluster like
//! the Secrets the operator issues. Renewals are cert-manager's: it rewrites the Secret.
//!
//! [`Certificate`] is a client-side view of the few fields of cert-manager.io/v1
//! `Certificate` the operator writes; it is not one of the project's CRDs.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, CustomResource};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::crd::{CertManagerTls, EtcdCluster};
use shared::names;
use shared::tls::{CA_KEY, CERT_KEY, PRIVATE_KEY_KEY, secret_text};

use super::TlsError;
use super::certificates::{self, CertificateRequest, Role};
use crate::identity::Identity;
use crate::resources::{BuildError, owner_reference};

/// The fields of a cert-manager `Certificate` the operator sets.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(group = "cert-manager.io", version = "v1", kind = "Certificate", namespaced, schema = "disabled")]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// The Secret cert-manager writes `tls.crt`, `tls.key` and `ca.crt` to.
    pub secret_name: String,
    /// Subject common name.
    pub common_name: String,
    /// DNS names (SANs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    /// IP addresses (SANs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<String>,
    /// Key usages and extended key usages, in cert-manager's spelling.
    pub usages: Vec<String>,
    /// The issuer that signs it.
    pub issuer_ref: IssuerRef,
    /// Lifetime asked for (a Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// How long before expiry cert-manager renews it (a Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
}

/// `spec.issuerRef` of a cert-manager `Certificate`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct IssuerRef {
    /// The issuer's name.
    pub name: String,
    /// `Issuer` or `ClusterIssuer`.
    pub kind: String,
    /// The issuer's API group.
    pub group: String,
}

/// What a certificate of `role` may be used for, in cert-manager's spelling: the usages
/// [`certificates::issue`] gives the certificates the operator issues itself.
pub fn usages(role: Role) -> Vec<String> {
    let mut usages = vec!["digital signature", "key encipherment"];
    match role {
        Role::Server | Role::Peer => usages.extend(["server auth", "client auth"]),
        Role::Client => usages.push("client auth"),
    }
    usages.into_iter().map(String::from).collect()
}

/// The `Certificate` asking `source`'s issuer for `request` in Secret `secret`, named like
/// the Secret and owned by the cluster.
pub fn certificate(
    cluster: &EtcdCluster,
    source: &CertManagerTls,
    secret: &str,
    request: &CertificateRequest,
) -> Result<Certificate, BuildError> {
    let cluster_name = cluster.metadata.name.clone().ok_or(BuildError::NoName)?;
    let issuer = &source.issuer_ref;
    let mut certificate = Certificate::new(
        secret,
        CertificateSpec {
            secret_name: secret.to_string(),
            common_name: request.common_name.clone(),
            dns_names: request.dns_names.clone(),
            ip_addresses: request.ips.iter().map(ToString::to_string).collect(),
            usages: usages(request.role),
            issuer_ref: IssuerRef {
                name: issuer.name.clone(),
                kind: issuer.kind.as_str().to_string(),
                group: issuer.group.clone(),
            },
            duration: source.duration.clone(),
            renew_before: source.renew_before.clone(),
        },
    );
    certificate.metadata.namespace = cluster.metadata.namespace.clone();
    certificate.metadata.labels = Some(names::labels(&cluster_name, None));
    certificate.metadata.owner_references = Some(vec![owner_reference(cluster)?]);
    Ok(certificate)
}

/// The server and peer `Certificate`s of `member`.
pub fn member_certificates(
    cluster: &EtcdCluster,
    source: &CertManagerTls,
    id: &Identity,
    member: &str,
    cluster_domain: &str,
) -> Result<Vec<Certificate>, BuildError> {
    let server = certificates::server_request(&id.name, &id.namespace, member, cluster_domain);
    let peer = certificates::peer_request(&id.name, &id.namespace, member, cluster_domain);
    Ok(vec![
        certificate(cluster, source, &names::server_secret_name(member), &server)?,
        certificate(cluster, source, &names::peer_secret_name(member), &peer)?,
    ])
}

/// The client `Certificate` of the cluster.
pub fn client_certificate(
    cluster: &EtcdCluster,
    source: &CertManagerTls,
    id: &Identity,
) -> Result<Certificate, BuildError> {
    certificate(
        cluster,
        source,
        &names::client_secret_name(&id.name),
        &certificates::client_request(&id.name),
    )
}

/// Writes the `wanted` Certificates that do not exist yet, then checks that cert-manager
/// filled their Secrets, adopting each filled one. Nothing is written when cert-manager's
/// Certificate resource is not served.
pub async fn ensure_issued(
    client: &kube::Client,
    cluster: &EtcdCluster,
    namespace: &str,
    wanted: &[Certificate],
) -> Result<(), TlsError> {
    let api = Api::<Certificate>::namespaced(client.clone(), namespace);
    for certificate in wanted {
        match api.create(&PostParams::default(), certificate).await {
            Ok(_) => {
                tracing::info!(certificate = %certificate.spec.secret_name, namespace, "wrote a cert-manager Certificate")
            }
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(kube::Error::Api(e)) if e.code == 404 => return Err(TlsError::CertManagerMissing),
            Err(e) => return Err(e.into()),
        }
    }
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace);
    let mut waiting = Vec::new();
    for certificate in wanted {
        let name = &certificate.spec.secret_name;
        match secrets.get_opt(name).await? {
            Some(secret) if filled(&secret) => adopt(&secrets, cluster, &secret).await?,
            _ => waiting.push(name.clone()),
        }
    }
    if waiting.is_empty() {
        Ok(())
    } else {
        Err(TlsError::WaitingForCertificates { certificates: waiting, namespace: namespace.to_string() })
    }
}

/// Whether cert-manager filled `secret` with a certificate, its key and the CA.
fn filled(secret: &Secret) -> bool {
    [CERT_KEY, PRIVATE_KEY_KEY, CA_KEY].into_iter().all(|key| secret_text(secret, key).is_ok())
}

/// The owner reference that makes a Secret cert-manager wrote go with the cluster. Not a
/// controller reference: the Secret is cert-manager's to write.
pub fn adoption(cluster: &EtcdCluster) -> Result<OwnerReference, BuildError> {
    Ok(OwnerReference { controller: None, ..owner_reference(cluster)? })
}

/// Adds [`adoption`] to `secret`'s owners unless it is there.
async fn adopt(secrets: &Api<Secret>, cluster: &EtcdCluster, secret: &Secret) -> Result<(), TlsError> {
    let ours = adoption(cluster)?;
    let mut owners = secret.metadata.owner_references.clone().unwrap_or_default();
    if owners.iter().any(|o| o.uid == ours.uid) {
        return Ok(());
    }
    owners.push(ours);
    let name = secret.metadata.name.clone().unwrap_or_default();
    // The resource version makes this fail rather than drop an owner written meanwhile.
    let patch = json!({"metadata": {
        "ownerReferences": owners,
        "resourceVersion": secret.metadata.resource_version,
    }});
    secrets.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    tracing::info!(secret = %name, "adopted the Secret cert-manager filled: it goes with the cluster");
    Ok(())
}

/// Deletes the Certificates named `names` (a Certificate is named like its Secret), before
/// their Secrets are deleted, so cert-manager does not write them again. Already gone, or
/// cert-manager not installed, is done.
pub async fn delete(client: &kube::Client, namespace: &str, names: &[String]) -> Result<(), kube::Error> {
    let api = Api::<Certificate>::namespaced(client.clone(), namespace);
    for name in names {
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use shared::crd::{IssuerKind, IssuerReference};

    use super::*;
    use crate::resources::testing::cluster;

    fn source() -> CertManagerTls {
        CertManagerTls {
            issuer_ref: IssuerReference {
                name: "etcd-ca".into(),
                kind: IssuerKind::ClusterIssuer,
                group: "cert-manager.io".into(),
            },
            duration: Some("2160h".into()),
            renew_before: Some("720h".into()),
        }
    }

    fn id() -> Identity {
        Identity { namespace: "db".into(), name: "demo".into(), uid: "uid-1".into() }
    }

    #[test]
    fn member_certificates_ask_for_the_names_the_operator_would_issue() {
        let c = cluster();
        let built = member_certificates(&c, &source(), &id(), "demo-1", "cluster.local").expect("built");
        let [server, peer] = built.as_slice() else { panic!("a server and a peer Certificate: {built:?}") };
        let wanted_server = certificates::server_request("demo", "db", "demo-1", "cluster.local");
        assert_eq!(server.metadata.name.as_deref(), Some("demo-1-server-tls"));
        assert_eq!(server.spec.secret_name, "demo-1-server-tls");
        assert_eq!(server.spec.dns_names, wanted_server.dns_names);
        assert!(server.spec.dns_names.contains(&"demo-client.db.svc".to_string()), "the verified name");
        assert_eq!(server.spec.ip_addresses, ["127.0.0.1"]);
        assert_eq!(server.spec.common_name, "demo-1");
        assert_eq!(
            server.spec.usages,
            ["digital signature", "key encipherment", "server auth", "client auth"]
        );
        let wanted_peer = certificates::peer_request("demo", "db", "demo-1", "cluster.local");
        assert_eq!(peer.spec.secret_name, "demo-1-peer-tls");
        assert_eq!(peer.spec.dns_names, wanted_peer.dns_names);
        assert_eq!(peer.spec.dns_names[0], "demo-1.demo.db.svc.cluster.local", "etcd checks a peer's name");
        assert!(peer.spec.ip_addresses.is_empty());
        assert_eq!(peer.spec.usages, server.spec.usages);
        for built in [server, peer] {
            assert_eq!(built.metadata.namespace.as_deref(), Some("db"));
            let owner = &built.metadata.owner_references.as_ref().expect("owned")[0];
            assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("EtcdCluster", "demo"));
            let issuer = &built.spec.issuer_ref;
            assert_eq!(
                (issuer.name.as_str(), issuer.kind.as_str(), issuer.group.as_str()),
                ("etcd-ca", "ClusterIssuer", "cert-manager.io")
            );
            assert_eq!(
                (built.spec.duration.as_deref(), built.spec.renew_before.as_deref()),
                (Some("2160h"), Some("720h"))
            );
        }
    }

    #[test]
    fn the_client_certificate_is_for_client_authentication_only() {
        let built = client_certificate(&cluster(), &source(), &id()).expect("built");
        assert_eq!(built.spec.secret_name, "demo-client-tls");
        assert_eq!(built.spec.common_name, "demo-client");
        assert!(built.spec.dns_names.is_empty() && built.spec.ip_addresses.is_empty());
        assert_eq!(built.spec.usages, ["digital signature", "key encipherment", "client auth"]);
    }

    #[test]
    fn the_certificate_is_written_as_cert_manager_reads_it() {
        let mut plain = source();
        plain.duration = None;
        plain.renew_before = None;
        let built = client_certificate(&cluster(), &plain, &id()).expect("built");
        let written = serde_json::to_value(&built).expect("json");
        assert_eq!(written["apiVersion"], "cert-manager.io/v1");
        assert_eq!(written["kind"], "Certificate");
        assert_eq!(written["spec"]["secretName"], "demo-client-tls");
        assert_eq!(written["spec"]["issuerRef"]["kind"], "ClusterIssuer");
        let spec = written["spec"].as_object().expect("spec");
        for unset in ["duration", "renewBefore", "dnsNames", "ipAddresses"] {
            assert!(!spec.contains_key(unset), "{unset} is left to cert-manager: {written}");
        }
    }

    #[test]
    fn a_secret_is_filled_once_it_holds_the_certificate_its_key_and_the_ca() {
        let with = |keys: &[&str]| Secret {
            data: Some(
                keys.iter().map(|k| (k.to_string(), ByteString(b"PEM".to_vec()))).collect::<BTreeMap<_, _>>(),
            ),
            ..Secret::default()
        };
        assert!(filled(&with(&["tls.crt", "tls.key", "ca.crt"])));
        assert!(!filled(&with(&["tls.crt", "tls.key"])), "an issuer that writes no ca.crt");
        assert!(!filled(&Secret::default()), "created, not yet written");
    }

    #[test]
    fn an_adopted_secret_goes_with_the_cluster_without_being_controlled_by_it() {
        let owner = adoption(&cluster()).expect("owner");
        assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("EtcdCluster", "demo"));
        assert_eq!(owner.controller, None, "cert-manager writes the Secret");
    }
}
