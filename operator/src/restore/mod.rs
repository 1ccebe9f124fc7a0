//! Restores: the EtcdRestore controller. It finds the snapshot (an EtcdBackup's newest, or a
//! URL), reads all of it and checks its SHA-256 and etcd's appended hash, and only then creates
//! the new EtcdCluster with `spec.bootstrap.fromSnapshot` naming that exact object and its
//! checksum. A missing or corrupt snapshot fails the restore with a reason and creates nothing.
//!
//! The cluster reconciler then starts the first member alone, seeded by the init containers
//! of `seed`, and grows the cluster one learner at a time.

pub mod seed;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};
use shared::crd::{
    ClusterPhase, EtcdBackup, EtcdCluster, EtcdClusterSpec, EtcdRestore, EtcdRestoreStatus, RestorePhase,
    SnapshotSource, StorageLocation,
};
use shared::version::EtcdVersion;

use crate::backup::plan::Failure;
use crate::backup::{snapshot, store};

/// Annotation on a cluster created by a restore: the EtcdRestore's UID.
pub const RESTORED_BY_ANNOTATION: &str = "etcd.kubectl-etcd.dev/restored-by";

static OPERATOR_IMAGE: OnceLock<String> = OnceLock::new();

/// Sets the operator's own image, which restoring members run to fetch their snapshot. Set
/// once at start; later calls are ignored.
pub fn set_operator_image(image: String) {
    let _ = OPERATOR_IMAGE.set(image);
}

/// The operator's own image: as set at start, else this release's.
pub fn operator_image() -> String {
    OPERATOR_IMAGE
        .get()
        .cloned()
        .unwrap_or_else(|| format!("ghcr.io/kubectl-etcd/etcd-operator:v{}", env!("CARGO_PKG_VERSION")))
}

/// Why a reconcile of a restore failed (the API failed); retried.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The Kubernetes API failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

/// What the restore controller shares between reconciles.
pub struct RestoreContext {
    /// The Kubernetes client.
    pub client: kube::Client,
}

/// Runs the EtcdRestore controller until `shutdown` completes.
pub async fn run(
    client: kube::Client,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let context = Arc::new(RestoreContext { client: client.clone() });
    Controller::new(Api::<EtcdRestore>::all(client), watcher::Config::default())
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "restore reconcile error");
            }
        })
        .await;
}

fn error_policy(restore: Arc<EtcdRestore>, error: &RestoreError, _ctx: Arc<RestoreContext>) -> Action {
    tracing::warn!(restore = %restore.name_any(), %error, "restore reconcile failed; retrying in 5 s");
    Action::requeue(Duration::from_secs(5))
}

/// The status for `phase` with a reason and message (both cleared when `None`).
pub fn status_of(
    previous: &EtcdRestoreStatus,
    phase: RestorePhase,
    reason: Option<&str>,
    message: &str,
    now: Timestamp,
) -> EtcdRestoreStatus {
    let mut status = previous.clone();
    status.phase = Some(phase);
    status.reason = reason.map(String::from);
    status.message = Some(message.to_string());
    let condition = |type_: &str, reason: &str| Condition {
        type_: type_.to_string(),
        status: "True".to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        last_transition_time: Time(now),
        observed_generation: None,
    };
    status.conditions = match (phase, reason) {
        (RestorePhase::Failed, reason) => vec![condition("Failed", reason.unwrap_or("Failed"))],
        (RestorePhase::Succeeded, _) => vec![condition("Complete", "ClusterRunning")],
        _ => vec![],
    };
    status
}

async fn write(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    status: &EtcdRestoreStatus,
) -> Result<(), kube::Error> {
    let mut value = serde_json::to_value(status).unwrap_or_else(|_| json!({}));
    if let Some(object) = value.as_object_mut() {
        object.entry("reason").or_insert(Value::Null);
    }
    Api::<EtcdRestore>::namespaced(ctx.client.clone(), &restore.namespace().unwrap_or_default())
        .patch_status(&restore.name_any(), &PatchParams::default(), &Patch::Merge(json!({ "status": value })))
        .await
        .map(|_| ())
}

