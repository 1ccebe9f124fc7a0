//! Version rollout: the membership planner's rules for moving members to `spec.version`,
//! on top of [`super::upgrade`]'s plan. Pure, like the rest of the planning.
//!
//! - Once the membership is settled (size reached, every member healthy, no learner), the
//!   first step of the upgrade plan is taken: move leadership away from the leader, or
//!   change one member. With persistent storage a member restarts in place with the new
//!   image ([`Step::ChangeVersion`]); with ephemeral storage a learner at the new version
//!   is added, and once it votes, the shrink that follows removes a member still at the
//!   old version.
//! - The gate before each next step: every member healthy (the membership planner waits
//!   otherwise), caught up (raft index within [`CAUGHT_UP_MAX_LAG`] of the furthest
//!   member), connected to every peer (`MembershipInput::cut_off`, observed for TLS
//!   clusters), and the member changed last reporting its new version.
//! - When the spec asks for a snapshot before an upgrade, it is taken first
//!   ([`Step::TakeSnapshot`]); no member changes until it is stored, and a failed one
//!   refuses the upgrade. Each upgrade gets its own: the EtcdBackup's name carries the
//!   cluster's generation. An upgrade already under way (a member runs the target, or a
//!   stop on the way to it, while others are below) never asks for another, even when the
//!   generation changed since (e.g. `spec.size` was edited during the upgrade).
//! - A member whose Pod cannot run at a version other than the one members should run now
//!   (an image that cannot be pulled, a version that crashes) is changed back or forward at
//!   once: it is down anyway, so this never costs quorum. That is how setting the version
//!   back after a failed step resumes the upgrade.
//! - A change of the etcd settings (`spec.etcd`) rolls out the same way, once every member
//!   runs the target version: behind the same gate, followers first in name order, then
//!   leadership moves to the first follower, then the old leader. With persistent storage
//!   a member restarts on its data with the new flags ([`Step::ApplySettings`]); with
//!   ephemeral storage a learner with the new flags is added and the shrink that follows
//!   removes a member still running the old ones.
//! - Renewed certificates roll out the same way ([`restart_due`]): a member whose Pod
//!   mounted certificates other than its Secrets hold now restarts
//!   ([`Step::RenewCertificates`]), whoever changed the Secrets (the operator renewing or
//!   rotating its CA, the user, cert-manager).
//! - Turning TLS on ([`super::transport`]) restarts members the same way, phase by phase,
//!   and moves each member's peer URL to `https://` just before its phase-2 restart.

use super::certificates;
use super::membership::{MemberView, MembershipInput, Refusal, SnapshotState, Step};
use super::transport;
use super::upgrade::{
    CAUGHT_UP_MAX_LAG, ObservedMember, PlanError, PlanStep, ReplaceHow, UpgradeInput, name_order,
    plan_upgrade,
};
use crate::crd::StorageKind;
use crate::version::{self, EtcdVersion};

/// The version the cluster runs: its lowest reported member version; when no member
/// answers, the version it was last seen to run; the target only for a cluster that never
/// ran. Never the target just because nobody answers: members brought back must not jump
/// a minor version, or go down one, without the upgrade's gates.
pub fn running_version(input: &MembershipInput) -> EtcdVersion {
    let reported: Vec<EtcdVersion> = input.members.iter().flatten().filter_map(|m| m.version).collect();
    version::cluster_version(&reported).or(input.last_known_version).unwrap_or(input.target)
}

/// The version a new member (a learner joining) runs: the next stop on the way from the
/// version the cluster runs ([`running_version`]) to the target; the cluster's own version
/// when the target cannot be reached from it.
pub fn member_version(input: &MembershipInput) -> EtcdVersion {
    let current = running_version(input);
    match version::upgrade_path(current, input.target, input.force_version) {
        Ok(path) => path.first().copied().unwrap_or(input.target),
        Err(_) => current,
    }
}

/// A member Pod that cannot run, at a version other than [`member_version`]: change it.
pub fn repair(input: &MembershipInput) -> Option<Step> {
    let version = member_version(input);
    let pod = input
        .pods
        .iter()
        .filter(|p| !p.deleting && !p.running && p.failure.is_some())
        .find(|p| p.version.is_some_and(|v| v != version))?;
    Some(Step::ChangeVersion { member: pod.name.clone(), from: pod.version, to: version })
}

