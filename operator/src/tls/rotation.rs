//! Certificate rotation, the part that reads and writes Secrets: once per reconcile, after
//! the observation, [`survey`] reads the cluster's certificate Secrets, renews the ones the
//! operator issued that are due (or asked for), brings them in line with the CA Secret (its
//! `ca.crt` is the trust bundle of the CA rotation's phase, its `tls.crt`/`tls.key` the CA
//! that signs), starts a CA rotation when the CA is due or one was asked for, and returns
//! what the planner and the status need: each member's certificate fingerprint and each
//! certificate's dates. [`advance`] moves a CA rotation to its next phase once the
//! membership planner is idle (every member restarted with the phase's Secrets).
//!
//! The phase lives in the CA Secret's annotation ([`CA_ROTATION_ANNOTATION`]), so it
//! survives an operator restart. The CA Secret during a rotation:
//!
//! | phase | `tls.crt`/`tls.key` (signs) | `ca.crt` (trusted) | also |
//! |---|---|---|---|
//! | none | the CA | the CA | |
//! | TrustBoth | old | old + new | `next.crt`, `next.key`: new |
//! | NewIssuer | new | old + new | |
//! | DropOld | new | new | |
//!
//! Nothing here logs key material: Secrets and their names only.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use shared::crd::{
    CA_ROTATION_ANNOTATION, CaRotationPhase, CertificateStatus, EtcdCluster, ROTATE_CA_ANNOTATION,
    ROTATE_REQUEST_ANNOTATION, TlsSpec,
};
use shared::names;
use shared::plan::certificates::{fingerprint, next_ca_phase, renew_at, start_ca_rotation, trust_bundle};
use shared::tls::{CA_KEY, CERT_KEY, PRIVATE_KEY_KEY, secret_text};

use super::certificates::{self, CertificateRequest, Issued};
use super::{TlsError, issued_of, tls_secret, with_lifetime};
use crate::identity::Identity;

/// The key of the CA Secret that holds the next CA's certificate while every member learns
/// to trust it.
const NEXT_CERT_KEY: &str = "next.crt";
/// The key of the CA Secret that holds the next CA's private key.
const NEXT_KEY_KEY: &str = "next.key";

/// What one survey found, for the planner and the status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Survey {
    /// Per member (with a Pod), the fingerprint of the certificates its Secrets hold now.
    pub fingerprints: BTreeMap<String, String>,
    /// Each certificate's dates: the CA that signs, the client's, each member's.
    pub certificates: Vec<CertificateStatus>,
    /// The phase of a CA rotation under way.
    pub ca_rotation: Option<CaRotationPhase>,
    /// The rotation request carried out by this survey, if one was.
    pub handled_request: Option<String>,
}

/// A rotation request on the cluster not carried out yet: its ID, and whether it asks
/// for a new CA.
fn pending_request(cluster: &EtcdCluster) -> Option<(String, bool)> {
    let id = cluster.annotations().get(ROTATE_REQUEST_ANNOTATION).filter(|id| !id.is_empty())?;
    let last = cluster.status.as_ref().and_then(|s| s.tls.as_ref()).and_then(|t| t.last_request.as_ref());
    if last == Some(id) {
        return None;
    }
    let ca = cluster.annotations().get(ROTATE_CA_ANNOTATION).is_some_and(|v| v == "true");
    Some((id.clone(), ca))
}

