//! Certificate rotation, the pure part: when a certificate is renewed, when a member must
//! restart to mount the certificates its Secrets hold now, and the phases of a CA rotation.
//!
//! - A member Pod records the fingerprint of the certificates it mounted
//!   ([`fingerprint`] of its server and peer Secrets' `tls.crt` and `ca.crt`). When the
//!   Secrets' fingerprint differs, the member restarts ([`certificates_outdated`], rolled
//!   out by [`super::rollout`] like a settings change: one member at a time, followers
//!   first, the leader last after leadership moved, behind the health and catch-up gate).
//!   Who changed the Secrets does not matter: the operator renewing, the user, cert-manager.
//! - A certificate is renewed once `renewAtPercent` of its lifetime has passed (default two
//!   thirds): [`renew_at`].
//! - A CA is rotated with an overlap, in three phases ([`CaRotationPhase`]): every member
//!   first trusts both CAs, then gets certificates of the new one, then stops trusting the
//!   old one. Each phase starts once the membership planner is idle, that is once every
//!   member restarted with the previous phase's Secrets and is healthy ([`next_ca_phase`]).

use k8s_openapi::jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::membership::MembershipInput;
pub use crate::crd::CaRotationPhase;

/// The fingerprint of certificates (PEM texts, in a fixed order): a hex SHA-256 over them.
/// Certificates only, never keys: it is written in a Pod annotation.
pub fn fingerprint(pems: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for pem in pems {
        hasher.update((pem.len() as u64).to_be_bytes());
        hasher.update(pem.as_bytes());
    }
    hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Whether member `name`'s Pod mounted other certificates than its Secrets hold now. A
/// Pod that recorded none, in a cluster whose Secrets are known, is out of date too (made
/// before fingerprints were recorded): it restarts once, gated like any other.
pub fn certificates_outdated(input: &MembershipInput, name: &str) -> bool {
    input
        .pods
        .iter()
        .find(|p| p.name == name && !p.deleting)
        .is_some_and(|pod| mounted_outdated(input.certificates.get(name), pod.certificates.as_ref()))
}

/// Whether a Pod that mounted certificates of fingerprint `mounted` must restart to mount
/// `current` (`None`: unknown, a plain member).
pub fn mounted_outdated(current: Option<&String>, mounted: Option<&String>) -> bool {
    current.is_some_and(|current| mounted != Some(current))
}

/// When a certificate valid from `not_before` to `not_after` is renewed: after
/// `percent` % of its lifetime, two thirds when `None`.
pub fn renew_at(not_before: Timestamp, not_after: Timestamp, percent: Option<i32>) -> Timestamp {
    let (share, whole) =
        percent.map_or((2, 3), |p| (u64::try_from(p.clamp(0, 100)).unwrap_or_default(), 100));
    let lifetime = not_after.as_second().saturating_sub(not_before.as_second()).max(0);
    let lifetime = u64::try_from(lifetime).unwrap_or_default();
    let after = lifetime.saturating_mul(share) / whole;
    let at = not_before.as_second().saturating_add(i64::try_from(after).unwrap_or(i64::MAX));
    Timestamp::from_second(at).unwrap_or(not_after)
}

/// Whether a certificate valid from `not_before` to `not_after` is due for renewal at `now`.
pub fn renewal_due(
    not_before: Timestamp,
    not_after: Timestamp,
    percent: Option<i32>,
    now: Timestamp,
) -> bool {
    now >= renew_at(not_before, not_after, percent)
}

/// Whether a CA rotation starts: none is under way, and the CA is due or one was asked for.
pub fn start_ca_rotation(under_way: Option<CaRotationPhase>, ca_due: bool, requested: bool) -> bool {
    under_way.is_none() && (ca_due || requested)
}

/// The phase a CA rotation in `phase` moves to once the membership planner is idle (every
/// member restarted with the phase's Secrets, healthy and caught up): `None` ends it.
/// While members are still restarting it stays.
pub fn next_ca_phase(phase: CaRotationPhase, membership_idle: bool) -> Option<Option<CaRotationPhase>> {
    if !membership_idle {
        return None;
    }
    Some(match phase {
        CaRotationPhase::TrustBoth => Some(CaRotationPhase::NewIssuer),
        CaRotationPhase::NewIssuer => Some(CaRotationPhase::DropOld),
        CaRotationPhase::DropOld => None,
    })
}

/// The trust bundle of a CA phase: the CAs every Secret's `ca.crt` holds. `old` is the CA
/// before the rotation, `new` the one after (none outside a rotation).
pub fn trust_bundle(phase: Option<CaRotationPhase>, old: &str, new: Option<&str>) -> String {
    let both = |new: &str| format!("{}\n{}\n", old.trim_end(), new.trim_end());
    match (phase, new) {
        (Some(CaRotationPhase::TrustBoth | CaRotationPhase::NewIssuer), Some(new)) => both(new),
        (Some(CaRotationPhase::DropOld), Some(new)) => new.to_string(),
        _ => old.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::crd::StorageKind;
    use crate::names;
    use crate::plan::membership::fixtures::running;
    use crate::plan::membership::{Step, plan_membership};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn certificates_are_renewed_at_two_thirds_of_their_lifetime_or_the_share_asked_for() {
        let (start, end) = (at("2026-01-01T00:00:00Z"), at("2026-01-31T00:00:00Z"));
        assert_eq!(renew_at(start, end, None), at("2026-01-21T00:00:00Z"));
        assert_eq!(renew_at(start, end, Some(50)), at("2026-01-16T00:00:00Z"));
        assert_eq!(renew_at(start, end, Some(90)), at("2026-01-28T00:00:00Z"));
        assert!(!renewal_due(start, end, None, at("2026-01-20T23:59:59Z")));
        assert!(renewal_due(start, end, None, at("2026-01-21T00:00:00Z")));
        // A year and five years: 243 days and a bit, 3 years and 4 months.
        let year = at("2027-01-01T00:00:00Z");
        assert_eq!(renew_at(start, year, None).as_second() - start.as_second(), 365 * 24 * 3600 * 2 / 3);
        // Dates the wrong way round renew at once rather than never.
        assert!(renewal_due(end, start, None, end));
    }

    #[test]
    fn a_fingerprint_changes_with_any_certificate_and_with_their_order() {
        let a = fingerprint(&["server", "ca", "peer", "ca"]);
        assert_eq!(a, fingerprint(&["server", "ca", "peer", "ca"]));
        assert_ne!(a, fingerprint(&["server", "ca2", "peer", "ca"]));
        assert_ne!(a, fingerprint(&["peer", "ca", "server", "ca"]));
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]), "boundaries count");
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn a_ca_rotation_trusts_both_then_issues_from_the_new_then_drops_the_old() {
        assert!(start_ca_rotation(None, true, false));
        assert!(start_ca_rotation(None, false, true));
        assert!(!start_ca_rotation(None, false, false));
        assert!(!start_ca_rotation(Some(CaRotationPhase::NewIssuer), true, true), "one at a time");
        let mut phase = Some(CaRotationPhase::TrustBoth);
        let mut bundles = vec![];
        while let Some(p) = phase {
            bundles.push(trust_bundle(phase, "OLD\n", Some("NEW\n")));
            assert_eq!(next_ca_phase(p, false), None, "stays while members restart");
            phase = next_ca_phase(p, true).expect("moves on once idle");
        }
        assert_eq!(bundles, ["OLD\nNEW\n", "OLD\nNEW\n", "NEW\n"]);
        assert_eq!(trust_bundle(None, "OLD\n", None), "OLD\n");
    }

    /// A healthy TLS cluster of 3 whose Pods mounted `old` while the Secrets hold `new`.
    fn renewed(storage: StorageKind, leader: usize) -> MembershipInput {
        let mut i = running(3, 3, storage);
        i.tls = true;
        i.pods.iter_mut().for_each(|p| p.transport = Some(crate::plan::transport::Transport::Tls));
        i.members.iter_mut().flatten().for_each(|m| m.peer_url = names::secure_url(&m.peer_url));
        i.members.iter_mut().flatten().for_each(|m| m.leader = m.name == names::member_name("demo", leader));
        i.pods.iter_mut().for_each(|p| p.certificates = Some("old".into()));
        i.certificates = i.pods.iter().map(|p| (p.name.clone(), "new".to_string())).collect();
        i
    }

    /// Carries `step` out on the model: a restarted member's Pod mounts its current
    /// certificates; a leader move moves the leader.
    fn carry_out(i: &mut MembershipInput, step: &Step) {
        match step {
            Step::RenewCertificates { member } => {
                let current = i.certificates.get(member).cloned();
                let pod = i.pods.iter_mut().find(|p| p.name == *member).expect("pod");
                pod.certificates = current;
            }
            Step::MoveLeader { to_id, .. } => {
                i.members.iter_mut().flatten().for_each(|m| m.leader = m.id == *to_id);
            }
            other => panic!("unexpected step {other:?}"),
        }
    }

    fn short(step: &Step) -> String {
        match step {
            Step::RenewCertificates { member } => format!("renew {member}"),
            Step::MoveLeader { from, to, .. } => format!("leader {from} -> {to}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn renewed_certificates_restart_followers_first_and_the_leader_last_after_it_moved() {
        let mut i = renewed(StorageKind::Persistent, 1);
        let mut steps = vec![];
        loop {
            let step = plan_membership(&i);
            if step == Step::Idle {
                break;
            }
            carry_out(&mut i, &step);
            steps.push(short(&step));
            assert!(steps.len() < 10, "{steps:?}");
        }
        assert_eq!(steps, ["renew demo-0", "renew demo-2", "leader demo-1 -> demo-0", "renew demo-1"]);
    }

    #[test]
    fn a_restarted_member_must_be_healthy_and_caught_up_before_the_next() {
        let mut i = renewed(StorageKind::Persistent, 0);
        i.pods[1].certificates = Some("new".into());
        crate::plan::membership::fixtures::assert_restarts_wait_for_demo_1(&mut i);
    }

    #[test]
    fn settings_and_certificates_outdated_together_restart_once_with_both() {
        let mut i = renewed(StorageKind::Persistent, 0);
        i.settings = vec!["--snapshot-count=5000".into()];
        assert_eq!(plan_membership(&i), Step::ApplySettings { member: "demo-1".into() });
        i.settings = vec![];
        assert_eq!(plan_membership(&i), Step::RenewCertificates { member: "demo-1".into() });
    }

    #[test]
    fn ephemeral_members_get_renewed_certificates_through_learners() {
        let i = renewed(StorageKind::Ephemeral, 0);
        assert!(matches!(plan_membership(&i), Step::AddLearner { ref member, .. } if member == "demo-3"));
    }

    #[test]
    fn plain_members_and_current_ones_are_left_alone_and_unrecorded_ones_restart_once() {
        let mut i = renewed(StorageKind::Persistent, 0);
        i.certificates.clear();
        assert_eq!(plan_membership(&i), Step::Idle, "a plain cluster");
        let mut current = renewed(StorageKind::Persistent, 0);
        current.pods.iter_mut().for_each(|p| p.certificates = Some("new".into()));
        assert_eq!(plan_membership(&current), Step::Idle);
        current.pods[2].certificates = None;
        assert_eq!(plan_membership(&current), Step::RenewCertificates { member: "demo-2".into() });
    }

    proptest! {
        /// Whatever mix of members is out of date, a certificate restart never touches the
        /// leader while another voter could lead, never happens while a member is
        /// unhealthy, and the rollout ends with every Pod current.
        #[test]
        fn restarts_never_take_the_leader_first_nor_an_unhealthy_cluster(
            leader in 0usize..3,
            stale in proptest::collection::vec(any::<bool>(), 3),
            unhealthy in proptest::option::of(0usize..3),
        ) {
            let mut i = renewed(StorageKind::Persistent, leader);
            for (k, pod) in i.pods.iter_mut().enumerate() {
                if !stale[k] {
                    pod.certificates = Some("new".into());
                }
            }
            if let Some(u) = unhealthy {
                i.members.as_mut().expect("members")[u].healthy = false;
                let waits = matches!(plan_membership(&i), Step::Wait { .. });
                prop_assert!(waits, "nothing restarts while a member is unhealthy");
                i.members.as_mut().expect("members")[u].healthy = true;
            }
            let mut steps = 0;
            loop {
                let step = plan_membership(&i);
                if let Step::RenewCertificates { member } = &step {
                    let members = i.members.as_ref().expect("members");
                    let restarted = members.iter().find(|m| m.name == *member).expect("member");
                    let others_stale = i.pods.iter().any(|p| p.name != *member
                        && p.certificates.as_deref() != Some("new"));
                    prop_assert!(!(restarted.leader && others_stale), "the leader goes last");
                }
                if step == Step::Idle {
                    break;
                }
                carry_out(&mut i, &step);
                steps += 1;
                prop_assert!(steps <= 6);
            }
            prop_assert!(i.pods.iter().all(|p| p.certificates.as_deref() == Some("new")));
        }
    }
}