async fn reconcile(restore: Arc<EtcdRestore>, ctx: Arc<RestoreContext>) -> Result<Action, RestoreError> {
    let previous = restore.status.clone().unwrap_or_default();
    if restore.metadata.deletion_timestamp.is_some()
        || matches!(previous.phase, Some(RestorePhase::Succeeded | RestorePhase::Failed))
    {
        return Ok(Action::await_change());
    }
    let namespace = restore.namespace().unwrap_or_default();
    let name = &restore.spec.cluster_name;
    let clusters: Api<EtcdCluster> = Api::namespaced(ctx.client.clone(), &namespace);
    let uid = restore.uid().unwrap_or_default();
    if let Some(cluster) = clusters.get_opt(name).await? {
        let ours = cluster.annotations().get(RESTORED_BY_ANNOTATION) == Some(&uid);
        if !ours {
            let message = format!(
                "EtcdCluster {namespace}/{name} already exists and was not created by this restore: restore into \
                 a new name"
            );
            write(
                &ctx,
                &restore,
                &status_of(
                    &previous,
                    RestorePhase::Failed,
                    Some("ClusterExists"),
                    &message,
                    Timestamp::now(),
                ),
            )
            .await?;
            return Ok(Action::await_change());
        }
        let status = cluster.status.unwrap_or_default();
        let size = cluster.spec.size;
        if status.phase == Some(ClusterPhase::Running)
            && status.ready_members == size
            && status.members.len() == usize::try_from(size).unwrap_or_default()
        {
            let message = format!("EtcdCluster {name} runs {size} members restored from the snapshot");
            write(
                &ctx,
                &restore,
                &status_of(&previous, RestorePhase::Succeeded, None, &message, Timestamp::now()),
            )
            .await?;
            return Ok(Action::await_change());
        }
        let message = format!(
            "EtcdCluster {name} is starting from the snapshot: {}/{size} members ready",
            status.ready_members
        );
        if previous.message.as_deref() != Some(message.as_str())
            || previous.phase != Some(RestorePhase::Restoring)
        {
            write(
                &ctx,
                &restore,
                &status_of(&previous, RestorePhase::Restoring, None, &message, Timestamp::now()),
            )
            .await?;
        }
        return Ok(Action::requeue(Duration::from_secs(2)));
    }
    let verifying = status_of(
        &previous,
        RestorePhase::Verifying,
        None,
        "fetching and checking the snapshot",
        Timestamp::now(),
    );
    write(&ctx, &restore, &verifying).await?;
    match verify_and_create(&ctx, &restore, &namespace).await {
        Ok((sha256, revision)) => {
            let mut status = status_of(
                &verifying,
                RestorePhase::Restoring,
                None,
                &format!("snapshot verified; EtcdCluster {name} created"),
                Timestamp::now(),
            );
            status.sha256 = Some(sha256);
            status.revision = revision;
            write(&ctx, &restore, &status).await?;
            Ok(Action::requeue(Duration::from_secs(2)))
        }
        Err(failure) => {
            tracing::warn!(restore = %restore.name_any(), %failure, "restore failed");
            write(
                &ctx,
                &restore,
                &status_of(
                    &verifying,
                    RestorePhase::Failed,
                    Some(failure.reason),
                    &failure.message,
                    Timestamp::now(),
                ),
            )
            .await?;
            Ok(Action::await_change())
        }
    }
}

/// The snapshot a restore names: its exact location, the SHA-256 it must have (if recorded),
/// its revision and etcd version (if known).
struct Resolved {
    location: StorageLocation,
    sha256: Option<String>,
    revision: Option<i64>,
    version: Option<String>,
}

