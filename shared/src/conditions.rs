//! The words of an EtcdCluster's status, as types: its condition types and the reasons
//! they give. The operator writes them and the plugin reads them through these types, so a
//! reason cannot be spelled two ways. And the one condition of a member Pod both read.

use std::fmt;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// Whether `conditions` holds `kind` with status True.
pub fn is_true(conditions: &[Condition], kind: ConditionType) -> bool {
    conditions.iter().any(|c| c.type_ == kind.as_str() && c.status == "True")
}

/// Whether `pod`'s Ready condition is true. For a member Pod: its etcd answers the
/// readiness probe (it serves, with a leader), so the client Service sends it connections.
pub fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The condition types of an EtcdCluster's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionType {
    /// A quorum of the voting members is healthy: the cluster serves reads and writes.
    Available,
    /// The operator is changing the cluster (a step is under way).
    Progressing,
    /// Something is wrong that needs attention (an unhealthy member, a refusal).
    Degraded,
}

impl ConditionType {
    /// The type as written in `status.conditions[].type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConditionType::Available => "Available",
            ConditionType::Progressing => "Progressing",
            ConditionType::Degraded => "Degraded",
        }
    }

    /// Every condition type, in the order the status lists them.
    pub const ALL: [ConditionType; 3] =
        [ConditionType::Available, ConditionType::Progressing, ConditionType::Degraded];
}

impl fmt::Display for ConditionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reasons an EtcdCluster's conditions give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Available: a quorum of the voting members is healthy.
    QuorumHealthy,
    /// Available: fewer than a quorum of the voting members is healthy.
    QuorumLost,
    /// Available: no member answers yet.
    NoMembers,
    /// Degraded: every member answers and is healthy.
    AllMembersHealthy,
    /// Degraded: some member is unhealthy (or a refusal other than those below).
    MembersUnhealthy,
    /// Degraded: a member's Pod cannot run.
    MemberFailing,
    /// Degraded: etcd raised a NOSPACE alarm (the backend reached its quota).
    NoSpaceAlarm,
    /// Degraded: etcd raised a CORRUPT alarm (members' data differ).
    CorruptAlarm,
    /// Degraded: the version asked for cannot be reached from the one the cluster runs.
    UpgradeRefused,
    /// Degraded: a new cluster asks for a version it must not start at.
    VersionRefused,
    /// All three: a TLS cluster's certificates cannot be had (a Secret `spec.tls.secrets`
    /// names is missing or incomplete, or the operator cannot issue them).
    TlsCertificatesMissing,
    /// All three: `spec.tls.certManager` asks for cert-manager, whose Certificate resource
    /// is not served by the Kubernetes cluster.
    CertManagerMissing,
    /// Progressing: a member's or the client's certificate is awaited from cert-manager.
    WaitingForCertificates,
    /// All three: `spec.version` is not a version.
    InvalidVersion,
    /// Progressing: nothing to do.
    Stable,
    /// Progressing: `spec.paused`.
    Paused,
    /// Progressing: something under way is awaited.
    Waiting,
    /// Progressing: the initial members are being created.
    Bootstrapping,
    /// Progressing: a member's Pod is being created.
    CreatingPod,
    /// Progressing: a learner is being added.
    AddingLearner,
    /// Progressing: a learner is being promoted.
    PromotingLearner,
    /// Progressing: leadership is being moved.
    MovingLeader,
    /// Progressing: a member is being removed.
    RemovingMember,
    /// Progressing: a removed member's Pod is being deleted.
    DeletingPod,
    /// Progressing: a seed member's Pod is made again, its `snapshot restore` having
    /// failed part-way.
    ReseedingMember,
    /// Progressing: a member is restarting at another version.
    ChangingVersion,
    /// Progressing: the snapshot before an upgrade is being taken.
    TakingSnapshot,
    /// Progressing: a member is restarting with the etcd settings of the spec.
    ApplyingSettings,
    /// Progressing: a member is restarting with renewed certificates.
    RenewingCertificates,
    /// Degraded: a certificate is within its renewal window and cannot be renewed or
    /// rolled out now (brought by the user, or the cluster cannot restart members).
    CertificateExpiring,
    /// Progressing: TLS is being turned on, member by member (the message says how far).
    EnablingTls,
    /// Degraded: the spec asks to turn TLS off, which is not supported.
    TlsRefused,
    /// Progressing: the planner refused to go on.
    Refused,
}

impl Reason {
    /// The reason as written in `status.conditions[].reason`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::QuorumHealthy => "QuorumHealthy",
            Reason::QuorumLost => "QuorumLost",
            Reason::NoMembers => "NoMembers",
            Reason::AllMembersHealthy => "AllMembersHealthy",
            Reason::MembersUnhealthy => "MembersUnhealthy",
            Reason::MemberFailing => "MemberFailing",
            Reason::NoSpaceAlarm => "NoSpaceAlarm",
            Reason::CorruptAlarm => "CorruptAlarm",
            Reason::UpgradeRefused => "UpgradeRefused",
            Reason::VersionRefused => "VersionRefused",
            Reason::TlsCertificatesMissing => "TlsCertificatesMissing",
            Reason::CertManagerMissing => "CertManagerMissing",
            Reason::WaitingForCertificates => "WaitingForCertificates",
            Reason::InvalidVersion => "InvalidVersion",
            Reason::Stable => "Stable",
            Reason::Paused => "Paused",
            Reason::Waiting => "Waiting",
            Reason::Bootstrapping => "Bootstrapping",
            Reason::CreatingPod => "CreatingPod",
            Reason::AddingLearner => "AddingLearner",
            Reason::PromotingLearner => "PromotingLearner",
            Reason::MovingLeader => "MovingLeader",
            Reason::RemovingMember => "RemovingMember",
            Reason::DeletingPod => "DeletingPod",
            Reason::ReseedingMember => "ReseedingMember",
            Reason::ChangingVersion => "ChangingVersion",
            Reason::TakingSnapshot => "TakingSnapshot",
            Reason::ApplyingSettings => "ApplyingSettings",
            Reason::RenewingCertificates => "RenewingCertificates",
            Reason::CertificateExpiring => "CertificateExpiring",
            Reason::EnablingTls => "EnablingTls",
            Reason::TlsRefused => "TlsRefused",
            Reason::Refused => "Refused",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_the_variant_names() {
        for kind in ConditionType::ALL {
            assert_eq!(kind.as_str(), format!("{kind:?}"));
        }
        for reason in [Reason::QuorumHealthy, Reason::VersionRefused, Reason::TakingSnapshot, Reason::Refused]
        {
            assert_eq!(reason.to_string(), format!("{reason:?}"));
        }
    }
}
