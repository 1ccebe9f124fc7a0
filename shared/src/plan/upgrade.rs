//! The rolling-upgrade planner: from the members the operator observes and the version
//! asked for, the steps that change every member safely, one at a time.
//!
//! The plugin's `upgrade-plan` prints this plan and the operator carries it out. The
//! operator does not store the plan: it observes the cluster again before each step,
//! plans again and carries out the first step, so a plan always starts from what is true
//! now. Planning again after a step has been carried out yields the rest of the plan.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::crd::{MemberRole, StorageKind};
use crate::version::{self, EtcdVersion, MixedVersionsError, PathError};

/// How many raft entries a member may trail the leader by and still count as caught up.
pub const CAUGHT_UP_MAX_LAG: u64 = 1000;

/// One member of the cluster as the operator observes it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ObservedMember {
    /// Member (and Pod) name, `<cluster>-<n>`.
    pub name: String,
    /// etcd member ID in hex; `None` before the member is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// etcd version the member reports; `None` when it does not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<EtcdVersion>,
    /// Raft role of the member.
    pub role: MemberRole,
    /// The member answers its health check.
    pub healthy: bool,
}

/// Everything the upgrade planner looks at.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeInput {
    /// Every member, voting or learner, in any order.
    pub members: Vec<ObservedMember>,
    /// The version asked for (`spec.version`).
    pub target: EtcdVersion,
    /// Allow a target whose minor version the project does not support. Nothing else.
    #[serde(default)]
    pub force: bool,
    /// `spec.backup` is present with `beforeUpgrade`: a snapshot comes before any member
    /// changes.
    #[serde(default)]
    pub backup_configured: bool,
    /// The snapshot of this upgrade has already been taken, so the plan does not ask for it
    /// again.
    #[serde(default)]
    pub snapshot_taken: bool,
    /// Kind of storage of the members, which decides how a member changes version.
    #[serde(default)]
    pub storage: StorageKind,
}

/// The steps of an upgrade, in the order they must be carried out.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UpgradePlan {
    /// The version the cluster runs now: the lowest member version.
    pub from: EtcdVersion,
    /// The version asked for.
    pub to: EtcdVersion,
    /// The versions the cluster passes through, ending with `to`; empty when `from == to`.
    pub path: Vec<EtcdVersion>,
    /// The steps, starting with [`PlanStep::CheckPath`].
    pub steps: Vec<PlanStep>,
    /// Why the plan must not be carried out now (e.g. an unhealthy member). Only
    /// [`preview_upgrade`] sets it; [`plan_upgrade`] returns the error instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl UpgradePlan {
    /// Whether any member still has to change version. `false` means the upgrade is done.
    pub fn changes_members(&self) -> bool {
        self.steps.iter().any(|step| matches!(step, PlanStep::UpgradeMember { .. }))
    }
}

/// One step of an upgrade.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "action")]
pub enum PlanStep {
    /// Check that etcd allows the version change; always the first step.
    CheckPath {
        /// The version the cluster runs.
        from: EtcdVersion,
        /// The version asked for.
        to: EtcdVersion,
    },
    /// Take a snapshot of the cluster before any member changes, and stop if it fails.
    Snapshot {
        /// Why the snapshot is taken.
        reason: String,
    },
    /// Hand raft leadership to another member before the leader is changed.
    MoveLeader {
        /// The current leader.
        from: String,
        /// A healthy voting member that already runs the new version.
        to: String,
    },
    /// Change one member to another version, then wait for the gate.
    UpgradeMember {
        /// Name of the member that changes.
        member: String,
        /// The version the member runs before the step.
        from: EtcdVersion,
        /// The version the member runs after the step.
        to: EtcdVersion,
        /// How the member changes version.
        replace: ReplaceHow,
        /// What must hold before the next step starts.
        gate: HealthGate,
    },
}

/// How a member changes version.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplaceHow {
    /// Restart the same member (same name, same data) with the new image. Persistent
    /// storage.
    InPlace,
    /// Add a new learner at the new version, let it catch up and promote it (if the old
    /// member voted), then remove the old member. Ephemeral storage, whose data does not
    /// survive a restart.
    ReplaceWithLearner,
}

/// The condition that ends a step: the next step waits until it holds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HealthGate {
    /// The condition, in words.
    pub description: String,
}

