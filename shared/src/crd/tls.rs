//! `spec.tls` of an EtcdCluster: mutual TLS for client and peer traffic, and where the
//! certificates come from.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Annotation on an EtcdCluster asking the operator to renew the certificates it issued
/// now: its value is a request ID (`kubectl etcd rotate-certificates` writes a timestamp).
/// The operator carries out a request whose ID differs from `status.tls.lastRequest`.
pub const ROTATE_REQUEST_ANNOTATION: &str = "etcd.kubectl-etcd.dev/rotate-certificates-request";
/// Annotation that makes a rotation request ([`ROTATE_REQUEST_ANNOTATION`]) rotate the CA
/// too (`"true"`): a new CA, trusted next to the old one until every member uses it.
pub const ROTATE_CA_ANNOTATION: &str = "etcd.kubectl-etcd.dev/rotate-certificates-ca";
/// Annotation on a member Pod: the fingerprint of the certificates it mounted (its server
/// and peer Secrets' `tls.crt` and `ca.crt`). A Pod whose fingerprint differs from its
/// Secrets' is restarted, one member at a time, whoever changed the Secrets.
pub const CERTIFICATES_ANNOTATION: &str = "etcd.kubectl-etcd.dev/certificates";
/// Annotation on the CA Secret the operator issued: the phase of a CA rotation under way.
pub const CA_ROTATION_ANNOTATION: &str = "etcd.kubectl-etcd.dev/ca-rotation";

/// The API group of cert-manager's issuers, the default of `issuerRef.group`.
pub const CERT_MANAGER_GROUP: &str = "cert-manager.io";

/// TLS for client and peer traffic. Every member serves HTTPS on its client and peer
/// ports and asks every client and peer for a certificate signed by the cluster's CA
/// (mutual TLS). The metrics port stays plain HTTP. It can be added to a running plain
/// cluster, not removed; its source (`secrets`, `certManager`) is fixed, `renewal` may change.
///
/// The certificates come from one source: the operator (neither `secrets` nor
/// `certManager`), the user (`secrets`) or cert-manager (`certManager`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!(has(self.secrets) && has(self.certManager))")
    .message("give secrets or certManager, not both: the certificates come from one source (neither: the operator issues them)")
    .reason(Reason::FieldValueInvalid))]
pub struct TlsSpec {
    /// Certificates the user brings, as Secrets in the cluster's namespace, each with
    /// `tls.crt`, `tls.key` and `ca.crt`. Without it (and without `certManager`) the
    /// operator issues them: a CA per cluster, a server and a peer certificate per member
    /// and a client certificate, kept in Secrets the cluster owns (`<cluster>-ca-tls`,
    /// `<member>-server-tls`, `<member>-peer-tls`, `<cluster>-client-tls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<TlsSecrets>,

    /// Certificates issued by cert-manager: the operator writes a cert-manager
    /// `Certificate` (cert-manager.io/v1) for a server and a peer certificate per member and
    /// for the client certificate, each named like the Secret cert-manager fills
    /// (`<member>-server-tls`, `<member>-peer-tls`, `<cluster>-client-tls`), and starts a
    /// member once its Secrets hold `tls.crt`, `tls.key` and `ca.crt` (the issuer must fill
    /// `ca.crt`, as CA and self-signed issuers do). cert-manager must be installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_manager: Option<CertManagerTls>,

    /// How long the certificates the operator issues are valid and when they are renewed.
    /// For Secrets the user brings, `renewAtPercent` sets when the operator starts warning
    /// (condition Degraded, reason `CertificateExpiring`, and a Warning Event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<TlsRenewal>,
}

/// Lifetimes of the certificates the operator issues, and when they are renewed. A renewed
/// certificate reaches its member by a restart, one member at a time, followers first and
/// the leader last after leadership moved, only while every member is healthy and caught
/// up. A CA is renewed with an overlap: every member first trusts the old and the new CA,
/// then gets certificates of the new one, then stops trusting the old one.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(has(self.caDays) ? self.caDays : 1825) >= (has(self.certificateDays) ? self.certificateDays : 365)")
    .message("caDays must not be shorter than certificateDays"))]
pub struct TlsRenewal {
    /// How long server, peer and client certificates are valid, in days (default 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub certificate_days: Option<i32>,

    /// How long the CA is valid, in days (default 1825, five years).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 7300))]
    pub ca_days: Option<i32>,

    /// At which share of its lifetime a certificate (the CA included) is renewed, in
    /// percent (default: two thirds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 95))]
    pub renew_at_percent: Option<i32>,
}

/// Default lifetime of server, peer and client certificates, in days.
pub const DEFAULT_CERTIFICATE_DAYS: i32 = 365;
/// Default lifetime of a CA, in days.
pub const DEFAULT_CA_DAYS: i32 = 5 * 365;

impl TlsRenewal {
    /// How long a server, peer or client certificate the operator issues is valid.
    pub fn certificate_lifetime(&self) -> std::time::Duration {
        days(self.certificate_days.unwrap_or(DEFAULT_CERTIFICATE_DAYS))
    }

    /// How long a CA the operator issues is valid.
    pub fn ca_lifetime(&self) -> std::time::Duration {
        days(self.ca_days.unwrap_or(DEFAULT_CA_DAYS))
    }
}

fn days(n: i32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(n).unwrap_or_default() * 24 * 3600)
}

/// What the operator reports of a TLS cluster's certificates (never key material).
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TlsStatus {
    /// Each certificate's Secret, when it expires and when it is (or, for Secrets the user
    /// brings, should be) renewed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertificateStatus>,
    /// The phase of a CA rotation under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_rotation: Option<CaRotationPhase>,
    /// Members whose Pods still run with certificates older than their Secrets': each is
    /// restarted in turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_members: Vec<String>,
    /// The ID of the last rotation request carried out
    /// (`etcd.kubectl-etcd.dev/rotate-certificates-request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request: Option<String>,
}

