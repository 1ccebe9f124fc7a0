//! The membership planner: from what the operator observes (the cluster's Pods and claims,
//! and etcd's member list) to the one next safe step. Pure: the operator observes, asks this
//! function, carries the step out, and observes again.
//!
//! The rules it encodes:
//! - A new cluster starts all its initial members at once from a static initial cluster.
//!   After that, every new member joins as a learner (`MemberAddAsLearner`), its Pod starts
//!   with `--initial-cluster-state=existing`, and it is promoted once it runs.
//! - One membership change at a time: nothing is added or removed while a learner is
//!   pending or a member is unhealthy.
//! - Nothing ever leaves fewer healthy voting members than a quorum. The leader's
//!   leadership is moved away before it is removed.
//! - A member with persistent storage whose Pod is lost comes back as itself (same Pod
//!   name, same claim). An ephemeral member whose Pod is lost is removed, then replaced
//!   by a new learner.
//! - Without quorum, nothing destructive: only Pods of known persistent members are
//!   recreated (which may bring quorum back); everything else waits for a human.
//!
//! Crash safety: every step can be derived again from what is observable after it. A
//! member added without its Pod yet shows in the member list with its peer URL and no
//! name, and gets its Pod. A Pod whose member was removed gets deleted. So an operator
//! killed between any two steps carries on where it stopped, with no phantom member.

use serde::{Deserialize, Serialize};

use crate::crd::StorageKind;
use crate::names;

/// A member Pod as the operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodView {
    /// Pod (and member) name.
    pub name: String,
    /// Its etcd container is running.
    pub running: bool,
    /// The Pod is being deleted.
    pub deleting: bool,
}

/// An etcd member as the member list and a health check show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    /// etcd member ID.
    pub id: u64,
    /// Member name; empty for a member added but not started yet.
    pub name: String,
    /// Its first peer URL.
    pub peer_url: String,
    /// A learner (not voting yet).
    pub learner: bool,
    /// It answers a status request.
    pub healthy: bool,
    /// It is the raft leader.
    pub leader: bool,
}

/// Everything the planner looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipInput {
    /// Cluster name.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// `spec.size`.
    pub desired_size: usize,
    /// `spec.paused`.
    pub paused: bool,
    /// `spec.storage.kind`.
    pub storage: StorageKind,
    /// The cluster has formed before (its ID is in status, or etcd answered): it is never
    /// bootstrapped again.
    pub bootstrapped: bool,
    /// `spec.bootstrap.fromSnapshot` is set: only the first member is bootstrapped (from the
    /// snapshot); the others join one learner at a time and copy the data from it.
    #[serde(default)]
    pub seed_from_snapshot: bool,
    /// The cluster's member Pods.
    pub pods: Vec<PodView>,
    /// Names of the cluster's member claims.
    pub claims: Vec<String>,
    /// etcd's member list; `None` when no member answered.
    pub members: Option<Vec<MemberView>>,
}

/// Whether a member Pod starts a new cluster or joins an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InitialState {
    /// One of the initial members of a new cluster.
    New,
    /// A member joining a running cluster (or coming back with its data).
    Existing,
}

impl InitialState {
    /// The flag and annotation value: `new` or `existing`.
    pub fn as_str(self) -> &'static str {
        match self {
            InitialState::New => "new",
            InitialState::Existing => "existing",
        }
    }

    /// The state named by `value` (`new` or `existing`), if it is one.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "new" => Some(InitialState::New),
            "existing" => Some(InitialState::Existing),
            _ => None,
        }
    }
}

/// Why the planner will not go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Fewer healthy voting members than a quorum: only a restore helps.
    QuorumLost,
    /// The next step would leave fewer healthy voting members than a quorum.
    WouldBreakQuorum,
}

