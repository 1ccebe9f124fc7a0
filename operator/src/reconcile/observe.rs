//! Observe: the cluster's Pods and claims from the API, its membership from etcd, and the
//! pure translation of both into what the planner reads.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use shared::crd::EtcdCluster;
use shared::crd::{BackupPhase, EtcdBackup};
use shared::names;
use shared::plan::membership::{MembershipInput, PodView, SnapshotSeed, SnapshotState};
use shared::plan::transport::{self, Transport};
use shared::tls::ClientCredentials;
use shared::version::EtcdVersion;

use crate::etcd::{self, Membership};
use crate::identity::Identity;
use crate::resources::pdb::Census;
use crate::resources::pod::CONTAINER_NAME;

/// Everything one reconcile looks at.
#[derive(Clone, Debug)]
pub struct Observation {
    /// The cluster's member Pods.
    pub pods: Vec<Pod>,
    /// The cluster's member claims.
    pub claims: Vec<PersistentVolumeClaim>,
    /// Names of the cluster's Services.
    pub services: Vec<String>,
    /// etcd's view; `None` when no member answered.
    pub membership: Option<Membership>,
    /// The EtcdBackup that takes the snapshot before an upgrade to `spec.version` asked for
    /// at the cluster's current generation ([`names::pre_upgrade_backup_name`]), when the
    /// spec asks for one, an upgrade is pending and the backup exists.
    pub pre_upgrade_backup: Option<EtcdBackup>,
    /// Members (of a TLS cluster) that report a peer they are not connected to
    /// (`tls::peer_links`): the rollout waits for them.
    pub cut_off: Vec<String>,
    /// The client credentials the members are reached with (`None`: plain HTTP, also while
    /// a member of a cluster turning TLS on serves plain HTTP only).
    pub tls: Option<ClientCredentials>,
    /// A TLS cluster's certificates, as the rotation survey found (and renewed) them.
    pub certificates: Option<crate::tls::rotation::Survey>,
}

/// Reads the cluster's Pods, claims and membership (over TLS with `tls` once every member
/// Pod serves it: while TLS is turned on, plainly until then).
pub async fn observe(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    tls: Option<ClientCredentials>,
) -> Result<Observation, kube::Error> {
    let namespace = id.namespace.clone();
    let selector =
        ListParams::default().labels(&names::selector_string(&names::selector_labels(&cluster.name_any())));
    let pods = Api::<Pod>::namespaced(client.clone(), &namespace).list(&selector).await?.items;
    let tls = tls.filter(|_| serve_tls(&pods));
    let claims =
        Api::<PersistentVolumeClaim>::namespaced(client.clone(), &namespace).list(&selector).await?.items;
    let services = Api::<Service>::namespaced(client.clone(), &namespace)
        .list_metadata(&selector)
        .await?
        .items
        .iter()
        .map(ResourceExt::name_any)
        .collect();
    let endpoints = client_endpoints(&pods, tls.is_some());
    let membership = if endpoints.is_empty() {
        None
    } else {
        match etcd::observe(&endpoints, tls.as_ref()).await {
            Ok(membership) => Some(membership),
            Err(error) => {
                tracing::debug!(cluster = %cluster.name_any(), %error, "etcd did not answer");
                None
            }
        }
    };
    // The snapshot before an upgrade is looked at only while one is pending.
    let pending = membership.as_ref().is_some_and(|m| {
        let target: Option<EtcdVersion> = cluster.spec.version.parse().ok();
        m.members.iter().any(|member| member.version.is_some() && member.version != target)
    });
    let wants_snapshot = cluster.spec.backup.as_ref().is_some_and(|b| b.before_upgrade);
    let pre_upgrade_backup = match (pending && wants_snapshot, cluster.spec.version.parse()) {
        (true, Ok(target)) => {
            Api::<EtcdBackup>::namespaced(client.clone(), &namespace)
                .get_opt(&names::pre_upgrade_backup_name(
                    &cluster.name_any(),
                    target,
                    cluster.metadata.generation.unwrap_or_default(),
                ))
                .await?
        }
        _ => None,
    };
    // Only members serving TLS on the peer port refuse peers whose address they cannot
    // resolve yet; between plain peer ports one side's dial is enough for a working link
    // (etcd then shows the other side's failing dial as an inactive peer), so the links are
    // looked at only once a member serves TLS on its peer port.
    // The wait is bounded by the lag it guards against: only while a member Pod started
    // less than `RESOLUTION_LAG` ago (see `tls::peer_links`).
    let peer_tls = pods.iter().any(|p| pod_transport(p) == Some(Transport::Tls));
    let now = k8s_openapi::jiff::Timestamp::now();
    let restarted_lately = pods
        .iter()
        .filter_map(etcd_started)
        .any(|t| now.duration_since(t).unsigned_abs() < crate::tls::peer_links::RESOLUTION_LAG);
    let cut_off = match &membership {
        Some(m) if peer_tls && restarted_lately => {
            crate::tls::peer_links::cut_off(&pods, m.members.len()).await
        }
        _ => Vec::new(),
    };
    Ok(Observation {
        pods,
        claims,
        services,
        membership,
        pre_upgrade_backup,
        cut_off,
        tls,
        certificates: None,
    })
}

