//! One reconcile of an EtcdCluster, as a pipeline: observe -> plan -> act -> report.

pub mod act;
pub mod maintenance;
pub mod observe;
pub mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Api, Resource, ResourceExt};
use shared::conditions::{ConditionType, Reason};
use shared::crd::{EtcdCluster, EtcdClusterStatus};
use shared::plan::meaning::NextLook;
use shared::plan::membership::{Step, plan_membership};
use shared::version::EtcdVersion;

use act::ActError;

use crate::identity::{Identity, IdentityError};

/// How soon to look again while something is under way that watch events announce (the
/// safety net behind them), and after etcd asked to retry.
const BUSY: Duration = Duration::from_secs(1);
/// How soon to ask etcd again while waiting for what only etcd can tell (a member
/// becoming healthy, a learner catching up): each look is a member list and a status call
/// per member, so a short wait costs little, and each step starts within this of the
/// previous one being done.
const SOON: Duration = Duration::from_millis(50);
/// How soon to plan the next step after one carried out in etcd alone (a leader move, a
/// promotion): at once, with a floor that bounds a step that repeats itself to 20 a second.
const AT_ONCE: Duration = Duration::from_millis(50);
/// How soon to look again for the Secrets of a TLS cluster that are missing or not yet
/// filled by cert-manager, and for cert-manager itself (Secrets and Certificates are not
/// watched).
const TLS_RETRY: Duration = Duration::from_secs(5);
/// How often an idle cluster's health is checked (and its `lastHealthCheck` written).
const IDLE: Duration = Duration::from_secs(30);

/// What every reconcile shares.
pub struct Context {
    /// The Kubernetes client.
    pub client: kube::Client,
    /// Publishes Events about clusters.
    pub recorder: Recorder,
    /// What the operator counts.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// The operator's own image, for the seed steps of a restoring member's Pod.
    pub operator_image: String,
    /// The cluster DNS domain member addresses are written in.
    pub cluster_domain: String,
    /// When the Services and disruption budget of each cluster (by UID) were last applied,
    /// for which generation and with which `minAvailable`.
    pub base_applied: std::sync::Mutex<std::collections::HashMap<String, BaseApplied>>,
}

impl Context {
    /// What the member Pods this operator creates share.
    pub fn member_settings(&self) -> act::MemberSettings<'_> {
        act::MemberSettings { operator_image: &self.operator_image, cluster_domain: &self.cluster_domain }
    }
}

/// What the Services and disruption budget of a cluster were last applied with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseApplied {
    /// The cluster's `metadata.generation`.
    pub generation: i64,
    /// The budget's `minAvailable`.
    pub min_available: i32,
    /// When.
    pub at: Instant,
}

/// How often the Services and disruption budget of an idle cluster are applied again,
/// which repairs hand edits (a deleted Service is noticed at once: it is watched).
const BASE_REFRESH: Duration = Duration::from_secs(600);

/// Whether the Services and disruption budget must be applied now: something is under
/// way, the spec changed since they were applied, the budget's `minAvailable` (which
/// follows the membership) differs from the one applied, a Service is missing, or they
/// were last applied longer ago than [`BASE_REFRESH`].
fn base_due(
    step: &Step,
    cluster: &EtcdCluster,
    services: &[String],
    min_available: i32,
    applied: Option<BaseApplied>,
    now: Instant,
) -> bool {
    let name = cluster.name_any();
    let wanted = crate::resources::service::service_names(&name);
    let generation = cluster.metadata.generation.unwrap_or_default();
    !matches!(step, Step::Idle | Step::Wait { .. })
        || wanted.iter().any(|s| !services.contains(s))
        || applied.is_none_or(|applied| {
            applied.generation != generation
                || applied.min_available != min_available
                || now.duration_since(applied.at) >= BASE_REFRESH
        })
}

/// Why a reconcile failed; the controller retries it.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The cluster object lacks its namespace, name or UID.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Reading the cluster's objects failed.
    #[error("observing the cluster failed: {0}")]
    Observe(kube::Error),
    /// Writing the status failed.
    #[error("writing the status failed: {0}")]
    Report(kube::Error),
    /// A step failed.
    #[error(transparent)]
    Act(#[from] ActError),
}

