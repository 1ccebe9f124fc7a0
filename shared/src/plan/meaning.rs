//! What each planned [`Step`] means to the people who watch it: the phase it puts the
//! cluster in, the reason and words of the Progressing condition, the Event it is worth
//! and the member it is about. One place, used by the operator's report and Events and by
//! the plugin.

use super::membership::{Refusal, Step};
use super::transport::Transport;
use crate::conditions::Reason;
use crate::crd::ClusterPhase;

/// An Event a step is worth: its reason and its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepEvent {
    /// The Event's reason (`MemberAdded`, ...).
    pub reason: &'static str,
    /// The Event's action (`Scale`, `Upgrade`, ...).
    pub action: &'static str,
    /// A refusal, or the recovery from a failed step: a Warning Event, not a Normal one.
    pub warning: bool,
}

impl Step {
    /// The cluster's phase while this step is the next one, given how many voting members
    /// there are, how many of them are healthy, and the size asked for.
    pub fn phase(&self, healthy_voters: usize, voters: usize, desired: i32) -> ClusterPhase {
        match self {
            Step::Paused { .. } => ClusterPhase::Paused,
            Step::Refuse { reason: Refusal::QuorumLost, .. } => ClusterPhase::Unavailable,
            Step::Refuse { reason: Refusal::VersionRefused, .. } => ClusterPhase::Failed,
            Step::Refuse { .. } => ClusterPhase::Degraded,
            Step::Bootstrap { .. } => ClusterPhase::Creating,
            Step::Wait { .. } | Step::ReseedMember { .. } if voters == 0 => ClusterPhase::Creating,
            Step::ReseedMember { .. } => ClusterPhase::Healing,
            Step::AddLearner { .. }
            | Step::PromoteLearner { .. }
            | Step::MoveLeader { .. }
            | Step::DeletePod { .. } => ClusterPhase::Scaling,
            Step::ChangeVersion { .. }
            | Step::TakeSnapshot { .. }
            | Step::ApplySettings { .. }
            | Step::RenewCertificates { .. }
            | Step::ChangeTransport { .. }
            | Step::AdvertiseTls { .. } => ClusterPhase::Upgrading,
            Step::RemoveMember { .. } | Step::CreatePod { .. } if healthy_voters < voters => {
                ClusterPhase::Healing
            }
            Step::RemoveMember { .. } | Step::CreatePod { .. } => ClusterPhase::Scaling,
            Step::Wait { .. } if healthy_voters < voters => ClusterPhase::Degraded,
            Step::Wait { .. } => ClusterPhase::Scaling,
            Step::Idle if i32::try_from(healthy_voters).unwrap_or(i32::MAX) == desired => {
                ClusterPhase::Running
            }
            Step::Idle => ClusterPhase::Degraded,
        }
    }

    /// The reason of the Progressing condition.
    pub fn reason(&self) -> Reason {
        match self {
            Step::Idle => Reason::Stable,
            Step::Paused { .. } => Reason::Paused,
            Step::Wait { .. } => Reason::Waiting,
            Step::Bootstrap { .. } => Reason::Bootstrapping,
            Step::CreatePod { .. } => Reason::CreatingPod,
            Step::AddLearner { .. } => Reason::AddingLearner,
            Step::PromoteLearner { .. } => Reason::PromotingLearner,
            Step::MoveLeader { .. } => Reason::MovingLeader,
            Step::RemoveMember { .. } => Reason::RemovingMember,
            Step::DeletePod { .. } => Reason::DeletingPod,
            Step::ReseedMember { .. } => Reason::ReseedingMember,
            Step::ChangeVersion { .. } => Reason::ChangingVersion,
            Step::TakeSnapshot { .. } => Reason::TakingSnapshot,
            Step::ApplySettings { .. } => Reason::ApplyingSettings,
            Step::RenewCertificates { .. } => Reason::RenewingCertificates,
            Step::ChangeTransport { .. } | Step::AdvertiseTls { .. } => Reason::EnablingTls,
            Step::Refuse { .. } => Reason::Refused,
        }
    }

