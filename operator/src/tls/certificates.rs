//! The certificates the operator issues for a TLS cluster: what each one says (pure
//! [`CertificateRequest`]s: names, usages, lifetime) and the issuing itself with `rcgen`.
//!
//! - one CA per cluster;
//! - per member, a **server** certificate (client port) and a **peer** certificate (peer
//!   port, used both ways), each naming the member's DNS name, the Services' names and
//!   [`names::tls_server_name`], the name the operator and the plugin verify members by;
//!   the server certificate also names `localhost` and `127.0.0.1` (a port-forward);
//! - one **client** certificate, for the operator, the plugin and `kubectl etcd
//!   credentials`.
//!
//! Server and peer certificates allow both server and client authentication: etcd's
//! gateway dials its own client port with the server certificate, and a peer dials the
//! others with its peer certificate. Peer certificates name the member's own DNS name, which
//! is what etcd checks the address a peer connects from against (`checkSAN` in
//! `client/pkg/transport/listener.go`).

use std::net::IpAddr;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType,
};
use shared::names;

/// How long the CA is valid unless `spec.tls.renewal.caDays` says otherwise.
pub const CA_LIFETIME: Duration = Duration::from_secs(shared::crd::DEFAULT_CA_DAYS as u64 * 24 * 3600);
/// How long server, peer and client certificates are valid unless
/// `spec.tls.renewal.certificateDays` says otherwise.
pub const LEAF_LIFETIME: Duration =
    Duration::from_secs(shared::crd::DEFAULT_CERTIFICATE_DAYS as u64 * 24 * 3600);
/// How far before "now" a certificate's validity starts, so clocks a little behind accept it.
const BACKDATE: Duration = Duration::from_secs(300);

/// Why a certificate could not be issued. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// rcgen refused the parameters or the key.
    #[error("cannot issue the {what} certificate: {source}")]
    Issue {
        /// Which certificate.
        what: String,
        /// rcgen's reason.
        source: rcgen::Error,
    },
    /// The stored CA cannot be read back.
    #[error("the CA in Secret {secret} cannot be used: {source}; delete the Secret to have a new CA issued")]
    BadCa {
        /// The CA Secret.
        secret: String,
        /// rcgen's reason.
        source: rcgen::Error,
    },
    /// A validity time out of range.
    #[error("the validity of the {what} certificate is out of range")]
    Time {
        /// Which certificate.
        what: String,
    },
}

/// What a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A member's client-port certificate.
    Server,
    /// A member's peer-port certificate.
    Peer,
    /// A client's certificate.
    Client,
}

/// What one certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// Subject common name.
    pub common_name: String,
    /// DNS names (SANs).
    pub dns_names: Vec<String>,
    /// IP addresses (SANs).
    pub ips: Vec<IpAddr>,
    /// Its role, which sets its usages.
    pub role: Role,
    /// How long it is valid.
    pub lifetime: Duration,
}

/// A certificate and its private key, PEM encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key (PKCS#8).
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Issued").field("cert_pem", &self.cert_pem).finish_non_exhaustive()
    }
}

/// The names on a member's server or peer certificate: its own DNS name, the Services'
/// names in their usual forms, and [`names::tls_server_name`].
fn member_dns_names(cluster: &str, namespace: &str, member: &str, domain: &str) -> Vec<String> {
    let mut dns = vec![names::member_host(member, cluster, namespace, domain)];
    for service in [names::client_service_name(cluster), names::peer_service_name(cluster)] {
        dns.push(service.clone());
        dns.push(format!("{service}.{namespace}"));
        dns.push(format!("{service}.{namespace}.svc"));
        dns.push(format!("{service}.{namespace}.svc.{domain}"));
    }
    let fixed = names::tls_server_name(cluster, namespace);
    if !dns.contains(&fixed) {
        dns.push(fixed);
    }
    dns
}

/// The server certificate of `member`: its names plus `localhost` and `127.0.0.1`.
pub fn server_request(cluster: &str, namespace: &str, member: &str, domain: &str) -> CertificateRequest {
    let mut dns_names = member_dns_names(cluster, namespace, member, domain);
    dns_names.push("localhost".to_string());
    CertificateRequest {
        common_name: member.to_string(),
        dns_names,
        ips: vec![IpAddr::from([127, 0, 0, 1])],
        role: Role::Server,
        lifetime: LEAF_LIFETIME,
    }
}

/// The peer certificate of `member`.
pub fn peer_request(cluster: &str, namespace: &str, member: &str, domain: &str) -> CertificateRequest {
    CertificateRequest {
        common_name: member.to_string(),
        dns_names: member_dns_names(cluster, namespace, member, domain),
        ips: Vec::new(),
        role: Role::Peer,
        lifetime: LEAF_LIFETIME,
    }
}

