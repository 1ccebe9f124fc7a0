//! One reconcile of an EtcdCluster, as a pipeline: observe -> plan -> act -> report.

pub mod act;
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
use shared::crd::EtcdCluster;
use shared::plan::membership::{Step, plan_membership};
use shared::version::EtcdVersion;

use act::ActError;

/// How soon to look again while something is under way.
const BUSY: Duration = Duration::from_secs(1);
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
    /// When the Services and disruption budget of each cluster (by UID) were last applied,
    /// for which generation and with which `minAvailable`.
    pub base_applied: std::sync::Mutex<std::collections::HashMap<String, BaseApplied>>,
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
    let wanted = [shared::names::peer_service_name(&name), shared::names::client_service_name(&name)];
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

/// Observes the cluster, plans the next step, carries it out and reports.
pub async fn reconcile(cluster: Arc<EtcdCluster>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    if cluster.metadata.deletion_timestamp.is_some() {
        // Owner references take everything the cluster owns with it.
        return Ok(Action::await_change());
    }
    let name = cluster.name_any();
    if cluster.spec.tls.is_some() {
        // Never run a cluster differently from what its spec says: refuse, and say so.
        let message = "spec.tls is not supported yet: remove it to run the cluster without TLS, \
                       or wait for a release that supports TLS";
        return refuse(&ctx, &cluster, "TlsNotSupported", message).await;
    }
    let Ok(target) = cluster.spec.version.parse::<EtcdVersion>() else {
        let message = format!(
            "spec.version {:?} is not an etcd version: set it to MAJOR.MINOR.PATCH, e.g. {}",
            cluster.spec.version,
            shared::version::default_version()
        );
        return refuse(&ctx, &cluster, "InvalidVersion", &message).await;
    };
    let observation = observe::observe(&ctx.client, &cluster).await.map_err(ReconcileError::Observe)?;
    let step = plan_membership(&observe::membership_input(&cluster, target, &observation));
    tracing::info!(cluster = %name, step = %report::describe(&step), "planned");
    let acted =
        if cluster.spec.paused { Ok(()) } else { carry_out(&ctx, &cluster, &observation, &step).await };
    let retry_soon = match &acted {
        Err(ActError::Etcd(e)) if e.is_retryable() => {
            tracing::info!(cluster = %name, error = %e, "etcd asked to retry");
            true
        }
        Err(_) => false,
        Ok(()) => true,
    };
    let status = report::status(&cluster, &observation, &step, Time(k8s_openapi::jiff::Timestamp::now()));
    if report::changed(cluster.status.as_ref(), &status)
        || report::health_check_due(cluster.status.as_ref(), &status)
    {
        Api::<EtcdCluster>::namespaced(ctx.client.clone(), &cluster.namespace().unwrap_or_default())
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(status_patch(cluster.status.as_ref(), &status)),
            )
            .await
            .map_err(ReconcileError::Report)?;
    }
    count(&ctx.metrics, &cluster, &status, &step, acted.is_ok());
    match acted {
        Err(error) if !retry_soon => Err(error.into()),
        _ if step == Step::Idle || matches!(step, Step::Refuse { .. } | Step::Paused { .. }) => {
            Ok(Action::requeue(IDLE))
        }
        _ => Ok(Action::requeue(BUSY)),
    }
}

/// The merge patch that writes a cluster's status. `lastBackup` belongs to the backup
/// controller, which records it on its own, so a reconcile never removes it.
fn status_patch(
    previous: Option<&shared::crd::EtcdClusterStatus>,
    next: &shared::crd::EtcdClusterStatus,
) -> serde_json::Value {
    crate::status_patch::status_patch(previous, next, &["lastBackup"])
}

/// Refuses a spec the operator cannot carry out: phase Failed with `reason`, nothing else.
async fn refuse(
    ctx: &Context,
    cluster: &EtcdCluster,
    reason: &str,
    message: &str,
) -> Result<Action, ReconcileError> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let status = report::unsupported(cluster, reason, message, now);
    if report::changed(cluster.status.as_ref(), &status) {
        Api::<EtcdCluster>::namespaced(ctx.client.clone(), &cluster.namespace().unwrap_or_default())
            .patch_status(
                &cluster.name_any(),
                &PatchParams::default(),
                &Patch::Merge(status_patch(cluster.status.as_ref(), &status)),
            )
            .await
            .map_err(ReconcileError::Report)?;
    }
    Ok(Action::await_change())
}