    /// The step in words, for conditions, Events and logs.
    pub fn describe(&self) -> String {
        match self {
            Step::Idle => "the cluster has its size and every member runs".into(),
            Step::Paused { pending } => format!("paused; on resume: {}", pending.describe()),
            Step::Wait { reason } => reason.clone(),
            Step::Bootstrap { missing, .. } => format!("starting the initial members {}", missing.join(", ")),
            Step::CreatePod { member, .. } => format!("creating the Pod of member {member}"),
            Step::AddLearner { member, .. } => format!("adding {member} as a learner"),
            Step::PromoteLearner { member, .. } => format!("promoting learner {member} to a voting member"),
            Step::MoveLeader { from, to, .. } => format!("moving leadership from {from} to {to}"),
            Step::RemoveMember { member, reason, .. } => format!("removing member {member}: {reason}"),
            Step::DeletePod { member, .. } => format!("deleting the Pod of removed member {member}"),
            Step::ReseedMember { member } => format!(
                "restoring member {member} from the snapshot again: its `snapshot restore` failed part-way and a \
                 retry cannot use what that attempt left behind, so its Pod is made again (its claim and the \
                 verified snapshot file are kept)"
            ),
            Step::ChangeVersion { member, from: Some(from), to } => {
                format!("restarting {member} with etcd {to} (was {from}), same data")
            }
            Step::TakeSnapshot { backup } => {
                format!("taking the snapshot the spec asks for before the upgrade (EtcdBackup {backup})")
            }
            Step::ChangeVersion { member, from: None, to } => {
                format!("restarting {member} with etcd {to}, same data")
            }
            Step::ApplySettings { member } => {
                format!("restarting {member} with the etcd settings of spec.etcd, same data")
            }
            Step::RenewCertificates { member } => {
                format!("restarting {member} with the certificates its Secrets hold now, same data")
            }
            Step::ChangeTransport { member, to: Transport::Both } => format!(
                "turning TLS on, phase 1 of 2: restarting {member} with its certificates, serving HTTPS as well \
                 as HTTP, same data"
            ),
            Step::ChangeTransport { member, to: Transport::Tls } => format!(
                "turning TLS on, phase 2 of 2: restarting {member} serving HTTPS only, with client certificates \
                 required, same data"
            ),
            Step::ChangeTransport { member, to: Transport::Plain } => {
                format!("restarting {member} serving plain HTTP, as its peer URL says, same data")
            }
            Step::AdvertiseTls { member, peer_url, .. } => {
                format!("turning TLS on, phase 2 of 2: moving {member}'s peer URL to {peer_url}")
            }
            Step::Refuse { message, .. } => message.clone(),
        }
    }

    /// The Event this step is worth: every membership change and every refusal.
    pub fn event(&self) -> Option<StepEvent> {
        let (reason, action) = match self {
            Step::Bootstrap { .. } => ("Bootstrapping", "Create"),
            Step::CreatePod { .. } => ("MemberPodCreated", "Create"),
            Step::AddLearner { .. } => ("MemberAdded", "Scale"),
            Step::PromoteLearner { .. } => ("MemberPromoted", "Scale"),
            Step::MoveLeader { .. } => ("LeaderMoved", "Scale"),
            Step::RemoveMember { .. } => ("MemberRemoved", "Scale"),
            Step::DeletePod { .. } => ("MemberPodDeleted", "Scale"),
            Step::ReseedMember { .. } => ("MemberReseeded", "Create"),
            Step::ChangeVersion { .. } => ("MemberVersionChanged", "Upgrade"),
            Step::TakeSnapshot { .. } => ("SnapshotBeforeUpgrade", "Upgrade"),
            Step::ApplySettings { .. } => ("MemberSettingsChanged", "Configure"),
            Step::RenewCertificates { .. } => ("MemberCertificatesRenewed", "RotateCertificates"),
            Step::ChangeTransport { .. } => ("MemberTransportChanged", "Configure"),
            Step::AdvertiseTls { .. } => ("MemberPeerUrlUpdated", "Configure"),
            Step::Refuse { .. } => ("Refused", "Reconcile"),
            Step::Idle | Step::Wait { .. } | Step::Paused { .. } => return None,
        };
        let warning = matches!(self, Step::Refuse { .. } | Step::ReseedMember { .. });
        Some(StepEvent { reason, action, warning })
    }

    /// The member this step is about, if it is about one.
    pub fn member(&self) -> Option<&str> {
        match self {
            Step::CreatePod { member, .. }
            | Step::AddLearner { member, .. }
            | Step::PromoteLearner { member, .. }
            | Step::RemoveMember { member, .. }
            | Step::DeletePod { member, .. }
            | Step::ReseedMember { member }
            | Step::ChangeVersion { member, .. }
            | Step::ApplySettings { member }
            | Step::RenewCertificates { member }
            | Step::ChangeTransport { member, .. }
            | Step::AdvertiseTls { member, .. }
            | Step::MoveLeader { to: member, .. } => Some(member),
            Step::Idle
            | Step::Wait { .. }
            | Step::Paused { .. }
            | Step::Bootstrap { .. }
            | Step::Refuse { .. }
            | Step::TakeSnapshot { .. } => None,
        }
    }

