//! Restores: the EtcdRestore controller. It finds the snapshot (an EtcdBackup's newest, or a
//! URL), reads all of it and checks its SHA-256 and etcd's appended hash, and only then creates
//! the new EtcdCluster with `spec.bootstrap.fromSnapshot` naming that exact object and its
//! checksum. A missing or corrupt snapshot fails the restore with a reason and creates nothing.
//!
//! The cluster reconciler then starts every initial member together, each seeded by the init
//! containers of `seed` (an uploaded snapshot seeds the first member alone, and the cluster
//! grows from it one learner at a time).

pub mod plan;
pub mod receive;
pub mod seed;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;
use shared::crd::{
    EtcdBackup, EtcdCluster, EtcdRestore, EtcdRestoreStatus, SnapshotSource, StorageKind, StorageLocation,
};
use shared::names;

use crate::backup::plan::Failure;
use crate::backup::{snapshot, store};
use crate::identity::{self, IdentityError};
use plan::{Decision, Log, Observed, Report, SeenCluster, Then, Verified};
pub use plan::{LeftBehind, claims_exist_message, claims_left_behind, event_of, seed_progress, status_of};

/// Annotation on a cluster created by a restore: the EtcdRestore's UID.
pub const RESTORED_BY_ANNOTATION: &str = "etcd.kubectl-etcd.dev/restored-by";

/// How soon a restore in progress is looked at again.
pub const RECHECK: Duration = Duration::from_secs(2);

/// Why a reconcile of a restore failed; retried.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The Kubernetes API failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The EtcdRestore lacks its namespace or UID.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// What the restore controller shares between reconciles.
pub struct RestoreContext {
    /// The Kubernetes client.
    pub client: kube::Client,
    /// Publishes Events about restores.
    pub recorder: kube::runtime::events::Recorder,
    /// Member Pods see the operator's files, so a `file://` snapshot can be restored
    /// ([`crate::controller::Settings::file_snapshots_reach_pods`]).
    pub file_snapshots_reach_pods: bool,
}

/// Runs the EtcdRestore controller until `shutdown` completes.
pub async fn run(
    client: kube::Client,
    file_snapshots_reach_pods: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let context = Arc::new(RestoreContext {
        client: client.clone(),
        recorder: crate::events::recorder(client.clone()),
        file_snapshots_reach_pods,
    });
    let controller = Controller::new(Api::<EtcdRestore>::all(client.clone()), watcher::Config::default());
    // A restore follows the cluster it created: each change of that cluster (its members
    // starting, its status) wakes the restore at once instead of at its next recheck. The
    // cluster names its restore by UID, which the controller's own cache of restores maps
    // back to the object.
    let restores = controller.store();
    controller
        .watches(Api::<EtcdCluster>::all(client), watcher::Config::default(), move |cluster| {
            let uid = cluster.annotations().get(RESTORED_BY_ANNOTATION)?.clone();
            restores
                .state()
                .into_iter()
                .find(|restore| restore.uid().as_deref() == Some(uid.as_str()))
                .map(|restore| kube::runtime::reflector::ObjectRef::from_obj(&*restore))
        })
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

/// Observe, decide ([`plan::decide`]), act, report.
async fn reconcile(restore: Arc<EtcdRestore>, ctx: Arc<RestoreContext>) -> Result<Action, RestoreError> {
    if plan::settled(&restore) {
        return Ok(Action::await_change());
    }
    let seen = observe(&ctx, &restore).await?;
    let report = match plan::decide(&restore, &seen, Timestamp::now()) {
        Decision::Report(report) => report,
        Decision::Create { verifying } => {
            write(&ctx, &restore, &seen.namespace, &verifying).await?;
            let outcome = verify_and_create(&ctx, &restore, &seen).await;
            plan::after_create(&verifying, &restore, outcome, Timestamp::now())
        }
    };
    self::report(&ctx, &restore, &seen.namespace, report).await
}

/// Reads what the decision needs: the restore's identity, the cluster of its name (and,
/// while the restore waits for a cluster it created, what the seed member says), or, when
/// there is none and storage is persistent, the claims an earlier cluster left behind.
async fn observe(ctx: &RestoreContext, restore: &EtcdRestore) -> Result<Observed, RestoreError> {
    let namespace = identity::namespace(restore)?;
    let uid = identity::uid(restore)?;
    let name = &restore.spec.cluster_name;
    let clusters: Api<EtcdCluster> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut seen = Observed {
        cluster: clusters.get_opt(name).await?.as_ref().map(SeenCluster::of),
        ..Observed::default()
    };
    if let Some(cluster) = seen.cluster.as_mut() {
        if cluster.created_by(&uid) && !cluster.complete() {
            let pods = Api::<Pod>::namespaced(ctx.client.clone(), &namespace)
                .list(&ListParams::default().labels(&names::selector_string(&names::selector_labels(name))))
                .await?;
            cluster.seed = pods.items.iter().find_map(seed_progress);
        }
    } else if restore.spec.storage.kind == StorageKind::Persistent {
        let claims = Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), &namespace)
            .list(&ListParams::default())
            .await?;
        seen.left_behind = Some(claims_left_behind(name, &claims.items));
    }
    Ok(Observed { namespace, uid, ..seen })
}