/// Reads (and for the operator's own certificates, renews and aligns) the certificate
/// Secrets of a TLS cluster whose member Pods are `members`; `None` for a plain cluster.
pub async fn survey(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    members: &[String],
    cluster_domain: &str,
    now: Timestamp,
) -> Result<Option<Survey>, TlsError> {
    let Some(tls) = &cluster.spec.tls else { return Ok(None) };
    let secrets = Api::<Secret>::namespaced(client.clone(), &id.namespace);
    let request = pending_request(cluster);
    let percent = tls.renewal().renew_at_percent;
    let mut survey =
        Survey { handled_request: request.as_ref().map(|(id, _)| id.clone()), ..Survey::default() };
    let mut read = BTreeMap::new();
    if tls.issued_by_operator() {
        let ca_name = names::ca_secret_name(&id.name);
        let mut ca = get(&secrets, &ca_name).await?;
        survey.ca_rotation = phase_of(&ca);
        let signing = certificates::facts(&secret_text(&ca, CERT_KEY)?);
        let ca_due = signing.as_ref().is_some_and(|f| now >= renew_at(f.not_before, f.not_after, percent));
        let ca_requested = request.as_ref().is_some_and(|(_, ca)| *ca);
        if start_ca_rotation(survey.ca_rotation, ca_due, ca_requested) {
            ca = start_rotation(&secrets, cluster, id, &ca, now).await?;
            survey.ca_rotation = Some(CaRotationPhase::TrustBoth);
        }
        let leaves_requested = request.as_ref().is_some_and(|(_, ca)| !ca);
        let aligner =
            Aligner { secrets: &secrets, cluster, id, ca: &ca, domain: cluster_domain, now, percent };
        let mut leaves = vec![names::client_secret_name(&id.name)];
        for member in members {
            leaves.push(names::server_secret_name(member));
            leaves.push(names::peer_secret_name(member));
        }
        for name in leaves {
            if let Some(secret) = aligner.align(&name, leaves_requested).await? {
                read.insert(name, secret);
            }
        }
        survey.certificates.push(status_of(&ca_name, &secret_text(&ca, CERT_KEY)?, percent, true));
    }
    for member in members {
        let pair = [tls.server_secret(member), tls.peer_secret(member)];
        for name in &pair {
            if !read.contains_key(name)
                && let Some(secret) = secrets.get_opt(name).await?
            {
                read.insert(name.clone(), secret);
            }
        }
        if let (Some(server), Some(peer)) = (read.get(&pair[0]), read.get(&pair[1])) {
            survey.fingerprints.insert(member.clone(), member_fingerprint(server, peer)?);
        }
    }
    if !tls.issued_by_operator()
        && let Some(secret) = secrets.get_opt(&tls.client_secret(&id.name)).await?
    {
        read.insert(tls.client_secret(&id.name), secret);
    }
    for (name, secret) in &read {
        let pem = secret_text(secret, CERT_KEY)?;
        survey.certificates.push(status_of(name, &pem, percent, tls.issued_by_operator()));
    }
    survey.certificates.retain(|c| c.expires.0 > Timestamp::UNIX_EPOCH);
    Ok(Some(survey))
}

/// The fingerprint of what a member mounts: its server and peer Secrets' certificates and
/// trusted CAs. Keys are left out (they change with the certificate).
pub fn member_fingerprint(server: &Secret, peer: &Secret) -> Result<String, TlsError> {
    Ok(fingerprint(&[
        &secret_text(server, CERT_KEY)?,
        &secret_text(server, CA_KEY)?,
        &secret_text(peer, CERT_KEY)?,
        &secret_text(peer, CA_KEY)?,
    ]))
}

/// The fingerprint of the Secrets member `member` of a TLS cluster mounts now, read from
/// the API: what its Pod records when it is created.
pub async fn current_fingerprint(
    client: &kube::Client,
    tls: &TlsSpec,
    namespace: &str,
    member: &str,
) -> Result<String, TlsError> {
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace);
    let server = get(&secrets, &tls.server_secret(member)).await?;
    let peer = get(&secrets, &tls.peer_secret(member)).await?;
    member_fingerprint(&server, &peer)
}

/// Moves a CA rotation in `phase` on once the membership planner is idle; the Secrets
/// follow at the next survey. Returns whether it moved.
pub async fn advance(
    client: &kube::Client,
    id: &Identity,
    phase: Option<CaRotationPhase>,
    membership_idle: bool,
) -> Result<bool, TlsError> {
    let Some(phase) = phase else { return Ok(false) };
    let Some(next) = next_ca_phase(phase, membership_idle) else { return Ok(false) };
    let secrets = Api::<Secret>::namespaced(client.clone(), &id.namespace);
    let name = names::ca_secret_name(&id.name);
    let ca = get(&secrets, &name).await?;
    let data = match next {
        Some(CaRotationPhase::NewIssuer) => json!({
            CERT_KEY: b64(&secret_text(&ca, NEXT_CERT_KEY)?),
            PRIVATE_KEY_KEY: b64(&secret_text(&ca, NEXT_KEY_KEY)?),
            NEXT_CERT_KEY: null,
            NEXT_KEY_KEY: null,
        }),
        Some(CaRotationPhase::DropOld) => {
            let new = secret_text(&ca, CERT_KEY)?;
            json!({ CA_KEY: b64(&trust_bundle(next, "", Some(&new))) })
        }
        Some(CaRotationPhase::TrustBoth) | None => json!({}),
    };
    let patch = json!({
        "metadata": {"annotations": {CA_ROTATION_ANNOTATION: next.map(CaRotationPhase::as_str)}},
        "data": data,
    });
    secrets.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    tracing::info!(
        cluster = %id.name,
        from = phase.as_str(),
        to = next.map_or("done", CaRotationPhase::as_str),
        "CA rotation moved on"
    );
    Ok(true)
}

