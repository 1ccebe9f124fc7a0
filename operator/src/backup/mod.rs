//! Backups: the EtcdBackup controller. A one-shot backup takes one snapshot; a scheduled one
//! takes a snapshot at every time its cron schedule names and prunes old ones by retention.
//!
//! A snapshot is streamed from the healthy voting member with the highest revision straight
//! into the destination (`snapshot`), through `object_store` (`store`); what to name it, when
//! to run and what to keep is decided by pure functions (`plan`). On success the cluster's
//! `status.lastBackup` is set with a merge patch of that field alone, so the cluster
//! reconciler's own status writes and this one do not overwrite each other.

pub mod plan;
pub mod snapshot;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Api, Resource, ResourceExt};
use object_store::ObjectStoreExt;
use serde_json::json;
use shared::crd::{BackupPhase, EtcdBackup, EtcdBackupStatus, EtcdCluster, SnapshotInfo};
use shared::names;

use crate::identity::{self, IdentityError};
use crate::metrics::{BackupLabels, BackupOutcomeLabels, Metrics};
use crate::reconcile::observe::{client_endpoints, serve_tls};
use crate::status_patch::status_patch;
use plan::Failure;

/// Why a reconcile of a backup failed (its status could not be read or written, or it lacks
/// its namespace); retried.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The Kubernetes API failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The EtcdBackup lacks its namespace.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// What the backup controller shares between reconciles.
pub struct BackupContext {
    /// The Kubernetes client.
    pub client: kube::Client,
    /// Publishes Events about backups.
    pub recorder: kube::runtime::events::Recorder,
    /// Where backups are counted.
    pub metrics: Arc<Metrics>,
}

/// Runs the EtcdBackup controller until `shutdown` completes.
pub async fn run(
    client: kube::Client,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let context = Arc::new(BackupContext {
        client: client.clone(),
        recorder: crate::events::recorder(client.clone()),
        metrics,
    });
    Controller::new(Api::<EtcdBackup>::all(client), watcher::Config::default())
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "backup reconcile error");
            }
        })
        .await;
}

fn error_policy(backup: Arc<EtcdBackup>, error: &BackupError, _ctx: Arc<BackupContext>) -> Action {
    tracing::warn!(backup = %backup.name_any(), %error, "backup reconcile failed; retrying in 5 s");
    Action::requeue(Duration::from_secs(5))
}

async fn write_status(
    ctx: &BackupContext,
    backup: &EtcdBackup,
    status: &EtcdBackupStatus,
) -> Result<(), BackupError> {
    Api::<EtcdBackup>::namespaced(ctx.client.clone(), &identity::namespace(backup)?)
        .patch_status(
            &backup.name_any(),
            &PatchParams::default(),
            &Patch::Merge(status_patch(backup.status.as_ref(), status, &[])),
        )
        .await?;
    Ok(())
}

fn condition(type_: &str, reason: &str, message: &str, generation: Option<i64>, now: Timestamp) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: "True".to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        last_transition_time: Time(now),
        observed_generation: generation,
    }
}

/// The status after an attempt, from the status before it. A success replaces the snapshot;
/// a failure keeps the previous snapshot and retained list and says why.
pub fn after_attempt(
    previous: &EtcdBackupStatus,
    generation: Option<i64>,
    started: Timestamp,
    outcome: &Result<SnapshotInfo, Failure>,
    now: Timestamp,
) -> EtcdBackupStatus {
    let mut status = previous.clone();
    status.observed_generation = generation;
    status.started_at = Some(Time(started));
    status.completed_at = Some(Time(now));
    match outcome {
        Ok(info) => {
            status.phase = Some(BackupPhase::Succeeded);
            status.snapshot = Some(info.clone());
            status.reason = None;
            let message = format!(
                "stored {} bytes at revision {} from {} in {}",
                info.size_bytes,
                info.revision,
                info.member.as_deref().unwrap_or("?"),
                info.location
            );
            status.conditions = vec![condition("Complete", "SnapshotStored", &message, generation, now)];
            status.message = Some(message);
        }
        Err(failure) => {
            status.phase = Some(BackupPhase::Failed);
            status.reason = Some(failure.reason.to_string());
            status.message = Some(failure.message.clone());
            status.conditions = vec![condition("Failed", failure.reason, &failure.message, generation, now)];
        }
    }
    status
}

