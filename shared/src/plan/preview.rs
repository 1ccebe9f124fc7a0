//! What a change of size would do, step by step, before it is made: the membership planner
//! the operator follows, run against a model of the cluster (built from its status) that
//! carries each step out the way the operator and etcd would. Pure: the plugin shows the
//! steps before it asks, the operator never reads them.

use super::membership::{MemberView, MembershipInput, PodView, SnapshotSeed, Step, plan_membership, quorum};
use crate::crd::{EtcdCluster, MemberRole, StorageKind};
use crate::names;
use crate::version::EtcdVersion;

/// The most steps a preview takes: far more than any change of size needs (four per
/// member), so a model that never settles ends instead of looping.
const MAX_STEPS: usize = 64;

/// The steps from the cluster's observed state to its new size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalePreview {
    /// Voting members now.
    pub from: usize,
    /// Voting members after.
    pub to: usize,
    /// The membership steps, in order.
    pub steps: Vec<Step>,
    /// What the planner waits for before the first step, if anything (an unhealthy
    /// member, a learner still starting).
    pub waits_for: Option<String>,
}

impl ScalePreview {
    /// Members that may fail while the cluster still has a quorum, at `voters` members.
    pub fn tolerates(voters: usize) -> usize {
        voters.saturating_sub(quorum(voters))
    }
}

/// Why no preview can be shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// The planner refuses: the change cannot be made safely now.
    #[error("{0}")]
    Refused(String),
    /// The cluster has not formed yet: there is nothing to scale from.
    #[error("etcdcluster {0} has not started yet: its status lists no member")]
    NotStarted(String),
    /// Neither the members nor the spec say which version the cluster runs.
    #[error("no member reports its etcd version and spec.version {0:?} is not one")]
    UnknownVersion(String),
    /// The model did not settle (a planner defect; the change itself may still work).
    #[error("the preview did not settle within {MAX_STEPS} steps")]
    Unsettled,
}

/// The planner's input as the cluster's status shows it, every listed member with a Pod
/// (and, for persistent storage, a claim) and the size asked for set to `to`.
pub fn observed(cluster: &EtcdCluster, to: usize) -> Result<MembershipInput, PreviewError> {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let namespace = cluster.metadata.namespace.clone().unwrap_or_default();
    let status = cluster.status.clone().unwrap_or_default();
    if status.members.is_empty() {
        return Err(PreviewError::NotStarted(name));
    }
    let target: Option<EtcdVersion> = cluster.spec.version.trim_start_matches('v').parse().ok();
    let members: Vec<MemberView> = status
        .members
        .iter()
        .enumerate()
        .map(|(k, m)| MemberView {
            // IDs only have to tell the members apart in the model.
            id: m.id.as_deref().and_then(|id| u64::from_str_radix(id, 16).ok()).unwrap_or(k as u64 + 1),
            name: m.name.clone(),
            peer_url: names::peer_url(&m.name, &name, &namespace, names::CLUSTER_DOMAIN),
            learner: m.role == Some(MemberRole::Learner),
            healthy: m.healthy,
            leader: m.role == Some(MemberRole::Leader),
            version: m.version.as_deref().and_then(|v| v.parse().ok()).or(target),
            raft_index: None,
        })
        .collect();
    let pods = members
        .iter()
        .map(|m| PodView {
            name: m.name.clone(),
            running: true,
            ready: true,
            deleting: false,
            version: m.version,
            failure: None,
            settings: None,
            certificates: None,
            transport: None,
            seed_blocked: false,
        })
        .collect();
    let claims = match cluster.spec.storage.kind {
        StorageKind::Persistent => members.iter().map(|m| names::claim_name(&m.name)).collect(),
        StorageKind::Ephemeral => Vec::new(),
    };
    let running = members
        .iter()
        .find_map(|m| m.version)
        .or(target)
        .ok_or_else(|| PreviewError::UnknownVersion(cluster.spec.version.clone()))?;
    Ok(MembershipInput {
        cluster: name,
        namespace,
        // The plugin does not know the operator's domain; the model needs only addresses
        // that agree with each other, and member_of_peer_url reads any domain.
        cluster_domain: names::CLUSTER_DOMAIN.to_string(),
        tls: cluster.spec.tls.is_some(),
        desired_size: to,
        paused: false,
        storage: cluster.spec.storage.kind,
        bootstrapped: true,
        snapshot_seed: SnapshotSeed::None,
        pods,
        claims,
        deleting_claims: Vec::new(),
        members: Some(members),
        // The preview is of a change of size: the members stay at the version they run.
        target: running,
        generation: cluster.metadata.generation.unwrap_or_default(),
        force_version: false,
        pre_upgrade_snapshot: None,
        last_known_version: Some(running),
        settings: Vec::new(),
        certificates: Default::default(),
        cut_off: Vec::new(),
    })
}

