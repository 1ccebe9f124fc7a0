//! Restores: the EtcdRestore controller. It finds the snapshot (an EtcdBackup's newest, or a
//! URL), reads all of it and checks its SHA-256 and etcd's appended hash, and only then creates
//! the new EtcdCluster with `spec.bootstrap.fromSnapshot` naming that exact object and its
//! checksum. A missing or corrupt snapshot fails the restore with a reason and creates nothing.
//!
//! The cluster reconciler then starts the first member alone, seeded by the init containers
//! of `seed`, and grows the cluster one learner at a time.

pub mod receive;
pub mod seed;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, watcher};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;
use shared::crd::{
    ClusterPhase, EtcdBackup, EtcdCluster, EtcdClusterSpec, EtcdRestore, EtcdRestoreStatus, RestorePhase,
    SnapshotSource, StorageKind, StorageLocation,
};
use shared::names;
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
    /// Publishes Events about restores.
    pub recorder: kube::runtime::events::Recorder,
}

/// Runs the EtcdRestore controller until `shutdown` completes.
pub async fn run(
    client: kube::Client,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let context = Arc::new(RestoreContext {
        client: client.clone(),
        recorder: crate::events::recorder(client.clone()),
    });
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

/// Writes `status`, and publishes an Event when its phase or reason is new.
async fn write(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    status: &EtcdRestoreStatus,
) -> Result<(), kube::Error> {
    let patch = crate::status_patch::status_patch(restore.status.as_ref(), status, &[]);
    Api::<EtcdRestore>::namespaced(ctx.client.clone(), &restore.namespace().unwrap_or_default())
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

/// The Event that announces `status`, if it is worth one.
fn event_of(status: &EtcdRestoreStatus) -> Option<kube::runtime::events::Event> {
    let note = status.message.clone().unwrap_or_default();
    let reason = status.reason.as_deref();
    match status.phase? {
        RestorePhase::Failed => Some(crate::events::event(true, reason.unwrap_or("Failed"), "Restore", note)),
        RestorePhase::Succeeded => Some(crate::events::event(false, "Restored", "Restore", note)),
        RestorePhase::Restoring => {
            Some(crate::events::event(reason.is_some(), reason.unwrap_or("Restoring"), "Restore", note))
        }
        RestorePhase::Pending | RestorePhase::Verifying => None,
    }
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
        let pods = Api::<Pod>::namespaced(ctx.client.clone(), &namespace)
            .list(&ListParams::default().labels(&names::selector_string(&names::selector_labels(name))))
            .await?;
        let (reason, message) = pods.items.iter().find_map(seed_progress).unwrap_or_else(|| {
            (
                None,
                format!(
                    "EtcdCluster {name} is starting from the snapshot: {}/{size} members ready",
                    status.ready_members
                ),
            )
        });
        if previous.message.as_deref() != Some(message.as_str())
            || previous.phase != Some(RestorePhase::Restoring)
            || previous.reason.as_deref() != reason
        {
            write(
                &ctx,
                &restore,
                &status_of(&previous, RestorePhase::Restoring, reason, &message, Timestamp::now()),
            )
            .await?;
        }
        return Ok(Action::requeue(Duration::from_secs(2)));
    }
    if restore.spec.storage.kind == StorageKind::Persistent {
        let claims = Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), &namespace)
            .list(&ListParams::default())
            .await?;
        let left = claims_left_behind(name, &claims.items);
        if left.kept.is_empty() && !left.going.is_empty() {
            // A deleted cluster's own claims, which the garbage collector removes: wait.
            let message = format!(
                "waiting for PersistentVolumeClaims {} of the deleted cluster {namespace}/{name} to be removed",
                left.going.join(", ")
            );
            tracing::info!(
                restore = %restore.name_any(), namespace = %namespace, cluster = %name, claims = ?left.going,
                "restore waits for the claims of a deleted cluster to go"
            );
            if previous.message.as_deref() != Some(message.as_str()) {
                write(
                    &ctx,
                    &restore,
                    &status_of(&previous, RestorePhase::Pending, None, &message, Timestamp::now()),
                )
                .await?;
            }
            return Ok(Action::requeue(Duration::from_secs(2)));
        }
        if !left.kept.is_empty() {
            let message = claims_exist_message(&namespace, name, &left.kept);
            tracing::warn!(
                restore = %restore.name_any(), namespace = %namespace, cluster = %name, claims = ?left.kept,
                "restore refused: member claims of an earlier cluster exist"
            );
            write(
                &ctx,
                &restore,
                &status_of(&previous, RestorePhase::Failed, Some("ClaimsExist"), &message, Timestamp::now()),
            )
            .await?;
            return Ok(Action::await_change());
        }
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
            let message = if restore.spec.source.upload {
                format!(
                    "EtcdCluster {name} created; its first member waits for the snapshot to be uploaded (`kubectl \
                     etcd restore {name} --from FILE` sends it)"
                )
            } else {
                format!("snapshot verified; EtcdCluster {name} created")
            };
            let mut status = status_of(&verifying, RestorePhase::Restoring, None, &message, Timestamp::now());
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

/// Claims of an earlier cluster of the name a restore creates, by name, sorted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LeftBehind {
    /// Claims that stay (`retainPolicy: Retain`, or kept by hand): they may hold writes newer
    /// than any snapshot, so a restore must neither overwrite them nor start members on them.
    pub kept: Vec<String>,
    /// Claims on their way out (being deleted, or owned by the deleted EtcdCluster, which the
    /// garbage collector removes): a restore waits for them.
    pub going: Vec<String>,
}