/// The next rollout step of a settled cluster, or [`Step::Idle`] when every member runs
/// the target. `add_learner` is the membership planner's way to add a member.
pub fn next(input: &MembershipInput, members: &[MemberView], add_learner: impl FnOnce() -> Step) -> Step {
    let versions_done = members.iter().all(|m| m.version == Some(input.target));
    let pods_outdated = members.iter().any(|m| restart_due(input, &m.name));
    let advertise = transport::advertise_pending(input, members);
    if versions_done && !pods_outdated && !advertise {
        return Step::Idle;
    }
    let furthest = members.iter().filter_map(|m| m.raft_index).max().unwrap_or_default();
    if let Some(behind) =
        members.iter().find(|m| furthest.saturating_sub(m.raft_index.unwrap_or_default()) > CAUGHT_UP_MAX_LAG)
    {
        return Step::Wait {
            reason: format!(
                "{} is catching up ({} raft entries behind) before the next member changes version",
                behind.name,
                furthest.saturating_sub(behind.raft_index.unwrap_or_default())
            ),
        };
    }
    // As a StatefulSet's rolling update: the next member changes only once every member's
    // Pod is Ready again, so clients through the client Service always have the other
    // members to go to. etcd's own view (caught up, connected) says nothing of that: a
    // member serves a moment before its Pod's next readiness probe says so.
    if let Some(pod) = input.pods.iter().find(|p| !p.deleting && !p.ready) {
        return Step::Wait {
            reason: format!(
                "{}'s Pod is not Ready yet (its readiness probe: serving, with a leader) before the next \
                 member changes",
                pod.name
            ),
        };
    }
    if let Some(member) = input.cut_off.first() {
        return Step::Wait {
            reason: format!(
                "{member} is not connected to every peer yet (a member restarted at a new address is refused \
                 by peers that do not resolve it yet) before the next member changes"
            ),
        };
    }
    if versions_done {
        if !pods_outdated {
            return transport::advertise(members);
        }
        return restart_outdated(input, members, add_learner);
    }
    let backup = crate::names::pre_upgrade_backup_name(&input.cluster, input.target, input.generation);
    let plan = match plan_upgrade(&upgrade_input(input, members)) {
        Ok(plan) => plan,
        Err(error @ (PlanError::NoLeader | PlanError::SeveralLeaders { .. })) => {
            return Step::Wait { reason: error.to_string() };
        }
        Err(error) => {
            return Step::Refuse {
                reason: Refusal::UpgradeRefused,
                message: format!(
                    "etcd {} cannot be reached: {error}. Nothing was changed; set spec.version back to the \
                     version the cluster runs",
                    input.target
                ),
            };
        }
    };
    match plan.steps.get(1) {
        None | Some(PlanStep::CheckPath { .. }) => Step::Idle,
        Some(PlanStep::Snapshot { .. }) => match &input.pre_upgrade_snapshot {
            Some(SnapshotState::Running) => Step::Wait {
                reason: format!("the snapshot before the upgrade (EtcdBackup {backup}) is being taken"),
            },
            Some(SnapshotState::Failed(why)) => Step::Refuse {
                reason: Refusal::UpgradeRefused,
                message: format!(
                    "the snapshot before the upgrade to etcd {} failed (EtcdBackup {backup}: {why}); no member \
                     was changed. Fix spec.backup.destination, then delete EtcdBackup {backup} to take it again; \
                     or set spec.backup.beforeUpgrade to false to upgrade without it",
                    input.target
                ),
            },
            _ => Step::TakeSnapshot { backup },
        },
        Some(PlanStep::MoveLeader { from, to }) => match members.iter().find(|m| m.name == *to) {
            Some(successor) => Step::MoveLeader { to_id: successor.id, to: to.clone(), from: from.clone() },
            None => Step::Wait { reason: format!("{to} is not in the member list yet") },
        },
        Some(PlanStep::UpgradeMember { member, from, to, replace: ReplaceHow::InPlace, .. }) => {
            let pod_version = input.pods.iter().find(|p| p.name == *member).and_then(|p| p.version);
            if pod_version == Some(*to) {
                Step::Wait { reason: format!("{member} is restarting with etcd {to}") }
            } else {
                Step::ChangeVersion { member: member.clone(), from: Some(*from), to: *to }
            }
        }
        Some(PlanStep::UpgradeMember { replace: ReplaceHow::ReplaceWithLearner, .. }) => add_learner(),
    }
}

