//! Observe: the cluster's Pods and claims from the API, its membership from etcd, and the
//! pure translation of both into what the planner reads.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use shared::crd::EtcdCluster;
use shared::names;
use shared::plan::membership::{MembershipInput, PodView};

use crate::etcd::{self, Membership};

/// Everything one reconcile looks at.
#[derive(Clone, Debug)]
pub struct Observation {
    /// The cluster's member Pods.
    pub pods: Vec<Pod>,
    /// The cluster's member claims.
    pub claims: Vec<PersistentVolumeClaim>,
    /// etcd's view; `None` when no member answered.
    pub membership: Option<Membership>,
}

/// Reads the cluster's Pods, claims and membership.
pub async fn observe(client: &kube::Client, cluster: &EtcdCluster) -> Result<Observation, kube::Error> {
    let namespace = cluster.namespace().unwrap_or_default();
    let selector =
        ListParams::default().labels(&names::selector_string(&names::selector_labels(&cluster.name_any())));
    let pods = Api::<Pod>::namespaced(client.clone(), &namespace).list(&selector).await?.items;
    let claims =
        Api::<PersistentVolumeClaim>::namespaced(client.clone(), &namespace).list(&selector).await?.items;
    let endpoints = client_endpoints(&pods);
    let membership = if endpoints.is_empty() {
        None
    } else {
        match etcd::observe(&endpoints).await {
            Ok(membership) => Some(membership),
            Err(error) => {
                tracing::debug!(cluster = %cluster.name_any(), %error, "etcd did not answer");
                None
            }
        }
    };
    Ok(Observation { pods, claims, membership })
}

/// `(member, http://<pod IP>:2379)` of every member Pod that has an IP.
pub fn client_endpoints(pods: &[Pod]) -> Vec<(String, String)> {
    pods.iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| {
            let ip = p.status.as_ref()?.pod_ip.clone()?;
            Some((p.name_any(), format!("http://{ip}:{}", names::CLIENT_PORT)))
        })
        .collect()
}

/// The etcd container of a Pod runs.
pub fn running(pod: &Pod) -> bool {
    pod.status.as_ref().and_then(|s| s.container_statuses.as_ref()).is_some_and(|statuses| {
        statuses.iter().any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
    })
}

/// What the planner reads, from the spec and the observation.
pub fn membership_input(cluster: &EtcdCluster, observation: &Observation) -> MembershipInput {
    let bootstrapped = observation.membership.is_some()
        || cluster.status.as_ref().and_then(|s| s.cluster_id.as_ref()).is_some_and(|id| !id.is_empty());
    MembershipInput {
        cluster: cluster.name_any(),
        namespace: cluster.namespace().unwrap_or_default(),
        desired_size: usize::try_from(cluster.spec.size).unwrap_or_default(),
        paused: cluster.spec.paused,
        storage: cluster.spec.storage.kind,
        bootstrapped,
        seed_from_snapshot: cluster.spec.bootstrap.is_some(),
        pods: observation
            .pods
            .iter()
            .map(|p| PodView {
                name: p.name_any(),
                running: running(p),
                deleting: p.metadata.deletion_timestamp.is_some(),
            })
            .collect(),
        claims: observation.claims.iter().map(ResourceExt::name_any).collect(),
        members: observation.membership.as_ref().map(|m| m.members.clone()),
    }
}