/// Starts a CA rotation: a new CA, kept next to the old one, and both trusted.
async fn start_rotation(
    secrets: &Api<Secret>,
    cluster: &EtcdCluster,
    id: &Identity,
    ca: &Secret,
    now: Timestamp,
) -> Result<Secret, TlsError> {
    let lifetime = cluster.spec.tls.as_ref().map(TlsSpec::renewal).unwrap_or_default().ca_lifetime();
    let new = certificates::issue_ca(&certificates::ca_common_name(&id.name, Some(now)), lifetime, now)?;
    let old = secret_text(ca, CERT_KEY)?;
    let bundle = trust_bundle(Some(CaRotationPhase::TrustBoth), &old, Some(&new.cert_pem));
    let patch = json!({
        "metadata": {"annotations": {CA_ROTATION_ANNOTATION: CaRotationPhase::TrustBoth.as_str()}},
        "data": {
            CA_KEY: b64(&bundle),
            NEXT_CERT_KEY: b64(&new.cert_pem),
            NEXT_KEY_KEY: b64(&new.key_pem),
        },
    });
    let name = ca.name_any();
    let patched = secrets.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    tracing::info!(cluster = %id.name, secret = %name, "CA rotation started: members will trust the old and the new CA");
    Ok(patched)
}

/// Brings the operator's leaf Secrets in line with the CA Secret.
struct Aligner<'a> {
    secrets: &'a Api<Secret>,
    cluster: &'a EtcdCluster,
    id: &'a Identity,
    ca: &'a Secret,
    domain: &'a str,
    now: Timestamp,
    percent: Option<i32>,
}

impl Aligner<'_> {
    /// Leaf Secret `name` as it is once aligned (`None` when it does not exist yet): issued
    /// again when due, asked for (`renew`) or not issued by the signing CA; its `ca.crt` set
    /// to the CA Secret's bundle otherwise.
    async fn align(&self, name: &str, renew: bool) -> Result<Option<Secret>, TlsError> {
        let Some(secret) = self.secrets.get_opt(name).await? else { return Ok(None) };
        let bundle = secret_text(self.ca, CA_KEY)?;
        let signing = issued_of(self.ca)?;
        let signer = certificates::facts(&signing.cert_pem).map(|f| f.subject);
        let leaf = certificates::facts(&secret_text(&secret, CERT_KEY)?);
        let due = leaf.as_ref().is_none_or(|f| self.now >= renew_at(f.not_before, f.not_after, self.percent));
        let foreign = leaf.as_ref().map(|f| &f.issuer) != signer.as_ref();
        if renew || due || foreign {
            let Some(request) = self.request(name) else { return Ok(Some(secret)) };
            let ca_secret = self.ca.name_any();
            let issued =
                certificates::issue(&signing, &ca_secret, &with_lifetime(self.cluster, &request), self.now)?;
            let why = if renew {
                "asked for"
            } else if due {
                "due"
            } else {
                "issued by another CA"
            };
            tracing::info!(cluster = %self.id.name, secret = %name, why, "renewed a certificate");
            return self.write(name, Some(&issued), &bundle).await.map(Some);
        }
        if secret_text(&secret, CA_KEY)? != bundle {
            tracing::info!(cluster = %self.id.name, secret = %name, "trusted CAs updated");
            return self.write(name, None, &bundle).await.map(Some);
        }
        Ok(Some(secret))
    }

    /// What Secret `name` is issued for: the client certificate, or a member's server or
    /// peer certificate.
    fn request(&self, name: &str) -> Option<CertificateRequest> {
        let (cluster, namespace) = (&self.id.name, &self.id.namespace);
        if name == names::client_secret_name(cluster) {
            return Some(certificates::client_request(cluster));
        }
        let member = |suffix: &str| {
            name.strip_suffix(suffix)
                .filter(|m| names::member_index(cluster, m).is_some())
                .map(str::to_string)
        };
        if let Some(member) = member("-server-tls") {
            return Some(certificates::server_request(cluster, namespace, &member, self.domain));
        }
        member("-peer-tls").map(|member| certificates::peer_request(cluster, namespace, &member, self.domain))
    }

    /// Writes Secret `name` with `issued` (when given) and the trusted CAs `bundle`.
    async fn write(&self, name: &str, issued: Option<&Issued>, bundle: &str) -> Result<Secret, TlsError> {
        let data = match issued {
            Some(issued) => tls_secret(self.cluster, name, issued, bundle)?.data.unwrap_or_default(),
            None => {
                BTreeMap::from([(CA_KEY.to_string(), k8s_openapi::ByteString(bundle.as_bytes().to_vec()))])
            }
        };
        let patch = json!({ "data": data });
        Ok(self.secrets.patch(name, &PatchParams::default(), &Patch::Merge(patch)).await?)
    }
}