/// One certificate's dates.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CertificateStatus {
    /// The Secret that holds it (for the CA, the certificate that signs).
    pub secret: String,
    /// When it expires.
    pub expires: Time,
    /// When it is renewed (`spec.tls.renewal.renewAtPercent` of its lifetime).
    pub renew_at: Time,
    /// The operator issued it (and renews it); otherwise the user brought it.
    pub issued_by_operator: bool,
}

/// The phases of a CA rotation. Each phase rewrites the Secrets, then every member is
/// restarted with them, one at a time; the next phase starts once all are.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaRotationPhase {
    /// Every Secret's `ca.crt` holds the old and the new CA: members learn to trust both.
    TrustBoth,
    /// Certificates are issued by the new CA (`ca.crt` still holds both).
    NewIssuer,
    /// The old CA leaves every `ca.crt`.
    DropOld,
}

impl CaRotationPhase {
    /// The phase as written in the CA Secret's annotation.
    pub fn as_str(self) -> &'static str {
        match self {
            CaRotationPhase::TrustBoth => "TrustBoth",
            CaRotationPhase::NewIssuer => "NewIssuer",
            CaRotationPhase::DropOld => "DropOld",
        }
    }

    /// The phase named `value`, if it is one.
    pub fn parse(value: &str) -> Option<CaRotationPhase> {
        [CaRotationPhase::TrustBoth, CaRotationPhase::NewIssuer, CaRotationPhase::DropOld]
            .into_iter()
            .find(|p| p.as_str() == value)
    }
}

/// Certificates issued by cert-manager for an issuer the user names.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CertManagerTls {
    /// The cert-manager issuer that signs every certificate of the cluster. All of them
    /// must chain to one CA, which cert-manager writes as `ca.crt`.
    pub issuer_ref: IssuerReference,

    /// Lifetime asked of cert-manager for each certificate, a Go duration such as `2160h`
    /// (`spec.duration` of the Certificates). Unset: cert-manager's default (90 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"), length(max = 32))]
    pub duration: Option<String>,

    /// How long before expiry cert-manager renews each certificate, a Go duration such as
    /// `720h` (`spec.renewBefore` of the Certificates). Unset: cert-manager's default (a
    /// third of the lifetime). A renewed Secret restarts its member like any changed
    /// member Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"), length(max = 32))]
    pub renew_before: Option<String>,
}

/// A cert-manager issuer.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IssuerReference {
    /// Name of the issuer.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,

    /// `Issuer` (default), in the cluster's namespace, or `ClusterIssuer`.
    #[serde(default)]
    pub kind: IssuerKind,

    /// API group of the issuer. Defaults to `cert-manager.io`; an external issuer has its
    /// own group.
    #[serde(default = "default_issuer_group")]
    #[schemars(length(min = 1, max = 253))]
    pub group: String,
}

fn default_issuer_group() -> String {
    CERT_MANAGER_GROUP.to_string()
}

/// The kind of a cert-manager issuer.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IssuerKind {
    /// An issuer in the cluster's namespace.
    #[default]
    Issuer,
    /// An issuer of the whole Kubernetes cluster.
    ClusterIssuer,
}

impl IssuerKind {
    /// The kind as cert-manager spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            IssuerKind::Issuer => "Issuer",
            IssuerKind::ClusterIssuer => "ClusterIssuer",
        }
    }
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

    /// Whether the operator issues the certificates (no Secrets brought by the user, no
    /// cert-manager).
    pub fn issued_by_operator(&self) -> bool {
        self.secrets.is_none() && self.cert_manager.is_none()
    }

    /// Whether the member Secrets are the cluster's own, one pair per member (issued by the
    /// operator or by cert-manager), rather than the user's, shared by every member.
    pub fn per_member_secrets(&self) -> bool {
        self.secrets.is_none()
    }

    /// The renewal settings, defaults filled in.
    pub fn renewal(&self) -> TlsRenewal {
        self.renewal.clone().unwrap_or_default()
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
        assert!(issued.per_member_secrets());
        let brought = TlsSpec {
            secrets: Some(TlsSecrets { server: "s".into(), peer: "p".into(), client: "c".into() }),
            ..TlsSpec::default()
        };
        assert!(!brought.issued_by_operator());
        assert!(!brought.per_member_secrets());
        assert_eq!(
            (brought.server_secret("demo-0"), brought.peer_secret("demo-1"), brought.client_secret("demo")),
            ("s".into(), "p".into(), "c".into())
        );
        let cert_manager = TlsSpec { cert_manager: Some(CertManagerTls::default()), ..TlsSpec::default() };
        assert!(!cert_manager.issued_by_operator());
        assert!(cert_manager.per_member_secrets(), "cert-manager fills one pair per member");
        assert_eq!(cert_manager.server_secret("demo-0"), "demo-0-server-tls");
        assert_eq!(cert_manager.client_secret("demo"), "demo-client-tls");
    }

    #[test]
    fn an_issuer_reference_defaults_to_a_cert_manager_issuer() {
        let tls: TlsSpec =
            serde_json::from_value(serde_json::json!({"certManager": {"issuerRef": {"name": "ca"}}}))
                .expect("spec");
        let issuer = tls.cert_manager.expect("certManager").issuer_ref;
        assert_eq!((issuer.kind.as_str(), issuer.group.as_str()), ("Issuer", "cert-manager.io"));
    }
}
