//! The client credentials of a TLS cluster, read from the Secret its `spec.tls` names
//! (`<cluster>-client-tls` when the operator issues them), and the etcd-client connection
//! options every member connection of the plugin uses. Nothing here prints key material.

use std::time::Duration;

use etcd_client::{Certificate, ConnectOptions, Identity, TlsOptions};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use shared::crd::EtcdCluster;
use shared::names;
use shared::tls::{ClientCredentials, CredentialsError};

/// Why a TLS cluster's client credentials cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsReadError {
    /// The Secret could not be read.
    #[error(
        "reading Secret {secret}: {message} (reading it needs `get` on secrets in the cluster's namespace)"
    )]
    Api {
        /// The Secret.
        secret: String,
        /// The API's answer.
        message: String,
    },
    /// The Secret does not exist (yet).
    #[error(
        "Secret {0} does not exist: the operator issues it when the cluster starts; check `kubectl etcd status`"
    )]
    Missing(String),
    /// The Secret lacks a key.
    #[error(transparent)]
    Incomplete(#[from] CredentialsError),
}

/// The client credentials of `cluster` in `namespace`; `None` for a plain cluster.
pub async fn read(
    client: &kube::Client,
    namespace: &str,
    cluster: &EtcdCluster,
) -> Result<Option<ClientCredentials>, CredentialsReadError> {
    let Some(tls) = &cluster.spec.tls else { return Ok(None) };
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let secret_name = tls.client_secret(&name);
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(&secret_name)
        .await
        .map_err(|e| CredentialsReadError::Api { secret: secret_name.clone(), message: e.to_string() })?
        .ok_or_else(|| CredentialsReadError::Missing(secret_name.clone()))?;
    Ok(Some(ClientCredentials::from_secret(&secret, names::tls_server_name(&name, namespace))?))
}

/// Connection options for a member: `connect` and (when given) per-call timeouts, and with
/// `tls` the cluster's CA, client certificate and the name members are verified by.
pub fn connect_options(
    tls: Option<&ClientCredentials>,
    connect: Duration,
    call: Option<Duration>,
) -> ConnectOptions {
    let mut options = ConnectOptions::new().with_connect_timeout(connect);
    if let Some(call) = call {
        options = options.with_timeout(call);
    }
    match tls {
        Some(credentials) => options.with_tls(
            TlsOptions::new()
                .ca_certificate(Certificate::from_pem(&credentials.ca_pem))
                .identity(Identity::from_pem(&credentials.cert_pem, &credentials.key_pem))
                .domain_name(credentials.server_name.clone()),
        ),
        None => options,
    }
}