async fn reconcile(backup: Arc<EtcdBackup>, ctx: Arc<BackupContext>) -> Result<Action, BackupError> {
    if backup.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    // Every request goes to the backup's namespace: without one, nothing is done.
    let namespace = identity::namespace(&*backup)?;
    let previous = backup.status.clone().unwrap_or_default();
    // From the status, so the figures survive a restart of the operator.
    record_newest(&ctx.metrics, &backup, &namespace, &previous);
    // Both outcomes from 0, so the first failure is an increase Prometheus sees.
    for outcome in ["succeeded", "failed"] {
        let _series = ctx.metrics.backups.get_or_create(&outcome_labels(&backup, &namespace, outcome));
    }
    let generation = backup.metadata.generation;
    let Some(schedule) = backup.spec.schedule.clone() else {
        if matches!(previous.phase, Some(BackupPhase::Succeeded | BackupPhase::Failed)) {
            return Ok(Action::await_change());
        }
        if read_is_stale(&ctx, &backup, &namespace).await? {
            return Ok(Action::requeue(STALE_READ_RETRY));
        }
        attempt(&ctx, &backup, &namespace, &previous).await?;
        return Ok(Action::await_change());
    };
    let now = Timestamp::now();
    if backup.spec.suspend {
        if previous.next_schedule_time.is_some() || previous.observed_generation != generation {
            let status =
                EtcdBackupStatus { next_schedule_time: None, observed_generation: generation, ..previous };
            write_status(&ctx, &backup, &status).await?;
        }
        return Ok(Action::await_change());
    }
    let due = previous
        .next_schedule_time
        .as_ref()
        .filter(|_| previous.observed_generation == generation)
        .map(|t| t.0);
    let Some(due) = due else {
        // First sight of this schedule (or of a changed one): plan its first run.
        let mut status = previous.clone();
        status.observed_generation = generation;
        match plan::next_run(&schedule, now) {
            Ok(next) => {
                status.next_schedule_time = Some(Time(next));
                status.phase = status.phase.or(Some(BackupPhase::Pending));
            }
            Err(e) => {
                status.phase = Some(BackupPhase::Failed);
                status.reason = Some("InvalidSchedule".into());
                status.message = Some(e.to_string());
                write_status(&ctx, &backup, &status).await?;
                return Ok(Action::await_change());
            }
        }
        write_status(&ctx, &backup, &status).await?;
        return Ok(requeue_at(status.next_schedule_time.map(|t| t.0), now));
    };
    if now < due {
        return Ok(requeue_at(Some(due), now));
    }
    if read_is_stale(&ctx, &backup, &namespace).await? {
        return Ok(Action::requeue(STALE_READ_RETRY));
    }
    let mut status = attempt(&ctx, &backup, &namespace, &previous).await?;
    let after = Timestamp::now();
    status.next_schedule_time = plan::next_run(&schedule, after).ok().map(Time);
    write_status(&ctx, &backup, &status).await?;
    Ok(requeue_at(status.next_schedule_time.map(|t| t.0), after))
}

/// How soon a reconcile that read a stale EtcdBackup looks again; the watch event of the
/// newer version usually comes first.
const STALE_READ_RETRY: Duration = Duration::from_millis(100);

/// Whether the API holds a newer version of `backup` than the one this reconcile read from
/// the controller's cache: the watch has not delivered the status the last attempt wrote.
/// A snapshot is taken only on the newest version. Otherwise a one-shot backup read as
/// Running (the status written when its attempt began) is taken a second time, and a
/// schedule read with its old `nextScheduleTime` runs twice; `operator/tests/monitoring.rs`
/// once counted `outcome="succeeded"` 2 for a one-shot backup. One GET per attempt.
async fn read_is_stale(
    ctx: &BackupContext,
    backup: &EtcdBackup,
    namespace: &str,
) -> Result<bool, BackupError> {
    let live = Api::<EtcdBackup>::namespaced(ctx.client.clone(), namespace).get(&backup.name_any()).await?;
    Ok(live.metadata.resource_version != backup.metadata.resource_version)
}

