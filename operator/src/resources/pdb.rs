//! The PodDisruptionBudget that keeps voluntary disruptions from taking away quorum.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use shared::crd::EtcdCluster;
use shared::names;

use super::{BuildError, cluster_name, object_meta};

/// The cluster's PodDisruptionBudget, named like the cluster.
///
/// `minAvailable` is the quorum of `spec.size` (`size / 2 + 1`): a voluntary disruption
/// (a node drain, an eviction) may never take away quorum. A single-member cluster
/// therefore allows none, and a drain waits until the operator or a person moves it.
pub fn disruption_budget(cluster: &EtcdCluster) -> Result<PodDisruptionBudget, BuildError> {
    let name = cluster_name(cluster)?;
    Ok(PodDisruptionBudget {
        metadata: object_meta(cluster, name.to_string(), names::labels(name, None), true)?,
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(quorum(cluster.spec.size))),
            selector: Some(LabelSelector {
                match_labels: Some(names::selector_labels(name)),
                match_expressions: None,
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        status: None,
    })
}

/// Members that must vote for raft to make progress: a majority of `size`.
fn quorum(size: i32) -> i32 {
    size / 2 + 1
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NAMESPACE, UID, cluster};
    use super::*;

    #[test]
    fn budget_selects_the_members_and_keeps_quorum() {
        let pdb = disruption_budget(&cluster()).expect("valid");
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
    fn min_available_is_the_quorum_of_the_size() {
        for (size, min_available) in [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)] {
            let mut c = cluster();
            c.spec.size = size;
            let pdb = disruption_budget(&c).expect("valid");
            let spec = pdb.spec.expect("spec");
            assert_eq!(spec.min_available, Some(IntOrString::Int(min_available)), "size {size}");
        }
    }

    #[test]
    fn budget_needs_a_uid() {
        let mut c = cluster();
        c.metadata.uid = None;
        assert_eq!(disruption_budget(&c), Err(BuildError::NoUid));
    }
}
