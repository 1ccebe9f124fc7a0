//! TLS of a cluster that sets `spec.tls`: the Secrets the operator issues (a CA per
//! cluster, a client certificate, a server and a peer certificate per member), or the
//! Certificates it asks cert-manager for ([`cert_manager`]), and the client credentials the
//! operator talks to the members with.
//!
//! Certificates are planned and issued by the pure [`certificates`] module; this module
//! reads and writes the Secrets. Every Secret it creates or adopts is owned by the cluster,
//! so it is removed with it, whatever `storage.retainPolicy` says: retained volumes keep
//! the data, which needs no certificate to be read, and a cluster made on them gets new
//! certificates. Nothing here logs or returns key material.

pub mod cert_manager;
pub mod certificates;
pub mod expiry;
pub mod peer_links;
pub mod rotation;

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use shared::conditions::Reason;
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
    /// `spec.tls.certManager` is set and cert-manager is not installed.
    #[error(
        "spec.tls.certManager needs cert-manager, and this Kubernetes cluster does not serve its Certificate \
         resource (certificates.cert-manager.io/v1): install cert-manager \
         (https://cert-manager.io/docs/installation/); the operator goes on by itself once it is there"
    )]
    CertManagerMissing,
    /// cert-manager has not filled the Secrets of these Certificates yet.
    #[error(
        "waiting for cert-manager to issue Certificate {}: its Secret does not hold tls.crt, tls.key and \
         ca.crt yet; check `kubectl describe certificate {} -n {namespace}` and the issuer it names (the \
         issuer must write ca.crt, as CA and self-signed issuers do)",
        .certificates.join(", "),
        .certificates.first().map(String::as_str).unwrap_or_default()
    )]
    WaitingForCertificates {
        /// The Certificates (each named like its Secret) not issued yet.
        certificates: Vec<String>,
        /// Their namespace.
        namespace: String,
    },
}

impl TlsError {
    /// The condition reason of a cluster held up by this error.
    pub fn reason(&self) -> Reason {
        match self {
            TlsError::CertManagerMissing => Reason::CertManagerMissing,
            TlsError::WaitingForCertificates { .. } => Reason::WaitingForCertificates,
            _ => Reason::TlsCertificatesMissing,
        }
    }