/// What the disruption budget is computed from: the member Pods and etcd's voters.
pub fn census(observation: &Observation) -> Census {
    let has_pod = |name: &str| observation.pods.iter().any(|p| p.name_any() == name);
    let voters = observation.membership.as_ref().map(|m| m.members.iter().filter(|m| !m.learner));
    Census {
        pods: observation.pods.len(),
        voters: voters.clone().map(Iterator::count),
        voters_without_pod: voters.map_or(0, |v| v.filter(|m| !has_pod(&m.name)).count()),
    }
}

/// `(member, http://<pod IP>:2379)` of every member Pod that has an IP (IPv6 in brackets),
/// `https://` when `tls`.
pub fn client_endpoints(pods: &[Pod], tls: bool) -> Vec<(String, String)> {
    pods.iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| {
            let ip = p.status.as_ref()?.pod_ip.clone()?;
            let url = names::ip_url(&ip, names::CLIENT_PORT);
            Some((p.name_any(), if tls { names::secure_url(&url) } else { url }))
        })
        .collect()
}

/// Client URLs of the voting members' Pods: where membership calls go (a learner refuses
/// them with "rpc not supported for learner"). Every member's when etcd's view is unknown or
/// names no voter with a Pod.
pub fn voting_endpoints(observation: &Observation) -> Vec<String> {
    let all = client_endpoints(&observation.pods, observation.tls.is_some());
    let is_voter = |name: &str| {
        observation
            .membership
            .as_ref()
            .is_some_and(|m| m.members.iter().any(|member| member.name == name && !member.learner))
    };
    let voters: Vec<String> =
        all.iter().filter(|(name, _)| is_voter(name)).map(|(_, url)| url.clone()).collect();
    if voters.is_empty() { all.into_iter().map(|(_, url)| url).collect() } else { voters }
}

/// The etcd container of a Pod runs.
pub fn running(pod: &Pod) -> bool {
    pod.status.as_ref().and_then(|s| s.container_statuses.as_ref()).is_some_and(|statuses| {
        statuses.iter().any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
    })
}

/// The etcd container of a member Pod.
fn etcd_container_status(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::ContainerStatus> {
    pod.status.as_ref()?.container_statuses.as_ref()?.iter().find(|c| c.name == CONTAINER_NAME)
}

/// When a member Pod's etcd container started running.
fn etcd_started(pod: &Pod) -> Option<k8s_openapi::jiff::Timestamp> {
    Some(etcd_container_status(pod)?.state.as_ref()?.running.as_ref()?.started_at.as_ref()?.0)
}

/// The etcd version of a member Pod's image.
pub fn pod_version(pod: &Pod) -> Option<EtcdVersion> {
    let containers = &pod.spec.as_ref()?.containers;
    let etcd = containers.iter().find(|c| c.name == CONTAINER_NAME)?;
    names::image_version(etcd.image.as_deref()?)
}

/// The etcd arguments of a member Pod's etcd container.
fn etcd_args(pod: &Pod) -> Option<&[String]> {
    let containers = &pod.spec.as_ref()?.containers;
    containers.iter().find(|c| c.name == CONTAINER_NAME)?.args.as_deref()
}

/// The etcd settings flags a member Pod's etcd container runs with.
pub fn pod_settings(pod: &Pod) -> Option<Vec<String>> {
    Some(shared::crd::setting_flags_of(etcd_args(pod)?))
}

/// What a member Pod serves on its client and peer ports.
pub fn pod_transport(pod: &Pod) -> Option<Transport> {
    Transport::of_args(etcd_args(pod)?)
}

/// Whether every member Pod (not being deleted) serves HTTPS, so the operator reaches
/// them with its client certificate; while TLS is turned on and a Pod still serves plain
/// HTTP only, every member still serves plain HTTP, and is reached so.
pub fn serve_tls(pods: &[Pod]) -> bool {
    transport::all_serve_tls(
        pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).map(pod_transport),
    )
}

/// The fingerprint of the certificates a member Pod mounted, as it recorded it.
pub fn pod_certificates(pod: &Pod) -> Option<String> {
    pod.metadata.annotations.as_ref()?.get(shared::crd::CERTIFICATES_ANNOTATION).cloned()
}