fn requeue_at(at: Option<Timestamp>, now: Timestamp) -> Action {
    match at {
        Some(at) => {
            let wait = at.duration_since(now).as_millis().max(0);
            Action::requeue(
                Duration::from_millis(u64::try_from(wait).unwrap_or(0)).max(Duration::from_millis(100)),
            )
        }
        None => Action::await_change(),
    }
}

/// Takes one snapshot (marking the backup Running meanwhile), applies retention when it
/// succeeded, and writes the outcome.
async fn attempt(
    ctx: &BackupContext,
    backup: &EtcdBackup,
    namespace: &str,
    previous: &EtcdBackupStatus,
) -> Result<EtcdBackupStatus, BackupError> {
    let started = Timestamp::now();
    let running = EtcdBackupStatus {
        phase: Some(BackupPhase::Running),
        started_at: Some(Time(started)),
        completed_at: None,
        reason: None,
        message: Some("taking a snapshot".into()),
        ..previous.clone()
    };
    write_status(ctx, backup, &running).await?;
    let outcome = take(ctx, backup, namespace).await;
    let mut status = after_attempt(previous, backup.metadata.generation, started, &outcome, Timestamp::now());
    let outcome_label = if outcome.is_ok() { "succeeded" } else { "failed" };
    ctx.metrics.backups.get_or_create(&outcome_labels(backup, namespace, outcome_label)).inc();
    match &outcome {
        Ok(info) => {
            tracing::info!(backup = %backup.name_any(), location = %info.location, size = info.size_bytes, revision = info.revision, "snapshot stored");
            if backup.spec.schedule.is_some() {
                match prune(ctx, backup, namespace, previous, info).await {
                    Ok(retained) => status.retained = retained,
                    Err(failure) => {
                        tracing::warn!(backup = %backup.name_any(), %failure, "retention failed");
                        status.retained.insert(0, info.clone());
                        status.message = Some(format!(
                            "{}; pruning old snapshots failed and is retried at the next run: {}",
                            status.message.unwrap_or_default(),
                            failure.message
                        ));
                    }
                }
            }
            record_on_cluster(ctx, backup, namespace, info).await;
        }
        Err(failure) => tracing::warn!(backup = %backup.name_any(), %failure, "backup failed"),
    }
    write_status(ctx, backup, &status).await?;
    record_newest(&ctx.metrics, backup, namespace, &status);
    let event = match &outcome {
        Ok(_) => crate::events::event(
            false,
            "BackupSucceeded",
            "Backup",
            status.message.clone().unwrap_or_default(),
        ),
        Err(failure) => crate::events::event(true, failure.reason, "Backup", failure.message.clone()),
    };
    crate::events::publish(&ctx.recorder, &event, &backup.object_ref(&())).await;
    Ok(status)
}

/// The labels of `backup`'s attempts with `outcome` (`succeeded` or `failed`).
fn outcome_labels(backup: &EtcdBackup, namespace: &str, outcome: &str) -> BackupOutcomeLabels {
    BackupOutcomeLabels {
        namespace: namespace.to_string(),
        cluster: backup.spec.cluster_name.clone(),
        backup: backup.name_any(),
        outcome: outcome.to_string(),
    }
}

/// Sets the time and size of the backup's newest snapshot (`status.snapshot`), when it has
/// one, in the metrics.
fn record_newest(metrics: &Metrics, backup: &EtcdBackup, namespace: &str, status: &EtcdBackupStatus) {
    let Some(snapshot) = &status.snapshot else { return };
    let labels = BackupLabels {
        namespace: namespace.to_string(),
        cluster: backup.spec.cluster_name.clone(),
        backup: backup.name_any(),
    };
    if let Some(completed) = &snapshot.completed_at {
        metrics.backup_last_success.get_or_create(&labels).set(completed.0.as_second());
    }
    metrics.backup_last_size.get_or_create(&labels).set(snapshot.size_bytes);
}