/// The dates of the certificate `pem` in Secret `secret` (the epoch when it cannot be read,
/// which the survey leaves out).
fn status_of(secret: &str, pem: &str, percent: Option<i32>, issued_by_operator: bool) -> CertificateStatus {
    let facts = certificates::facts(pem);
    let (expires, renew) = facts.map_or((Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH), |f| {
        (f.not_after, renew_at(f.not_before, f.not_after, percent))
    });
    CertificateStatus {
        secret: secret.to_string(),
        expires: Time(expires),
        renew_at: Time(renew),
        issued_by_operator,
    }
}

/// The CA rotation phase a CA Secret records.
fn phase_of(ca: &Secret) -> Option<CaRotationPhase> {
    ca.annotations().get(CA_ROTATION_ANNOTATION).and_then(|p| CaRotationPhase::parse(p))
}

async fn get(secrets: &Api<Secret>, name: &str) -> Result<Secret, TlsError> {
    secrets.get_opt(name).await?.ok_or_else(|| TlsError::MissingSecret(name.to_string()))
}

/// `text` as a Secret's `data` value (base64).
fn b64(text: &str) -> k8s_openapi::ByteString {
    k8s_openapi::ByteString(text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::cluster;

    #[test]
    fn a_request_is_carried_out_once_and_says_whether_the_ca_goes_too() {
        let mut c = cluster();
        assert_eq!(pending_request(&c), None);
        c.metadata.annotations =
            Some(BTreeMap::from([(ROTATE_REQUEST_ANNOTATION.to_string(), "r1".to_string())]));
        assert_eq!(pending_request(&c), Some(("r1".into(), false)));
        c.metadata.annotations.get_or_insert_default().insert(ROTATE_CA_ANNOTATION.into(), "true".into());
        assert_eq!(pending_request(&c), Some(("r1".into(), true)));
        c.status = Some(shared::crd::EtcdClusterStatus {
            tls: Some(shared::crd::TlsStatus { last_request: Some("r1".into()), ..Default::default() }),
            ..Default::default()
        });
        assert_eq!(pending_request(&c), None, "done already");
    }

    #[test]
    fn a_member_fingerprint_follows_certificates_and_trusted_cas_not_keys() {
        let secret = |cert: &str, key: &str, ca: &str| {
            let issued = Issued { cert_pem: cert.into(), key_pem: key.into() };
            tls_secret(&cluster(), "demo-0-server-tls", &issued, ca).expect("secret")
        };
        let base = member_fingerprint(&secret("S", "K", "CA"), &secret("P", "K", "CA")).expect("fp");
        let rekeyed = member_fingerprint(&secret("S", "K2", "CA"), &secret("P", "K2", "CA")).expect("fp");
        assert_eq!(base, rekeyed);
        let bundle =
            member_fingerprint(&secret("S", "K", "CA\nNEW"), &secret("P", "K", "CA\nNEW")).expect("fp");
        assert_ne!(base, bundle, "a new trusted CA restarts the member");
        let renewed = member_fingerprint(&secret("S2", "K", "CA"), &secret("P", "K", "CA")).expect("fp");
        assert_ne!(base, renewed);
    }
}