/// Members whose Pods mounted other certificates than their Secrets hold now.
pub fn certificates_pending(observation: &Observation) -> Vec<String> {
    let Some(survey) = &observation.certificates else { return Vec::new() };
    observation
        .pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            shared::plan::certificates::mounted_outdated(
                survey.fingerprints.get(&p.name_any()),
                pod_certificates(p).as_ref(),
            )
        })
        .map(ResourceExt::name_any)
        .collect()
}

/// Container states that mean the etcd container cannot run, not that it is starting.
const FAILURES: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerError",
    "CreateContainerConfigError",
    "RunContainerError",
];

/// Why a member Pod's etcd container cannot run (`reason: message`), if it cannot.
pub fn pod_failure(pod: &Pod) -> Option<String> {
    let waiting = etcd_container_status(pod)?.state.as_ref()?.waiting.as_ref()?;
    let reason = waiting.reason.as_deref().filter(|r| FAILURES.contains(r))?;
    Some(match waiting.message.as_deref() {
        Some(message) if !message.is_empty() => format!("{reason}: {message}"),
        _ => reason.to_string(),
    })
}

/// Whether etcd's answer shows a formed cluster: a member leads, so a quorum of the initial
/// members has started. A member list alone is not enough: etcd 3.4 answers it from one
/// member's own data, naming every initial member, before any quorum exists (a creation
/// cut short), and such a cluster must finish its bootstrap, not be healed.
pub fn formed(membership: &Membership) -> bool {
    membership.members.iter().any(|m| m.leader)
}

/// What the planner reads, from the spec (its version already parsed) and the observation.
pub fn membership_input(
    cluster: &EtcdCluster,
    id: &Identity,
    target: EtcdVersion,
    observation: &Observation,
    cluster_domain: &str,
) -> MembershipInput {
    let bootstrapped = observation.membership.as_ref().is_some_and(formed)
        || cluster.status.as_ref().and_then(|s| s.cluster_id.as_ref()).is_some_and(|id| !id.is_empty());
    MembershipInput {
        cluster: cluster.name_any(),
        namespace: id.namespace.clone(),
        cluster_domain: cluster_domain.to_string(),
        tls: cluster.spec.tls.is_some(),
        desired_size: usize::try_from(cluster.spec.size).unwrap_or_default(),
        paused: cluster.spec.paused,
        storage: cluster.spec.storage.kind,
        bootstrapped,
        snapshot_seed: snapshot_seed(cluster),
        pods: observation
            .pods
            .iter()
            .map(|p| PodView {
                name: p.name_any(),
                running: running(p),
                ready: shared::conditions::pod_ready(p),
                deleting: p.metadata.deletion_timestamp.is_some(),
                version: pod_version(p),
                failure: pod_failure(p),
                settings: pod_settings(p),
                certificates: pod_certificates(p),
                transport: pod_transport(p),
                seed_blocked: crate::restore::seed::blocked_by_leftovers(p),
            })
            .collect(),
        claims: observation
            .claims
            .iter()
            .filter(|c| c.metadata.deletion_timestamp.is_none())
            .map(ResourceExt::name_any)
            .collect(),
        deleting_claims: observation
            .claims
            .iter()
            .filter(|c| c.metadata.deletion_timestamp.is_some())
            .map(ResourceExt::name_any)
            .collect(),
        members: observation.membership.as_ref().map(|m| m.members.clone()),
        target,
        generation: cluster.metadata.generation.unwrap_or_default(),
        force_version: cluster
            .annotations()
            .get(names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION)
            .is_some_and(|v| v == "true"),
        last_known_version: cluster
            .status
            .as_ref()
            .and_then(|s| s.current_version.as_deref())
            .and_then(|v| v.parse().ok()),
        pre_upgrade_snapshot: cluster
            .spec
            .backup
            .as_ref()
            .filter(|b| b.before_upgrade)
            .map(|_| snapshot_state(observation.pre_upgrade_backup.as_ref())),
        settings: cluster.spec.etcd.flags(),
        certificates: observation.certificates.as_ref().map(|s| s.fingerprints.clone()).unwrap_or_default(),
        cut_off: observation.cut_off.clone(),
    }
}

/// How far the snapshot before an upgrade has got, from its EtcdBackup.
pub fn snapshot_state(backup: Option<&EtcdBackup>) -> SnapshotState {
    let Some(backup) = backup else { return SnapshotState::NotTaken };
    let status = backup.status.clone().unwrap_or_default();
    match status.phase {
        Some(BackupPhase::Succeeded) => SnapshotState::Taken,
        Some(BackupPhase::Failed) => SnapshotState::Failed(
            [status.reason, status.message].into_iter().flatten().collect::<Vec<_>>().join(": "),
        ),
        _ => SnapshotState::Running,
    }
}