    /// Whether the cluster only waits for another party (cert-manager) to issue something,
    /// rather than being unable to go on without a person.
    pub fn is_wait(&self) -> bool {
        matches!(self, TlsError::WaitingForCertificates { .. })
    }
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
    } else if let Some(source) = &tls.cert_manager {
        let wanted = [cert_manager::client_certificate(cluster, source, id)?];
        cert_manager::ensure_issued(client, cluster, &id.namespace, &wanted).await?;
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

/// Makes sure the Secrets the `members` mount exist: issued (server and peer certificates)
/// when the operator issues them, asked of cert-manager (every member's Certificates first,
/// then their Secrets checked) when it does, checked when the user brings them.
pub async fn ensure_members(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    members: &[String],
    cluster_domain: &str,
) -> Result<(), TlsError> {
    let Some(tls) = &cluster.spec.tls else { return Ok(()) };
    let secrets = Api::<Secret>::namespaced(client.clone(), &id.namespace);
    if let Some(source) = &tls.cert_manager {
        let mut wanted = Vec::new();
        for member in members {
            wanted.extend(cert_manager::member_certificates(cluster, source, id, member, cluster_domain)?);
        }
        return cert_manager::ensure_issued(client, cluster, &id.namespace, &wanted).await;
    }
    for member in members {
        if tls.issued_by_operator() {
            let ca = ensure_ca(&secrets, cluster, id).await?;
            let server = certificates::server_request(&id.name, &id.namespace, member, cluster_domain);
            ensure_leaf(&secrets, cluster, &ca, &names::server_secret_name(member), &server).await?;
            let peer = certificates::peer_request(&id.name, &id.namespace, member, cluster_domain);
            ensure_leaf(&secrets, cluster, &ca, &names::peer_secret_name(member), &peer).await?;
            continue;
        }
        for name in [tls.server_secret(member), tls.peer_secret(member)] {
            let secret =
                secrets.get_opt(&name).await?.ok_or_else(|| TlsError::MissingSecret(name.clone()))?;
            for key in [CERT_KEY, PRIVATE_KEY_KEY, CA_KEY] {
                secret_text(&secret, key)?;
            }
        }
    }
    Ok(())
}

/// The names of the Secrets the operator issued or asked cert-manager for for `member`
/// (none when the user brings them): deleted with the member.
pub fn member_secrets(cluster: &EtcdCluster, member: &str) -> Vec<String> {
    match &cluster.spec.tls {
        Some(tls) if tls.per_member_secrets() => {
            vec![names::server_secret_name(member), names::peer_secret_name(member)]
        }
        _ => Vec::new(),
    }
}

/// Deletes what `member` had of its own for TLS: its cert-manager Certificates first (so
/// cert-manager does not fill their Secrets again), then its Secrets.
pub async fn delete_member(
    client: &kube::Client,
    cluster: &EtcdCluster,
    namespace: &str,
    member: &str,
) -> Result<(), kube::Error> {
    let owned = member_secrets(cluster, member);
    if cluster.spec.tls.as_ref().is_some_and(|tls| tls.cert_manager.is_some()) {
        cert_manager::delete(client, namespace, &owned).await?;
    }
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace);
    for secret in owned {
        match secrets.delete(&secret, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The cluster's CA, issued and stored when it has none yet.
async fn ensure_ca(secrets: &Api<Secret>, cluster: &EtcdCluster, id: &Identity) -> Result<Issued, TlsError> {
    let name = names::ca_secret_name(&id.name);
    if let Some(secret) = secrets.get_opt(&name).await? {
        return issued_of(&secret);
    }
    let lifetime = cluster.spec.tls.as_ref().map(TlsSpec::renewal).unwrap_or_default().ca_lifetime();
    let ca = certificates::issue_ca(&certificates::ca_common_name(&id.name, None), lifetime, now())?;
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
    let issued = certificates::issue(ca, &ca_secret, &with_lifetime(cluster, request), now())?;
    tracing::info!(secret = %name, role = ?request.role, "issued a certificate");
    let bundle = secrets.get_opt(&ca_secret).await?.map(|s| secret_text(&s, CA_KEY)).transpose()?;
    create(secrets, &tls_secret(cluster, name, &issued, bundle.as_deref().unwrap_or(&ca.cert_pem))?).await?;
    Ok(())
}

/// `request` with the lifetime `spec.tls.renewal` asks for.
pub fn with_lifetime(cluster: &EtcdCluster, request: &CertificateRequest) -> CertificateRequest {
    let lifetime = cluster.spec.tls.as_ref().map(TlsSpec::renewal).unwrap_or_default().certificate_lifetime();
    CertificateRequest { lifetime, ..request.clone() }
}

/// The certificate and key of a Secret (a CA's, to sign with).
pub fn issued_of(secret: &Secret) -> Result<Issued, TlsError> {
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

pub fn now() -> k8s_openapi::jiff::Timestamp {
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
            cert_manager: Some(shared::crd::CertManagerTls::default()),
            ..TlsSpec::default()
        });
        assert_eq!(member_secrets(&c, "demo-0"), ["demo-0-server-tls", "demo-0-peer-tls"], "cert-manager's");
        c.spec.tls = Some(TlsSpec {
            secrets: Some(shared::crd::TlsSecrets {
                server: "s".into(),
                peer: "p".into(),
                client: "c".into(),
            }),
            ..TlsSpec::default()
        });
        assert!(member_secrets(&c, "demo-0").is_empty(), "the user's Secrets stay");
    }

    #[test]
    fn tls_secrets_go_with_the_cluster_even_when_its_volumes_are_retained() {
        let mut c = cluster();
        c.spec.storage.retain_policy = shared::crd::RetainPolicy::Retain;
        let issued = Issued { cert_pem: "CERT".into(), key_pem: "KEY".into() };
        let secret = tls_secret(&c, "demo-ca-tls", &issued, "CA").expect("secret");
        let owner = &secret.metadata.owner_references.as_ref().expect("owned")[0];
        assert_eq!(owner.name, "demo", "the CA is not kept with the retained volumes");
        let source = shared::crd::CertManagerTls::default();
        let id = Identity { namespace: "db".into(), name: "demo".into(), uid: "uid".into() };
        let client = cert_manager::client_certificate(&c, &source, &id).expect("certificate");
        assert!(client.metadata.owner_references.is_some_and(|o| o[0].name == "demo"));
        assert_eq!(cert_manager::adoption(&c).expect("adoption").name, "demo");
    }

    #[test]
    fn errors_name_their_reason_and_never_a_key() {
        let waiting = TlsError::WaitingForCertificates {
            certificates: vec!["demo-0-server-tls".into(), "demo-0-peer-tls".into()],
            namespace: "db".into(),
        };
        assert!(waiting.is_wait());
        assert_eq!(waiting.reason(), Reason::WaitingForCertificates);
        let text = waiting.to_string();
        assert!(text.contains("demo-0-server-tls, demo-0-peer-tls"), "{text}");
        assert!(text.contains("kubectl describe certificate demo-0-server-tls -n db"), "{text}");
        let missing = TlsError::CertManagerMissing;
        assert!(!missing.is_wait());
        assert_eq!(missing.reason(), Reason::CertManagerMissing);
        assert!(missing.to_string().contains("install cert-manager"));
        assert_eq!(TlsError::MissingSecret("s".into()).reason(), Reason::TlsCertificatesMissing);
    }
}