async fn resolve(
    ctx: &RestoreContext,
    namespace: &str,
    source: &SnapshotSource,
) -> Result<Resolved, Failure> {
    if let Some(location) = &source.location {
        return Ok(Resolved {
            location: location.clone(),
            sha256: source.sha256.clone(),
            revision: None,
            version: None,
        });
    }
    let Some(name) = &source.backup else {
        return Err(Failure::new("InvalidSource", "the source names neither a backup nor a location"));
    };
    let backups: Api<EtcdBackup> = Api::namespaced(ctx.client.clone(), namespace);
    let backup = backups
        .get_opt(name)
        .await
        .map_err(|e| Failure::new("BackupNotFound", format!("reading EtcdBackup {namespace}/{name}: {e}")))?
        .ok_or_else(|| {
            Failure::new("BackupNotFound", format!("EtcdBackup {namespace}/{name} does not exist"))
        })?;
    let info = backup.status.and_then(|s| s.snapshot).ok_or_else(|| {
        Failure::new("SnapshotNotFound", format!("EtcdBackup {name} has no successful snapshot yet"))
    })?;
    if let Some(expected) = &source.sha256
        && !expected.eq_ignore_ascii_case(&info.sha256)
    {
        return Err(Failure::new(
            "SnapshotCorrupt",
            format!(
                "EtcdBackup {name}'s newest snapshot has SHA-256 {}, not the expected {expected}",
                info.sha256
            ),
        ));
    }
    let location = StorageLocation { url: info.location.clone(), ..backup.spec.destination };
    Ok(Resolved {
        location,
        sha256: Some(info.sha256),
        revision: Some(info.revision),
        version: Some(info.etcd_version),
    })
}

/// Checks the snapshot and creates the cluster. Returns the verified SHA-256 and revision.
async fn verify_and_create(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    namespace: &str,
) -> Result<(String, Option<i64>), Failure> {
    let resolved = resolve(ctx, namespace, &restore.spec.source).await?;
    let version = restore.spec.version.clone().or(resolved.version.clone()).ok_or_else(|| {
        Failure::new("VersionRequired", "the snapshot's etcd version is not recorded: set spec.version")
    })?;
    let version = version.trim_start_matches('v').to_string();
    version
        .parse::<EtcdVersion>()
        .map_err(|e| Failure::new("UnsupportedVersion", format!("version {version}: {e}")))?;
    let credentials = store::credentials(&ctx.client, namespace, &resolved.location).await?;
    let opened = store::open(&resolved.location, &credentials)?;
    let started = std::time::Instant::now();
    let digest = snapshot::verify(&opened, resolved.sha256.as_deref()).await?;
    tracing::info!(
        restore = %restore.name_any(), location = %opened.url, size = digest.size,
        seconds = started.elapsed().as_secs_f64(), "snapshot verified"
    );
    let spec: EtcdClusterSpec = serde_json::from_value(json!({
        "size": restore.spec.size,
        "version": version,
        "storage": restore.spec.storage,
        "bootstrap": {"fromSnapshot": {"location": resolved.location, "sha256": digest.sha256}},
    }))
    .map_err(|e| Failure::new("Internal", format!("building the cluster spec: {e}")))?;
    let cluster = EtcdCluster {
        metadata: ObjectMeta {
            name: Some(restore.spec.cluster_name.clone()),
            namespace: Some(namespace.to_string()),
            annotations: Some(
                [(RESTORED_BY_ANNOTATION.to_string(), restore.uid().unwrap_or_default())].into(),
            ),
            ..ObjectMeta::default()
        },
        spec,
        status: None,
    };
    Api::<EtcdCluster>::namespaced(ctx.client.clone(), namespace)
        .create(&PostParams::default(), &cluster)
        .await
        .map_err(|e| match e {
            kube::Error::Api(ref s) if s.code == 409 => Failure::new(
                "ClusterExists",
                format!(
                    "EtcdCluster {namespace}/{} already exists: restore into a new name",
                    restore.spec.cluster_name
                ),
            ),
            other => Failure::new("ClusterRefused", format!("creating the EtcdCluster: {other}")),
        })?;
    Ok((digest.sha256, resolved.revision))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_and_succeeded_carry_conditions() {
        let now: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
        let failed = status_of(
            &EtcdRestoreStatus::default(),
            RestorePhase::Failed,
            Some("SnapshotCorrupt"),
            "damaged",
            now,
        );
        assert_eq!(failed.reason.as_deref(), Some("SnapshotCorrupt"));
        assert_eq!(failed.conditions[0].type_, "Failed");
        assert_eq!(failed.conditions[0].reason, "SnapshotCorrupt");
        let done = status_of(&failed, RestorePhase::Succeeded, None, "ok", now);
        assert_eq!((done.reason, done.conditions[0].type_.as_str()), (None, "Complete"));
        let verifying = status_of(&EtcdRestoreStatus::default(), RestorePhase::Verifying, None, "x", now);
        assert!(verifying.conditions.is_empty());
    }
}