impl ReconcileError {
    /// A short CamelCase name of what failed, the `reason` label of
    /// `etcd_operator_reconcile_errors_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Identity(_) => "Identity",
            ReconcileError::Observe(_) => "Observe",
            ReconcileError::Report(_) => "Status",
            ReconcileError::Act(ActError::Kube(_)) => "KubernetesApi",
            ReconcileError::Act(ActError::Etcd(_)) => "Etcd",
            ReconcileError::Act(ActError::Build(_)) => "Build",
            ReconcileError::Act(ActError::DataGone { .. }) => "DataGone",
            ReconcileError::Act(ActError::NoEndpoint(_)) => "NoEndpoint",
            ReconcileError::Act(ActError::Tls(_)) => "Tls",
        }
    }
}

/// One reconcile, as a pipeline: refuse what cannot be run, observe, plan (pure), act,
/// report (status, Event, metrics).
pub async fn reconcile(cluster: Arc<EtcdCluster>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    if cluster.metadata.deletion_timestamp.is_some() {
        // Owner references take everything the cluster owns with it.
        return Ok(Action::await_change());
    }
    let id = Identity::of(cluster.as_ref())?;
    let target = match runnable(&cluster) {
        Ok(target) => target,
        Err((reason, message)) => {
            let status = report::unsupported(&cluster, reason, &message, now());
            if report::changed(cluster.status.as_ref(), &status) {
                write_status(&ctx, &cluster, &id, &status).await?;
            }
            return Ok(Action::await_change());
        }
    };
    let tls = match crate::tls::prepare(&ctx.client, &cluster, &id).await {
        Ok(tls) => tls,
        Err(error) => {
            let status = if error.is_wait() {
                let previous = cluster.status.clone().unwrap_or_default();
                report::waiting_for_certificates(&cluster, previous, &error.to_string(), now())
            } else {
                report::unsupported(&cluster, error.reason(), &error.to_string(), now())
            };
            if report::changed(cluster.status.as_ref(), &status) {
                write_status(&ctx, &cluster, &id, &status).await?;
            }
            tracing::warn!(cluster = %id.name, %error, "the cluster's certificates cannot be had");
            return Ok(Action::requeue(TLS_RETRY));
        }
    };
    let mut observation =
        observe::observe(&ctx.client, &cluster, &id, tls).await.map_err(ReconcileError::Observe)?;
    let members: Vec<String> = observation
        .pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .map(ResourceExt::name_any)
        .collect();
    observation.certificates = crate::tls::rotation::survey(
        &ctx.client,
        &cluster,
        &id,
        &members,
        &ctx.cluster_domain,
        crate::tls::now(),
    )
    .await
    .map_err(|error| ReconcileError::Act(ActError::Tls(error)))?;
    let step =
        plan_membership(&observe::membership_input(&cluster, &id, target, &observation, &ctx.cluster_domain));
    tracing::info!(cluster = %id.name, step = %step.describe(), "planned");
    let acted = carry_out(&ctx, &cluster, &id, &observation, &step).await;
    // A CA rotation moves to its next phase once every member took the current one.
    let ca_phase = observation.certificates.as_ref().and_then(|s| s.ca_rotation);
    let rotated =
        crate::tls::rotation::advance(&ctx.client, &id, ca_phase, acted.is_ok() && step == Step::Idle)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(cluster = %id.name, %error, "moving the CA rotation on failed; trying again");
                true
            });
    // Maintenance runs when the membership step changes nothing. A refusal counts: NOSPACE
    // on every member makes etcd's health (and so the membership planner) see no quorum,
    // and the defragmentation planner checks for itself that every member answers and
    // agrees on a leader.
    let settled = acted.is_ok() && matches!(step, Step::Idle | Step::Wait { .. } | Step::Refuse { .. });
    let maintained = maintenance::maintain(&ctx, &cluster, &id, &observation, settled).await;
    let mut status = report::status(&cluster, &observation, &step, now());
    if let Err(ActError::Tls(error)) = &acted
        && error.is_wait()
    {
        status = report::waiting_for_certificates(&cluster, status, &error.to_string(), now());
    }
    let busy = rotated
        || match &maintained {
            Ok(m) => {
                status.defrag = m.defrag.clone();
                m.busy
            }
            Err(_) => true,
        };
    report(&ctx, &cluster, &id, &status, &step, acted.is_ok()).await?;
    if let Err(error) = maintained {
        tracing::warn!(cluster = %id.name, %error, "a maintenance step failed; trying again");
        return Ok(Action::requeue(BUSY));
    }
    match acted {
        Err(ActError::Tls(error)) if error.is_wait() => {
            tracing::info!(cluster = %id.name, %error, "waiting for certificates");
            Ok(Action::requeue(TLS_RETRY))
        }
        Err(ActError::Etcd(error)) if error.is_retryable() => {
            tracing::info!(cluster = %id.name, %error, "etcd asked to retry");
            Ok(Action::requeue(BUSY))
        }
        Err(error) => Err(error.into()),
        Ok(()) => Ok(match step.next_look() {
            NextLook::Periodic if !busy => Action::requeue(IDLE),
            NextLook::Periodic | NextLook::OnChange => Action::requeue(BUSY),
            NextLook::Soon => Action::requeue(SOON),
            NextLook::AtOnce => Action::requeue(AT_ONCE),
        }),
    }
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