/// Sets the cluster's `status.lastBackup`, unless it already records a newer backup. Only
/// that field is patched.
async fn record_on_cluster(ctx: &BackupContext, backup: &EtcdBackup, namespace: &str, info: &SnapshotInfo) {
    let clusters: Api<EtcdCluster> = Api::namespaced(ctx.client.clone(), namespace);
    let current = clusters.get_opt(&backup.spec.cluster_name).await.ok().flatten();
    let newer_exists = current
        .and_then(|c| c.status?.last_backup?.completed_at)
        .zip(info.completed_at.as_ref())
        .is_some_and(|(existing, new)| existing.0 > new.0);
    if newer_exists {
        return;
    }
    let patch = json!({ "status": { "lastBackup": info } });
    if let Err(error) =
        clusters.patch_status(&backup.spec.cluster_name, &PatchParams::default(), &Patch::Merge(patch)).await
    {
        tracing::warn!(cluster = %backup.spec.cluster_name, %error, "recording the last backup on the cluster failed");
    }
}

/// Takes one snapshot of the backup's cluster (in `namespace`, the backup's) into its
/// destination.
pub async fn take(
    ctx: &BackupContext,
    backup: &EtcdBackup,
    namespace: &str,
) -> Result<SnapshotInfo, Failure> {
    let cluster_name = &backup.spec.cluster_name;
    let clusters: Api<EtcdCluster> = Api::namespaced(ctx.client.clone(), namespace);
    let found =
        clusters.get_opt(cluster_name).await.map_err(|e| Failure::new("ClusterNotFound", e.to_string()))?;
    let Some(cluster) = found else {
        return Err(Failure::new(
            "ClusterNotFound",
            format!("EtcdCluster {namespace}/{cluster_name} does not exist"),
        ));
    };
    let tls = match &cluster.spec.tls {
        Some(tls) => {
            let secrets = Api::namespaced(ctx.client.clone(), namespace);
            let credentials = crate::tls::read_credentials(&secrets, tls, cluster_name, namespace)
                .await
                .map_err(|e| Failure::new("TlsCertificatesMissing", e.to_string()))?;
            Some(credentials)
        }
        None => None,
    };
    let selector =
        ListParams::default().labels(&names::selector_string(&names::selector_labels(cluster_name)));
    let pods = Api::<Pod>::namespaced(ctx.client.clone(), namespace)
        .list(&selector)
        .await
        .map_err(|e| Failure::new("NoHealthyMember", format!("listing the member Pods: {e}")))?
        .items;
    // While TLS is turned on, members are reached plainly until every one serves HTTPS.
    let tls = tls.filter(|_| serve_tls(&pods));
    let candidates = snapshot::candidates(&client_endpoints(&pods, tls.is_some()), tls.as_ref()).await;
    let source = shared::snapshot::choose_source(&candidates).cloned().ok_or_else(|| {
        Failure::new(
            "NoHealthyMember",
            format!(
                "no voting member of {cluster_name} answers ({} member Pods, {} answered): a snapshot needs one \
                 healthy member; check `kubectl etcd status {cluster_name}`",
                pods.len(),
                candidates.len()
            ),
        )
    })?;
    let credentials = store::credentials(&ctx.client, namespace, &backup.spec.destination).await?;
    let destination = store::open(&backup.spec.destination, &credentials)?;
    let key = plan::snapshot_key(cluster_name, &backup.name_any(), Timestamp::now(), source.revision);
    let (_, digest) = snapshot::upload(&source, &destination, &key, tls.as_ref()).await?;
    Ok(SnapshotInfo {
        location: plan::join_url(&destination.url, &key),
        sha256: digest.sha256,
        size_bytes: i64::try_from(digest.size).unwrap_or(i64::MAX),
        revision: source.revision,
        etcd_version: source.version,
        member: Some(source.member),
        completed_at: Some(Time(Timestamp::now())),
    })
}

