//! What the status says of a TLS cluster's certificates (pure): `status.tls`, and the
//! warning that a certificate is in its renewal window while nothing can renew it or roll
//! it out (condition Degraded, reason `CertificateExpiring`, and a Warning Event).

use k8s_openapi::jiff::Timestamp;
use shared::crd::TlsStatus;
use shared::plan::membership::Step;

use super::rotation::Survey;

/// `status.tls` from this reconcile's survey and the members still to restart; the last
/// request carried out is kept from `previous` unless this survey carried one out.
pub fn tls_status(previous: Option<&TlsStatus>, survey: &Survey, pending_members: Vec<String>) -> TlsStatus {
    TlsStatus {
        certificates: survey.certificates.clone(),
        ca_rotation: survey.ca_rotation,
        pending_members,
        last_request: survey
            .handled_request
            .clone()
            .or_else(|| previous.and_then(|p| p.last_request.clone())),
    }
}

/// Why a certificate is expiring with nothing under way to replace it, if one is: a Secret
/// the user brought is past its renewal time (the operator cannot renew it), or members
/// wait to restart with renewed certificates while the cluster cannot restart members
/// (`step` refuses, or the cluster is paused).
pub fn expiring(status: &TlsStatus, step: &Step, now: Timestamp) -> Option<String> {
    let mut why = Vec::new();
    for certificate in status.certificates.iter().filter(|c| !c.issued_by_operator && now >= c.renew_at.0) {
        why.push(format!(
            "the certificate in Secret {} (brought by the user) expires at {} and is past its renewal time \
             ({}): put a renewed certificate in the Secret; members restart with it one at a time",
            certificate.secret, certificate.expires.0, certificate.renew_at.0
        ));
    }
    let blocked = matches!(step, Step::Refuse { .. } | Step::Paused { .. });
    if blocked && !status.pending_members.is_empty() {
        why.push(format!(
            "members {} still serve certificates older than their Secrets and cannot restart now: {}",
            status.pending_members.join(", "),
            step.describe()
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use shared::crd::CertificateStatus;
    use shared::plan::membership::Refusal;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    fn certificate(secret: &str, issued_by_operator: bool) -> CertificateStatus {
        CertificateStatus {
            secret: secret.into(),
            expires: Time(at("2027-01-01T00:00:00Z")),
            renew_at: Time(at("2026-09-01T00:00:00Z")),
            issued_by_operator,
        }
    }

    #[test]
    fn a_users_certificate_past_its_renewal_time_is_named_the_operators_are_renewed() {
        let status = TlsStatus {
            certificates: vec![certificate("demo-0-server-tls", true), certificate("mine", false)],
            ..TlsStatus::default()
        };
        assert_eq!(expiring(&status, &Step::Idle, at("2026-08-31T00:00:00Z")), None, "not yet");
        let why = expiring(&status, &Step::Idle, at("2026-09-02T00:00:00Z")).expect("expiring");
        assert!(why.contains("Secret mine (brought by the user)"), "{why}");
        assert!(!why.contains("demo-0-server-tls"), "the operator renews its own: {why}");
    }

    #[test]
    fn members_waiting_for_renewed_certificates_warn_only_when_they_cannot_restart() {
        let status = TlsStatus { pending_members: vec!["demo-2".into()], ..TlsStatus::default() };
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(expiring(&status, &Step::RenewCertificates { member: "demo-2".into() }, now), None);
        assert_eq!(expiring(&status, &Step::Wait { reason: "demo-1 is starting".into() }, now), None);
        let refused = Step::Refuse { reason: Refusal::QuorumLost, message: "only 1 of 3".into() };
        let why = expiring(&status, &refused, now).expect("blocked");
        assert!(why.starts_with("members demo-2 still serve") && why.contains("only 1 of 3"), "{why}");
    }

    #[test]
    fn the_last_request_carried_out_is_kept() {
        let previous = TlsStatus { last_request: Some("r1".into()), ..TlsStatus::default() };
        let survey = Survey::default();
        assert_eq!(tls_status(Some(&previous), &survey, vec![]).last_request.as_deref(), Some("r1"));
        let handled = Survey { handled_request: Some("r2".into()), ..Survey::default() };
        assert_eq!(tls_status(Some(&previous), &handled, vec![]).last_request.as_deref(), Some("r2"));
    }
}