/// The version to run, or why the spec cannot be run as it says: never run a cluster
/// differently from its spec; refuse, and say how to go on.
fn runnable(cluster: &EtcdCluster) -> Result<EtcdVersion, (Reason, String)> {
    cluster.spec.version.parse::<EtcdVersion>().map_err(|_| {
        let message = format!(
            "spec.version {:?} is not an etcd version: set it to MAJOR.MINOR.PATCH, e.g. {}",
            cluster.spec.version,
            shared::version::default_version()
        );
        (Reason::InvalidVersion, message)
    })
}

/// Report: writes the status when it says something new (or the health check is due),
/// publishes the Event the step is worth once it was carried out, and counts the reconcile.
async fn report(
    ctx: &Context,
    cluster: &EtcdCluster,
    id: &Identity,
    status: &EtcdClusterStatus,
    step: &Step,
    acted: bool,
) -> Result<(), ReconcileError> {
    if report::changed(cluster.status.as_ref(), status)
        || report::health_check_due(cluster.status.as_ref(), status)
    {
        write_status(ctx, cluster, id, status).await?;
    }
    if let Some(note) = report::newly_expiring(cluster.status.as_ref(), status) {
        tracing::warn!(cluster = %id.name, %note, "a certificate is expiring");
        let event = crate::events::event(true, "CertificateExpiring", "RotateCertificates", note);
        crate::events::publish(&ctx.recorder, &event, &cluster.object_ref(&())).await;
    }
    if acted && let Some(event) = step.event() {
        let event = Event {
            type_: if event.warning { EventType::Warning } else { EventType::Normal },
            reason: event.reason.into(),
            note: Some(step.describe()),
            action: event.action.into(),
            // The member's Pod, so Events about different members stay apart (Events with
            // the same reason and objects are merged into one series).
            secondary: step.member().map(|member| ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(member.to_string()),
                namespace: Some(id.namespace.clone()),
                ..ObjectReference::default()
            }),
        };
        crate::events::publish(&ctx.recorder, &event, &cluster.object_ref(&())).await;
    }
    count(&ctx.metrics, id, status, step, acted);
    Ok(())
}

/// Writes `status`. `lastBackup` belongs to the backup controller, which records it on its
/// own, so a reconcile never removes it.
async fn write_status(
    ctx: &Context,
    cluster: &EtcdCluster,
    id: &Identity,
    status: &EtcdClusterStatus,
) -> Result<(), ReconcileError> {
    let patch = crate::status_patch::status_patch(cluster.status.as_ref(), status, &["lastBackup"]);
    Api::<EtcdCluster>::namespaced(ctx.client.clone(), &id.namespace)
        .patch_status(&id.name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(ReconcileError::Report)?;
    Ok(())
}

/// Act: applies the base objects when they are due, then carries out `step`. A paused
/// cluster (`Step::Paused`) is left exactly as it is.
async fn carry_out(
    ctx: &Context,
    cluster: &EtcdCluster,
    id: &Identity,
    observation: &observe::Observation,
    step: &Step,
) -> Result<(), ActError> {
    if matches!(step, Step::Paused { .. }) {
        return Ok(());
    }
    let now = Instant::now();
    let applied = {
        let mut cache = ctx.base_applied.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        prune(&mut cache, now);
        cache.get(&id.uid).copied()
    };
    // The budget covers the Pods this step creates from the start: applied after them, a
    // learner's healthy Pod would allow one eviction too many until the next reconcile.
    let mut census = observe::census(observation);
    census.pods += pods_created_by(step);
    let min_available = crate::resources::pdb::min_available(cluster, &census);
    if base_due(step, cluster, &observation.services, min_available, applied, now) {
        act::ensure_base(&ctx.client, cluster, id, &census).await?;
        let generation = cluster.metadata.generation.unwrap_or_default();
        ctx.base_applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.uid.clone(), BaseApplied { generation, min_available, at: now });
    }
    grow_claims(ctx, cluster, id, observation).await;
    act::act(&ctx.client, cluster, id, &ctx.member_settings(), observation, step).await
}

