//! Act: carries out one planned step. Every action is idempotent: creating what exists,
//! adding a member that was added, removing one that is gone all count as done, so a
//! reconcile that repeats a step after a crash does no harm.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde_json::json;
use shared::crd::{EtcdBackup, EtcdBackupSpec, EtcdCluster};
use shared::plan::membership::{InitialState, Step};
use shared::version::EtcdVersion;

use super::observe::{Observation, client_endpoints, voting_endpoints};
use crate::etcd::{self, EtcdError};
use crate::identity::Identity;
use crate::resources::pod::{CONTAINER_NAME, MemberPod, member_pod};
use crate::resources::{BuildError, image, pdb, pvc, service};

/// The field manager of everything the operator applies.
const MANAGER: &str = "etcd-operator";

/// Why a step could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// The Kubernetes API refused or failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// etcd refused or failed.
    #[error(transparent)]
    Etcd(#[from] EtcdError),
    /// A resource could not be built from the spec.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A persistent member's claim is gone or being deleted, so it cannot come back as itself.
    #[error(
        "member {member}'s PersistentVolumeClaim {claim} is gone or being deleted, so its data is lost: it \
         is not started empty under its old member ID, and will be replaced as a new member"
    )]
    DataGone {
        /// The member.
        member: String,
        /// Its claim.
        claim: String,
    },
    /// A TLS cluster's certificates cannot be had.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The step names a member whose Pod has no address.
    #[error("member {0} has no Pod IP to reach it at")]
    NoEndpoint(String),
}

/// The cluster token of a cluster: stable across reconciles, unique per cluster object.
pub fn token(id: &Identity) -> String {
    format!("{}-{}", id.name, id.uid.split('-').next().unwrap_or(&id.uid))
}

/// Applies the objects every cluster has whatever its members: the peer, client and
/// metrics Services and the disruption budget (computed from `census`).
pub async fn ensure_base(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    census: &pdb::Census,
) -> Result<(), ActError> {
    let namespace = &id.namespace;
    let apply = PatchParams::apply(MANAGER).force();
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    for svc in service::services(cluster)? {
        services.patch(&svc.name_any(), &apply, &Patch::Apply(&svc)).await?;
    }
    let budget = pdb::disruption_budget(cluster, census)?;
    Api::<PodDisruptionBudget>::namespaced(client.clone(), namespace)
        .patch(&budget.name_any(), &apply, &Patch::Apply(&budget))
        .await?;
    Ok(())
}

/// Asks each claim of `growth` for its new size. A claim Kubernetes refuses to grow (its
/// storage class does not allow expansion) does not hold up the cluster's other steps: the
/// refusals are returned, for the log and an Event.
pub async fn grow_claims(
    client: &kube::Client,
    id: &Identity,
    growth: &[pvc::Growth],
) -> Result<(), Vec<(String, kube::Error)>> {
    let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), &id.namespace);
    let mut refused = Vec::new();
    for grow in growth {
        let patch = json!({"spec": {"resources": {"requests": {"storage": grow.to}}}});
        match claims.patch(&grow.claim, &PatchParams::default(), &Patch::Merge(patch)).await {
            Ok(_) => {
                tracing::info!(cluster = %id.name, claim = %grow.claim, from = %grow.from, to = %grow.to.0, "claim grown")
            }
            Err(error) => refused.push((grow.claim.clone(), error)),
        }
    }
    if refused.is_empty() { Ok(()) } else { Err(refused) }
}

async fn create<K>(api: &Api<K>, object: &K) -> Result<(), kube::Error>
where
    K: kube::Resource + Clone + std::fmt::Debug + Serialize + serde::de::DeserializeOwned,
{
    match api.create(&PostParams::default(), object).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

/// A member Pod (and claim) to create.
struct NewMember<'a> {
    /// The member's name.
    name: &'a str,
    /// New for an initial member, Existing otherwise.
    state: InitialState,
    /// The initial cluster the Pod starts with.
    initial_cluster: &'a [(String, String)],
    /// The etcd version it runs.
    version: EtcdVersion,
}

/// What every member Pod of this operator shares, whatever the cluster.
#[derive(Clone, Copy, Debug)]
pub struct MemberSettings<'a> {
    /// The operator's own image, for a restoring member's seed steps.
    pub operator_image: &'a str,
    /// The cluster DNS domain member addresses are written in.
    pub cluster_domain: &'a str,
}

async fn create_member(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    settings: &MemberSettings<'_>,
    new: NewMember<'_>,
) -> Result<(), ActError> {
    let NewMember { name: member, state, initial_cluster, version } = new;
    let namespace = id.namespace.clone();
    if let Some(claim) = pvc::member_claim(cluster, member)? {
        create(&Api::<PersistentVolumeClaim>::namespaced(client.clone(), &namespace), &claim).await?;
    }
    let version = version.to_string();
    let token = token(id);
    let mut pod = member_pod(
        cluster,
        &MemberPod {
            member,
            version: &version,
            initial_cluster,
            state,
            token: &token,
            operator_image: settings.operator_image,
            cluster_domain: settings.cluster_domain,
        },
    )?;
    if let Some(tls) = &cluster.spec.tls {
        // What the Pod mounts, so that a change of its Secrets restarts it.
        let fingerprint = crate::tls::rotation::current_fingerprint(client, tls, &namespace, member).await?;
        pod.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(shared::crd::CERTIFICATES_ANNOTATION.to_string(), fingerprint);
    }
    create(&Api::<Pod>::namespaced(client.clone(), &namespace), &pod).await?;
    Ok(())
}