/// Applies retention to this backup's snapshots in its destination (the store is the
/// record: snapshots whose status write was lost are still found) and returns what is kept
/// and known, newest first.
async fn prune(
    ctx: &BackupContext,
    backup: &EtcdBackup,
    namespace: &str,
    previous: &EtcdBackupStatus,
    newest: &SnapshotInfo,
) -> Result<Vec<SnapshotInfo>, Failure> {
    let credentials = store::credentials(&ctx.client, namespace, &backup.spec.destination).await?;
    let destination = store::open(&backup.spec.destination, &credentials)?;
    let folder = destination.child(&backup.spec.cluster_name);
    let name = backup.name_any();
    let mut stored = Vec::new();
    let mut listing = destination.store.list(Some(&folder));
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| store::store_failure("listing", &destination.url, &e))?;
        let Some(file) = meta.location.filename() else { continue };
        if let Some(at) = plan::parse_key(&name, file) {
            let key = format!("{}/{file}", backup.spec.cluster_name);
            stored.push((plan::Stored { key: key.clone(), at }, meta.location.clone()));
        }
    }
    let items: Vec<plan::Stored> = stored.iter().map(|(s, _)| s.clone()).collect();
    let decided = plan::plan_retention(&items, backup.spec.retention.as_ref(), Timestamp::now())
        .map_err(|e| Failure::new("InvalidRetention", e.to_string()))?;
    for key in &decided.delete {
        if let Some((_, path)) = stored.iter().find(|(s, _)| &s.key == key) {
            destination
                .store
                .delete(path)
                .await
                .map_err(|e| store::store_failure("deleting", &destination.url, &e))?;
            tracing::info!(backup = %name, %key, "retention deleted a snapshot");
        }
    }
    let known: Vec<&SnapshotInfo> =
        std::iter::once(newest).chain(previous.retained.iter()).chain(previous.snapshot.iter()).collect();
    let mut retained = Vec::new();
    for key in &decided.keep {
        let location = plan::join_url(&destination.url, key);
        if let Some(info) = known.iter().find(|i| i.location == location)
            && !retained.iter().any(|r: &SnapshotInfo| r.location == location)
        {
            retained.push((*info).clone());
        }
    }
    Ok(retained)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(location: &str) -> SnapshotInfo {
        SnapshotInfo {
            location: location.into(),
            sha256: "a".repeat(64),
            size_bytes: 10,
            revision: 5,
            etcd_version: "3.5.30".into(),
            member: Some("demo-0".into()),
            completed_at: None,
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn success_records_the_snapshot_and_clears_the_reason() {
        let previous = EtcdBackupStatus {
            phase: Some(BackupPhase::Failed),
            reason: Some("StoreUnreachable".into()),
            ..EtcdBackupStatus::default()
        };
        let ok = Ok(info("file:///b/demo/x.db"));
        let status =
            after_attempt(&previous, Some(2), at("2025-01-01T00:00:00Z"), &ok, at("2025-01-01T00:00:03Z"));
        assert_eq!(status.phase, Some(BackupPhase::Succeeded));
        assert_eq!(status.reason, None);
        assert_eq!(status.snapshot.as_ref().map(|s| s.location.as_str()), Some("file:///b/demo/x.db"));
        assert_eq!(status.observed_generation, Some(2));
        assert_eq!(status.conditions.first().map(|c| c.type_.as_str()), Some("Complete"));
        let patch = status_patch(Some(&previous), &status, &[]);
        assert_eq!(
            patch["status"]["reason"],
            serde_json::Value::Null,
            "cleared explicitly in the merge patch"
        );
        assert!(patch["status"].as_object().is_some_and(|o| o.contains_key("reason")));
    }

    #[test]
    fn failure_keeps_the_previous_snapshot_and_says_why() {
        let previous = EtcdBackupStatus {
            phase: Some(BackupPhase::Succeeded),
            snapshot: Some(info("s3://b/demo/old.db")),
            retained: vec![info("s3://b/demo/old.db")],
            ..EtcdBackupStatus::default()
        };
        let failed = Err(Failure::new("StoreUnreachable", "no route"));
        let status = after_attempt(
            &previous,
            Some(1),
            at("2025-01-01T00:00:00Z"),
            &failed,
            at("2025-01-01T00:00:01Z"),
        );
        assert_eq!(status.phase, Some(BackupPhase::Failed));
        assert_eq!(status.reason.as_deref(), Some("StoreUnreachable"));
        assert_eq!(status.message.as_deref(), Some("no route"));
        assert_eq!(status.snapshot, previous.snapshot);
        assert_eq!(status.retained, previous.retained);
        assert_eq!(
            status.conditions.first().map(|c| (c.type_.as_str(), c.reason.as_str())),
            Some(("Failed", "StoreUnreachable"))
        );
    }
}