/// Grows the member claims to a larger `spec.storage.size`. A refusal (a storage class
/// without volume expansion) is logged and published as a Warning Event naming the way on,
/// and does not stop the reconcile.
async fn grow_claims(
    ctx: &Context,
    cluster: &EtcdCluster,
    id: &Identity,
    observation: &observe::Observation,
) {
    let growth = crate::resources::pvc::claims_to_grow(cluster, &observation.claims);
    if growth.is_empty() {
        return;
    }
    if let Err(refused) = act::grow_claims(&ctx.client, id, &growth).await {
        for (claim, error) in refused {
            tracing::warn!(cluster = %id.name, %claim, %error, "growing the claim was refused");
            let note = format!(
                "growing {claim} to spec.storage.size was refused: {error}. Volume expansion needs a storage class \
                 with allowVolumeExpansion: true; otherwise set spec.storage.size back to the claim's size"
            );
            let event = crate::events::event(true, "StorageGrowthRefused", "GrowStorage", note);
            crate::events::publish(&ctx.recorder, &event, &cluster.object_ref(&())).await;
        }
    }
}

/// Forgets the clusters whose base objects were not applied for two refresh periods: every
/// cluster that still exists is reconciled at least every [`IDLE`] and refreshes its entry
/// every [`BASE_REFRESH`], so these are deleted clusters (a paused one is applied again on
/// resume, which is harmless).
fn prune(cache: &mut std::collections::HashMap<String, BaseApplied>, now: Instant) {
    cache.retain(|_, applied| now.duration_since(applied.at) < 2 * BASE_REFRESH);
}

/// How many member Pods `step` creates.
fn pods_created_by(step: &Step) -> usize {
    match step {
        Step::Bootstrap { missing, .. } => missing.len(),
        Step::CreatePod { .. } => 1,
        _ => 0,
    }
}

/// Records the reconcile in the metrics.
fn count(
    metrics: &crate::metrics::Metrics,
    id: &Identity,
    status: &EtcdClusterStatus,
    step: &Step,
    ok: bool,
) {
    use crate::metrics::{ChangeLabels, ClusterLabels, OutcomeLabels};
    let outcome = if ok { "ok" } else { "error" };
    metrics.reconciles.get_or_create(&OutcomeLabels { outcome: outcome.into() }).inc();
    if ok && let Some(event) = step.event() {
        metrics.membership_changes.get_or_create(&ChangeLabels { change: event.reason.into() }).inc();
    }
    let labels = ClusterLabels { namespace: id.namespace.clone(), cluster: id.name.clone() };
    metrics.healthy_members.get_or_create(&labels).set(i64::from(status.ready_members));
    metrics.desired_members.get_or_create(&labels).set(i64::from(status.desired_members));
    let available = shared::conditions::is_true(&status.conditions, ConditionType::Available);
    metrics.available.get_or_create(&labels).set(i64::from(available));
}