/// The claims among `claims` that members of a cluster named `cluster` would mount: named
/// `data-<cluster>-<n>` (what a new member's claim would collide with) or labelled as the
/// cluster's; sorted into those that stay and those on their way out. Only called when no
/// EtcdCluster of that name exists.
pub fn claims_left_behind(cluster: &str, claims: &[PersistentVolumeClaim]) -> LeftBehind {
    let mut left = LeftBehind::default();
    for claim in claims.iter().filter(|claim| {
        let name = claim.name_any();
        let named =
            name.strip_prefix("data-").is_some_and(|member| names::member_index(cluster, member).is_some());
        let labelled =
            claim.labels().get(names::LABEL_CLUSTER).is_some_and(|value| value.as_str() == cluster);
        named || labelled
    }) {
        let owned_by_the_cluster =
            claim.owner_references().iter().any(|owner| owner.kind == "EtcdCluster" && owner.name == cluster);
        let going = claim.metadata.deletion_timestamp.is_some() || owned_by_the_cluster;
        if going { &mut left.going } else { &mut left.kept }.push(claim.name_any());
    }
    left.kept.sort();
    left.going.sort();
    left
}

/// The message of a restore refused because `claims` of an earlier cluster `cluster` exist:
/// what they are, why nothing was done, and the two ways on.
pub fn claims_exist_message(namespace: &str, cluster: &str, claims: &[String]) -> String {
    format!(
        "PersistentVolumeClaims {} of an earlier cluster {namespace}/{cluster} still exist (kept by retainPolicy: \
         Retain, or by hand); they may hold writes newer than the snapshot, and a restore never starts members \
         on data left behind. Nothing was created. Copy what you need from them and delete them (`kubectl \
         delete pvc -n {namespace} {}`), then restore again (a new EtcdRestore), or restore under another name",
        claims.join(", "),
        claims.join(" ")
    )
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

/// The version the restored cluster starts at. A version the snapshot recorded that is
/// under one of etcd's advisories becomes the fixed patch of the same minor (a restore is
/// the moment to leave it); one asked for in `spec.version` is refused unless forced.
fn restore_version(version: EtcdVersion, asked: bool, forced: bool) -> Result<EtcdVersion, Failure> {
    let version = if asked { version } else { shared::version::suggested_instead(version) };
    shared::version::check_new_cluster_version(version, forced)
        .map_err(|e| Failure::new("VersionRefused", format!("{e}; nothing was created")))?;
    Ok(version)
}

/// Checks the snapshot and creates the cluster. Returns the verified SHA-256 and revision.
async fn verify_and_create(
    ctx: &RestoreContext,
    restore: &EtcdRestore,
    namespace: &str,
) -> Result<(String, Option<i64>), Failure> {
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
    let version = restore.spec.version.clone().or(recorded_version).ok_or_else(|| {
        Failure::new("VersionRequired", "the snapshot's etcd version is not recorded: set spec.version")
    })?;
    let version = version.trim_start_matches('v').to_string();
    let parsed = version
        .parse::<EtcdVersion>()
        .map_err(|e| Failure::new("UnsupportedVersion", format!("version {version}: {e}")))?;
    let forced =
        restore.annotations().get(names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION).is_some_and(|v| v == "true");
    let version = restore_version(parsed, restore.spec.version.is_some(), forced)?.to_string();
    let spec: EtcdClusterSpec = serde_json::from_value(json!({
        "size": restore.spec.size,
        "version": version,
        "storage": restore.spec.storage,
        "bootstrap": {"fromSnapshot": bootstrap},
    }))
    .map_err(|e| Failure::new("Internal", format!("building the cluster spec: {e}")))?;
    let cluster =
        EtcdCluster {
            metadata: ObjectMeta {
                name: Some(restore.spec.cluster_name.clone()),
                namespace: Some(namespace.to_string()),
                annotations: Some(
                    [(RESTORED_BY_ANNOTATION.to_string(), restore.uid().unwrap_or_default())]
                        .into_iter()
                        .chain(forced.then(|| {
                            (names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION.to_string(), "true".into())
                        }))
                        .collect(),
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
    Ok((sha256, revision))
}

/// What the seed member's init containers say while they hold the restore up: a reason when
/// one of them fails (and what to look at), the wait for an upload, or `None` when the seed is
/// not a restoring Pod or nothing is in the way.
pub fn seed_progress(pod: &Pod) -> Option<(Option<&'static str>, String)> {
    let name = pod.name_any();
    let namespace = pod.namespace().unwrap_or_default();
    let statuses = pod.status.as_ref()?.init_container_statuses.as_ref()?;
    for status in statuses {
        let container = &status.name;
        let state = status.state.clone().unwrap_or_default();
        let failed = state.terminated.as_ref().filter(|t| t.exit_code != 0).or(status
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .filter(|t| t.exit_code != 0));
        if let Some(terminated) = failed
            && state.running.is_none()
        {
            let said = terminated.message.as_deref().map(|m| format!(": {}", m.trim())).unwrap_or_default();
            return Some((
                Some("SeedFailing"),
                format!(
                    "member {name} cannot be seeded: its init container {container} failed (exit {}, restarted {} \
                     times){said}; see `kubectl logs -n {namespace} {name} -c {container}`",
                    terminated.exit_code, status.restart_count
                ),
            ));
        }
        if let Some(waiting) = &state.waiting
            && let Some(reason) = waiting.reason.as_deref()
            && matches!(
                reason,
                "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" | "CreateContainerConfigError"
            )
        {
            return Some((
                Some("SeedFailing"),
                format!(
                    "member {name} cannot be seeded: its init container {container} cannot start: {reason}: {}",
                    waiting.message.as_deref().unwrap_or("")
                ),
            ));
        }
        if state.running.is_some() && container == names::UPLOAD_CONTAINER {
            return Some((
                None,
                format!(
                    "member {name} waits for the snapshot upload on port {} (`kubectl etcd restore ... --from \
                     FILE` sends it)",
                    names::UPLOAD_PORT
                ),
            ));
        }
        // A step still to come holds nothing up yet.
        state.terminated.as_ref()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_restore_leaves_an_advised_against_release_for_its_fixed_patch() {
        let v = |t: &str| t.parse::<EtcdVersion>().expect("version");
        // Recorded by the snapshot: moved to the newest tested patch under no advisory.
        assert_eq!(restore_version(v("3.5.1"), false, false).ok(), Some(v("3.5.30")));
        assert_eq!(restore_version(v("3.4.23"), false, false).ok(), Some(v("3.4.23")));
        // Asked for: refused unless forced, saying nothing was created.
        let refused = restore_version(v("3.5.1"), true, false).expect_err("refused");
        assert_eq!(refused.reason, "VersionRefused");
        assert!(
            refused.message.contains("must not hold data") && refused.message.contains("nothing was created")
        );
        assert_eq!(restore_version(v("3.5.1"), true, true).ok(), Some(v("3.5.1")));
    }

    fn seed_pod(init: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "new-0", "namespace": "db"},
            "status": {"initContainerStatuses": init},
        }))
        .unwrap()
    }

    fn init_status(name: &str, state: Value, last: Value, restarts: i32) -> Value {
        json!({"name": name, "image": "x", "imageID": "", "ready": false, "restartCount": restarts,
               "state": state, "lastState": last})
    }

    #[test]
    fn a_failing_init_container_names_itself_and_its_logs() {
        let done = json!({"terminated": {"exitCode": 0}});
        let pod = seed_pod(json!([
            init_status(
                "fetch-snapshot",
                json!({"waiting": {"reason": "CrashLoopBackOff"}}),
                json!({"terminated": {"exitCode": 1, "message": "StoreUnreachable: no route\n"}}),
                3
            ),
            init_status("restore-snapshot", json!({"waiting": {"reason": "PodInitializing"}}), json!({}), 0),
        ]));
        let (reason, message) = seed_progress(&pod).unwrap_or_else(|| panic!("a failure"));
        assert_eq!(reason, Some("SeedFailing"));
        for part in [
            "fetch-snapshot failed (exit 1, restarted 3 times): StoreUnreachable: no route;",
            "kubectl logs -n db new-0 -c fetch-snapshot",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }
        let pulling = seed_pod(json!([
            init_status("fetch-snapshot", done.clone(), json!({}), 0),
            init_status(
                "restore-snapshot",
                json!({"waiting": {"reason": "ErrImagePull", "message": "no such image"}}),
                json!({}),
                0
            ),
        ]));
        assert!(
            seed_progress(&pulling)
                .is_some_and(|(r, m)| r == Some("SeedFailing") && m.contains("ErrImagePull: no such image"))
        );
        let uploading =
            seed_pod(json!([init_status(names::UPLOAD_CONTAINER, json!({"running": {}}), json!({}), 0),]));
        assert!(seed_progress(&uploading).is_some_and(|(r, m)| r.is_none() && m.contains("waits for the snapshot upload on port 2390")));
        let restarted_then_running = seed_pod(json!([init_status(
            "fetch-snapshot",
            json!({"running": {}}),
            json!({"terminated": {"exitCode": 1}}),
            1
        ),]));
        assert_eq!(seed_progress(&restarted_then_running), None, "running again: give it its chance");
        let healthy = seed_pod(json!([init_status("fetch-snapshot", done, json!({}), 0)]));
        assert_eq!(seed_progress(&healthy), None);
        assert_eq!(seed_progress(&Pod::default()), None, "not a seed");
    }

    #[test]
    fn claims_of_an_earlier_cluster_of_the_name_are_found_and_named() {
        let claim = |name: &str, cluster: Option<&str>| -> PersistentVolumeClaim {
            let labels = cluster.map(|c| json!({names::LABEL_CLUSTER: c})).unwrap_or(json!({}));
            serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}})).unwrap()
        };
        let claims = [
            claim("data-demo-1", Some("demo")),
            claim("data-demo-0", None),
            claim("data-demo-x", None),
            claim("data-demo2-0", Some("demo2")),
            claim("data-demo-01", None),
            claim("scratch", Some("demo")),
        ];
        let left = claims_left_behind("demo", &claims);
        assert_eq!(left.kept, ["data-demo-0", "data-demo-1", "scratch"]);
        assert!(left.going.is_empty());
        assert_eq!(claims_left_behind("other", &claims), LeftBehind::default());
        let owned: PersistentVolumeClaim = serde_json::from_value(json!({"metadata": {
            "name": "data-demo-2",
            "ownerReferences": [{"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
                                 "name": "demo", "uid": "u"}]}}))
        .unwrap();
        let deleting: PersistentVolumeClaim = serde_json::from_value(
            json!({"metadata": {"name": "data-demo-3", "deletionTimestamp": "2025-01-01T00:00:00Z"}}),
        )
        .unwrap();
        let left = claims_left_behind("demo", &[owned, deleting, claim("data-demo-0", None)]);
        assert_eq!(
            left,
            LeftBehind {
                kept: vec!["data-demo-0".into()],
                going: vec!["data-demo-2".into(), "data-demo-3".into()]
            },
            "a deleted cluster's own claims are on their way out"
        );
        let message = claims_exist_message("db", "demo", &["data-demo-0".into(), "data-demo-1".into()]);
        for part in [
            "PersistentVolumeClaims data-demo-0, data-demo-1 of an earlier cluster db/demo",
            "Nothing was created",
            "`kubectl delete pvc -n db data-demo-0 data-demo-1`",
            "restore under another name",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }
    }

    #[test]
    fn events_announce_new_phases() {
        let now: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        let failed = status_of(
            &EtcdRestoreStatus::default(),
            RestorePhase::Failed,
            Some("SnapshotCorrupt"),
            "bad",
            now,
        );
        let event = event_of(&failed).unwrap_or_else(|| panic!("an event"));
        assert_eq!(
            (event.type_, event.reason.as_str()),
            (kube::runtime::events::EventType::Warning, "SnapshotCorrupt")
        );
        let seeding = status_of(&failed, RestorePhase::Restoring, Some("SeedFailing"), "x", now);
        assert_eq!(event_of(&seeding).map(|e| e.type_), Some(kube::runtime::events::EventType::Warning));
        let done = status_of(&failed, RestorePhase::Succeeded, None, "ok", now);
        assert_eq!(event_of(&done).map(|e| e.reason), Some("Restored".to_string()));
        assert!(event_of(&status_of(&failed, RestorePhase::Verifying, None, "x", now)).is_none());
    }

    #[test]
    fn failed_and_succeeded_carry_conditions() {
        let now: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
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