/// Whether member `name`'s Pod runs with etcd settings other than the spec's.
pub fn settings_outdated(input: &MembershipInput, name: &str) -> bool {
    input
        .pods
        .iter()
        .find(|p| p.name == name && !p.deleting)
        .and_then(|p| p.settings.as_ref())
        .is_some_and(|settings| *settings != input.settings)
}

/// Whether member `name`'s Pod must restart (or, ephemeral, be replaced): it runs other
/// etcd settings than the spec's, mounted other certificates than its Secrets hold now, or
/// serves another transport than it should while TLS is turned on ([`transport::outdated`]).
pub fn restart_due(input: &MembershipInput, name: &str) -> bool {
    settings_outdated(input, name)
        || certificates::certificates_outdated(input, name)
        || transport::outdated(input, name).is_some()
}

/// The restart that brings member `name` up to date: the transport turning TLS on needs
/// (which also mounts the current certificates and flags), new settings (which also mounts
/// the current certificates), or only the current certificates.
fn restart(input: &MembershipInput, name: &str) -> Step {
    if let Some(to) = transport::outdated(input, name) {
        Step::ChangeTransport { member: name.to_string(), to }
    } else if settings_outdated(input, name) {
        Step::ApplySettings { member: name.to_string() }
    } else {
        Step::RenewCertificates { member: name.to_string() }
    }
}

/// The next restart of a settings change, of renewed certificates or of a phase of
/// turning TLS on: the first outdated follower in name order, then leadership moves to the
/// first follower, then the old leader. A single member restarts alone; ephemeral members
/// are replaced through a learner (their data does not survive a restart).
fn restart_outdated(
    input: &MembershipInput,
    members: &[MemberView],
    add_learner: impl FnOnce() -> Step,
) -> Step {
    if input.storage == StorageKind::Ephemeral {
        return add_learner();
    }
    let by_name = |a: &&MemberView, b: &&MemberView| name_order(&a.name, &b.name);
    let outdated = |m: &&MemberView| restart_due(input, &m.name);
    if let Some(follower) = members.iter().filter(|m| !m.leader).filter(outdated).min_by(by_name) {
        return restart(input, &follower.name);
    }
    let Some(leader) = members.iter().find(|m| m.leader) else {
        return Step::Wait { reason: "no member is the raft leader; waiting for an election".into() };
    };
    match members.iter().filter(|m| !m.leader && !m.learner).min_by(by_name) {
        Some(successor) => {
            Step::MoveLeader { to_id: successor.id, to: successor.name.clone(), from: leader.name.clone() }
        }
        None => restart(input, &leader.name),
    }
}

/// Some member already moved towards the target: it (or its Pod's image, while it
/// restarts) runs the target or a stop on the way from the cluster's version (its lowest
/// member version), while other members do not run the target. The snapshot before the
/// upgrade was taken before that member changed.
pub fn under_way(input: &MembershipInput, members: &[MemberView]) -> bool {
    let reported: Vec<EtcdVersion> = members.iter().filter_map(|m| m.version).collect();
    let Some(current) = version::cluster_version(&reported) else { return false };
    let path = version::upgrade_path(current, input.target, input.force_version).unwrap_or_default();
    let moved = |v: EtcdVersion| v == input.target || path.contains(&v);
    let pods = input.pods.iter().filter(|p| !p.deleting).filter_map(|p| p.version);
    reported.iter().any(|v| *v != input.target) && reported.iter().copied().chain(pods).any(moved)
}

/// What the upgrade planner reads, from the settled membership.
fn upgrade_input(input: &MembershipInput, members: &[MemberView]) -> UpgradeInput {
    UpgradeInput {
        members: members
            .iter()
            .map(|m| ObservedMember {
                name: m.name.clone(),
                id: Some(format!("{:x}", m.id)),
                version: m.version,
                role: m.role(),
                healthy: m.healthy,
            })
            .collect(),
        target: input.target,
        force: input.force_version,
        backup_configured: input.pre_upgrade_snapshot.is_some(),
        snapshot_taken: input.pre_upgrade_snapshot == Some(SnapshotState::Taken) || under_way(input, members),
        storage: input.storage,
    }
}