async fn carry_out(
    ctx: &Context,
    cluster: &EtcdCluster,
    observation: &observe::Observation,
    step: &Step,
) -> Result<(), ActError> {
    let key = cluster.uid().unwrap_or_default();
    let applied =
        ctx.base_applied.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).copied();
    let now = Instant::now();
    // The budget covers the Pods this step creates from the start: applied after them, a
    // learner's healthy Pod would allow one eviction too many until the next reconcile.
    let mut census = observe::census(observation);
    census.pods += pods_created_by(step);
    let min_available = crate::resources::pdb::min_available(cluster, &census);
    if base_due(step, cluster, &observation.services, min_available, applied, now) {
        act::ensure_base(&ctx.client, cluster, &census).await?;
        let generation = cluster.metadata.generation.unwrap_or_default();
        ctx.base_applied
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, BaseApplied { generation, min_available, at: now });
    }
    act::act(&ctx.client, cluster, observation, step).await?;
    if let Some((reason, action)) = event_of(step) {
        let event = Event {
            type_: if matches!(step, Step::Refuse { .. }) { EventType::Warning } else { EventType::Normal },
            reason: reason.into(),
            note: Some(report::describe(step)),
            action: action.into(),
            // The member's Pod, so Events about different members stay apart (Events with
            // the same reason and objects are merged into one series).
            secondary: member_of(step).map(|member| ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(member.to_string()),
                namespace: cluster.namespace(),
                ..ObjectReference::default()
            }),
        };
        crate::events::publish(&ctx.recorder, &event, &cluster.object_ref(&())).await;
    }
    Ok(())
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
    cluster: &EtcdCluster,
    status: &shared::crd::EtcdClusterStatus,
    step: &Step,
    ok: bool,
) {
    use crate::metrics::{ChangeLabels, ClusterLabels, OutcomeLabels};
    let outcome = if ok { "ok" } else { "error" };
    metrics.reconciles.get_or_create(&OutcomeLabels { outcome: outcome.into() }).inc();
    if ok && let Some((reason, _)) = event_of(step) {
        metrics.membership_changes.get_or_create(&ChangeLabels { change: reason.into() }).inc();
    }
    let labels =
        ClusterLabels { namespace: cluster.namespace().unwrap_or_default(), cluster: cluster.name_any() };
    metrics.healthy_members.get_or_create(&labels).set(i64::from(status.ready_members));
    metrics.desired_members.get_or_create(&labels).set(i64::from(status.desired_members));
    let available = status.conditions.iter().any(|c| c.type_ == "Available" && c.status == "True");
    metrics.available.get_or_create(&labels).set(i64::from(available));
}

/// Steps worth an Event: every membership change and every refusal.
fn event_of(step: &Step) -> Option<(&'static str, &'static str)> {
    match step {
        Step::Bootstrap { .. } => Some(("Bootstrapping", "Create")),
        Step::CreatePod { .. } => Some(("MemberPodCreated", "Create")),
        Step::AddLearner { .. } => Some(("MemberAdded", "Scale")),
        Step::PromoteLearner { .. } => Some(("MemberPromoted", "Scale")),
        Step::MoveLeader { .. } => Some(("LeaderMoved", "Scale")),
        Step::RemoveMember { .. } => Some(("MemberRemoved", "Scale")),
        Step::DeletePod { .. } => Some(("MemberPodDeleted", "Scale")),
        Step::ChangeVersion { .. } => Some(("MemberVersionChanged", "Upgrade")),
        Step::TakeSnapshot { .. } => Some(("SnapshotBeforeUpgrade", "Upgrade")),
        Step::Refuse { .. } => Some(("Refused", "Reconcile")),
        Step::Idle | Step::Wait { .. } | Step::Paused { .. } => None,
    }
}

/// The member a step is about, if it is about one.
fn member_of(step: &Step) -> Option<&str> {
    match step {
        Step::CreatePod { member, .. }
        | Step::AddLearner { member, .. }
        | Step::PromoteLearner { member, .. }
        | Step::RemoveMember { member, .. }
        | Step::DeletePod { member, .. }
        | Step::ChangeVersion { member, .. }
        | Step::MoveLeader { to: member, .. } => Some(member),
        Step::Idle
        | Step::Wait { .. }
        | Step::Paused { .. }
        | Step::Bootstrap { .. }
        | Step::Refuse { .. }
        | Step::TakeSnapshot { .. } => None,
    }
}

/// On failure, try again after a pause.
pub fn error_policy(cluster: Arc<EtcdCluster>, error: &ReconcileError, _ctx: Arc<Context>) -> Action {
    tracing::warn!(cluster = %cluster.name_any(), %error, "reconcile failed; retrying in 5 s");
    Action::requeue(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let services = vec!["demo".to_string(), "demo-client".to_string()];
        let now = Instant::now();
        let fresh = Some(BaseApplied { generation: 2, min_available: 2, at: now });
        let due = |step: &Step, cluster: &EtcdCluster, services: &[String], applied, at| {
            base_due(step, cluster, services, 2, applied, at)
        };
        assert!(!due(&Step::Idle, &cluster, &services, fresh, now), "idle, applied, present");
        assert!(due(&Step::Idle, &cluster, &services, None, now), "never applied by this operator");
        assert!(due(&Step::Idle, &cluster, &services[..1], fresh, now), "the client Service is gone");
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
        let services = vec!["demo".to_string(), "demo-client".to_string()];
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