/// Why no upgrade plan can be made or carried out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// etcd or this project does not allow the version change.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The members run versions too far apart.
    #[error(transparent)]
    MixedVersions(#[from] MixedVersionsError),
    /// One member cannot go from its own version to the version of its step.
    #[error("member {member} cannot change version: {source}")]
    Member {
        /// Name of the member.
        member: String,
        /// Why its step is not allowed.
        source: PathError,
    },
    /// No member was observed.
    #[error("the cluster has no members yet: wait until it has been created, then upgrade it")]
    NoMembers,
    /// Fewer than a majority of the voting members are healthy.
    #[error(
        "the cluster has lost quorum: only {healthy} of {voters} voting members are healthy (unhealthy: \
         {}): nothing can be upgraded; bring the unhealthy members back, or restore a backup into a new \
         cluster",
        .unhealthy.join(", ")
    )]
    NoQuorum {
        /// Healthy voting members.
        healthy: usize,
        /// All voting members.
        voters: usize,
        /// Names of the unhealthy voting members.
        unhealthy: Vec<String>,
    },
    /// Some members are unhealthy: an upgrade would risk quorum.
    #[error(
        "the upgrade is refused while members are unhealthy ({}): fix or replace the unhealthy member \
         first, then upgrade",
        .members.join(", ")
    )]
    Unhealthy {
        /// Names of the unhealthy members.
        members: Vec<String>,
    },
    /// Some members report no version.
    #[error(
        "members report no etcd version ({}): they are probably down; fix or replace them first, then \
         upgrade",
        .members.join(", ")
    )]
    UnknownVersion {
        /// Names of the members without a version.
        members: Vec<String>,
    },
    /// No member is the leader.
    #[error("no member is the raft leader (an election may be under way): observe the cluster again shortly")]
    NoLeader,
    /// More than one member was seen as the leader.
    #[error(
        "several members were seen as the raft leader ({}): the observation is stale; observe the \
         cluster again",
        .members.join(", ")
    )]
    SeveralLeaders {
        /// Names of the members seen as leader.
        members: Vec<String>,
    },
}

/// The plan that brings every member to `input.target`, or why there is none.
///
/// Members already at the version of a round are skipped. In each round (one per version
/// of the path, e.g. all members to 3.5.1, then all to 3.6.0) followers and learners go
/// first in name order (`demo-2` before `demo-10`), then leadership moves to the first
/// follower by name, then the old leader changes. Unhealthy members or a lost quorum
/// refuse the plan, unless no member has anything to change.
pub fn plan_upgrade(input: &UpgradeInput) -> Result<UpgradePlan, PlanError> {
    let plan = build(input)?;
    if plan.changes_members() {
        check_health(&input.members)?;
    }
    Ok(plan)
}

/// The plan as [`plan_upgrade`] makes it, for showing to a user: when only the members'
/// health stands in the way, the plan is returned with [`UpgradePlan::refused`] saying
/// why it would not be carried out now.
pub fn preview_upgrade(input: &UpgradeInput) -> Result<UpgradePlan, PlanError> {
    let mut plan = build(input)?;
    if plan.changes_members() {
        plan.refused = check_health(&input.members).err().map(|e| e.to_string());
    }
    Ok(plan)
}

/// A member as the planner imagines it while it lays out the steps.
struct Simulated<'a> {
    name: &'a str,
    version: EtcdVersion,
    role: MemberRole,
}

/// The plan, without the health refusal.
fn build(input: &UpgradeInput) -> Result<UpgradePlan, PlanError> {
    if input.members.is_empty() {
        return Err(PlanError::NoMembers);
    }
    check_quorum(&input.members)?;
    let unknown = sorted_names(input.members.iter().filter(|m| m.version.is_none()));
    if !unknown.is_empty() {
        return Err(PlanError::UnknownVersion { members: unknown });
    }
    let mut members: Vec<Simulated<'_>> = input
        .members
        .iter()
        .filter_map(|m| m.version.map(|version| Simulated { name: &m.name, version, role: m.role }))
        .collect();
    members.sort_by(|a, b| name_order(a.name, b.name));

    let versions: Vec<EtcdVersion> = members.iter().map(|m| m.version).collect();
    version::check_mixed_versions(&versions)?;
    let from = version::cluster_version(&versions).ok_or(PlanError::NoMembers)?;
    let leaders: Vec<String> =
        members.iter().filter(|m| m.role == MemberRole::Leader).map(|m| m.name.to_string()).collect();
    match leaders.len() {
        0 => return Err(PlanError::NoLeader),
        1 => {}
        _ => return Err(PlanError::SeveralLeaders { members: leaders }),
    }
    let to = input.target;
    let path = version::upgrade_path(from, to, input.force)?;

    // With no version change left, members that are not at the target yet (e.g. the
    // members still to be moved down one patch version) are changed in one last round.
    let rounds = if path.is_empty() { vec![to] } else { path.clone() };
    let mut member_steps = Vec::new();
    for (i, &round) in rounds.iter().enumerate() {
        // Stops on the way keep members that are already past them; the target is exact.
        let last = i + 1 == rounds.len();
        let needs = |v: EtcdVersion| if last { v != round } else { v < round };
        for member in members.iter_mut().filter(|m| m.role != MemberRole::Leader) {
            if needs(member.version) {
                member_steps.push(upgrade_step(member, round, from, input)?);
                member.version = round;
            }
        }
        let Some(leader) = members.iter().position(|m| m.role == MemberRole::Leader) else {
            return Err(PlanError::NoLeader);
        };
        if needs(members[leader].version) {
            let successor = members.iter().position(|m| m.role == MemberRole::Follower && !needs(m.version));
            if let Some(successor) = successor {
                member_steps.push(PlanStep::MoveLeader {
                    from: members[leader].name.to_string(),
                    to: members[successor].name.to_string(),
                });
                members[leader].role = MemberRole::Follower;
                members[successor].role = MemberRole::Leader;
            }
            member_steps.push(upgrade_step(&members[leader], round, from, input)?);
            members[leader].version = round;
        }
    }

    let mut steps = vec![PlanStep::CheckPath { from, to }];
    if !member_steps.is_empty() && input.backup_configured && !input.snapshot_taken {
        steps.push(PlanStep::Snapshot {
            reason: format!(
                "etcd {from} -> {to}: spec.backup.beforeUpgrade asks for a snapshot before any member \
                 changes; the upgrade stops if it fails"
            ),
        });
    }
    steps.extend(member_steps);
    Ok(UpgradePlan { from, to, path, steps, refused: None })
}