/// The client certificate of the cluster (no SANs: etcd checks none on its client port).
pub fn client_request(cluster: &str) -> CertificateRequest {
    CertificateRequest {
        common_name: format!("{cluster}-client"),
        dns_names: Vec::new(),
        ips: Vec::new(),
        role: Role::Client,
        lifetime: LEAF_LIFETIME,
    }
}

fn validity(
    params: &mut CertificateParams,
    now: Timestamp,
    lifetime: Duration,
    what: &str,
) -> Result<(), CertificateError> {
    let out_of_range = || CertificateError::Time { what: what.to_string() };
    let start = now.as_second().saturating_sub(i64::try_from(BACKDATE.as_secs()).unwrap_or_default());
    let end = now.as_second().saturating_add(i64::try_from(lifetime.as_secs()).map_err(|_| out_of_range())?);
    params.not_before = time::OffsetDateTime::from_unix_timestamp(start).map_err(|_| out_of_range())?;
    params.not_after = time::OffsetDateTime::from_unix_timestamp(end).map_err(|_| out_of_range())?;
    Ok(())
}

/// The common name of a CA of `cluster`: the first one is `<cluster> etcd CA`; one issued
/// by a rotation carries its time, so that every CA of a cluster has its own name (which
/// tells which CA issued a certificate).
pub fn ca_common_name(cluster: &str, rotated_at: Option<Timestamp>) -> String {
    match rotated_at {
        None => format!("{cluster} etcd CA"),
        Some(at) => format!("{cluster} etcd CA {}", at.strftime("%Y%m%dT%H%M%SZ")),
    }
}

/// A new CA named `common_name` ([`ca_common_name`]), valid from `now` for `lifetime`.
pub fn issue_ca(common_name: &str, lifetime: Duration, now: Timestamp) -> Result<Issued, CertificateError> {
    let what = "CA";
    let fail = |source| CertificateError::Issue { what: what.to_string(), source };
    let key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut params, now, lifetime, what)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}

/// A certificate for `request`, signed by `ca` (read from Secret `ca_secret`), valid from
/// `now` for its lifetime.
pub fn issue(
    ca: &Issued,
    ca_secret: &str,
    request: &CertificateRequest,
    now: Timestamp,
) -> Result<Issued, CertificateError> {
    let bad_ca = |source| CertificateError::BadCa { secret: ca_secret.to_string(), source };
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(bad_ca)?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key).map_err(bad_ca)?;
    let what = format!("{:?} certificate {}", request.role, request.common_name).to_lowercase();
    let fail = |source| CertificateError::Issue { what: what.clone(), source };
    let key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::new(request.dns_names.clone()).map_err(fail)?;
    params.subject_alt_names.extend(request.ips.iter().map(|ip| SanType::IpAddress(*ip)));
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, request.common_name.clone());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = match request.role {
        Role::Server | Role::Peer => {
            vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth]
        }
        Role::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
    };
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, now, request.lifetime, &what)?;
    let cert = params.signed_by(&key, &issuer).map_err(fail)?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}

/// What the operator reads back from a certificate: its validity, and who issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Start of its validity.
    pub not_before: Timestamp,
    /// End of its validity.
    pub not_after: Timestamp,
    /// Its issuer's distinguished name, DER encoded.
    pub issuer: Vec<u8>,
    /// Its subject's distinguished name, DER encoded.
    pub subject: Vec<u8>,
}