/// The steps the planner takes from `observed` to its `desired_size`, each carried out in
/// the model before the next is planned.
pub fn preview_scale(observed: &MembershipInput) -> Result<ScalePreview, PreviewError> {
    let voters = |input: &MembershipInput| {
        input.members.as_ref().map_or(0, |members| members.iter().filter(|m| !m.learner).count())
    };
    let mut model = observed.clone();
    model.paused = false;
    let mut steps = Vec::new();
    let mut waits_for = None;
    for _ in 0..MAX_STEPS {
        match plan_membership(&model) {
            Step::Idle => {
                return Ok(ScalePreview { from: voters(observed), to: voters(&model), steps, waits_for });
            }
            Step::Refuse { message, .. } => return Err(PreviewError::Refused(message)),
            Step::Wait { reason } => {
                if !time_passes(&mut model) {
                    return Err(PreviewError::Refused(format!("the operator would wait: {reason}")));
                }
                if steps.is_empty() {
                    waits_for.get_or_insert(reason);
                }
            }
            step => {
                carry_out(&mut model, &step);
                steps.push(step);
            }
        }
    }
    Err(PreviewError::Unsettled)
}

/// What the model does when the planner waits: Pods start and their members become
/// healthy. `false` when nothing changed, so waiting would not help.
fn time_passes(model: &mut MembershipInput) -> bool {
    let pods = model.pods.clone();
    let Some(members) = model.members.as_mut() else { return false };
    let mut changed = false;
    for member in members.iter_mut() {
        let name = names::member_of_peer_url(&member.peer_url, &model.cluster, &model.namespace);
        let has_pod = name.as_ref().is_some_and(|n| pods.iter().any(|p| &p.name == n));
        if has_pod && (!member.healthy || member.name.is_empty()) {
            member.healthy = true;
            member.name = name.unwrap_or_default();
            changed = true;
        }
    }
    changed
}