/// On failure, count it and try again after a pause.
pub fn error_policy(cluster: Arc<EtcdCluster>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    tracing::warn!(cluster = %cluster.name_any(), reason = error.reason(), %error, "reconcile failed; retrying in 5 s");
    let labels = crate::metrics::ErrorLabels {
        namespace: cluster.namespace().unwrap_or_default(),
        cluster: cluster.name_any(),
        reason: error.reason().to_string(),
    };
    ctx.metrics.reconcile_errors.get_or_create(&labels).inc();
    Action::requeue(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_that_cannot_be_run_is_refused_with_its_reason() {
        let mut cluster: EtcdCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo"}, "spec": {"version": "3.5.30"}}))
        .expect("cluster");
        assert_eq!(runnable(&cluster), Ok("3.5.30".parse().expect("version")));
        cluster.spec.version = "latest".into();
        let (reason, message) = runnable(&cluster).expect_err("refused");
        assert_eq!(reason, Reason::InvalidVersion);
        assert!(message.contains("\"latest\" is not an etcd version"), "{message}");
    }

    #[test]
    fn reconcile_errors_name_what_failed() {
        let gone =
            ReconcileError::Act(ActError::DataGone { member: "demo-1".into(), claim: "data-demo-1".into() });
        assert_eq!(gone.reason(), "DataGone");
        assert_eq!(ReconcileError::Act(ActError::NoEndpoint("demo-1".into())).reason(), "NoEndpoint");
        assert_eq!(
            ReconcileError::Act(ActError::Build(crate::resources::BuildError::NoUid)).reason(),
            "Build"
        );
    }

    #[test]
    fn entries_of_clusters_not_seen_for_two_refresh_periods_are_forgotten() {
        let start = Instant::now();
        let at = |at| BaseApplied { generation: 1, min_available: 2, at };
        let now = start + 2 * BASE_REFRESH + Duration::from_secs(1);
        let mut cache = std::collections::HashMap::from([
            ("live".to_string(), at(start + BASE_REFRESH + Duration::from_secs(1))),
            ("deleted".to_string(), at(start)),
        ]);
        prune(&mut cache, now);
        assert_eq!(cache.keys().collect::<Vec<_>>(), ["live"]);
    }

    fn demo(generation: i64) -> EtcdCluster {
        serde_json::from_value(
            serde_json::json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo", "generation": generation}, "spec": {"version": "3.5.1"}}),
        )
        .expect("cluster")
    }

    #[test]
    fn base_objects_are_applied_only_when_something_calls_for_it() {
        let mut cluster = demo(2);
        let services = vec!["demo".to_string(), "demo-client".to_string(), "demo-metrics".to_string()];
        let now = Instant::now();
        let fresh = Some(BaseApplied { generation: 2, min_available: 2, at: now });
        let due = |step: &Step, cluster: &EtcdCluster, services: &[String], applied, at| {
            base_due(step, cluster, services, 2, applied, at)
        };
        assert!(!due(&Step::Idle, &cluster, &services, fresh, now), "idle, applied, present");
        assert!(due(&Step::Idle, &cluster, &services, None, now), "never applied by this operator");
        assert!(due(&Step::Idle, &cluster, &services[..1], fresh, now), "the client Service is gone");
        assert!(due(&Step::Idle, &cluster, &services[..2], fresh, now), "the metrics Service is gone");
        let later = now + BASE_REFRESH;
        assert!(due(&Step::Idle, &cluster, &services, fresh, later), "refreshed now and then");
        let step = Step::AddLearner { member: "demo-3".into(), peer_url: String::new() };
        assert!(due(&step, &cluster, &services, fresh, now), "a change is under way");
        cluster.metadata.generation = Some(3);
        assert!(due(&Step::Idle, &cluster, &services, fresh, now), "the spec changed");
    }

    #[test]
    fn the_budget_is_applied_again_when_its_min_available_changes() {
        let cluster = demo(2);
        let services = vec!["demo".to_string(), "demo-client".to_string(), "demo-metrics".to_string()];
        let now = Instant::now();
        let applied = Some(BaseApplied { generation: 2, min_available: 3, at: now });
        assert!(!base_due(&Step::Idle, &cluster, &services, 3, applied, now), "the same budget");
        // A member was removed (5 voters -> 4, the same generation): fewer evictions allowed.
        assert!(base_due(&Step::Idle, &cluster, &services, 4, applied, now), "the membership changed");
        let waiting = Step::Wait { reason: "a member is starting".into() };
        assert!(base_due(&waiting, &cluster, &services, 2, applied, now), "etcd answered again");
    }

    #[test]
    fn the_budget_counts_the_pods_the_step_creates() {
        let create = Step::CreatePod {
            member: "demo-3".into(),
            state: shared::plan::membership::InitialState::Existing,
            initial_cluster: vec![],
            version: "3.5.1".parse().expect("version"),
            keep_data: false,
        };
        assert_eq!(pods_created_by(&create), 1);
        assert_eq!(pods_created_by(&Step::Idle), 0);
        let add = Step::AddLearner { member: "demo-3".into(), peer_url: String::new() };
        assert_eq!(pods_created_by(&add), 0, "the Pod comes with the next step");
    }
}