/// How the cluster's data comes from a snapshot: an uploaded one reaches the first member
/// only; one in a store is fetched and restored by every initial member.
fn snapshot_seed(cluster: &EtcdCluster) -> SnapshotSeed {
    match &cluster.spec.bootstrap {
        None => SnapshotSeed::None,
        Some(bootstrap) if bootstrap.from_snapshot.upload => SnapshotSeed::FirstMember,
        Some(_) => SnapshotSeed::EveryMember,
    }
}

#[cfg(test)]
mod tests {
    use shared::plan::membership::MemberView;

    use super::*;

    fn pod(name: &str, ip: &str) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "status": {"podIP": ip}}))
            .unwrap()
    }

    /// Pods named demo-N with their IPs, nothing else observed yet.
    fn observed(pods: &[(&str, &str)]) -> Observation {
        Observation {
            pods: pods.iter().map(|(name, ip)| pod(name, ip)).collect(),
            claims: vec![],
            services: vec![],
            membership: None,
            pre_upgrade_backup: None,
            cut_off: vec![],
            tls: None,
            certificates: None,
        }
    }

    /// etcd's answer naming these members, with no states or alarms.
    fn membership(members: Vec<MemberView>) -> Option<crate::etcd::Membership> {
        Some(crate::etcd::Membership { cluster_id: 1, members, states: vec![], alarms: vec![] })
    }

    fn member(name: &str, learner: bool) -> MemberView {
        MemberView {
            id: 1,
            name: name.into(),
            peer_url: String::new(),
            learner,
            healthy: true,
            leader: false,
            version: None,
            raft_index: None,
        }
    }

    fn cluster(status_cluster_id: Option<&str>) -> EtcdCluster {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo", "namespace": "db"},
            "spec": {"version": "3.4.23", "size": 3},
            "status": {"clusterId": status_cluster_id},
        }))
        .expect("cluster")
    }

    #[test]
    fn a_member_list_without_a_leader_is_not_a_formed_cluster() {
        // A creation cut short: only demo-0's Pod could be created. etcd 3.4 answers the
        // member list from the lone member's own data (not linearizable), naming every
        // initial member, but without quorum there is no leader.
        let mut alone = member("demo-0", false);
        alone.healthy = true;
        let mut observation = observed(&[("demo-0", "10.0.0.1")]);
        observation.membership = membership(vec![alone, member("demo-1", false), member("demo-2", false)]);
        let target = "3.4.23".parse().expect("version");
        let id = Identity { namespace: "db".into(), name: "demo".into(), uid: "u".into() };
        let input = membership_input(&cluster(None), &id, target, &observation, names::CLUSTER_DOMAIN);
        assert!(!input.bootstrapped, "no leader, no recorded cluster ID: the bootstrap is not finished");
        // With a leader it has formed; once formed (its ID recorded) it stays formed.
        if let Some(m) = observation.membership.as_mut() {
            m.members[0].leader = true;
        }
        assert!(
            membership_input(&cluster(None), &id, target, &observation, names::CLUSTER_DOMAIN).bootstrapped
        );
        observation.membership = None;
        assert!(
            membership_input(&cluster(Some("7")), &id, target, &observation, names::CLUSTER_DOMAIN)
                .bootstrapped
        );
        assert!(
            !membership_input(&cluster(None), &id, target, &observation, names::CLUSTER_DOMAIN).bootstrapped
        );
    }

    #[test]
    fn membership_calls_go_to_voters_only() {
        let mut observation =
            observed(&[("demo-0", "10.0.0.1"), ("demo-1", "10.0.0.2"), ("demo-2", "10.0.0.3")]);
        assert_eq!(voting_endpoints(&observation).len(), 3, "unknown roles: every member");
        observation.membership =
            membership(vec![member("demo-0", false), member("demo-1", false), member("demo-2", true)]);
        assert_eq!(voting_endpoints(&observation), ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]);
    }

    #[test]
    fn the_census_counts_every_pod_and_the_voters_with_and_without_one() {
        let mut observation =
            observed(&[("demo-0", "10.0.0.1"), ("demo-1", "10.0.0.2"), ("demo-3", "10.0.0.4")]);
        assert_eq!(census(&observation), Census { pods: 3, voters: None, voters_without_pod: 0 });
        observation.membership = membership(vec![
            member("demo-0", false),
            member("demo-1", false),
            member("demo-2", false),
            member("demo-3", true),
        ]);
        assert_eq!(
            census(&observation),
            Census { pods: 3, voters: Some(3), voters_without_pod: 1 },
            "demo-2 votes and has no Pod; demo-3 is a learner"
        );
    }
}