/// The one next step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum Step {
    /// Nothing to do: the cluster has its size and every member runs.
    Idle,
    /// `spec.paused`: nothing is changed. `pending` says what would be done.
    Paused {
        /// The step that waits for resume.
        pending: Box<Step>,
    },
    /// Something is under way (Pods starting, a learner starting); look again soon.
    Wait {
        /// What is awaited.
        reason: String,
    },
    /// Create the Pods (and claims) of these initial members of a new cluster, all with
    /// the same static initial cluster.
    Bootstrap {
        /// The initial members whose Pods are missing.
        missing: Vec<String>,
        /// The initial cluster: every initial member and its peer URL.
        initial_cluster: Vec<(String, String)>,
    },
    /// Create a member's Pod (and claim): a learner just added, or a persistent member
    /// whose Pod was lost.
    CreatePod {
        /// The member.
        member: String,
        /// New for an initial member, Existing otherwise.
        state: InitialState,
        /// The initial cluster the Pod is started with.
        initial_cluster: Vec<(String, String)>,
    },
    /// Add a member as a learner (`MemberAddAsLearner`); its Pod follows.
    AddLearner {
        /// The new member's name.
        member: String,
        /// Its peer URL.
        peer_url: String,
    },
    /// Promote a running learner to a voting member (etcd refuses while it is behind:
    /// retry).
    PromoteLearner {
        /// Its ID.
        id: u64,
        /// Its name.
        member: String,
    },
    /// Move leadership to another voting member before the leader is removed.
    MoveLeader {
        /// The new leader's ID.
        to_id: u64,
        /// The new leader's name.
        to: String,
        /// The leader being relieved.
        from: String,
    },
    /// Remove a member from etcd; its Pod and claim are deleted after.
    RemoveMember {
        /// Its ID.
        id: u64,
        /// Its name.
        member: String,
        /// Why.
        reason: String,
    },
    /// Delete the Pod (and, with `claim`, the claim) of a member that is no longer in
    /// the cluster.
    DeletePod {
        /// The member.
        member: String,
        /// Delete its claim too (persistent storage), so a later member of the same name
        /// starts empty.
        claim: bool,
    },
    /// Nothing safe can be done; a human must act.
    Refuse {
        /// Why.
        reason: Refusal,
        /// What happened and what to do.
        message: String,
    },
}

/// The smallest number of voting members that is a majority of `voters`.
pub fn quorum(voters: usize) -> usize {
    voters / 2 + 1
}

/// The next safe step for a cluster.
pub fn plan_membership(input: &MembershipInput) -> Step {
    let step = next_step(input);
    if input.paused && step != Step::Idle {
        return Step::Paused { pending: Box::new(step) };
    }
    step
}

fn next_step(input: &MembershipInput) -> Step {
    let view = View::new(input);
    if !input.bootstrapped {
        return view.bootstrap();
    }
    match &input.members {
        None => view.without_etcd(),
        Some(members) => view.with_members(members),
    }
}

/// The input with the lookups the rules need.
struct View<'a> {
    input: &'a MembershipInput,
}

impl<'a> View<'a> {
    fn new(input: &'a MembershipInput) -> Self {
        View { input }
    }