/// A member that comes back on its data: its claim must be there and not being deleted
/// (the observation may be a moment old). Otherwise its data is gone, and creating the
/// claim afresh would start the member empty under its old ID, which etcd refuses
/// ("tocommit out of range"); the next reconcile replaces it as a new member instead.
async fn require_data(client: &kube::Client, id: &Identity, member: &str) -> Result<(), ActError> {
    let claim = shared::names::claim_name(member);
    let found =
        Api::<PersistentVolumeClaim>::namespaced(client.clone(), &id.namespace).get_opt(&claim).await?;
    match found {
        Some(c) if c.metadata.deletion_timestamp.is_none() => Ok(()),
        _ => Err(ActError::DataGone { member: member.to_string(), claim }),
    }
}

/// A deletion of something already gone is done.
fn gone<T>(result: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// Carries out `step`.
pub async fn act(
    client: &kube::Client,
    cluster: &EtcdCluster,
    id: &Identity,
    settings: &MemberSettings<'_>,
    observation: &Observation,
    step: &Step,
) -> Result<(), ActError> {
    let namespace = id.namespace.clone();
    let tls = observation.tls.as_ref();
    match step {
        Step::Idle | Step::Paused { .. } | Step::Wait { .. } | Step::Refuse { .. } => {}
        Step::Bootstrap { missing, initial_cluster, version } => {
            // Every member's certificates before any Pod: cert-manager issues them all at once.
            crate::tls::ensure_members(client, cluster, id, missing, settings.cluster_domain).await?;
            for member in missing {
                let new =
                    NewMember { name: member, state: InitialState::New, initial_cluster, version: *version };
                create_member(client, cluster, id, settings, new).await?;
            }
        }
        Step::CreatePod { member, state, initial_cluster, version, keep_data } => {
            if *keep_data {
                require_data(client, id, member).await?;
            }
            let members = std::slice::from_ref(member);
            crate::tls::ensure_members(client, cluster, id, members, settings.cluster_domain).await?;
            let new = NewMember { name: member, state: *state, initial_cluster, version: *version };
            create_member(client, cluster, id, settings, new).await?;
        }
        Step::TakeSnapshot { backup } => {
            let destination = cluster.spec.backup.as_ref().map(|b| b.destination.clone()).unwrap_or_default();
            let spec = EtcdBackupSpec {
                cluster_name: cluster.name_any(),
                destination,
                schedule: None,
                retention: None,
                suspend: false,
            };
            let mut request = EtcdBackup::new(backup, spec);
            request.metadata.namespace = Some(namespace.clone());
            request.metadata.owner_references = cluster.controller_owner_ref(&()).map(|o| vec![o]);
            create(&Api::<EtcdBackup>::namespaced(client.clone(), &namespace), &request).await?;
        }
        Step::ChangeVersion { member, to, .. } => {
            // Only the image of a Pod may change: the kubelet restarts the container with
            // it, with the same volumes, so the member comes back as itself.
            let image = image(cluster, &to.to_string());
            let patch = json!({"spec": {"containers": [{"name": CONTAINER_NAME, "image": image}]}});
            Api::<Pod>::namespaced(client.clone(), &namespace)
                .patch(member, &PatchParams::default(), &Patch::Strategic(patch))
                .await?;
        }
        Step::AddLearner { peer_url, .. } => {
            etcd::add_learner(&voting_endpoints(observation), peer_url, tls).await?
        }
        Step::PromoteLearner { id, .. } => etcd::promote(&voting_endpoints(observation), *id, tls).await?,
        Step::RemoveMember { id, .. } => etcd::remove(&voting_endpoints(observation), *id, tls).await?,
        Step::MoveLeader { to_id, from, .. } => {
            let leader = client_endpoints(&observation.pods, tls.is_some())
                .into_iter()
                .find(|(name, _)| name == from)
                .map(|(_, url)| url)
                .ok_or_else(|| ActError::NoEndpoint(from.clone()))?;
            etcd::move_leader(&leader, *to_id, tls).await?;
        }
        Step::AdvertiseTls { id, peer_url, .. } => {
            etcd::update_peer_url(&voting_endpoints(observation), *id, peer_url, tls).await?
        }
        Step::ApplySettings { member }
        | Step::RenewCertificates { member }
        | Step::ChangeTransport { member, .. }
        | Step::ReseedMember { member } => {
            // A Pod's args cannot change, nor can a kubelet be made to run a Pod's init
            // containers from the first again, and the sandbox (like a kubelet for etcd, which
            // reads its certificates at start) gives a Pod its Secrets when it starts: the
            // Pod is deleted, and the planner creates it again on the same claim with the
            // spec's flags, the transport its peer URL says and the current Secrets once it
            // is gone.
            gone(
                Api::<Pod>::namespaced(client.clone(), &namespace)
                    .delete(member, &DeleteParams::default())
                    .await,
            )?;
        }
        Step::DeletePod { member, claim } => {
            gone(
                Api::<Pod>::namespaced(client.clone(), &namespace)
                    .delete(member, &DeleteParams::default())
                    .await,
            )?;
            if *claim {
                let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), &namespace);
                gone(claims.delete(&shared::names::claim_name(member), &DeleteParams::default()).await)?;
            }
            crate::tls::delete_member(client, cluster, &namespace, member).await?;
        }
    }
    Ok(())
}
