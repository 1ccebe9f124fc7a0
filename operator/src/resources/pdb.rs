//! The PodDisruptionBudget that keeps voluntary disruptions from taking away quorum.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use shared::crd::EtcdCluster;
use shared::names;

use super::{BuildError, cluster_name, object_meta};

/// The members a disruption budget protects, as one reconcile observed them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// The cluster's member Pods: every Pod the budget selects, learners' and Pods being
    /// deleted included.
    pub pods: usize,
    /// etcd's voting members; `None` when etcd did not answer (or the cluster is new).
    pub voters: Option<usize>,
    /// Voting members that have no Pod (down, as far as quorum is concerned).
    pub voters_without_pod: usize,
}

/// The `minAvailable` of the cluster's budget: the member Pods less the voting members
/// that may be lost while quorum holds.
///
/// Member Pods have no controller owner, so the disruption controller honours only an
/// integer `minAvailable` for them, and allows `healthy Pods - minAvailable` evictions.
/// With `minAvailable = Pods - (tolerance(voters) - voters without a Pod)`, that is
/// `tolerance - unhealthy Pods - voters without a Pod` at most: never more than the
/// current voters tolerate (`voters - (voters / 2 + 1)`), whatever `spec.size` says, and
/// a learner's Pod adds nothing to it. A Pod that is not healthy (a learner's included)
/// counts as a lost voter, which errs on the safe side. When the voters are unknown (etcd
/// did not answer, or the cluster is new) no eviction is allowed: every member Pod, and
/// at least `spec.size`, must stay available.
pub fn min_available(cluster: &EtcdCluster, census: &Census) -> i32 {
    let to_int = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    match census.voters {
        Some(voters) if voters > 0 => {
            let spare = tolerance(voters).saturating_sub(census.voters_without_pod);
            to_int(census.pods.saturating_sub(spare))
        }
        _ => to_int(census.pods).max(cluster.spec.size).max(0),
    }
}

/// The cluster's PodDisruptionBudget, named like the cluster, selecting every member Pod
/// (learners' included), with the `minAvailable` of [`min_available`]: a voluntary
/// disruption (a node drain, an eviction) may never take away quorum. A single-member
/// cluster therefore allows none, and a drain waits until the operator or a person moves
/// it. The value changes with the membership, so the reconcile applies the budget again
/// whenever it differs from what was applied last.
pub fn disruption_budget(cluster: &EtcdCluster, census: &Census) -> Result<PodDisruptionBudget, BuildError> {
    let name = cluster_name(cluster)?;
    Ok(PodDisruptionBudget {
        metadata: object_meta(cluster, name.to_string(), names::labels(name, None), true)?,
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(min_available(cluster, census))),
            selector: Some(LabelSelector {
                match_labels: Some(names::selector_labels(name)),
                match_expressions: None,
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        status: None,
    })
}

/// How many of `voters` voting members may be lost while a majority still votes.
fn tolerance(voters: usize) -> usize {
    voters - (voters / 2 + 1)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NAMESPACE, UID, cluster};
    use super::*;

    /// Three voters, each with its Pod.
    const THREE: Census = pods_and_voters(3, 3);

    /// `pods` member Pods and `voters` voting members, each with its Pod.
    const fn pods_and_voters(pods: usize, voters: usize) -> Census {
        Census { pods, voters: Some(voters), voters_without_pod: 0 }
    }

    /// How many evictions the budget allows while every member Pod is healthy (what the
    /// disruption controller computes for an integer `minAvailable`).
    fn allowed(size: i32, census: Census) -> i64 {
        let mut c = cluster();
        c.spec.size = size;
        let spec = disruption_budget(&c, &census).expect("valid").spec.expect("spec");
        let Some(IntOrString::Int(min_available)) = spec.min_available else { panic!("an integer") };
        assert!(min_available >= 0, "a valid minAvailable: {min_available}");
        (census.pods as i64 - i64::from(min_available)).max(0)
    }

    #[test]
    fn budget_selects_the_members_and_keeps_quorum() {
        let pdb = disruption_budget(&cluster(), &THREE).expect("valid");
        assert_eq!(pdb.metadata.name.as_deref(), Some("demo"));
        assert_eq!(pdb.metadata.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(pdb.metadata.labels.as_ref(), Some(&names::labels("demo", None)));
        let owners = pdb.metadata.owner_references.as_deref().expect("owner");
        assert_eq!(owners.len(), 1);
        assert_eq!((owners[0].kind.as_str(), owners[0].uid.as_str()), ("EtcdCluster", UID));
        let spec = pdb.spec.as_ref().expect("spec");
        assert_eq!(
            spec.selector,
            Some(LabelSelector {
                match_labels: Some(names::selector_labels("demo")),
                match_expressions: None
            })
        );
        assert_eq!(spec.min_available, Some(IntOrString::Int(2)));
        assert_eq!(spec.max_unavailable, None, "minAvailable and maxUnavailable are exclusive");
        assert_eq!(spec.unhealthy_pod_eviction_policy, None);
        assert!(pdb.status.is_none());
    }

    #[test]
    fn a_settled_cluster_allows_what_its_voters_tolerate() {
        for (voters, allows) in [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2)] {
            let census = pods_and_voters(voters, voters);
            assert_eq!(allowed(voters as i32, census), allows, "{voters} voters");
        }
    }

    #[test]
    fn scaling_five_to_three_allows_two_while_five_vote() {
        let five = pods_and_voters(5, 5);
        assert_eq!(allowed(3, five), 2, "5 voters tolerate 2, whatever spec.size says");
    }

    #[test]
    fn a_replacement_with_four_voters_allows_one() {
        let four = pods_and_voters(4, 4);
        assert_eq!(allowed(3, four), 1);
    }

    #[test]
    fn a_learner_does_not_add_to_what_the_voters_tolerate() {
        let with_learner = pods_and_voters(4, 3);
        assert_eq!(allowed(3, with_learner), 1, "3 voters + 1 learner");
    }

    #[test]
    fn unknown_voters_allow_no_disruption() {
        for pods in [0, 1, 3, 5] {
            let unknown = Census { pods, voters: None, voters_without_pod: 0 };
            assert_eq!(allowed(3, unknown), 0, "{pods} pods, etcd did not answer");
        }
    }

    #[test]
    fn a_single_voter_allows_none() {
        let one = pods_and_voters(1, 1);
        assert_eq!(allowed(1, one), 0);
        assert_eq!(allowed(3, one), 0, "scaling up from one member");
    }

    #[test]
    fn a_voter_without_a_pod_is_already_a_disruption() {
        // 3 voters, one Pod gone (evicted, not recreated yet): its voter is down.
        let missing = Census { pods: 2, voters: Some(3), voters_without_pod: 1 };
        assert_eq!(allowed(3, missing), 0);
        let five_missing_one = Census { pods: 4, voters: Some(5), voters_without_pod: 1 };
        assert_eq!(allowed(5, five_missing_one), 1);
    }

    #[test]
    fn budget_needs_a_uid() {
        let mut c = cluster();
        c.metadata.uid = None;
        assert_eq!(disruption_budget(&c, &THREE), Err(BuildError::NoUid));
    }
}
