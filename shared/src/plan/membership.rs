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

use super::rollout;
use super::transport::{self, Transport};
use crate::crd::{MemberRole, StorageKind};
use crate::names;
use crate::version::{self, EtcdVersion};

/// A member Pod as the operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodView {
    /// Pod (and member) name.
    pub name: String,
    /// Its etcd container is running.
    pub running: bool,
    /// Its Ready condition is true: etcd answers the readiness probe (it serves, with a
    /// leader), so the client Service sends it connections.
    #[serde(default)]
    pub ready: bool,
    /// The Pod is being deleted.
    pub deleting: bool,
    /// The etcd version of the Pod's image; `None` when its tag is not a version.
    pub version: Option<EtcdVersion>,
    /// Why its etcd container cannot run (`ErrImagePull: ...`, `CrashLoopBackOff: ...`);
    /// `None` while it runs or is merely starting.
    pub failure: Option<String>,
    /// The etcd settings flags its container runs with (`EtcdSettings::flags`); `None`
    /// when unknown, which never counts as out of date.
    #[serde(default)]
    pub settings: Option<Vec<String>>,
    /// The fingerprint of the certificates it mounted (`CERTIFICATES_ANNOTATION`); `None`
    /// for a plain member, or one made before fingerprints were recorded.
    #[serde(default)]
    pub certificates: Option<String>,
    /// What it serves on its client and peer ports (read from its etcd arguments); `None`
    /// when unknown, which never counts as out of date.
    #[serde(default)]
    pub transport: Option<Transport>,
    /// A seed member's `snapshot restore` was retried after a failed attempt and refused
    /// the staging folder that attempt left behind (a kubelet re-runs only the failed init
    /// container, not the step before it that clears the folder): it can never succeed
    /// in this Pod.
    #[serde(default)]
    pub seed_blocked: bool,
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
    /// The etcd version it reports; `None` when it does not answer.
    pub version: Option<EtcdVersion>,
    /// Its applied raft index; `None` when it does not answer.
    pub raft_index: Option<u64>,
}

impl MemberView {
    /// A learner just added at `peer_url`, as etcd lists it before it starts: no name yet,
    /// not healthy, not leading.
    pub fn added_learner(id: u64, peer_url: &str, version: Option<EtcdVersion>) -> MemberView {
        MemberView {
            id,
            name: String::new(),
            peer_url: peer_url.to_string(),
            learner: true,
            healthy: false,
            leader: false,
            version,
            raft_index: None,
        }
    }

    /// Its raft role: learner, leader or follower.
    pub fn role(&self) -> MemberRole {
        if self.learner {
            MemberRole::Learner
        } else if self.leader {
            MemberRole::Leader
        } else {
            MemberRole::Follower
        }
    }
}

/// How a cluster created from a snapshot gets its data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnapshotSeed {
    /// Not created from a snapshot.
    #[default]
    None,
    /// Every initial member restores the snapshot itself (fetched from a store, checked by
    /// each) with the whole initial cluster, and all start together: etcd's documented
    /// multi-member restore.
    EveryMember,
    /// Only the first member gets the snapshot (uploaded by the plugin); the others join
    /// one learner at a time and copy the data from it.
    FirstMember,
}

fn default_cluster_domain() -> String {
    names::CLUSTER_DOMAIN.to_string()
}

/// Everything the planner looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipInput {
    /// Cluster name.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// The cluster DNS domain peer URLs are written in (`etcd-operator run --cluster-domain`).
    #[serde(default = "default_cluster_domain")]
    pub cluster_domain: String,
    /// `spec.tls` is set: members serve TLS (a running plain cluster is moved to it member
    /// by member, see [`super::transport`]), and new members get `https://` peer URLs once
    /// every member can dial them.
    #[serde(default)]
    pub tls: bool,
    /// `spec.size`.
    pub desired_size: usize,
    /// `spec.paused`.
    pub paused: bool,
    /// `spec.storage.kind`.
    pub storage: StorageKind,
    /// The cluster has formed before (its ID is in status, or etcd answered): it is never
    /// bootstrapped again.
    pub bootstrapped: bool,
    /// How a cluster created from a snapshot (`spec.bootstrap.fromSnapshot`) gets its data.
    #[serde(default)]
    pub snapshot_seed: SnapshotSeed,
    /// The cluster's member Pods.
    pub pods: Vec<PodView>,
    /// Names of the cluster's member claims that hold data (not being deleted).
    pub claims: Vec<String>,
    /// Names of the cluster's member claims being deleted: their data is going, and their
    /// names are not reused until they are gone.
    #[serde(default)]
    pub deleting_claims: Vec<String>,
    /// etcd's member list; `None` when no member answered.
    pub members: Option<Vec<MemberView>>,
    /// The version asked for (`spec.version`).
    pub target: EtcdVersion,
    /// The cluster's `metadata.generation`: it changes with `spec.version`, so it tells one
    /// upgrade to a version from an earlier one to the same version.
    #[serde(default)]
    pub generation: i64,
    /// Allow a target whose minor version the project does not support.
    pub force_version: bool,
    /// The snapshot `spec.backup.beforeUpgrade` asks for before any member changes
    /// version (the EtcdBackup [`names::pre_upgrade_backup_name`] of this target and
    /// generation), as far as it has got; `None` when the spec asks for none.
    #[serde(default)]
    pub pre_upgrade_snapshot: Option<SnapshotState>,
    /// The version the cluster was last seen to run (`status.currentVersion`): what members
    /// come back at when no member answers. `None` for a cluster that never ran.
    #[serde(default)]
    pub last_known_version: Option<EtcdVersion>,
    /// The etcd settings flags the spec asks for (`spec.etcd`, as `EtcdSettings::flags`): a
    /// member whose Pod runs with others is restarted with them, one at a time.
    #[serde(default)]
    pub settings: Vec<String>,
    /// Per member, the fingerprint of the certificates its Secrets hold now
    /// ([`super::certificates::fingerprint`]); empty for a plain cluster. A member whose Pod
    /// mounted others is restarted, one at a time.
    #[serde(default)]
    pub certificates: std::collections::BTreeMap<String, String>,
    /// Members that report a peer they are not connected to (a TLS cluster, from etcd's
    /// `etcd_network_active_peers`): no member is restarted while one is cut off, since a
    /// member restarted at a new address is refused by peers that cannot resolve it yet.
    #[serde(default)]
    pub cut_off: Vec<String>,
}