/// The facts of the first certificate in `pem`; `None` when it is not a certificate.
pub fn facts(pem: &str) -> Option<Facts> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    Some(Facts {
        not_before: Timestamp::from_second(cert.validity().not_before.timestamp()).ok()?,
        not_after: Timestamp::from_second(cert.validity().not_after.timestamp()).ok()?,
        issuer: cert.issuer().as_raw().to_vec(),
        subject: cert.subject().as_raw().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use x509_parser::extensions::GeneralName;
    use x509_parser::pem::parse_x509_pem;

    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().expect("time")
    }

    /// (DNS names, IPs, server auth, client auth, not before, not after, issuer CN, is CA).
    fn described(pem: &str) -> (Vec<String>, Vec<String>, bool, bool, i64, i64, String, bool) {
        let (_, pem) = parse_x509_pem(pem.as_bytes()).expect("pem");
        let cert = pem.parse_x509().expect("x509");
        let mut dns = Vec::new();
        let mut ips = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns.push(d.to_string()),
                    GeneralName::IPAddress(ip) => ips.push(format!("{ip:?}")),
                    _ => {}
                }
            }
        }
        let eku = cert.extended_key_usage().expect("eku").map(|e| e.value.clone());
        let issuer =
            cert.issuer().iter_common_name().next().and_then(|c| c.as_str().ok()).unwrap_or("").to_string();
        (
            dns,
            ips,
            eku.as_ref().is_some_and(|e| e.server_auth),
            eku.as_ref().is_some_and(|e| e.client_auth),
            cert.validity().not_before.timestamp(),
            cert.validity().not_after.timestamp(),
            issuer,
            cert.is_ca(),
        )
    }

    #[test]
    fn member_certificates_name_the_member_the_services_and_the_verified_name() {
        let server = server_request("demo", "db", "demo-1", "cluster.local");
        assert_eq!(server.role, Role::Server);
        for name in [
            "demo-1.demo.db.svc.cluster.local",
            "demo-client",
            "demo-client.db",
            "demo-client.db.svc",
            "demo-client.db.svc.cluster.local",
            "demo.db.svc",
            "localhost",
        ] {
            assert!(server.dns_names.iter().any(|d| d == name), "server certificate lacks {name}");
        }
        assert_eq!(server.ips, [IpAddr::from([127, 0, 0, 1])]);
        let peer = peer_request("demo", "db", "demo-1", "corp.example");
        assert_eq!(peer.dns_names[0], "demo-1.demo.db.svc.corp.example");
        assert!(peer.dns_names.contains(&names::tls_server_name("demo", "db")));
        assert!(!peer.dns_names.iter().any(|d| d == "localhost"));
        let client = client_request("demo");
        assert!(client.dns_names.is_empty() && client.ips.is_empty(), "etcd checks no SAN of a client");
    }

    #[test]
    fn issued_certificates_carry_their_names_usages_and_lifetimes() {
        let ca = issue_ca(&ca_common_name("demo", None), CA_LIFETIME, now()).expect("ca");
        let (_, _, _, _, start, end, issuer, is_ca) = described(&ca.cert_pem);
        assert!(is_ca);
        assert_eq!(issuer, "demo etcd CA");
        assert_eq!(end - start, (CA_LIFETIME + BACKDATE).as_secs() as i64);
        assert!(ca.key_pem.contains("PRIVATE KEY"));

        let server =
            issue(&ca, "demo-ca-tls", &server_request("demo", "db", "demo-0", "cluster.local"), now())
                .expect("server");
        let (dns, ips, server_auth, client_auth, start, end, issuer, is_ca) = described(&server.cert_pem);
        assert!(dns.contains(&"demo-0.demo.db.svc.cluster.local".to_string()));
        assert!(dns.contains(&"demo-client.db.svc".to_string()));
        assert_eq!(ips.len(), 1);
        assert!(server_auth && client_auth, "the gateway dials its own port with it");
        assert_eq!(start, now().as_second() - BACKDATE.as_secs() as i64);
        assert_eq!(end, now().as_second() + LEAF_LIFETIME.as_secs() as i64);
        assert_eq!(issuer, "demo etcd CA");
        assert!(!is_ca);

        let client = issue(&ca, "demo-ca-tls", &client_request("demo"), now()).expect("client");
        let (dns, ips, server_auth, client_auth, ..) = described(&client.cert_pem);
        assert!(dns.is_empty() && ips.is_empty());
        assert!(!server_auth && client_auth);
    }

    #[test]
    fn facts_tell_the_validity_and_which_ca_issued_a_certificate() {
        let first = issue_ca(&ca_common_name("demo", None), CA_LIFETIME, now()).expect("ca");
        let rotated = issue_ca(&ca_common_name("demo", Some(now())), Duration::from_secs(86_400), now())
            .expect("rotated ca");
        assert_eq!(described(&rotated.cert_pem).6, "demo etcd CA 20260101T000000Z");
        let short = CertificateRequest { lifetime: Duration::from_secs(3600), ..client_request("demo") };
        let leaf = issue(&rotated, "demo-ca-tls", &short, now()).expect("leaf");
        let (leaf_facts, first_facts, rotated_facts) = (
            facts(&leaf.cert_pem).expect("leaf"),
            facts(&first.cert_pem).expect("ca"),
            facts(&rotated.cert_pem).expect("ca"),
        );
        assert_eq!(leaf_facts.not_after.as_second() - now().as_second(), 3600);
        assert_eq!(leaf_facts.not_before.as_second(), now().as_second() - BACKDATE.as_secs() as i64);
        assert_eq!(leaf_facts.issuer, rotated_facts.subject, "issued by the rotated CA");
        assert_ne!(leaf_facts.issuer, first_facts.subject, "not by the first one");
        // A bundle: the first certificate counts.
        let bundle = format!("{}{}", rotated.cert_pem, first.cert_pem);
        assert_eq!(facts(&bundle).map(|f| f.subject), Some(rotated_facts.subject));
        assert_eq!(facts("not a certificate"), None);
    }

    #[test]
    fn a_damaged_ca_is_named_without_its_key() {
        let ca = Issued {
            cert_pem: "not a certificate".into(),
            key_pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into(),
        };
        let err = issue(&ca, "demo-ca-tls", &client_request("demo"), now()).expect_err("bad ca");
        let text = err.to_string();
        assert!(text.contains("demo-ca-tls") && text.contains("delete the Secret"), "{text}");
        assert!(!text.contains("PRIVATE KEY") && !text.contains("AAAA"), "{text}");
        assert!(!format!("{ca:?}").contains("PRIVATE KEY"), "Debug never prints the key");
    }
}