/// The step that moves one member to `to`, while the cluster runs `cluster` (a member on
/// the next minor version may return while the cluster's version is still the old one).
fn upgrade_step(
    member: &Simulated<'_>,
    to: EtcdVersion,
    cluster: EtcdVersion,
    input: &UpgradeInput,
) -> Result<PlanStep, PlanError> {
    version::check_member_step(member.version, to, cluster, input.force)
        .map_err(|source| PlanError::Member { member: member.name.to_string(), source })?;
    let name = member.name;
    let caught_up = format!("caught up (raft index within {CAUGHT_UP_MAX_LAG} of the leader)");
    let (replace, description) = match input.storage {
        StorageKind::Persistent => (
            ReplaceHow::InPlace,
            format!("{name} healthy, {caught_up} and reporting {to}; all members healthy"),
        ),
        StorageKind::Ephemeral => {
            let new_member = if member.role == MemberRole::Learner {
                format!("the new learner replacing {name}")
            } else {
                format!("the new member replacing {name} promoted to voter,")
            };
            (
                ReplaceHow::ReplaceWithLearner,
                format!(
                    "{new_member} healthy, {caught_up} and reporting {to}; {name} removed; all members \
                     healthy"
                ),
            )
        }
    };
    Ok(PlanStep::UpgradeMember {
        member: name.to_string(),
        from: member.version,
        to,
        replace,
        gate: HealthGate { description },
    })
}

/// Refuses a cluster whose healthy voting members are not a majority.
fn check_quorum(members: &[ObservedMember]) -> Result<(), PlanError> {
    let voters: Vec<&ObservedMember> = members.iter().filter(|m| m.role != MemberRole::Learner).collect();
    let healthy = voters.iter().filter(|m| m.healthy).count();
    if healthy * 2 > voters.len() {
        Ok(())
    } else {
        Err(PlanError::NoQuorum {
            healthy,
            voters: voters.len(),
            unhealthy: sorted_names(voters.into_iter().filter(|m| !m.healthy)),
        })
    }
}

/// Refuses a cluster with any unhealthy member.
fn check_health(members: &[ObservedMember]) -> Result<(), PlanError> {
    check_quorum(members)?;
    let unhealthy = sorted_names(members.iter().filter(|m| !m.healthy));
    if unhealthy.is_empty() { Ok(()) } else { Err(PlanError::Unhealthy { members: unhealthy }) }
}

/// The members' names in name order.
fn sorted_names<'a>(members: impl Iterator<Item = &'a ObservedMember>) -> Vec<String> {
    let mut names: Vec<String> = members.map(|m| m.name.clone()).collect();
    names.sort_by(|a, b| name_order(a, b));
    names
}