    /// When to look at the cluster again once this step is carried out.
    pub fn next_look(&self) -> NextLook {
        match self {
            Step::Idle | Step::Refuse { .. } | Step::Paused { .. } => NextLook::Periodic,
            // Done in etcd alone: no Kubernetes object changes, so no watch event follows,
            // and the next step (the Pod of the learner, the removed member's Pod, the old
            // leader's restart) can be planned at once.
            Step::AddLearner { .. }
            | Step::PromoteLearner { .. }
            | Step::MoveLeader { .. }
            | Step::RemoveMember { .. }
            | Step::AdvertiseTls { .. } => NextLook::AtOnce,
            // A member becoming healthy or catching up is seen only by asking etcd.
            Step::Wait { .. } => NextLook::Soon,
            // Pods, claims and EtcdBackups: their own changes wake the controller.
            Step::Bootstrap { .. }
            | Step::CreatePod { .. }
            | Step::DeletePod { .. }
            | Step::ReseedMember { .. }
            | Step::ChangeVersion { .. }
            | Step::ApplySettings { .. }
            | Step::RenewCertificates { .. }
            | Step::ChangeTransport { .. }
            | Step::TakeSnapshot { .. } => NextLook::OnChange,
        }
    }
}

/// When the operator looks at a cluster again after a step. The controller turns each into
/// a requeue delay; a watch event of the cluster or of what it owns comes first anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextLook {
    /// Nothing to do until something changes: only the periodic health check.
    Periodic,
    /// The step changed Kubernetes objects the controller watches; their events drive the
    /// next step, and a requeue is only the safety net.
    OnChange,
    /// Waiting for something only etcd can tell (a member healthy, a learner caught up):
    /// ask again shortly.
    Soon,
    /// The step was carried out in etcd and nothing will announce it: plan the next one now.
    AtOnce,
}

/// The reason of the Degraded condition for a refusal.
pub fn refusal_reason(refusal: Refusal) -> Reason {
    match refusal {
        Refusal::UpgradeRefused => Reason::UpgradeRefused,
        Refusal::VersionRefused => Reason::VersionRefused,
        Refusal::TlsRefused => Reason::TlsRefused,
        Refusal::QuorumLost | Refusal::WouldBreakQuorum => Reason::MembersUnhealthy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_says_what_it_means() {
        let add = Step::AddLearner { member: "demo-3".into(), peer_url: String::new() };
        assert_eq!(add.reason(), Reason::AddingLearner);
        assert_eq!(add.describe(), "adding demo-3 as a learner");
        assert_eq!(add.event(), Some(StepEvent { reason: "MemberAdded", action: "Scale", warning: false }));
        assert_eq!(add.member(), Some("demo-3"));
        assert_eq!(add.phase(3, 3, 4), ClusterPhase::Scaling);
        let refused = Step::Refuse { reason: Refusal::QuorumLost, message: "lost".into() };
        assert_eq!(refused.phase(1, 3, 3), ClusterPhase::Unavailable);
        assert!(refused.event().is_some_and(|e| e.warning));
        assert_eq!(refused.next_look(), NextLook::Periodic);
        assert_eq!(Step::Idle.phase(3, 3, 3), ClusterPhase::Running);
        assert_eq!(Step::Idle.phase(2, 3, 3), ClusterPhase::Degraded);
        let paused = Step::Paused { pending: Box::new(add) };
        assert_eq!(paused.describe(), "paused; on resume: adding demo-3 as a learner");
        assert_eq!((paused.event(), paused.member()), (None, None));
        assert_eq!(paused.next_look(), NextLook::Periodic, "a paused cluster waits for a change");
    }

    #[test]
    fn steps_done_in_etcd_alone_are_followed_at_once_and_waits_soon() {
        let moved = Step::MoveLeader { to_id: 2, to: "demo-1".into(), from: "demo-0".into() };
        assert_eq!(moved.next_look(), NextLook::AtOnce, "nothing in Kubernetes announces a leader move");
        assert_eq!(Step::PromoteLearner { id: 3, member: "demo-3".into() }.next_look(), NextLook::AtOnce);
        let catching_up = Step::Wait { reason: "demo-1 is catching up".into() };
        assert_eq!(catching_up.next_look(), NextLook::Soon);
        let restarted = Step::DeletePod { member: "demo-3".into(), claim: true };
        assert_eq!(restarted.next_look(), NextLook::OnChange, "the Pod's own events follow");
        assert_eq!(Step::Idle.next_look(), NextLook::Periodic);
    }
}
