//! TLS of a cluster that sets `spec.tls`: the Secrets the operator issues (a CA per
//! cluster, a client certificate, a server and a peer certificate per member) and the
//! client credentials the operator talks to the members with.
//!
//! Certificates are planned and issued by the pure [`certificates`] module; this module
//! reads and writes the Secrets. Every Secret it creates is owned by the cluster, so it is
//! removed with it. Nothing here logs or returns key material.

pub mod certificates;
pub mod peer_links;

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use shared::crd::{EtcdCluster, TlsSpec};
use shared::names;
use shared::tls::{CA_KEY, CERT_KEY, ClientCredentials, CredentialsError, PRIVATE_KEY_KEY, secret_text};

use certificates::{CertificateError, CertificateRequest, Issued};

use crate::identity::Identity;
use crate::resources::{BuildError, owner_reference};

/// The type of the Secrets the operator writes.
const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// Why a TLS cluster's certificates cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The Kubernetes API failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// A Secret is missing.
    #[error(
        "Secret {0} does not exist: create it with tls.crt, tls.key and ca.crt, or remove spec.tls.secrets to have the operator issue certificates"
    )]
    MissingSecret(String),
    /// A Secret lacks a key.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// A certificate could not be issued.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// A Secret could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// The client credentials of a TLS cluster (`None` for a plain one), issuing the CA and the
/// client certificate first when the operator issues them and they are missing.
pub async fn prepare(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
) -> Result<Option<ClientCredentials>, TlsError> {
    let Some(tls) = &cluster.spec.tls else { return Ok(None) };
    let secrets = Api::<Secret>::namespaced(client.clone(), &id.namespace);
    if tls.issued_by_operator() {
        let ca = ensure_ca(&secrets, cluster, id).await?;
        let request = certificates::client_request(&id.name);
        ensure_leaf(&secrets, cluster, &ca, &names::client_secret_name(&id.name), &request).await?;
    }
    read_credentials(&secrets, tls, &id.name, &id.namespace).await.map(Some)
}

/// The client credentials in the cluster's client Secret.
pub async fn read_credentials(
    secrets: &Api<Secret>,
    tls: &TlsSpec,
    cluster: &str,
    namespace: &str,
) -> Result<ClientCredentials, TlsError> {
    let name = tls.client_secret(cluster);
    let secret = secrets.get_opt(&name).await?.ok_or(TlsError::MissingSecret(name))?;
    Ok(ClientCredentials::from_secret(&secret, names::tls_server_name(cluster, namespace))?)
}

/// Makes sure the Secrets member `member` mounts exist: issued (server and peer
/// certificates) when the operator issues them, checked when the user brings them.
pub async fn ensure_member(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    member: &str,
    cluster_domain: &str,
) -> Result<(), TlsError> {
    let Some(tls) = &cluster.spec.tls else { return Ok(()) };
    let secrets = Api::<Secret>::namespaced(client.clone(), &id.namespace);
    if !tls.issued_by_operator() {
        for name in [tls.server_secret(member), tls.peer_secret(member)] {
            let secret =
                secrets.get_opt(&name).await?.ok_or_else(|| TlsError::MissingSecret(name.clone()))?;
            for key in [CERT_KEY, PRIVATE_KEY_KEY, CA_KEY] {
                secret_text(&secret, key)?;
            }
        }
        return Ok(());
    }
    let ca = ensure_ca(&secrets, cluster, id).await?;
    let server = certificates::server_request(&id.name, &id.namespace, member, cluster_domain);
    ensure_leaf(&secrets, cluster, &ca, &names::server_secret_name(member), &server).await?;
    let peer = certificates::peer_request(&id.name, &id.namespace, member, cluster_domain);
    ensure_leaf(&secrets, cluster, &ca, &names::peer_secret_name(member), &peer).await
}

/// The names of the Secrets the operator issued for `member` (none when the user brings
/// them): deleted with the member.
pub fn member_secrets(cluster: &EtcdCluster, member: &str) -> Vec<String> {
    match &cluster.spec.tls {
        Some(tls) if tls.issued_by_operator() => {
            vec![names::server_secret_name(member), names::peer_secret_name(member)]
        }
        _ => Vec::new(),
    }
}