/// Name order with numeric suffixes compared as numbers: `demo-2` before `demo-10`.
pub(crate) fn name_order(a: &str, b: &str) -> Ordering {
    fn key(name: &str) -> (&str, Option<u64>, &str) {
        let prefix = name.trim_end_matches(|c: char| c.is_ascii_digit());
        (prefix, name.get(prefix.len()..).and_then(|digits| digits.parse().ok()), name)
    }
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn v(text: &str) -> EtcdVersion {
        text.parse().expect("test version parses")
    }

    fn member(name: &str, version: &str, role: MemberRole) -> ObservedMember {
        ObservedMember {
            name: name.to_string(),
            id: Some(format!("{:016x}", name.len())),
            version: Some(v(version)),
            role,
            healthy: true,
        }
    }

    /// `demo-0` (follower), `demo-1` (leader), `demo-2` (follower), all at `version`.
    fn three(version: &str, target: &str) -> UpgradeInput {
        input(
            vec![
                member("demo-0", version, MemberRole::Follower),
                member("demo-1", version, MemberRole::Leader),
                member("demo-2", version, MemberRole::Follower),
            ],
            target,
        )
    }

    fn input(members: Vec<ObservedMember>, target: &str) -> UpgradeInput {
        UpgradeInput {
            members,
            target: v(target),
            force: false,
            backup_configured: false,
            snapshot_taken: false,
            storage: StorageKind::Persistent,
        }
    }

    /// The steps, one short line each.
    fn summary(plan: &UpgradePlan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|step| match step {
                PlanStep::CheckPath { from, to } => format!("check {from} -> {to}"),
                PlanStep::Snapshot { .. } => "snapshot".to_string(),
                PlanStep::MoveLeader { from, to } => format!("move leader {from} -> {to}"),
                PlanStep::UpgradeMember { member, from, to, replace, .. } => {
                    format!("{member} {from} -> {to} {replace:?}")
                }
            })
            .collect()
    }

    /// What the cluster looks like once `step` has been carried out. A replaced member
    /// keeps its name here.
    fn apply(input: &mut UpgradeInput, step: &PlanStep) {
        fn find<'a>(members: &'a mut [ObservedMember], name: &str) -> &'a mut ObservedMember {
            members.iter_mut().find(|m| m.name == name).expect("the step names a member")
        }
        match step {
            PlanStep::CheckPath { .. } => {}
            PlanStep::Snapshot { .. } => input.snapshot_taken = true,
            PlanStep::MoveLeader { from, to } => {
                find(&mut input.members, from).role = MemberRole::Follower;
                find(&mut input.members, to).role = MemberRole::Leader;
            }
            PlanStep::UpgradeMember { member, to, .. } => {
                find(&mut input.members, member).version = Some(*to)
            }
        }
    }

    /// Carries out the first step of a fresh plan, again and again, and returns the steps
    /// carried out: they must be the original plan's steps after `CheckPath`.
    fn replan_until_done(input: &UpgradeInput) -> Vec<PlanStep> {
        let mut state = input.clone();
        let mut done = Vec::new();
        loop {
            let plan = plan_upgrade(&state).expect("a plan while the upgrade is under way");
            assert!(matches!(plan.steps.first(), Some(PlanStep::CheckPath { .. })));
            let Some(next) = plan.steps.get(1) else { return done };
            apply(&mut state, next);
            done.push(next.clone());
            assert!(done.len() <= 100, "re-planning does not converge: {done:?}");
        }
    }

    #[test]
    fn minor_upgrade_goes_followers_first_leader_last() {
        let plan = plan_upgrade(&three("3.4.23", "3.5.16")).expect("plan");
        assert_eq!(plan.from, v("3.4.23"));
        assert_eq!(plan.path, vec![v("3.5.16")]);
        assert_eq!(plan.refused, None);
        assert_eq!(
            summary(&plan),
            [
                "check 3.4.23 -> 3.5.16",
                "demo-0 3.4.23 -> 3.5.16 InPlace",
                "demo-2 3.4.23 -> 3.5.16 InPlace",
                "move leader demo-1 -> demo-0",
                "demo-1 3.4.23 -> 3.5.16 InPlace",
            ]
        );
        let PlanStep::UpgradeMember { gate, .. } = &plan.steps[1] else { panic!("an upgrade step") };
        assert_eq!(
            gate.description,
            "demo-0 healthy, caught up (raft index within 1000 of the leader) and reporting 3.5.16; all \
             members healthy"
        );
    }

    #[test]
    fn one_minor_step_to_a_later_patch() {
        let plan = plan_upgrade(&three("3.4.23", "3.5.30")).expect("plan");
        assert_eq!(plan.path, vec![v("3.5.30")]);
        assert_eq!(summary(&plan).len(), 5);
    }

    #[test]
    fn patch_downgrade_is_allowed() {
        let plan = plan_upgrade(&three("3.5.30", "3.5.16")).expect("plan");
        assert_eq!(plan.path, vec![v("3.5.16")]);
        assert_eq!(summary(&plan)[4], "demo-1 3.5.30 -> 3.5.16 InPlace");
        assert_eq!(replan_until_done(&three("3.5.30", "3.5.16")), plan.steps[1..]);
    }

    #[test]
    fn downgrade_across_minor_is_refused() {
        let error = plan_upgrade(&three("3.5.30", "3.4.23")).expect_err("refused");
        assert!(matches!(error, PlanError::Path(PathError::DowngradeAcrossMinor { .. })));
        assert!(error.to_string().contains("restore a 3.4 snapshot into a new cluster"), "{error}");
    }

    #[test]
    fn a_partial_minor_upgrade_can_be_rolled_back_member_by_member() {
        // demo-0 and demo-2 already run 3.5.30, the leader still 3.4.23: the cluster is 3.4.
        let mut input = three("3.4.23", "3.4.23");
        input.members[0].version = Some(v("3.5.30"));
        input.members[2].version = Some(v("3.5.30"));
        let plan = plan_upgrade(&input).expect("a rollback etcd allows");
        assert_eq!(
            summary(&plan),
            ["check 3.4.23 -> 3.4.23", "demo-0 3.5.30 -> 3.4.23 InPlace", "demo-2 3.5.30 -> 3.4.23 InPlace"]
        );
        assert_eq!(replan_until_done(&input), plan.steps[1..]);
        // Once every member runs 3.5 the cluster is 3.5, and there is no way back.
        let error = plan_upgrade(&three("3.5.30", "3.4.23")).expect_err("refused");
        assert!(matches!(error, PlanError::Path(PathError::DowngradeAcrossMinor { .. })), "{error}");
    }

    #[test]
    fn malformed_versions_are_refused() {
        let mut json = serde_json::to_value(three("3.4.23", "3.5.16")).expect("serializes");
        json["target"] = "3.5".into();
        let error = serde_json::from_value::<UpgradeInput>(json.clone()).expect_err("refused");
        assert!(error.to_string().contains("\"3.5\" is not an etcd version"), "{error}");
        json["target"] = "3.5.16".into();
        json["members"][0]["version"] = "latest".into();
        assert!(serde_json::from_value::<UpgradeInput>(json).is_err());
    }

    #[test]
    fn two_minors_up_is_two_rounds_each_leader_last() {
        let input = three("3.4.23", "3.6.0");
        let plan = plan_upgrade(&input).expect("plan");
        // The 3.5 stop is the patch etcd's 3.6 upgrade guide asks for, not the newest tested.
        assert_eq!(plan.path, vec![v("3.5.32"), v("3.6.0")]);
        assert_eq!(
            summary(&plan),
            [
                "check 3.4.23 -> 3.6.0",
                "demo-0 3.4.23 -> 3.5.32 InPlace",
                "demo-2 3.4.23 -> 3.5.32 InPlace",
                "move leader demo-1 -> demo-0",
                "demo-1 3.4.23 -> 3.5.32 InPlace",
                "demo-1 3.5.32 -> 3.6.0 InPlace",
                "demo-2 3.5.32 -> 3.6.0 InPlace",
                "move leader demo-0 -> demo-1",
                "demo-0 3.5.32 -> 3.6.0 InPlace",
            ]
        );
        assert_eq!(replan_until_done(&input), plan.steps[1..]);
    }

    #[test]
    fn unsupported_minor_needs_force() {
        let mut input = three("3.6.0", "3.7.0");
        let error = plan_upgrade(&input).expect_err("refused");
        assert_eq!(error, PlanError::Path(PathError::UnsupportedMinor { to: v("3.7.0") }));
        input.force = true;
        let plan = plan_upgrade(&input).expect("forced");
        assert_eq!(plan.path, vec![v("3.7.0")]);
        assert_eq!(summary(&plan)[4], "demo-1 3.6.0 -> 3.7.0 InPlace");
    }

    #[test]
    fn snapshot_comes_before_any_member_changes() {
        let mut input = three("3.4.23", "3.5.16");
        input.backup_configured = true;
        let plan = plan_upgrade(&input).expect("plan");
        assert_eq!(
            summary(&plan)[..3],
            ["check 3.4.23 -> 3.5.16", "snapshot", "demo-0 3.4.23 -> 3.5.16 InPlace"]
        );
        let PlanStep::Snapshot { reason } = &plan.steps[1] else { panic!("a snapshot step") };
        assert!(reason.contains("3.4.23 -> 3.5.16"), "{reason}");
        assert_eq!(replan_until_done(&input), plan.steps[1..]);

        input.snapshot_taken = true;
        let plan = plan_upgrade(&input).expect("plan");
        assert!(!plan.steps.iter().any(|s| matches!(s, PlanStep::Snapshot { .. })));

        // Nothing to change, nothing to back up.
        let mut done = three("3.5.16", "3.5.16");
        done.backup_configured = true;
        assert_eq!(summary(&plan_upgrade(&done).expect("plan")), ["check 3.5.16 -> 3.5.16"]);
    }

    #[test]
    fn unhealthy_member_refuses_the_plan() {
        let mut input = three("3.4.23", "3.5.16");
        input.members[2].healthy = false;
        let error = plan_upgrade(&input).expect_err("refused");
        assert_eq!(error, PlanError::Unhealthy { members: vec!["demo-2".to_string()] });
        assert!(error.to_string().contains("(demo-2): fix or replace the unhealthy member first"), "{error}");

        let preview = preview_upgrade(&input).expect("a preview");
        assert_eq!(preview.refused, Some(error.to_string()));
        assert_eq!(preview.steps.len(), 5);
    }

    #[test]
    fn lost_quorum_refuses_even_a_preview() {
        let mut input = three("3.4.23", "3.5.16");
        input.members[0].healthy = false;
        input.members[2].healthy = false;
        let error = preview_upgrade(&input).expect_err("refused");
        assert_eq!(
            error,
            PlanError::NoQuorum {
                healthy: 1,
                voters: 3,
                unhealthy: vec!["demo-0".to_string(), "demo-2".to_string()]
            }
        );
        assert!(error.to_string().contains("restore a backup"), "{error}");
        assert_eq!(plan_upgrade(&input), Err(error));
    }

    #[test]
    fn a_cluster_at_the_target_needs_nothing_even_when_unhealthy() {
        let mut input = three("3.5.30", "3.5.30");
        input.members[0].healthy = false;
        let plan = plan_upgrade(&input).expect("plan");
        assert!(!plan.changes_members());
        assert_eq!(plan.path, vec![]);
        assert_eq!(summary(&plan), ["check 3.5.30 -> 3.5.30"]);
    }

    #[test]
    fn ephemeral_storage_replaces_members_with_learners() {
        let mut input = three("3.4.23", "3.5.16");
        input.storage = StorageKind::Ephemeral;
        input.members.push(member("demo-3", "3.4.23", MemberRole::Learner));
        let plan = plan_upgrade(&input).expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "check 3.4.23 -> 3.5.16",
                "demo-0 3.4.23 -> 3.5.16 ReplaceWithLearner",
                "demo-2 3.4.23 -> 3.5.16 ReplaceWithLearner",
                "demo-3 3.4.23 -> 3.5.16 ReplaceWithLearner",
                "move leader demo-1 -> demo-0",
                "demo-1 3.4.23 -> 3.5.16 ReplaceWithLearner",
            ]
        );
        let gates: Vec<&str> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                PlanStep::UpgradeMember { gate, .. } => Some(gate.description.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            gates[0].starts_with("the new member replacing demo-0 promoted to voter, healthy"),
            "{}",
            gates[0]
        );
        assert!(gates[0].contains("demo-0 removed"), "{}", gates[0]);
        assert!(gates[2].starts_with("the new learner replacing demo-3 healthy"), "{}", gates[2]);
    }

    #[test]
    fn single_member_has_no_move_leader() {
        let plan = plan_upgrade(&input(vec![member("solo-0", "3.5.16", MemberRole::Leader)], "3.5.30"))
            .expect("plan");
        assert_eq!(summary(&plan), ["check 3.5.16 -> 3.5.30", "solo-0 3.5.16 -> 3.5.30 InPlace"]);
    }

    #[test]
    fn learners_never_take_leadership() {
        let members = vec![
            member("demo-0", "3.5.16", MemberRole::Learner),
            member("demo-1", "3.5.16", MemberRole::Leader),
        ];
        let plan = plan_upgrade(&input(members, "3.5.30")).expect("plan");
        assert_eq!(
            summary(&plan),
            ["check 3.5.16 -> 3.5.30", "demo-0 3.5.16 -> 3.5.30 InPlace", "demo-1 3.5.16 -> 3.5.30 InPlace"]
        );
    }

    #[test]
    fn names_sort_numerically_and_input_order_does_not_matter() {
        let members = vec![
            member("demo-10", "3.5.16", MemberRole::Follower),
            member("demo-2", "3.5.16", MemberRole::Leader),
            member("demo-9", "3.5.16", MemberRole::Follower),
        ];
        let plan = plan_upgrade(&input(members, "3.5.30")).expect("plan");
        assert_eq!(
            summary(&plan)[1..],
            [
                "demo-9 3.5.16 -> 3.5.30 InPlace",
                "demo-10 3.5.16 -> 3.5.30 InPlace",
                "move leader demo-2 -> demo-9",
                "demo-2 3.5.16 -> 3.5.30 InPlace",
            ]
        );
    }

    #[test]
    fn members_already_at_the_target_are_skipped() {
        let mut input = three("3.4.23", "3.5.16");
        input.members[0].version = Some(v("3.5.16"));
        let plan = plan_upgrade(&input).expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "check 3.4.23 -> 3.5.16",
                "demo-2 3.4.23 -> 3.5.16 InPlace",
                "move leader demo-1 -> demo-0",
                "demo-1 3.4.23 -> 3.5.16 InPlace",
            ]
        );
    }

    #[test]
    fn observations_that_cannot_be_planned() {
        assert_eq!(plan_upgrade(&input(vec![], "3.5.16")), Err(PlanError::NoMembers));

        let mut unknown = three("3.4.23", "3.5.16");
        unknown.members[1].version = None;
        assert_eq!(plan_upgrade(&unknown), Err(PlanError::UnknownVersion { members: vec!["demo-1".into()] }));

        let mut leaderless = three("3.4.23", "3.5.16");
        leaderless.members[1].role = MemberRole::Follower;
        assert_eq!(plan_upgrade(&leaderless), Err(PlanError::NoLeader));

        let mut two_leaders = three("3.4.23", "3.5.16");
        two_leaders.members[0].role = MemberRole::Leader;
        assert_eq!(
            plan_upgrade(&two_leaders),
            Err(PlanError::SeveralLeaders { members: vec!["demo-0".into(), "demo-1".into()] })
        );

        let mut too_mixed = three("3.4.23", "3.6.0");
        too_mixed.members[0].version = Some(v("3.6.0"));
        assert!(matches!(plan_upgrade(&too_mixed), Err(PlanError::MixedVersions(_))));

        // The cluster is at 3.5.16, one member a minor version above it: a partial upgrade
        // etcd lets go back (see a_partial_minor_upgrade_can_be_rolled_back_member_by_member).
        let mut above = three("3.5.16", "3.5.16");
        above.members[2].version = Some(v("3.6.0"));
        assert_eq!(summary(&plan_upgrade(&above).expect("a rollback"))[1], "demo-2 3.6.0 -> 3.5.16 InPlace");

        // Past 3.6, forced: no tested 3.6 version is known to stop at on the way to 3.7.
        let mut skips = three("3.4.23", "3.6.0");
        skips.force = true;
        skips.members[0].version = Some(v("3.5.32"));
        skips.members[1].version = Some(v("3.5.32"));
        skips.members[2].version = Some(v("3.5.32"));
        skips.target = v("3.7.0");
        let error = plan_upgrade(&skips).expect_err("no known 3.6 stop");
        assert!(matches!(error, PlanError::Path(PathError::NoKnownIntermediate { .. })), "{error}");
    }

    #[test]
    fn plans_serialize_with_an_action_tag() {
        let mut input = three("3.4.23", "3.5.16");
        input.backup_configured = true;
        let plan = plan_upgrade(&input).expect("plan");
        let json = serde_json::to_value(&plan).expect("serializes");
        assert_eq!(json["from"], "3.4.23");
        assert!(json.get("refused").is_none());
        assert_eq!(
            json["steps"][0],
            serde_json::json!({"action": "CheckPath", "from": "3.4.23", "to": "3.5.16"})
        );
        assert_eq!(json["steps"][1]["action"], "Snapshot");
        assert_eq!(json["steps"][2]["action"], "UpgradeMember");
        assert_eq!(json["steps"][2]["replace"], "InPlace");
        assert!(json["steps"][2]["gate"]["description"].is_string());
        assert_eq!(
            json["steps"][4],
            serde_json::json!({"action": "MoveLeader", "from": "demo-1", "to": "demo-0"})
        );
        let back: UpgradePlan = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, plan);

        let yaml = serde_yaml::to_string(&input).expect("serializes");
        assert!(yaml.contains("backupConfigured: true"), "{yaml}");
        assert_eq!(serde_yaml::from_str::<UpgradeInput>(&yaml).expect("deserializes"), input);
    }

    /// Upgrades the property tests draw from, as `(from, to)`.
    const SCENARIOS: &[(&str, &str)] = &[
        ("3.4.23", "3.5.16"),
        ("3.4.23", "3.5.30"),
        ("3.4.23", "3.6.0"),
        ("3.4.20", "3.4.23"),
        ("3.5.16", "3.5.30"),
        ("3.5.30", "3.5.16"),
        ("3.5.30", "3.6.0"),
    ];

    /// A healthy cluster of 1 to 9 members, any one of them the leader, some learners,
    /// some members already at the first stop of the path, listed in any order.
    fn healthy_cluster() -> impl Strategy<Value = UpgradeInput> {
        (1usize..=9)
            .prop_flat_map(|size| {
                (
                    0..size,
                    prop::collection::vec((any::<bool>(), any::<bool>()), size),
                    0..SCENARIOS.len(),
                    0..size,
                    any::<bool>(),
                    any::<bool>(),
                )
            })
            .prop_map(|(leader, shapes, scenario, rotation, ephemeral, backup)| {
                let (from, to) = SCENARIOS[scenario];
                let first_stop = version::upgrade_path(v(from), v(to), false).expect("a valid scenario")[0];
                let mut members: Vec<ObservedMember> = shapes
                    .iter()
                    .enumerate()
                    .map(|(i, &(learner, ahead))| {
                        let role = match (i == leader, learner) {
                            (true, _) => MemberRole::Leader,
                            (false, true) => MemberRole::Learner,
                            (false, false) => MemberRole::Follower,
                        };
                        let mut m = member(&format!("demo-{i}"), from, role);
                        if ahead {
                            m.version = Some(first_stop);
                        }
                        m
                    })
                    .collect();
                members.rotate_left(rotation);
                let mut input = input(members, to);
                input.storage = if ephemeral { StorageKind::Ephemeral } else { StorageKind::Persistent };
                input.backup_configured = backup;
                input
            })
    }

    proptest! {
        #[test]
        fn rounds_are_safe(input in healthy_cluster()) {
            let plan = plan_upgrade(&input).expect("a healthy cluster has a plan");
            let voters = input.members.iter().filter(|m| m.role != MemberRole::Learner).count();
            let starts_with_check = matches!(plan.steps[0], PlanStep::CheckPath { .. });
            prop_assert!(starts_with_check, "the plan starts with CheckPath");

            let mut state = input.clone();
            // The round under way: its version, its leader when it started, who changed in it.
            let mut round: Option<(EtcdVersion, String, BTreeSet<String>)> = None;
            let mut moves = 0;
            for (i, step) in plan.steps.iter().enumerate().skip(1) {
                // MoveLeader belongs to the round of the leader's upgrade that follows it.
                let round_version = match (step, plan.steps.get(i + 1)) {
                    (PlanStep::UpgradeMember { to, .. }, _)
                    | (PlanStep::MoveLeader { .. }, Some(PlanStep::UpgradeMember { to, .. })) => Some(*to),
                    (PlanStep::MoveLeader { .. }, _) => {
                        return Err(TestCaseError::fail("MoveLeader is followed by the leader's upgrade"));
                    }
                    _ => None,
                };
                if let Some(version) = round_version
                    && round.as_ref().is_none_or(|(current, ..)| *current != version)
                {
                    if let Some((done, ..)) = &round {
                        for m in &state.members {
                            prop_assert!(m.version >= Some(*done), "{} skipped in round {}", m.name, done);
                        }
                    }
                    let leader = state.members.iter().find(|m| m.role == MemberRole::Leader);
                    round = Some((version, leader.expect("one leader").name.clone(), BTreeSet::new()));
                }
                match step {
                    PlanStep::CheckPath { .. } => prop_assert!(false, "CheckPath comes only first"),
                    PlanStep::Snapshot { .. } => prop_assert_eq!(i, 1, "the snapshot comes first"),
                    PlanStep::MoveLeader { from, to } => {
                        moves += 1;
                        prop_assert!(voters > 1);
                        let (version, leader, _) = round.as_ref().expect("a round");
                        prop_assert_eq!(from, leader);
                        let Some(PlanStep::UpgradeMember { member, .. }) = plan.steps.get(i + 1) else {
                            return Err(TestCaseError::fail("MoveLeader is followed by the leader's upgrade"));
                        };
                        prop_assert_eq!(member, from);
                        let target = state.members.iter().find(|m| &m.name == to).expect("a member");
                        prop_assert_eq!(target.role, MemberRole::Follower);
                        prop_assert!(target.healthy);
                        let upgraded = if *version == input.target {
                            target.version == Some(*version)
                        } else {
                            target.version >= Some(*version)
                        };
                        prop_assert!(upgraded, "{} is not upgraded yet", to);
                    }
                    PlanStep::UpgradeMember { member, to, .. } => {
                        let (_, leader, seen) = round.as_mut().expect("a round");
                        prop_assert!(seen.insert(member.clone()), "{} twice in one round", member);
                        if member == leader {
                            let later = plan.steps[i + 1..].iter().find_map(|s| match s {
                                PlanStep::UpgradeMember { to, .. } => Some(*to),
                                _ => None,
                            });
                            prop_assert!(later != Some(*to), "the leader {} is not last in its round", leader);
                        }
                        let current = state.members.iter().find(|m| &m.name == member).expect("a member");
                        prop_assert!(
                            current.role != MemberRole::Leader || voters == 1,
                            "{} upgraded while leading", member
                        );
                    }
                }
                apply(&mut state, step);
            }
            prop_assert!(moves <= plan.path.len().max(1));
            for m in &state.members {
                prop_assert_eq!(m.version, Some(input.target), "{} not at the target", &m.name);
            }
            // Every member that starts at `from` changes exactly once per round.
            let rounds = plan.path.len();
            let starting = input.members.iter().filter(|m| m.version == Some(plan.from)).count();
            let changes = plan.steps.iter().filter(|s| matches!(s, PlanStep::UpgradeMember { .. })).count();
            prop_assert!(changes >= starting * rounds);
        }

        #[test]
        fn replanning_after_each_step_yields_the_rest(input in healthy_cluster()) {
            let plan = plan_upgrade(&input).expect("a healthy cluster has a plan");
            prop_assert_eq!(replan_until_done(&input), plan.steps[1..].to_vec());
        }
    }
}