/// How far the snapshot before an upgrade has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnapshotState {
    /// Not asked for yet.
    NotTaken,
    /// Asked for; being taken.
    Running,
    /// Stored.
    Taken,
    /// It failed, for this reason.
    Failed(String),
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
    /// The version asked for cannot be reached from the version the cluster runs.
    UpgradeRefused,
    /// A new cluster asks for a version it must not start at (under one of etcd's
    /// advisories, or of an unsupported minor version) without force.
    VersionRefused,
    /// The spec asks to turn TLS off, which is not supported.
    TlsRefused,
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
        /// The etcd version they run.
        version: EtcdVersion,
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
        /// The etcd version it runs.
        version: EtcdVersion,
        /// The member comes back on the data of its claim (a persistent member whose Pod
        /// was lost): its claim must still be there, never created empty, since etcd
        /// cannot start a known member on an empty data directory.
        keep_data: bool,
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
    /// Delete the Pod of a seed member whose `snapshot restore` is blocked by a failed
    /// attempt's leftovers ([`PodView::seed_blocked`]), keeping its claim: the Pod made
    /// again runs every seed step from the first, which clears the staging folder and keeps
    /// the verified snapshot file.
    ReseedMember {
        /// The member.
        member: String,
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
    /// Take the snapshot the spec asks for before an upgrade: create the one-shot
    /// EtcdBackup `backup` and wait for it.
    TakeSnapshot {
        /// Name of the EtcdBackup.
        backup: String,
    },
    /// Restart a member in place (same Pod name, same data) with another etcd version: a
    /// step of a rolling upgrade with persistent storage, or the repair of a member whose
    /// new version does not start.
    ChangeVersion {
        /// The member.
        member: String,
        /// The version its Pod runs now, when known.
        from: Option<EtcdVersion>,
        /// The version it runs after.
        to: EtcdVersion,
    },
    /// Restart a member with the etcd settings of the spec (`spec.etcd`): its Pod is
    /// deleted, and comes back on the same data with the new flags (persistent storage).
    ApplySettings {
        /// The member.
        member: String,
    },
    /// Restart a member with the certificates its Secrets hold now (renewed, or a CA
    /// rotation's next phase): its Pod is deleted, and comes back on the same data
    /// mounting them (persistent storage).
    RenewCertificates {
        /// The member.
        member: String,
    },
    /// Turning TLS on: restart a member (its Pod is deleted and comes back on the same
    /// data) serving `to`: HTTPS as well as HTTP with its certificates mounted (phase 1), or
    /// HTTPS only once its peer URL is `https://` (phase 2).
    ChangeTransport {
        /// The member.
        member: String,
        /// What it serves after.
        to: Transport,
    },
    /// Turning TLS on, phase 2: move a member's peer URL to `https://` (`MemberUpdate`); its
    /// Pod is restarted listening on HTTPS right after.
    AdvertiseTls {
        /// Its ID.
        id: u64,
        /// Its name.
        member: String,
        /// Its new peer URL.
        peer_url: String,
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
    if let Some(refusal) =
        transport::refuse_turning_off(input).or_else(|| transport::refuse_turning_on_before_3_5(input))
    {
        return refusal;
    }
    if let Some(blocked) = input.pods.iter().find(|p| p.seed_blocked && !p.deleting) {
        return Step::ReseedMember { member: blocked.name.clone() };
    }
    if !input.bootstrapped {
        return view.bootstrap();
    }
    if let Some(repair) = rollout::repair(input).or_else(|| transport::restart_mislistening(input)) {
        return repair;
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
        let url =
            names::peer_url(member, &self.input.cluster, &self.input.namespace, &self.input.cluster_domain);
        if transport::new_members_secure(self.input) { names::secure_url(&url) } else { url }
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

    /// A new cluster: every initial member's Pod, all at once (each restoring the snapshot
    /// itself when seeded from a store); a cluster seeded by an upload starts its first
    /// member alone.
    fn bootstrap(&self) -> Step {
        let initial_size = match self.input.snapshot_seed {
            SnapshotSeed::FirstMember => 1,
            SnapshotSeed::None | SnapshotSeed::EveryMember => self.input.desired_size,
        };
        let initial: Vec<String> =
            (0..initial_size).map(|i| names::member_name(&self.input.cluster, i)).collect();
        let missing: Vec<String> = initial.iter().filter(|m| self.pod(m).is_none()).cloned().collect();
        if missing.len() == initial.len()
            && let Err(refused) =
                version::check_new_cluster_version(self.input.target, self.input.force_version)
        {
            return Step::Refuse {
                reason: Refusal::VersionRefused,
                message: format!(
                    "{refused}. Nothing was created: set spec.version, or annotate the cluster with {}=true",
                    names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION
                ),
            };
        }
        if missing.is_empty() {
            return Step::Wait { reason: format!("the {} initial members are starting", initial.len()) };
        }
        let initial_cluster = initial.iter().map(|m| (m.clone(), self.peer_url(m))).collect();
        Step::Bootstrap { missing, initial_cluster, version: self.input.target }
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
            return Step::CreatePod {
                member: lost.clone(),
                state: InitialState::Existing,
                initial_cluster,
                version: rollout::running_version(self.input),
                keep_data: true,
            };
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
                // A member just added (its Pod was never made) joins at the rollout's next
                // stop; a persistent member whose Pod was lost comes back with the same name
                // at the version the cluster runs, and the rollout changes it later, gated.
                let initial_cluster = self.initial_cluster_of(members);
                let version = if started {
                    rollout::running_version(self.input)
                } else {
                    rollout::member_version(self.input)
                };
                return Step::CreatePod {
                    member: name,
                    state: InitialState::Existing,
                    initial_cluster,
                    version,
                    keep_data: started,
                };
            }
            // An ephemeral member whose Pod is gone took its data with it: remove it, a new
            // learner replaces it. Only once etcd sees it down: a member that still looks
            // healthy (or leads) has just gone, and removing the leader is never done.
            if member.healthy || member.leader {
                return Step::Wait {
                    reason: format!("{name}'s Pod is gone; waiting for etcd to see it down"),
                };
            }
            // etcd commits the removal only with a quorum of the voters as they are now (a
            // lone survivor of two cannot remove the other), and removing an unhealthy
            // member never lowers the healthy count.
            if !has_quorum {
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
        if let Some(terminating) = self.input.pods.iter().find(|p| p.deleting) {
            let reason = if in_cluster.contains(&terminating.name) {
                format!("{} is restarting: its Pod is terminating", terminating.name)
            } else {
                "a removed member's Pod is terminating".into()
            };
            return Step::Wait { reason };
        }

        // 4. Size changes, one member at a time, only when every member is healthy.
        if members.iter().any(|m| !m.healthy) {
            let unhealthy: Vec<String> =
                members.iter().filter(|m| !m.healthy).filter_map(|m| self.name_of(m)).collect();
            return Step::Wait { reason: format!("waiting for {} to become healthy", unhealthy.join(", ")) };
        }
        if members.len() < self.input.desired_size {
            return self.add_learner(members);
        }
        if members.len() > self.input.desired_size {
            return self.shrink(members, &voters);
        }
        rollout::next(self.input, members, || self.add_learner(members))
    }

    /// Adds a learner under the first free member name.
    fn add_learner(&self, members: &[MemberView]) -> Step {
        let in_cluster: Vec<String> = members.iter().filter_map(|m| self.name_of(m)).collect();
        let member = (0..)
            .map(|i| names::member_name(&self.input.cluster, i))
            .find(|name| {
                !in_cluster.contains(name)
                    && self.pod(name).is_none()
                    && !self.has_claim(name)
                    && !self.input.deleting_claims.contains(&names::claim_name(name))
            })
            .unwrap_or_default();
        let peer_url = self.peer_url(&member);
        Step::AddLearner { member, peer_url }
    }

    /// Removes one member, moving leadership away first. While an upgrade replaces members
    /// (ephemeral storage), the member removed is one still at the old version, followers
    /// first in name order; otherwise the member with the highest index.
    fn shrink(&self, members: &[MemberView], voters: &[&MemberView]) -> Step {
        let index_of =
            |m: &MemberView| self.name_of(m).and_then(|n| names::member_index(&self.input.cluster, &n));
        let rollout_version = rollout::member_version(self.input);
        let outdated = |m: &&MemberView| {
            m.version.is_some_and(|v| v != rollout_version)
                || self.name_of(m).is_some_and(|name| rollout::restart_due(self.input, &name))
        };
        let victim = members
            .iter()
            .filter(outdated)
            .min_by_key(|m| (m.leader, index_of(m).unwrap_or(usize::MAX)))
            .or_else(|| members.iter().max_by_key(|m| index_of(m).unwrap_or(usize::MAX)));
        let Some(victim) = victim else {
            return Step::Idle;
        };
        let name = self.name_of(victim).unwrap_or_default();
        // Every member is healthy here (sizes change only then), so removing one voter
        // keeps a quorum of the rest, unless it is the last voter.
        if voters.len() <= 1 && !victim.learner {
            return Step::Refuse {
                reason: Refusal::WouldBreakQuorum,
                message: format!(
                    "removing {name} would leave no voting member: a cluster keeps at least one"
                ),
            };
        }
        if victim.leader {
            let successor = voters
                .iter()
                .filter(|m| m.id != victim.id && m.healthy)
                .min_by_key(|m| (outdated(m), index_of(m)));
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

/// Planner inputs the planners' tests start from.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// Checks the gate after `demo-1` restarted: no next restart while it is unhealthy, nor
    /// while it lags more than [`super::super::upgrade::CAUGHT_UP_MAX_LAG`] raft entries
    /// behind `demo-0`. Leaves `demo-1` healthy and far behind.
    pub(crate) fn assert_restarts_wait_for_demo_1(i: &mut MembershipInput) {
        let members = i.members.as_mut().expect("members");
        members[1].healthy = false;
        assert!(matches!(plan_membership(i), Step::Wait { ref reason } if reason.contains("demo-1")));
        let members = i.members.as_mut().expect("members");
        members[1].healthy = true;
        members[1].raft_index = Some(10);
        members[0].raft_index = Some(5000);
        assert!(matches!(plan_membership(i), Step::Wait { ref reason } if reason.contains("catching up")));
    }

    /// A bootstrapped cluster `demo` in `db` asking for `size` members at 3.5.30, nothing
    /// observed yet.
    pub(crate) fn input(size: usize, storage: StorageKind) -> MembershipInput {
        MembershipInput {
            cluster: "demo".into(),
            namespace: "db".into(),
            cluster_domain: names::CLUSTER_DOMAIN.into(),
            tls: false,
            desired_size: size,
            paused: false,
            storage,
            bootstrapped: true,
            snapshot_seed: SnapshotSeed::None,
            pods: vec![],
            claims: vec![],
            deleting_claims: vec![],
            members: None,
            target: v("3.5.30"),
            generation: 1,
            force_version: false,
            pre_upgrade_snapshot: None,
            last_known_version: None,
            settings: vec![],
            certificates: Default::default(),
            cut_off: vec![],
        }
    }

    /// A version from its text.
    pub(crate) fn v(text: &str) -> EtcdVersion {
        text.parse().expect("test version parses")
    }

    /// A running Pod at 3.5.30 with the default settings.
    pub(crate) fn pod(name: &str) -> PodView {
        PodView {
            name: name.into(),
            running: true,
            ready: true,
            deleting: false,
            version: Some(v("3.5.30")),
            failure: None,
            settings: Some(vec![]),
            certificates: None,
            transport: Some(Transport::Plain),
            seed_blocked: false,
        }
    }

    /// Member `demo-<i>`, healthy, voting, at 3.5.30.
    pub(crate) fn member(i: usize, leader: bool) -> MemberView {
        let name = names::member_name("demo", i);
        MemberView {
            id: 100 + i as u64,
            peer_url: names::peer_url(&name, "demo", "db", names::CLUSTER_DOMAIN),
            name,
            learner: false,
            healthy: true,
            leader,
            version: Some(v("3.5.30")),
            raft_index: Some(1000),
        }
    }

    /// A healthy running cluster of `n` members, member 0 leading.
    pub(crate) fn running(n: usize, size: usize, storage: StorageKind) -> MembershipInput {
        let mut i = input(size, storage);
        i.members = Some((0..n).map(|k| member(k, k == 0)).collect());
        i.pods = (0..n).map(|k| pod(&names::member_name("demo", k))).collect();
        if storage == StorageKind::Persistent {
            i.claims = (0..n).map(|k| names::claim_name(&names::member_name("demo", k))).collect();
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{assert_restarts_wait_for_demo_1, input, member, pod, running, v};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_new_cluster_starts_all_initial_members_together() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        let Step::Bootstrap { missing, initial_cluster, version } = plan_membership(&i) else {
            panic!("bootstrap")
        };
        assert_eq!(version, v("3.5.30"));
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
    fn a_tls_cluster_names_its_members_by_https_peer_urls() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        i.tls = true;
        let Step::Bootstrap { initial_cluster, .. } = plan_membership(&i) else { panic!("bootstrap") };
        assert_eq!(
            initial_cluster[0],
            ("demo-0".into(), "https://demo-0.demo.db.svc.cluster.local:2380".into())
        );
    }

    #[test]
    fn a_cluster_seeded_from_a_store_starts_every_initial_member_together() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        i.snapshot_seed = SnapshotSeed::EveryMember;
        let Step::Bootstrap { missing, initial_cluster, .. } = plan_membership(&i) else {
            panic!("bootstrap")
        };
        assert_eq!(missing, ["demo-0", "demo-1", "demo-2"]);
        assert_eq!(initial_cluster.len(), 3, "each member restores with the whole initial cluster");
        i.pods = vec![pod("demo-0"), pod("demo-1"), pod("demo-2")];
        assert!(matches!(plan_membership(&i), Step::Wait { .. }), "the members are restoring");
    }

    #[test]
    fn a_seed_blocked_by_a_failed_attempt_is_made_again_and_then_restores() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        i.snapshot_seed = SnapshotSeed::EveryMember;
        let stopped = |name: &str| PodView { running: false, ready: false, ..pod(name) };
        i.pods =
            vec![stopped("demo-0"), PodView { seed_blocked: true, ..stopped("demo-1") }, stopped("demo-2")];
        assert_eq!(plan_membership(&i), Step::ReseedMember { member: "demo-1".into() });
        i.claims = vec!["data-demo-1".into()];
        let mut paused = i.clone();
        paused.paused = true;
        assert!(matches!(plan_membership(&paused), Step::Paused { .. }), "paused clusters wait");
        i.pods[1].deleting = true;
        assert!(matches!(plan_membership(&i), Step::Wait { .. }), "the old Pod goes first");
        i.pods.remove(1);
        let Step::Bootstrap { missing, initial_cluster, .. } = plan_membership(&i) else {
            panic!("the member is seeded again")
        };
        assert_eq!(missing, ["demo-1"]);
        assert_eq!(initial_cluster.len(), 3, "with the same initial cluster as the others");
    }

    #[test]
    fn a_cluster_seeded_by_an_upload_starts_one_member_then_grows_by_learners() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        i.snapshot_seed = SnapshotSeed::FirstMember;
        let Step::Bootstrap { missing, initial_cluster, .. } = plan_membership(&i) else {
            panic!("bootstrap")
        };
        assert_eq!(missing, ["demo-0"]);
        assert_eq!(
            initial_cluster,
            [("demo-0".into(), "http://demo-0.demo.db.svc.cluster.local:2380".into())]
        );
        i.pods = vec![pod("demo-0")];
        assert!(matches!(plan_membership(&i), Step::Wait { .. }), "the seed is starting");
        let mut seeded = running(1, 3, StorageKind::Persistent);
        seeded.snapshot_seed = SnapshotSeed::FirstMember;
        assert!(matches!(plan_membership(&seeded), Step::AddLearner { member, .. } if member == "demo-1"));
    }

    #[test]
    fn learners_are_added_in_the_cluster_domain() {
        let mut i = running(3, 4, StorageKind::Persistent);
        i.cluster_domain = "corp.example".into();
        assert_eq!(
            plan_membership(&i),
            Step::AddLearner {
                member: "demo-3".into(),
                peer_url: "http://demo-3.demo.db.svc.corp.example:2380".into()
            }
        );
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
        let Step::CreatePod { member: m, state, initial_cluster, .. } = plan_membership(&added) else {
            panic!("pod")
        };
        assert_eq!((m.as_str(), state), ("demo-3", InitialState::Existing));
        assert_eq!(
            initial_cluster.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["demo-0", "demo-1", "demo-2", "demo-3"]
        );
        // Pod made, still starting: wait; then running and started: promote.
        added.pods.push(PodView { running: false, ready: false, ..pod("demo-3") });
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
    fn every_pod_lost_comes_back_at_the_version_the_cluster_ran_not_the_target() {
        // A persistent 3.4.23 cluster whose Pods were all lost while spec.version says
        // 3.5.30: no member answers, so no member reports a version. The members come back
        // at the version they last ran (status.currentVersion); the upgrade then goes on one
        // member at a time, with its snapshot and health gates.
        let mut i = at_version(StorageKind::Persistent, "3.4.23", "3.5.30");
        i.pods.clear();
        i.members = None;
        i.claims = (0..3).map(|n| names::claim_name(&names::member_name("demo", n))).collect();
        i.last_known_version = Some(v("3.4.23"));
        let Step::CreatePod { member, version, .. } = plan_membership(&i) else { panic!("recreate") };
        assert_eq!((member.as_str(), version), ("demo-0", v("3.4.23")));
        // A downgrade etcd refuses to start (3.5 -> 3.4) is never how members come back.
        let mut down = at_version(StorageKind::Persistent, "3.5.30", "3.4.23");
        down.pods.clear();
        down.members = None;
        down.claims = i.claims.clone();
        down.last_known_version = Some(v("3.5.30"));
        let Step::CreatePod { version, .. } = plan_membership(&down) else { panic!("recreate") };
        assert_eq!(version, v("3.5.30"));
        // A cluster that never reported a version (none recorded) is a new one: the target.
        i.last_known_version = None;
        let Step::CreatePod { version, .. } = plan_membership(&i) else { panic!("recreate") };
        assert_eq!(version, v("3.5.30"));
    }

    #[test]
    fn a_new_cluster_at_a_version_etcd_advises_against_is_refused_unless_forced() {
        let mut i = input(3, StorageKind::Persistent);
        i.bootstrapped = false;
        i.target = v("3.5.1");
        let Step::Refuse { reason: Refusal::VersionRefused, message } = plan_membership(&i) else {
            panic!("refused: {:?}", plan_membership(&i))
        };
        assert!(
            message.contains("etcd 3.5.1 must not hold data") && message.contains("Choose 3.5.30"),
            "{message}"
        );
        assert!(
            message.contains("Nothing was created") && message.contains("allow-unsupported-version"),
            "{message}"
        );
        i.force_version = true;
        assert!(matches!(plan_membership(&i), Step::Bootstrap { ref missing, .. } if missing.len() == 3));
        i.force_version = false;
        i.target = v("3.5.30");
        assert!(matches!(plan_membership(&i), Step::Bootstrap { .. }));
    }

    #[test]
    fn two_voters_with_one_pod_lost_report_lost_quorum_instead_of_removing() {
        // One of two voters is gone with its data: the other alone is no quorum of two, so
        // etcd cannot commit the removal (it would time out, again and again).
        let mut i = running(2, 2, StorageKind::Ephemeral);
        i.pods.remove(1);
        if let Some(m) = i.members.as_mut() {
            m[1].healthy = false;
        }
        assert!(
            matches!(plan_membership(&i), Step::Refuse { reason: Refusal::QuorumLost, ref message }
                if message.contains("1 of 2 voting members")),
            "{:?}",
            plan_membership(&i)
        );
    }

    #[test]
    fn a_persistent_member_whose_claim_is_going_is_replaced_not_started_empty() {
        let mut i = running(3, 3, StorageKind::Persistent);
        i.claims = (0..3).map(|n| names::claim_name(&names::member_name("demo", n))).collect();
        i.pods.remove(1);
        if let Some(m) = i.members.as_mut() {
            m[1].healthy = false;
        }
        // With its claim: back as itself, on its data.
        assert!(
            matches!(plan_membership(&i), Step::CreatePod { ref member, keep_data: true, .. } if member == "demo-1")
        );
        // Its claim being deleted: its data is going; removed, and its name not reused
        // until the old claim is gone.
        i.claims.retain(|c| c != "data-demo-1");
        i.deleting_claims = vec!["data-demo-1".into()];
        assert!(matches!(plan_membership(&i), Step::RemoveMember { id: 101, .. }));
        if let Some(m) = i.members.as_mut() {
            m.remove(1);
        }
        assert!(matches!(plan_membership(&i), Step::AddLearner { ref member, .. } if member == "demo-3"));
        i.deleting_claims.clear();
        assert!(matches!(plan_membership(&i), Step::AddLearner { ref member, .. } if member == "demo-1"));
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

    /// What the cluster looks like once `step` has been carried out and the members it
    /// touched are running again.
    fn carry_out(i: &mut MembershipInput, step: &Step) {
        let members = i.members.get_or_insert_with(Vec::new);
        match step {
            Step::ChangeVersion { member, to, .. } => {
                let pod = i.pods.iter_mut().find(|p| p.name == *member).expect("the member's pod");
                pod.version = Some(*to);
                pod.failure = None;
                if let Some(m) = members.iter_mut().find(|m| m.name == *member) {
                    m.version = Some(*to);
                }
            }
            Step::MoveLeader { to_id, .. } => members.iter_mut().for_each(|m| m.leader = m.id == *to_id),
            Step::AddLearner { peer_url, .. } => {
                let id = members.iter().map(|m| m.id).max().unwrap_or(99) + 1;
                members.push(MemberView::added_learner(id, peer_url, None));
            }
            Step::CreatePod { member, version, initial_cluster, .. } => {
                let (_, own_url) =
                    initial_cluster.iter().find(|(m, _)| m == member).expect("in its initial cluster");
                i.pods.push(PodView {
                    version: Some(*version),
                    settings: Some(i.settings.clone()),
                    transport: Some(Transport::for_member(i.tls, own_url)),
                    ..pod(member)
                });
                let url = names::peer_url(member, "demo", "db", names::CLUSTER_DOMAIN);
                let m = members
                    .iter_mut()
                    .find(|m| m.peer_url == url || m.peer_url == names::secure_url(&url))
                    .expect("the member was added");
                m.name = member.clone();
                m.healthy = true;
                m.version = Some(*version);
                m.raft_index = Some(1000);
            }
            Step::PromoteLearner { id, .. } => {
                members.iter_mut().filter(|m| m.id == *id).for_each(|m| m.learner = false)
            }
            Step::RemoveMember { id, .. } => members.retain(|m| m.id != *id),
            Step::DeletePod { member, .. } | Step::ReseedMember { member } => {
                i.pods.retain(|p| p.name != *member)
            }
            Step::ApplySettings { member } | Step::ChangeTransport { member, .. } => {
                // The Pod is deleted and made again from the spec, serving what its peer
                // URL says.
                let url = &members.iter().find(|m| m.name == *member).expect("a member").peer_url;
                let transport = Transport::for_member(i.tls, url);
                if let Step::ChangeTransport { to, .. } = step {
                    assert_eq!(*to, transport, "{member} comes back serving what the step says");
                }
                let pod = i.pods.iter_mut().find(|p| p.name == *member).expect("the member's pod");
                pod.settings = Some(i.settings.clone());
                pod.transport = Some(transport);
            }
            Step::AdvertiseTls { id, peer_url, .. } => {
                let m = members.iter_mut().find(|m| m.id == *id).expect("the member");
                m.peer_url = peer_url.clone();
            }
            other => panic!("not a step that changes anything: {other:?}"),
        }
    }

    /// Plans and carries out steps until the planner is idle; returns the steps taken.
    fn run_to_idle(i: &mut MembershipInput) -> Vec<Step> {
        let mut steps = Vec::new();
        loop {
            let step = plan_membership(i);
            if step == Step::Idle {
                return steps;
            }
            carry_out(i, &step);
            assert_peers_reach_each_other(i, &steps);
            let members = i.members.clone().unwrap_or_default();
            assert!(members.iter().filter(|m| m.learner).count() <= 1, "one learner at most: {steps:?}");
            assert!(members.len() <= i.desired_size + 1, "one extra member at most: {steps:?}");
            steps.push(step);
            assert!(steps.len() < 100, "the rollout does not converge: {steps:?}");
        }
    }

    /// What must hold between any two steps while TLS is turned on: no member has an
    /// `https://` peer URL while a Pod serves plain HTTP only (it has no certificate to dial
    /// it with), and at most one member's Pod listens on its peer port with another scheme
    /// than its peers dial (the one just moved, restarted next).
    fn assert_peers_reach_each_other(i: &MembershipInput, steps: &[Step]) {
        let members = i.members.clone().unwrap_or_default();
        let transport_of = |name: &str| i.pods.iter().find(|p| p.name == name).and_then(|p| p.transport);
        let plain_pod = i.pods.iter().any(|p| p.transport == Some(Transport::Plain));
        let secure_url = members.iter().any(|m| m.peer_url.starts_with("https://"));
        assert!(!(plain_pod && secure_url), "an https peer a plain member cannot dial: {steps:?}");
        let mislistening = members
            .iter()
            .filter(|m| {
                transport_of(&m.name)
                    .is_some_and(|t| (t == Transport::Tls) != m.peer_url.starts_with("https://"))
            })
            .count();
        assert!(mislistening <= 1, "{mislistening} members unreachable by their peers: {steps:?}");
    }

    #[test]
    fn persistent_members_turn_tls_on_in_two_rolling_restarts() {
        let mut i = running(3, 3, StorageKind::Persistent);
        i.tls = true;
        let steps: Vec<String> = run_to_idle(&mut i).iter().map(short).collect();
        assert_eq!(
            steps,
            [
                "demo-1 serves Both",
                "demo-2 serves Both",
                "leader demo-0 -> demo-1",
                "demo-0 serves Both",
                "advertise demo-0 https",
                "demo-0 serves Tls",
                "advertise demo-2 https",
                "demo-2 serves Tls",
                "leader demo-1 -> demo-0",
                "advertise demo-1 https",
                "demo-1 serves Tls",
            ]
        );
        assert!(i.pods.iter().all(|p| p.transport == Some(Transport::Tls)));
        assert!(i.members.iter().flatten().all(|m| m.peer_url.starts_with("https://")));
    }

    #[test]
    fn a_member_whose_peer_url_moved_restarts_at_once_even_when_unhealthy() {
        let mut i = running(3, 3, StorageKind::Persistent);
        i.tls = true;
        i.pods.iter_mut().for_each(|p| p.transport = Some(Transport::Both));
        assert_eq!(
            plan_membership(&i),
            Step::AdvertiseTls {
                id: 101,
                member: "demo-1".into(),
                peer_url: "https://demo-1.demo.db.svc.cluster.local:2380".into()
            }
        );
        // Moved: its peers dial https, it listens on http. It may look unhealthy; it is
        // restarted anyway (like a failed Pod), which brings it back.
        let members = i.members.as_mut().expect("members");
        members[1].peer_url = names::secure_url(&members[1].peer_url);
        members[1].healthy = false;
        assert_eq!(
            plan_membership(&i),
            Step::ChangeTransport { member: "demo-1".into(), to: Transport::Tls }
        );
        // An operator restarted here sees the same and does the same: the state is in the
        // Pods and the member list.
        i.pods[1].deleting = true;
        assert!(matches!(plan_membership(&i), Step::Wait { .. }), "{:?}", plan_membership(&i));
    }

    #[test]
    fn no_member_changes_while_one_is_cut_off_from_its_peers() {
        let mut i = running(3, 3, StorageKind::Persistent);
        i.tls = true;
        i.cut_off = vec!["demo-2".into()];
        assert!(matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("demo-2")));
        // A member its peers cannot dial at all is still restarted at once.
        i.pods.iter_mut().for_each(|p| p.transport = Some(Transport::Both));
        let members = i.members.as_mut().expect("members");
        members[1].peer_url = names::secure_url(&members[1].peer_url);
        assert_eq!(
            plan_membership(&i),
            Step::ChangeTransport { member: "demo-1".into(), to: Transport::Tls }
        );
    }

    #[test]
    fn ephemeral_members_turn_tls_on_through_learners_without_restarts() {
        let mut i = running(3, 3, StorageKind::Ephemeral);
        i.tls = true;
        let steps: Vec<String> = run_to_idle(&mut i).iter().map(short).collect();
        assert!(
            steps.iter().all(|s| !s.contains("serves") && !s.starts_with("advertise")),
            "never restarted on an emptyDir, no peer URL moved: {steps:?}"
        );
        assert_eq!(steps.iter().filter(|s| s.starts_with("remove")).count(), 6, "two rounds: {steps:?}");
        assert!(i.pods.iter().all(|p| p.transport == Some(Transport::Tls)), "{:?}", i.pods);
        assert!(i.members.iter().flatten().all(|m| m.peer_url.starts_with("https://")));
        assert_eq!(i.members.as_ref().map(Vec::len), Some(3));
    }

    #[test]
    fn a_member_added_while_tls_is_turned_on_joins_as_its_peers_can_dial_it() {
        let mut i = running(3, 4, StorageKind::Persistent);
        i.tls = true;
        i.pods[2].transport = Some(Transport::Both);
        // Growth comes before the rollout; a Pod still serves plain HTTP only: http.
        assert!(
            matches!(plan_membership(&i), Step::AddLearner { ref peer_url, .. } if peer_url.starts_with("http://"))
        );
        i.pods.iter_mut().for_each(|p| p.transport = Some(Transport::Both));
        assert!(
            matches!(plan_membership(&i), Step::AddLearner { ref peer_url, .. } if peer_url.starts_with("https://"))
        );
        let steps = run_to_idle(&mut i);
        assert_eq!(i.members.as_ref().map(Vec::len), Some(4), "{steps:?}");
        assert!(i.pods.iter().all(|p| p.transport == Some(Transport::Tls)), "{:?}", i.pods);
    }

    #[test]
    fn turning_tls_off_is_refused_and_nothing_changes() {
        let mut i = running(3, 3, StorageKind::Persistent);
        i.pods[0].transport = Some(Transport::Both);
        let step = plan_membership(&i);
        assert!(
            matches!(step, Step::Refuse { reason: Refusal::TlsRefused, ref message } if message.contains("demo-0")),
            "{step:?}"
        );
        i.pods[0].transport = Some(Transport::Plain);
        assert_eq!(plan_membership(&i), Step::Idle, "a plain cluster stays plain");
    }

    #[test]
    fn turning_tls_on_a_3_4_cluster_is_refused_until_spec_version_asks_for_3_5() {
        let mut i = at_version(StorageKind::Persistent, "3.4.23", "3.4.23");
        i.tls = true;
        let step = plan_membership(&i);
        assert!(
            matches!(step, Step::Refuse { reason: Refusal::TlsRefused, ref message } if message.contains("3.5")),
            "{step:?}"
        );
        i.target = v("3.5.30");
        assert!(!matches!(plan_membership(&i), Step::Refuse { .. }), "the upgrade goes on and turns TLS on");
        let mut i = at_version(StorageKind::Persistent, "3.5.30", "3.5.30");
        i.tls = true;
        assert!(!matches!(plan_membership(&i), Step::Refuse { .. }), "3.5 turns TLS on");
    }

    /// A running cluster of 3 at `version`, member 0 leading, asked to move to `target`.
    fn at_version(storage: StorageKind, version: &str, target: &str) -> MembershipInput {
        let mut i = running(3, 3, storage);
        i.target = v(target);
        i.pods.iter_mut().for_each(|p| p.version = Some(v(version)));
        i.members.iter_mut().flatten().for_each(|m| m.version = Some(v(version)));
        i
    }

    fn short(step: &Step) -> String {
        match step {
            Step::ChangeVersion { member, to, .. } => format!("{member} -> {to}"),
            Step::MoveLeader { from, to, .. } => format!("leader {from} -> {to}"),
            Step::AddLearner { member, .. } => format!("add {member}"),
            Step::CreatePod { member, version, .. } => format!("pod {member} {version}"),
            Step::PromoteLearner { member, .. } => format!("promote {member}"),
            Step::RemoveMember { member, .. } => format!("remove {member}"),
            Step::DeletePod { member, .. } => format!("delete pod {member}"),
            Step::ReseedMember { member } => format!("reseed {member}"),
            Step::ApplySettings { member } => format!("settings {member}"),
            Step::ChangeTransport { member, to } => format!("{member} serves {to:?}"),
            Step::AdvertiseTls { member, .. } => format!("advertise {member} https"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn persistent_members_change_version_in_place_followers_first_leader_last() {
        let mut i = at_version(StorageKind::Persistent, "3.4.23", "3.5.30");
        let steps: Vec<String> = run_to_idle(&mut i).iter().map(short).collect();
        assert_eq!(
            steps,
            ["demo-1 -> 3.5.30", "demo-2 -> 3.5.30", "leader demo-0 -> demo-1", "demo-0 -> 3.5.30"]
        );
        assert!(i.members.iter().flatten().all(|m| m.version == Some(v("3.5.30"))));
    }

    #[test]
    fn each_version_change_waits_for_the_member_to_restart_healthy_caught_up_and_ready() {
        let mut i = at_version(StorageKind::Persistent, "3.5.30", "3.5.16");
        assert_eq!(
            plan_membership(&i),
            Step::ChangeVersion { member: "demo-1".into(), from: Some(v("3.5.30")), to: v("3.5.16") }
        );
        // Image changed, the member still answers as the old version: it is restarting.
        i.pods[1].version = Some(v("3.5.16"));
        assert!(matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("restarting")));
        let members = i.members.as_mut().expect("members");
        members[1].healthy = false;
        members[1].version = None;
        assert!(matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("demo-1")));
        let members = i.members.as_mut().expect("members");
        members[1].healthy = true;
        members[1].version = Some(v("3.5.16"));
        members[1].raft_index = Some(10);
        members[0].raft_index = Some(5000);
        assert!(matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("catching up")));
        let members = i.members.as_mut().expect("members");
        members[1].raft_index = Some(4990);
        members[2].raft_index = Some(5000);
        // Caught up and serving, but its Pod's next readiness probe has not run yet: clients
        // through the client Service could not reach it if demo-2 went down now.
        i.pods[1].ready = false;
        assert!(
            matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("demo-1's Pod is not Ready"))
        );
        i.pods[1].ready = true;
        assert_eq!(
            plan_membership(&i),
            Step::ChangeVersion { member: "demo-2".into(), from: Some(v("3.5.30")), to: v("3.5.16") }
        );
    }

    #[test]
    fn ephemeral_members_are_replaced_by_learners_at_the_new_version() {
        let mut i = at_version(StorageKind::Ephemeral, "3.4.23", "3.5.30");
        let steps: Vec<String> = run_to_idle(&mut i).iter().map(short).collect();
        assert_eq!(
            steps,
            [
                "add demo-3",
                "pod demo-3 3.5.30",
                "promote demo-3",
                "remove demo-1",
                "delete pod demo-1",
                "add demo-1",
                "pod demo-1 3.5.30",
                "promote demo-1",
                "remove demo-2",
                "delete pod demo-2",
                "leader demo-0 -> demo-1",
                "add demo-2",
                "pod demo-2 3.5.30",
                "promote demo-2",
                "remove demo-0",
                "delete pod demo-0",
            ]
        );
        assert!(i.members.iter().flatten().all(|m| m.version == Some(v("3.5.30"))));
        assert_eq!(i.members.as_ref().map(Vec::len), Some(3));
    }

    /// A running cluster of 3 whose spec asks for other etcd settings than its Pods run.
    fn with_new_settings(storage: StorageKind) -> MembershipInput {
        let mut i = running(3, 3, storage);
        i.settings = vec!["--snapshot-count=5000".into()];
        i
    }

    #[test]
    fn persistent_members_take_new_settings_followers_first_leader_last() {
        let mut i = with_new_settings(StorageKind::Persistent);
        let steps: Vec<String> = run_to_idle(&mut i).iter().map(short).collect();
        assert_eq!(
            steps,
            ["settings demo-1", "settings demo-2", "leader demo-0 -> demo-1", "settings demo-0"]
        );
    }

    #[test]
    fn a_settings_change_waits_for_the_restarted_member_to_be_healthy_and_caught_up() {
        let mut i = with_new_settings(StorageKind::Persistent);
        i.pods[1].settings = Some(i.settings.clone());
        assert_restarts_wait_for_demo_1(&mut i);
        let members = i.members.as_mut().expect("members");
        members.iter_mut().for_each(|m| m.raft_index = Some(5000));
        assert_eq!(plan_membership(&i), Step::ApplySettings { member: "demo-2".into() });
    }

    #[test]
    fn ephemeral_members_take_new_settings_through_learners() {
        let mut i = with_new_settings(StorageKind::Ephemeral);
        let steps: Vec<String> = run_to_idle(&mut i).iter().map(short).collect();
        assert_eq!(steps.first().map(String::as_str), Some("add demo-3"));
        assert!(
            steps.iter().all(|s| !s.starts_with("settings")),
            "never restarted on an emptyDir: {steps:?}"
        );
        assert_eq!(steps.iter().filter(|s| s.starts_with("remove")).count(), 3, "{steps:?}");
        assert!(i.pods.iter().all(|p| p.settings.as_ref() == Some(&i.settings)));
        assert_eq!(i.members.as_ref().map(Vec::len), Some(3));
    }

    #[test]
    fn pods_whose_settings_are_unknown_or_current_are_left_alone() {
        let mut i = with_new_settings(StorageKind::Persistent);
        i.pods.iter_mut().for_each(|p| p.settings = None);
        assert_eq!(plan_membership(&i), Step::Idle);
        let settings = i.settings.clone();
        i.pods.iter_mut().for_each(|p| p.settings = Some(settings.clone()));
        assert_eq!(plan_membership(&i), Step::Idle);
    }

    #[test]
    fn a_member_that_cannot_start_halts_the_upgrade_until_the_version_is_fixed() {
        let mut i = at_version(StorageKind::Persistent, "3.5.16", "3.5.29");
        assert!(matches!(plan_membership(&i), Step::ChangeVersion { ref member, .. } if member == "demo-1"));
        i.pods[1] = PodView {
            running: false,
            ready: false,
            version: Some(v("3.5.29")),
            failure: Some("ErrImagePull: no such image (3.5.29 is not installed)".into()),
            ..pod("demo-1")
        };
        let members = i.members.as_mut().expect("members");
        members[1].healthy = false;
        members[1].version = None;
        // Halted: nothing else changes while demo-1 is down.
        assert!(matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("demo-1")));
        // The version set back: the failed member is changed back at once.
        i.target = v("3.5.16");
        assert_eq!(
            plan_membership(&i),
            Step::ChangeVersion { member: "demo-1".into(), from: Some(v("3.5.29")), to: v("3.5.16") }
        );
        // Or forward to a version that starts: the failed member first, then the rest.
        i.target = v("3.5.30");
        assert_eq!(
            plan_membership(&i),
            Step::ChangeVersion { member: "demo-1".into(), from: Some(v("3.5.29")), to: v("3.5.30") }
        );
    }

    #[test]
    fn refused_version_changes_change_nothing() {
        let i = at_version(StorageKind::Persistent, "3.5.30", "3.4.23");
        assert!(matches!(
            plan_membership(&i),
            Step::Refuse { reason: Refusal::UpgradeRefused, ref message } if message.contains("3.4.23")
        ));
    }

    #[test]
    fn the_snapshot_the_spec_asks_for_comes_before_any_version_change() {
        let mut i = at_version(StorageKind::Persistent, "3.5.16", "3.5.30");
        i.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        assert_eq!(plan_membership(&i), Step::TakeSnapshot { backup: "demo-before-3-5-30-1".into() });
        i.pre_upgrade_snapshot = Some(SnapshotState::Running);
        assert!(
            matches!(plan_membership(&i), Step::Wait { ref reason } if reason.contains("demo-before-3-5-30-1"))
        );
        i.pre_upgrade_snapshot = Some(SnapshotState::Failed("StoreUnreachable: no route".into()));
        assert!(matches!(
            plan_membership(&i),
            Step::Refuse { reason: Refusal::UpgradeRefused, ref message }
                if message.contains("StoreUnreachable") && message.contains("delete EtcdBackup demo-before-3-5-30-1")
        ));
        i.pre_upgrade_snapshot = Some(SnapshotState::Taken);
        assert!(matches!(plan_membership(&i), Step::ChangeVersion { ref member, .. } if member == "demo-1"));
        // Nothing to change: no snapshot asked for.
        let mut done = at_version(StorageKind::Persistent, "3.5.30", "3.5.30");
        done.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        assert_eq!(plan_membership(&done), Step::Idle);
    }

    /// The state of the snapshot the planner asks for, given the pre-upgrade EtcdBackups
    /// that exist and have Succeeded (the operator looks its name up, `observe`).
    fn snapshot_among(i: &MembershipInput, stored: &[&str]) -> SnapshotState {
        let wanted = names::pre_upgrade_backup_name(&i.cluster, i.target, i.generation);
        if stored.contains(&wanted.as_str()) { SnapshotState::Taken } else { SnapshotState::NotTaken }
    }

    #[test]
    fn a_snapshot_left_from_an_earlier_upgrade_to_the_same_version_is_not_taken_for_a_new_one() {
        // 3.5.16 -> 3.5.30 (generation 2): the snapshot is taken and stored.
        let mut first = at_version(StorageKind::Persistent, "3.5.16", "3.5.30");
        first.generation = 2;
        first.pre_upgrade_snapshot = Some(snapshot_among(&first, &[]));
        let Step::TakeSnapshot { backup: earlier } = plan_membership(&first) else {
            panic!("the first upgrade takes a snapshot: {:?}", plan_membership(&first))
        };
        // Back to 3.5.16 (generation 3), then 3.5.30 again (generation 4): the first
        // upgrade's backup is still there, Succeeded, and holds data from before the first
        // upgrade, not a rollback point of this one.
        let mut again = at_version(StorageKind::Persistent, "3.5.16", "3.5.30");
        again.generation = 4;
        again.pre_upgrade_snapshot = Some(snapshot_among(&again, &[&earlier]));
        let step = plan_membership(&again);
        let Step::TakeSnapshot { backup: fresh } = &step else {
            panic!("a fresh snapshot before any member changes, not {step:?}")
        };
        assert_ne!(fresh, &earlier);
        // Once it is stored, the upgrade goes on.
        again.pre_upgrade_snapshot = Some(snapshot_among(&again, &[&earlier, fresh]));
        assert!(
            matches!(plan_membership(&again), Step::ChangeVersion { .. }),
            "{:?}",
            plan_membership(&again)
        );
    }

    #[test]
    fn an_upgrade_under_way_never_asks_for_a_second_snapshot() {
        // demo-1 already runs the target; the spec changed since (generation 5), so the
        // snapshot of generation 4 is not found under this generation's name.
        let mut i = at_version(StorageKind::Persistent, "3.5.16", "3.5.30");
        i.generation = 5;
        i.pods[1].version = Some(v("3.5.30"));
        i.members
            .iter_mut()
            .flatten()
            .filter(|m| m.name == "demo-1")
            .for_each(|m| m.version = Some(v("3.5.30")));
        i.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        let step = plan_membership(&i);
        assert!(matches!(step, Step::ChangeVersion { ref to, .. } if *to == v("3.5.30")), "{step:?}");
        // A member at a stop on the way counts too (3.4 -> 3.6 through 3.5).
        let mut multi = at_version(StorageKind::Persistent, "3.4.23", "3.6.0");
        let stop = rollout::member_version(&multi);
        multi.pods[1].version = Some(stop);
        multi
            .members
            .iter_mut()
            .flatten()
            .filter(|m| m.name == "demo-1")
            .for_each(|m| m.version = Some(stop));
        multi.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        let step = plan_membership(&multi);
        assert!(matches!(step, Step::ChangeVersion { ref to, .. } if *to == stop), "{step:?}");
        // And moving down a patch version: a member already at the target.
        let mut down = at_version(StorageKind::Persistent, "3.5.30", "3.5.16");
        down.pods[1].version = Some(v("3.5.16"));
        down.members
            .iter_mut()
            .flatten()
            .filter(|m| m.name == "demo-1")
            .for_each(|m| m.version = Some(v("3.5.16")));
        down.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        let step = plan_membership(&down);
        assert!(matches!(step, Step::ChangeVersion { ref to, .. } if *to == v("3.5.16")), "{step:?}");
        // A Pod changed to the target whose member has not restarted yet.
        let mut restarting = at_version(StorageKind::Persistent, "3.5.16", "3.5.30");
        restarting.pods[1].version = Some(v("3.5.30"));
        restarting.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        let step = plan_membership(&restarting);
        assert!(!matches!(step, Step::TakeSnapshot { .. }), "{step:?}");
        // A member at some other version is no sign of this upgrade: the snapshot is taken.
        let mut stray = at_version(StorageKind::Persistent, "3.5.16", "3.5.30");
        stray.pods[1].version = Some(v("3.5.20"));
        stray
            .members
            .iter_mut()
            .flatten()
            .filter(|m| m.name == "demo-1")
            .for_each(|m| m.version = Some(v("3.5.20")));
        stray.pre_upgrade_snapshot = Some(SnapshotState::NotTaken);
        assert!(
            matches!(plan_membership(&stray), Step::TakeSnapshot { .. }),
            "{:?}",
            plan_membership(&stray)
        );
    }

    #[test]
    fn new_members_join_at_the_next_stop_of_a_multi_minor_upgrade() {
        let mut i = at_version(StorageKind::Ephemeral, "3.4.23", "3.6.0");
        i.desired_size = 4;
        let Step::AddLearner { .. } = plan_membership(&i) else { panic!("grows") };
        // The stop at 3.5 is the patch etcd asks for before 3.6, newer than any tested one.
        assert_eq!(rollout::member_version(&i), v("3.5.32"));
    }

    proptest! {
        /// Turning TLS on, from any mix of member transports and peer URL schemes: a peer
        /// URL moves to `https://` only while every member is healthy, serves both, listens
        /// as its peers dial it, and the member moved is not the leader; a restart serves
        /// what the member's peer URL says; a learner gets an `https://` peer URL only when
        /// no member serves plain HTTP only.
        #[test]
        fn turning_tls_on_keeps_members_reachable(
            n in 1usize..=5,
            leader in 0usize..5,
            transports in proptest::collection::vec(0usize..3, 5),
            secure in proptest::collection::vec(any::<bool>(), 5),
            unhealthy in proptest::collection::vec(any::<bool>(), 5),
            persistent in any::<bool>(),
            grow in any::<bool>(),
        ) {
            let storage = if persistent { StorageKind::Persistent } else { StorageKind::Ephemeral };
            let mut i = running(n, n + usize::from(grow), storage);
            i.tls = true;
            let all = [Transport::Plain, Transport::Both, Transport::Tls];
            for (k, p) in i.pods.iter_mut().enumerate() {
                p.transport = Some(all[transports[k]]);
            }
            if let Some(members) = i.members.as_mut() {
                for (k, m) in members.iter_mut().enumerate() {
                    m.leader = k == leader % n;
                    m.healthy = !unhealthy[k];
                    if secure[k] {
                        m.peer_url = names::secure_url(&m.peer_url);
                    }
                }
            }
            let members = i.members.clone().unwrap_or_default();
            let transport_of = |name: &str| i.pods.iter().find(|p| p.name == name).and_then(|p| p.transport);
            let listens_as_dialed = |m: &MemberView| {
                transport_of(&m.name).is_some_and(|t| (t == Transport::Tls) == m.peer_url.starts_with("https://"))
            };
            let plain_pod = i.pods.iter().any(|p| p.transport == Some(Transport::Plain));
            match plan_membership(&i) {
                Step::AdvertiseTls { id, peer_url, .. } => {
                    prop_assert!(persistent);
                    prop_assert!(peer_url.starts_with("https://"));
                    prop_assert!(members.iter().all(|m| m.healthy && listens_as_dialed(m)));
                    prop_assert!(!plain_pod);
                    let moved = members.iter().find(|m| m.id == id).expect("a known member");
                    prop_assert!(!moved.leader || n == 1, "the leader's URL moves only when alone");
                }
                Step::ChangeTransport { member, to } => {
                    prop_assert!(persistent, "an ephemeral member is never restarted");
                    let m = members.iter().find(|m| m.name == member).expect("a known member");
                    prop_assert_eq!(to, Transport::for_member(true, &m.peer_url));
                }
                Step::AddLearner { peer_url, .. } => {
                    prop_assert!(!(plain_pod && peer_url.starts_with("https://")));
                }
                _ => {}
            }
        }

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
            stale in proptest::collection::vec(any::<bool>(), 7),
        ) {
            let storage = if persistent { StorageKind::Persistent } else { StorageKind::Ephemeral };
            let mut i = running(n, size, storage);
            if let Some(members) = i.members.as_mut() {
                for (k, m) in members.iter_mut().enumerate() {
                    m.leader = k == leader % n;
                    m.healthy = !unhealthy[k];
                    m.learner = learner == Some(k) && k != leader % n;
                    if stale[k] {
                        m.version = Some(v("3.5.16"));
                    }
                }
            }
            for p in &mut i.pods {
                if stale[names::member_index("demo", &p.name).unwrap_or(0)] {
                    p.version = Some(v("3.5.16"));
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
                    // Growing, or replacing an ephemeral member at another version.
                    let replacing = !persistent && members.iter().any(|m| m.version != Some(i.target));
                    prop_assert!(members.len() < size || (members.len() == size && replacing));
                }
                Step::PromoteLearner { id, .. } => {
                    prop_assert!(members.iter().any(|m| m.id == id && m.learner));
                }
                Step::MoveLeader { to_id, .. } => {
                    prop_assert!(members.iter().any(|m| m.id == to_id && m.healthy && !m.learner && !m.leader));
                }
                Step::ChangeVersion { member, .. } => {
                    // A running member changes version only when every member is healthy
                    // and votes, and the leader only when it is the only member.
                    let changed = members.iter().find(|m| m.name == member).expect("a known member");
                    prop_assert!(!changed.leader || voters == 1, "the leader changes only when alone");
                    prop_assert!(members.iter().all(|m| m.healthy && !m.learner));
                    prop_assert!(healthy_voters > quorum(voters) || voters <= 2);
                }
                _ => {}
            }
        }
    }
}