/// The cluster's CA, issued and stored when it has none yet.
async fn ensure_ca(secrets: &Api<Secret>, cluster: &EtcdCluster, id: &Identity) -> Result<Issued, TlsError> {
    let name = names::ca_secret_name(&id.name);
    if let Some(secret) = secrets.get_opt(&name).await? {
        return issued_of(&secret);
    }
    let ca = certificates::issue_ca(&id.name, now())?;
    tracing::info!(cluster = %id.name, secret = %name, "issued the cluster's CA");
    match create(secrets, &tls_secret(cluster, &name, &ca, &ca.cert_pem)?).await? {
        Created::Yes => Ok(ca),
        // Another reconcile stored one first: that one is the CA.
        Created::Existed => {
            let secret = secrets.get_opt(&name).await?.ok_or(TlsError::MissingSecret(name))?;
            issued_of(&secret)
        }
    }
}

/// Issues `request` into Secret `name` unless it exists.
async fn ensure_leaf(
    secrets: &Api<Secret>,
    cluster: &EtcdCluster,
    ca: &Issued,
    name: &str,
    request: &CertificateRequest,
) -> Result<(), TlsError> {
    if secrets.get_opt(name).await?.is_some() {
        return Ok(());
    }
    let ca_secret = names::ca_secret_name(cluster.metadata.name.as_deref().unwrap_or_default());
    let issued = certificates::issue(ca, &ca_secret, request, now())?;
    tracing::info!(secret = %name, role = ?request.role, "issued a certificate");
    create(secrets, &tls_secret(cluster, name, &issued, &ca.cert_pem)?).await?;
    Ok(())
}

fn issued_of(secret: &Secret) -> Result<Issued, TlsError> {
    Ok(Issued { cert_pem: secret_text(secret, CERT_KEY)?, key_pem: secret_text(secret, PRIVATE_KEY_KEY)? })
}

/// Whether a create made the object or found it there.
enum Created {
    Yes,
    Existed,
}

async fn create(secrets: &Api<Secret>, secret: &Secret) -> Result<Created, kube::Error> {
    match secrets.create(&PostParams::default(), secret).await {
        Ok(_) => Ok(Created::Yes),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(Created::Existed),
        Err(e) => Err(e),
    }
}

fn now() -> k8s_openapi::jiff::Timestamp {
    k8s_openapi::jiff::Timestamp::now()
}

/// A `kubernetes.io/tls` Secret `name` with `issued` and the CA `ca_pem`, owned by the
/// cluster and labelled as its own.
pub fn tls_secret(
    cluster: &EtcdCluster,
    name: &str,
    issued: &Issued,
    ca_pem: &str,
) -> Result<Secret, TlsError> {
    let cluster_name = cluster.metadata.name.clone().ok_or(BuildError::NoName)?;
    let mut secret = Secret::default();
    secret.metadata.name = Some(name.to_string());
    secret.metadata.namespace = cluster.metadata.namespace.clone();
    secret.metadata.labels = Some(names::labels(&cluster_name, None));
    secret.metadata.owner_references = Some(vec![owner_reference(cluster)?]);
    secret.type_ = Some(TLS_SECRET_TYPE.to_string());
    secret.data = Some(BTreeMap::from([
        (CERT_KEY.to_string(), ByteString(issued.cert_pem.clone().into_bytes())),
        (PRIVATE_KEY_KEY.to_string(), ByteString(issued.key_pem.clone().into_bytes())),
        (CA_KEY.to_string(), ByteString(ca_pem.as_bytes().to_vec())),
    ]));
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::cluster;

    #[test]
    fn issued_secrets_are_tls_secrets_owned_by_the_cluster() {
        let issued = Issued { cert_pem: "CERT".into(), key_pem: "KEY".into() };
        let secret = tls_secret(&cluster(), "demo-client-tls", &issued, "CA").expect("secret");
        assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
        assert_eq!(secret.metadata.namespace.as_deref(), Some("db"));
        let owner = &secret.metadata.owner_references.as_ref().expect("owned")[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("EtcdCluster", "demo"));
        let credentials =
            ClientCredentials::from_secret(&secret, "demo-client.db.svc".into()).expect("readable");
        assert_eq!(
            (credentials.cert_pem.as_str(), credentials.key_pem.as_str(), credentials.ca_pem.as_str()),
            ("CERT", "KEY", "CA")
        );
    }

    #[test]
    fn only_issued_member_secrets_go_with_the_member() {
        let mut c = cluster();
        assert!(member_secrets(&c, "demo-0").is_empty(), "plain cluster");
        c.spec.tls = Some(TlsSpec::default());
        assert_eq!(member_secrets(&c, "demo-0"), ["demo-0-server-tls", "demo-0-peer-tls"]);
        c.spec.tls = Some(TlsSpec {
            secrets: Some(shared::crd::TlsSecrets {
                server: "s".into(),
                peer: "p".into(),
                client: "c".into(),
            }),
        });
        assert!(member_secrets(&c, "demo-0").is_empty(), "the user's Secrets stay");
    }
}