    fn pod(&self, member: &str) -> Option<&'a PodView> {
        self.input.pods.iter().find(|p| p.name == member)
    }

    fn has_claim(&self, member: &str) -> bool {
        self.input.claims.iter().any(|c| *c == names::claim_name(member))
    }

    fn persistent(&self) -> bool {
        self.input.storage == StorageKind::Persistent
    }

    fn peer_url(&self, member: &str) -> String {
        names::peer_url(member, &self.input.cluster, &self.input.namespace)
    }

    /// A member's name: its own, or for a member not started yet, the one in its peer URL.
    fn name_of(&self, member: &MemberView) -> Option<String> {
        if !member.name.is_empty() {
            return Some(member.name.clone());
        }
        names::member_of_peer_url(&member.peer_url, &self.input.cluster, &self.input.namespace)
    }

    fn initial_cluster_of(&self, members: &[MemberView]) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> =
            members.iter().filter_map(|m| self.name_of(m).map(|name| (name, m.peer_url.clone()))).collect();
        list.sort_by_key(|(name, _)| names::member_index(&self.input.cluster, name).unwrap_or(usize::MAX));
        list
    }

    /// A new cluster: every initial member's Pod, all at once; a cluster seeded from a
    /// snapshot starts its first member alone.
    fn bootstrap(&self) -> Step {
        let initial_size = if self.input.seed_from_snapshot { 1 } else { self.input.desired_size };
        let initial: Vec<String> =
            (0..initial_size).map(|i| names::member_name(&self.input.cluster, i)).collect();
        let missing: Vec<String> = initial.iter().filter(|m| self.pod(m).is_none()).cloned().collect();
        if missing.is_empty() {
            return Step::Wait { reason: format!("the {} initial members are starting", initial.len()) };
        }
        let initial_cluster = initial.iter().map(|m| (m.clone(), self.peer_url(m))).collect();
        Step::Bootstrap { missing, initial_cluster }
    }

    /// No member answers. Recreating lost Pods of persistent members is safe (they come
    /// back with their data and may restore quorum); anything else waits for a human.
    fn without_etcd(&self) -> Step {
        let known: Vec<String> = self
            .input
            .claims
            .iter()
            .filter_map(|c| c.strip_prefix("data-"))
            .filter(|m| names::member_index(&self.input.cluster, m).is_some())
            .map(String::from)
            .collect();
        if self.persistent()
            && let Some(lost) = known.iter().find(|m| self.pod(m).is_none())
        {
            let initial_cluster = known.iter().map(|m| (m.clone(), self.peer_url(m))).collect();
            return Step::CreatePod { member: lost.clone(), state: InitialState::Existing, initial_cluster };
        }
        if self.input.pods.iter().any(|p| !p.running && !p.deleting) {
            return Step::Wait { reason: "member Pods are starting; no member answers yet".into() };
        }
        Step::Refuse {
            reason: Refusal::QuorumLost,
            message: format!(
                "no member of {} answers: the cluster has lost quorum and its data cannot be reached; \
                 nothing will be changed. Restore the newest backup into a new cluster with \
                 `kubectl etcd restore NEWNAME --from BACKUP`",
                self.input.cluster
            ),
        }
    }

    fn with_members(&self, members: &[MemberView]) -> Step {
        let voters: Vec<&MemberView> = members.iter().filter(|m| !m.learner).collect();
        let healthy_voters = voters.iter().filter(|m| m.healthy).count();
        let has_quorum = healthy_voters >= quorum(voters.len());
        let quorum_lost = || Step::Refuse {
            reason: Refusal::QuorumLost,
            message: format!(
                "only {healthy_voters} of {} voting members of {} are healthy, fewer than the {} a quorum \
                 needs: nothing destructive will be done. If the members do not come back, restore the \
                 newest backup into a new cluster with `kubectl etcd restore NEWNAME --from BACKUP`",
                voters.len(),
                self.input.cluster,
                quorum(voters.len())
            ),
        };

        // 1. Members without a Pod.
        for member in members {
            let Some(name) = self.name_of(member) else { continue };
            if self.pod(&name).is_some() {
                continue;
            }
            let started = !member.name.is_empty();
            if !started || (self.persistent() && self.has_claim(&name)) {
                // A member just added (its Pod was never made), or a persistent member
                // whose Pod was lost: its Pod comes (back) with the same name.
                let initial_cluster = self.initial_cluster_of(members);
                return Step::CreatePod { member: name, state: InitialState::Existing, initial_cluster };
            }
            // An ephemeral member whose Pod is gone took its data with it: remove it, a new
            // learner replaces it. Only once etcd sees it down: a member that still looks
            // healthy (or leads) has just gone, and removing the leader is never done.
            if member.healthy || member.leader {
                return Step::Wait {
                    reason: format!("{name}'s Pod is gone; waiting for etcd to see it down"),
                };
            }
            // Removing an unhealthy member never lowers the healthy count, but the rest
            // must still hold quorum among themselves.
            let remaining_voters = voters.len() - usize::from(!member.learner);
            let remaining_healthy = healthy_voters - usize::from(!member.learner && member.healthy);
            if remaining_healthy < quorum(remaining_voters) {
                return quorum_lost();
            }
            return Step::RemoveMember {
                id: member.id,
                member: name,
                reason: "its Pod and its (ephemeral) data are gone; a new member will replace it".into(),
            };
        }

        if !has_quorum {
            return quorum_lost();
        }

        // 2. A pending learner: promote it once it runs.
        if let Some(learner) = members.iter().find(|m| m.learner) {
            let name = self.name_of(learner).unwrap_or_default();
            let running = self.pod(&name).is_some_and(|p| p.running && !p.deleting);
            if running && !learner.name.is_empty() {
                return Step::PromoteLearner { id: learner.id, member: name };
            }
            return Step::Wait { reason: format!("learner {name} is starting") };
        }

        // 3. Pods whose member is no longer in the cluster.
        let in_cluster: Vec<String> = members.iter().filter_map(|m| self.name_of(m)).collect();
        if let Some(orphan) = self.input.pods.iter().find(|p| !p.deleting && !in_cluster.contains(&p.name)) {
            return Step::DeletePod { member: orphan.name.clone(), claim: self.persistent() };
        }
        if self.input.pods.iter().any(|p| p.deleting) {
            return Step::Wait { reason: "a removed member's Pod is terminating".into() };
        }

        // 4. Size changes, one member at a time, only when every member is healthy.
        if members.iter().any(|m| !m.healthy) {
            let unhealthy: Vec<String> =
                members.iter().filter(|m| !m.healthy).filter_map(|m| self.name_of(m)).collect();
            return Step::Wait { reason: format!("waiting for {} to become healthy", unhealthy.join(", ")) };
        }
        if members.len() < self.input.desired_size {
            let member = (0..)
                .map(|i| names::member_name(&self.input.cluster, i))
                .find(|name| !in_cluster.contains(name) && self.pod(name).is_none() && !self.has_claim(name))
                .unwrap_or_default();
            let peer_url = self.peer_url(&member);
            return Step::AddLearner { member, peer_url };
        }
        if members.len() > self.input.desired_size {
            return self.shrink(members, &voters);
        }
        Step::Idle
    }

    /// Removes the member with the highest index, moving leadership away first.
    fn shrink(&self, members: &[MemberView], voters: &[&MemberView]) -> Step {
        let index_of =
            |m: &MemberView| self.name_of(m).and_then(|n| names::member_index(&self.input.cluster, &n));
        let Some(victim) = members.iter().max_by_key(|m| index_of(m).unwrap_or(usize::MAX)) else {
            return Step::Idle;
        };
        let name = self.name_of(victim).unwrap_or_default();
        if voters.len() - 1 < quorum(voters.len() - 1) || voters.len() <= 1 {
            return Step::Refuse {
                reason: Refusal::WouldBreakQuorum,
                message: format!(
                    "removing {name} would leave no voting member: a cluster keeps at least one"
                ),
            };
        }
        if victim.leader {
            let successor =
                voters.iter().filter(|m| m.id != victim.id && m.healthy).min_by_key(|m| index_of(m));
            if let Some(successor) = successor {
                return Step::MoveLeader {
                    to_id: successor.id,
                    to: self.name_of(successor).unwrap_or_default(),
                    from: name,
                };
            }
        }
        Step::RemoveMember {
            id: victim.id,
            member: name,
            reason: format!("scaling down to {} members", self.input.desired_size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(size: usize, storage: StorageKind) -> MembershipInput {
        MembershipInput {
            cluster: "demo".into(),
            namespace: "db".into(),
            desired_size: size,
            paused: false,
            storage,
            bootstrapped: true,
            seed_from_snapshot: false,
            pods: vec![],
            claims: vec![],
            members: None,
        }
    }

    fn pod(name: &str) -> PodView {
        PodView { name: name.into(), running: true, deleting: false }
    }

    fn member(i: usize, leader: bool) -> MemberView {
        let name = names::member_name("demo", i);
        MemberView {
            id: 100 + i as u64,
            peer_url: names::peer_url(&name, "demo", "db"),
            name,
            learner: false,
            healthy: true,
            leader,
        }
    }

    /// A healthy running cluster of `n` members, member 0 leading.
    fn running(n: usize, size: usize, storage: StorageKind) -> MembershipInput {
        let mut i = input(size, storage);
        i.members = Some((0..n).map(|k| member(k, k == 0)).collect());
        i.pods = (0..n).map(|k| pod(&names::member_name("demo", k))).collect();
        if storage == StorageKind::Persistent {
            i.claims = (0..n).map(|k| names::claim_name(&names::member_name("demo", k))).collect();
        }
        i
    }

    #[test]
    fn a_new_cluster_starts_all_initial_members_together() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        let Step::Bootstrap { missing, initial_cluster } = plan_membership(&i) else { panic!("bootstrap") };
        assert_eq!(missing, ["demo-0", "demo-1", "demo-2"]);
        assert_eq!(
            initial_cluster[1],
            ("demo-1".into(), "http://demo-1.demo.db.svc.cluster.local:2380".into())
        );
        i.pods = vec![pod("demo-0")];
        let Step::Bootstrap { missing, .. } = plan_membership(&i) else { panic!("carries on after a crash") };
        assert_eq!(missing, ["demo-1", "demo-2"]);
        i.pods = vec![pod("demo-0"), pod("demo-1"), pod("demo-2")];
        assert!(matches!(plan_membership(&i), Step::Wait { .. }));
    }

    #[test]
    fn a_cluster_seeded_from_a_snapshot_starts_one_member_then_grows_by_learners() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        i.seed_from_snapshot = true;
        let Step::Bootstrap { missing, initial_cluster } = plan_membership(&i) else { panic!("bootstrap") };
        assert_eq!(missing, ["demo-0"]);
        assert_eq!(
            initial_cluster,
            [("demo-0".into(), "http://demo-0.demo.db.svc.cluster.local:2380".into())]
        );
        i.pods = vec![pod("demo-0")];
        assert!(matches!(plan_membership(&i), Step::Wait { .. }), "the seed is starting");
        let mut seeded = running(1, 3, StorageKind::Persistent);
        seeded.seed_from_snapshot = true;
        assert!(matches!(plan_membership(&seeded), Step::AddLearner { member, .. } if member == "demo-1"));
    }

    #[test]
    fn a_healthy_cluster_at_size_is_idle() {
        assert_eq!(plan_membership(&running(3, 3, StorageKind::Persistent)), Step::Idle);
    }

    #[test]
    fn growth_is_one_learner_at_a_time() {
        let i = running(3, 5, StorageKind::Persistent);
        assert_eq!(
            plan_membership(&i),
            Step::AddLearner {
                member: "demo-3".into(),
                peer_url: "http://demo-3.demo.db.svc.cluster.local:2380".into()
            }
        );
        // Added, operator killed before the Pod: the member (no name yet) gets its Pod.
        let mut added = i.clone();
        let mut learner = member(3, false);
        learner.name.clear();
        learner.learner = true;
        learner.healthy = false;
        added.members.as_mut().expect("members").push(learner.clone());
        let Step::CreatePod { member: m, state, initial_cluster } = plan_membership(&added) else {
            panic!("pod")
        };
        assert_eq!((m.as_str(), state), ("demo-3", InitialState::Existing));
        assert_eq!(
            initial_cluster.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["demo-0", "demo-1", "demo-2", "demo-3"]
        );
        // Pod made, still starting: wait; then running and started: promote.
        added.pods.push(PodView { running: false, ..pod("demo-3") });
        assert!(matches!(plan_membership(&added), Step::Wait { .. }));
        added.pods.last_mut().expect("pod").running = true;
        if let Some(l) = added.members.as_mut().and_then(|m| m.last_mut()) {
            l.name = "demo-3".into();
            l.healthy = true;
        }
        assert_eq!(plan_membership(&added), Step::PromoteLearner { id: 103, member: "demo-3".into() });
    }

    #[test]
    fn shrinking_moves_leadership_first_and_deletes_pod_and_claim_after() {
        let mut i = running(5, 3, StorageKind::Persistent);
        assert_eq!(
            plan_membership(&i),
            Step::RemoveMember {
                id: 104,
                member: "demo-4".into(),
                reason: "scaling down to 3 members".into()
            }
        );
        if let Some(m) = i.members.as_mut() {
            m[0].leader = false;
            m[4].leader = true;
        }
        assert_eq!(
            plan_membership(&i),
            Step::MoveLeader { to_id: 100, to: "demo-0".into(), from: "demo-4".into() }
        );
        // Removed, operator killed before the Pod went: the Pod (and claim) goes.
        if let Some(m) = i.members.as_mut() {
            m.pop();
        }
        assert_eq!(plan_membership(&i), Step::DeletePod { member: "demo-4".into(), claim: true });
    }

    #[test]
    fn lost_persistent_pod_comes_back_as_the_same_member() {
        let mut i = running(3, 3, StorageKind::Persistent);
        i.pods.remove(1);
        if let Some(m) = i.members.as_mut() {
            m[1].healthy = false;
        }
        let Step::CreatePod { member, state, .. } = plan_membership(&i) else { panic!("recreate") };
        assert_eq!((member.as_str(), state), ("demo-1", InitialState::Existing));
    }

    #[test]
    fn lost_ephemeral_pod_is_removed_then_replaced() {
        let mut i = running(3, 3, StorageKind::Ephemeral);
        i.pods.remove(2);
        if let Some(m) = i.members.as_mut() {
            m[2].healthy = false;
        }
        assert!(matches!(plan_membership(&i), Step::RemoveMember { id: 102, .. }));
        if let Some(m) = i.members.as_mut() {
            m.remove(2);
        }
        assert!(matches!(plan_membership(&i), Step::AddLearner { ref member, .. } if member == "demo-2"));
    }

    #[test]
    fn without_quorum_nothing_destructive_happens() {
        let mut i = running(3, 3, StorageKind::Ephemeral);
        i.pods.truncate(1);
        if let Some(m) = i.members.as_mut() {
            m[1].healthy = false;
            m[2].healthy = false;
        }
        let step = plan_membership(&i);
        assert!(
            matches!(step, Step::Refuse { reason: Refusal::QuorumLost, ref message } if message.contains("kubectl etcd restore")),
            "{step:?}"
        );
        i.members = None;
        assert!(matches!(plan_membership(&i), Step::Refuse { reason: Refusal::QuorumLost, .. }));
        // Persistent members' Pods are recreated even then: they bring their data back.
        let mut p = running(3, 3, StorageKind::Persistent);
        p.pods.clear();
        p.members = None;
        assert!(matches!(plan_membership(&p), Step::CreatePod { ref member, .. } if member == "demo-0"));
    }

    #[test]
    fn nothing_changes_while_a_member_is_unhealthy_or_paused() {
        let mut i = running(3, 5, StorageKind::Persistent);
        if let Some(m) = i.members.as_mut() {
            m[2].healthy = false;
        }
        assert!(matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("demo-2")));
        let mut paused = running(3, 5, StorageKind::Persistent);
        paused.paused = true;
        assert!(
            matches!(plan_membership(&paused), Step::Paused { ref pending } if matches!(**pending, Step::AddLearner { .. }))
        );
        let mut idle = running(3, 3, StorageKind::Persistent);
        idle.paused = true;
        assert_eq!(plan_membership(&idle), Step::Idle);
    }

    #[test]
    fn a_single_member_is_never_removed() {
        let i = running(1, 0, StorageKind::Persistent);
        assert!(matches!(plan_membership(&i), Step::Refuse { reason: Refusal::WouldBreakQuorum, .. }));
    }

    proptest! {
        /// Whatever the observed state, the step never lowers the healthy voters below a
        /// quorum, never adds while a learner is pending, and never adds or removes while a
        /// member is unhealthy (except removing a dead ephemeral member).
        #[test]
        fn steps_never_break_quorum_or_stack_changes(
            n in 1usize..=7,
            size in 1usize..=7,
            leader in 0usize..7,
            unhealthy in proptest::collection::vec(any::<bool>(), 7),
            learner in proptest::option::of(0usize..7),
            lost in proptest::collection::vec(any::<bool>(), 7),
            persistent in any::<bool>(),
        ) {
            let storage = if persistent { StorageKind::Persistent } else { StorageKind::Ephemeral };
            let mut i = running(n, size, storage);
            if let Some(members) = i.members.as_mut() {
                for (k, m) in members.iter_mut().enumerate() {
                    m.leader = k == leader % n;
                    m.healthy = !unhealthy[k];
                    m.learner = learner == Some(k) && k != leader % n;
                }
            }
            i.pods.retain(|p| !lost[names::member_index("demo", &p.name).unwrap_or(0)]);
            let members = i.members.clone().unwrap_or_default();
            let voters = members.iter().filter(|m| !m.learner).count();
            let healthy_voters = members.iter().filter(|m| !m.learner && m.healthy).count();
            match plan_membership(&i) {
                Step::RemoveMember { id, .. } => {
                    let removed = members.iter().find(|m| m.id == id).expect("a known member");
                    let after_voters = voters - usize::from(!removed.learner);
                    let after_healthy = healthy_voters - usize::from(!removed.learner && removed.healthy);
                    prop_assert!(after_voters >= 1);
                    prop_assert!(after_healthy >= quorum(after_voters), "removal breaks quorum");
                    prop_assert!(!removed.leader, "the leader is never removed");
                }
                Step::AddLearner { .. } => {
                    prop_assert!(members.iter().all(|m| !m.learner && m.healthy));
                    prop_assert!(members.len() < size);
                }
                Step::PromoteLearner { id, .. } => {
                    prop_assert!(members.iter().any(|m| m.id == id && m.learner));
                }
                Step::MoveLeader { to_id, .. } => {
                    prop_assert!(members.iter().any(|m| m.id == to_id && m.healthy && !m.learner && !m.leader));
                }
                _ => {}
            }
        }
    }
}