/// Carries a step out in the model, as the operator and etcd would.
fn carry_out(model: &mut MembershipInput, step: &Step) {
    let persistent = model.storage == StorageKind::Persistent;
    let members = model.members.get_or_insert_with(Vec::new);
    match step {
        Step::AddLearner { peer_url, .. } => {
            let id = members.iter().map(|m| m.id).max().unwrap_or_default() + 1;
            members.push(MemberView::added_learner(id, peer_url, Some(model.target)));
        }
        Step::CreatePod { member, version, .. } => {
            model.pods.push(PodView {
                name: member.clone(),
                running: true,
                ready: true,
                deleting: false,
                version: Some(*version),
                failure: None,
                settings: None,
                certificates: None,
                transport: None,
                seed_blocked: false,
            });
            if persistent {
                model.claims.push(names::claim_name(member));
            }
        }
        Step::PromoteLearner { id, .. } => {
            members.iter_mut().filter(|m| m.id == *id).for_each(|m| m.learner = false);
        }
        Step::MoveLeader { to_id, .. } => members.iter_mut().for_each(|m| m.leader = m.id == *to_id),
        Step::RemoveMember { id, .. } => members.retain(|m| m.id != *id),
        Step::DeletePod { member, .. } => {
            model.pods.retain(|p| &p.name != member);
            model.claims.retain(|c| *c != names::claim_name(member));
        }
        Step::ChangeVersion { member, to, .. } => {
            members.iter_mut().filter(|m| &m.name == member).for_each(|m| m.version = Some(*to));
            model.pods.iter_mut().filter(|p| &p.name == member).for_each(|p| p.version = Some(*to));
        }
        // Not steps of a change of size; the planner is asked again and settles or refuses.
        Step::Bootstrap { .. }
        | Step::ReseedMember { .. }
        | Step::TakeSnapshot { .. }
        | Step::ApplySettings { .. }
        | Step::RenewCertificates { .. }
        | Step::ChangeTransport { .. }
        | Step::AdvertiseTls { .. }
        | Step::Idle
        | Step::Paused { .. }
        | Step::Wait { .. }
        | Step::Refuse { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn cluster(size: usize, storage: &str, unhealthy: Option<usize>) -> EtcdCluster {
        let members: Vec<_> = (0..size)
            .map(|k| {
                json!({"name": format!("demo-{k}"), "id": format!("{:x}", 0xa0 + k),
                       "version": "3.5.30", "role": if k == 0 { "Leader" } else { "Follower" },
                       "healthy": unhealthy != Some(k)})
            })
            .collect();
        serde_json::from_value(json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo", "namespace": "db"},
            "spec": {"size": size, "version": "3.5.30", "storage": {"kind": storage}},
            "status": {"members": members}
        }))
        .expect("a cluster")
    }

    fn described(preview: &ScalePreview) -> Vec<String> {
        preview.steps.iter().map(Step::describe).collect()
    }

    #[test]
    fn growing_adds_each_member_as_a_learner_then_promotes_it() {
        let preview = preview_scale(&observed(&cluster(3, "Persistent", None), 5).expect("observed"))
            .expect("a preview");
        assert_eq!((preview.from, preview.to), (3, 5));
        assert_eq!(
            described(&preview),
            [
                "adding demo-3 as a learner",
                "creating the Pod of member demo-3",
                "promoting learner demo-3 to a voting member",
                "adding demo-4 as a learner",
                "creating the Pod of member demo-4",
                "promoting learner demo-4 to a voting member",
            ]
        );
        assert_eq!((ScalePreview::tolerates(3), ScalePreview::tolerates(5)), (1, 2));
    }

    #[test]
    fn shrinking_removes_the_highest_members_and_moves_leadership_first() {
        let mut three = cluster(3, "Ephemeral", None);
        let members = &mut three.status.as_mut().expect("status").members;
        members[0].role = Some(MemberRole::Follower);
        members[2].role = Some(MemberRole::Leader);
        let preview = preview_scale(&observed(&three, 1).expect("observed")).expect("a preview");
        assert_eq!(
            described(&preview),
            [
                "moving leadership from demo-2 to demo-0",
                "removing member demo-2: scaling down to 1 members",
                "deleting the Pod of removed member demo-2",
                "removing member demo-1: scaling down to 1 members",
                "deleting the Pod of removed member demo-1",
            ]
        );
        assert_eq!(ScalePreview::tolerates(1), 0);
    }

    #[test]
    fn an_unhealthy_member_is_waited_for_and_said() {
        let preview = preview_scale(&observed(&cluster(3, "Persistent", Some(2)), 4).expect("observed"))
            .expect("a preview");
        assert_eq!(preview.waits_for.as_deref(), Some("waiting for demo-2 to become healthy"));
        assert_eq!(preview.steps.len(), 3, "{:?}", described(&preview));
    }

    #[test]
    fn the_same_size_has_no_steps_and_a_cluster_without_members_has_no_preview() {
        let preview = preview_scale(&observed(&cluster(3, "Persistent", None), 3).expect("observed"))
            .expect("a preview");
        assert!(preview.steps.is_empty());
        let mut empty = cluster(3, "Persistent", None);
        empty.status = None;
        assert_eq!(observed(&empty, 3), Err(PreviewError::NotStarted("demo".into())));
    }

    proptest! {
        /// From any healthy size to any other, the preview ends at the new size and no step
        /// leaves fewer voters than a quorum of the voters before it.
        #[test]
        fn every_preview_ends_at_the_new_size_keeping_quorum(
            from in 1usize..=9, to in 1usize..=9, persistent in any::<bool>(),
        ) {
            let storage = if persistent { "Persistent" } else { "Ephemeral" };
            let input = observed(&cluster(from, storage, None), to).expect("observed");
            let preview = preview_scale(&input).expect("a preview");
            prop_assert_eq!((preview.from, preview.to), (from, to));
            let adds = preview.steps.iter().filter(|s| matches!(s, Step::AddLearner { .. })).count();
            let removes = preview.steps.iter().filter(|s| matches!(s, Step::RemoveMember { .. })).count();
            prop_assert_eq!(adds, to.saturating_sub(from));
            prop_assert_eq!(removes, from.saturating_sub(to));
        }
    }
}