/// Logs what the decision says, writes its status (if any), and turns what then into an
/// [`Action`].
async fn report(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    namespace: &str,
    report: Report,
) -> Result<Action, RestoreError> {
    let cluster = &restore.spec.cluster_name;
    match &report.log {
        Some(Log::WaitsForClaims(claims)) => tracing::info!(
            restore = %restore.name_any(), namespace = %namespace, cluster = %cluster, claims = ?claims,
            "restore waits for the claims of a deleted cluster to go"
        ),
        Some(Log::ClaimsExist(claims)) => tracing::warn!(
            restore = %restore.name_any(), namespace = %namespace, cluster = %cluster, claims = ?claims,
            "restore refused: member claims of an earlier cluster exist"
        ),
        Some(Log::Failed(failure)) => {
            tracing::warn!(restore = %restore.name_any(), %failure, "restore failed")
        }
        None => {}
    }
    if let Some(status) = &report.status {
        write(ctx, restore, namespace, status).await?;
    }
    Ok(match report.then {
        Then::AwaitChange => Action::await_change(),
        Then::Recheck => Action::requeue(RECHECK),
    })
}

/// Writes `status`, and publishes an Event when its phase or reason is new.
async fn write(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    namespace: &str,
    status: &EtcdRestoreStatus,
) -> Result<(), kube::Error> {
    let patch = crate::status_patch::status_patch(restore.status.as_ref(), status, &[]);
    Api::<EtcdRestore>::namespaced(ctx.client.clone(), namespace)
        .patch_status(&restore.name_any(), &PatchParams::default(), &Patch::Merge(patch))
        .await?;
    let before = restore.status.as_ref().map(|s| (s.phase, s.reason.clone()));
    if let Some(event) = event_of(status)
        && before != Some((status.phase, status.reason.clone()))
    {
        crate::events::publish(&ctx.recorder, &event, &restore.object_ref(&())).await;
    }
    Ok(())
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

/// Checks the snapshot and creates the cluster ([`plan::cluster_to_create`]). Returns the
/// verified SHA-256 and revision.
async fn verify_and_create(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    seen: &Observed,
) -> Result<(String, Option<i64>), Failure> {
    let namespace = seen.namespace.as_str();
    let source = &restore.spec.source;
    let (bootstrap, sha256, revision, recorded_version) = if source.upload {
        // The file is on a workstation: the seed member checks it as it arrives.
        let sha256 = source
            .sha256
            .clone()
            .ok_or_else(|| Failure::new("InvalidSource", "an uploaded snapshot needs spec.source.sha256"))?;
        (json!({"upload": true, "sha256": sha256}), sha256, None, None)
    } else {
        let resolved = resolve(ctx, namespace, source).await?;
        plan::file_source_refusal(&resolved.location.url, ctx.file_snapshots_reach_pods)?;
        let credentials = store::credentials(&ctx.client, namespace, &resolved.location).await?;
        let opened = store::open(&resolved.location, &credentials)?;
        let started = std::time::Instant::now();
        let digest = snapshot::verify(&opened, resolved.sha256.as_deref()).await?;
        tracing::info!(
            restore = %restore.name_any(), location = %opened.url, size = digest.size,
            seconds = started.elapsed().as_secs_f64(), "snapshot verified"
        );
        let bootstrap = json!({"location": resolved.location, "sha256": digest.sha256});
        (bootstrap, digest.sha256, resolved.revision, resolved.version)
    };
    let cluster =
        plan::cluster_to_create(restore, namespace, &seen.uid, Verified { bootstrap, recorded_version })?;
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
    Ok((sha256, revision))
}
