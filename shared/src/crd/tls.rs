//! `spec.tls` of an EtcdCluster: mutual TLS for client and peer traffic, and where the
//! certificates come from.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// TLS for client and peer traffic. Every member serves HTTPS on its client and peer
/// ports and asks every client and peer for a certificate signed by the cluster's CA
/// (mutual TLS). The metrics port stays plain HTTP. It can be added to a running plain
/// cluster, not removed.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TlsSpec {
    /// Certificates the user brings, as Secrets in the cluster's namespace, each with
    /// `tls.crt`, `tls.key` and `ca.crt`. Without it the operator issues them: a CA per
    /// cluster, a server and a peer certificate per member and a client certificate, kept
    /// in Secrets the cluster owns (`<cluster>-ca-tls`, `<member>-server-tls`,
    /// `<member>-peer-tls`, `<cluster>-client-tls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<TlsSecrets>,
}

/// Secrets the user brings for a TLS cluster. Each holds `tls.crt`, `tls.key` and `ca.crt`;
/// all three must be signed by, and trust, the same CA.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TlsSecrets {
    /// Secret with the certificate every member serves to clients. Its SANs must include
    /// `<cluster>-client.<namespace>.svc`: the operator and the plugin verify members by
    /// that name (they reach members at Pod IPs). It must also allow client authentication
    /// (etcd's gateway dials the member with it).
    #[schemars(length(min = 1, max = 253))]
    pub server: String,

    /// Secret with the certificate members use between themselves, as servers and as
    /// clients. etcd checks a peer's certificate SANs against the address it connects from:
    /// give a certificate without SANs, or one whose DNS names resolve to the members.
    #[schemars(length(min = 1, max = 253))]
    pub peer: String,

    /// Secret with the client certificate the operator and the plugin use.
    #[schemars(length(min = 1, max = 253))]
    pub client: String,
}

impl TlsSpec {
    /// The Secret with the server certificate `member` serves on its client port.
    pub fn server_secret(&self, member: &str) -> String {
        match &self.secrets {
            Some(secrets) => secrets.server.clone(),
            None => crate::names::server_secret_name(member),
        }
    }

    /// The Secret with the certificate `member` uses with its peers.
    pub fn peer_secret(&self, member: &str) -> String {
        match &self.secrets {
            Some(secrets) => secrets.peer.clone(),
            None => crate::names::peer_secret_name(member),
        }
    }

    /// The Secret with the client certificate of cluster `cluster`.
    pub fn client_secret(&self, cluster: &str) -> String {
        match &self.secrets {
            Some(secrets) => secrets.client.clone(),
            None => crate::names::client_secret_name(cluster),
        }
    }

    /// Whether the operator issues the certificates (no Secrets brought by the user).
    pub fn issued_by_operator(&self) -> bool {
        self.secrets.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_the_users_or_the_operators() {
        let issued = TlsSpec::default();
        assert!(issued.issued_by_operator());
        assert_eq!(issued.server_secret("demo-0"), "demo-0-server-tls");
        assert_eq!(issued.peer_secret("demo-0"), "demo-0-peer-tls");
        assert_eq!(issued.client_secret("demo"), "demo-client-tls");
        let brought = TlsSpec {
            secrets: Some(TlsSecrets { server: "s".into(), peer: "p".into(), client: "c".into() }),
        };
        assert!(!brought.issued_by_operator());
        assert_eq!(
            (brought.server_secret("demo-0"), brought.peer_secret("demo-1"), brought.client_secret("demo")),
            ("s".into(), "p".into(), "c".into())
        );
    }
}
