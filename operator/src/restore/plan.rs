//! What a restore does next, decided from what was observed, without I/O: the status to
//! report, whether to look again, and whether to fetch, verify and create the cluster. The
//! controller in `mod.rs` observes into an [`Observed`], asks [`decide`], acts, and reports.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::ObjectMeta;
use serde_json::{Value, json};
use shared::crd::{
    ClusterPhase, EtcdCluster, EtcdClusterSpec, EtcdClusterStatus, EtcdRestore, EtcdRestoreStatus,
    RestorePhase,
};
use shared::names;
use shared::version::EtcdVersion;

use super::RESTORED_BY_ANNOTATION;
use crate::backup::plan::Failure;

/// What the seed member's init containers say: a reason when one of them fails, and a message.
pub type SeedProgress = (Option<&'static str>, String);

/// What a reconcile of a restore knows before it decides.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// The restore's namespace, where its cluster, claims and snapshot source are.
    pub namespace: String,
    /// The restore's UID, which the cluster it creates records.
    pub uid: String,
    /// The EtcdCluster of `spec.clusterName`, if one exists.
    pub cluster: Option<SeenCluster>,
    /// Claims of an earlier cluster of that name: read only when no such cluster exists and
    /// the restore asks for persistent storage.
    pub left_behind: Option<LeftBehind>,
}

/// The EtcdCluster a restore creates, as found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeenCluster {
    /// Its [`RESTORED_BY_ANNOTATION`]: the UID of the restore that created it.
    pub restored_by: Option<String>,
    /// Its `spec.size`.
    pub size: i32,
    /// Its status.
    pub status: EtcdClusterStatus,
    /// What its seed member says ([`seed_progress`] of the first Pod that says something):
    /// read only while the restore waits for a cluster it created.
    pub seed: Option<SeedProgress>,
}

impl SeenCluster {
    /// The cluster as found, before its seed is read.
    pub fn of(cluster: &EtcdCluster) -> Self {
        SeenCluster {
            restored_by: cluster.annotations().get(RESTORED_BY_ANNOTATION).cloned(),
            size: cluster.spec.size,
            status: cluster.status.clone().unwrap_or_default(),
            seed: None,
        }
    }

    /// Whether the restore with `uid` created it.
    pub fn created_by(&self, uid: &str) -> bool {
        self.restored_by.as_deref() == Some(uid)
    }

    /// Whether it runs all its members, ready.
    pub fn complete(&self) -> bool {
        self.status.phase == Some(ClusterPhase::Running)
            && self.status.ready_members == self.size
            && self.status.members.len() == usize::try_from(self.size).unwrap_or_default()
    }
}

/// What happens after a status is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Nothing until the restore changes (it is finished, or failed).
    AwaitChange,
    /// Look again in a moment ([`super::RECHECK`]).
    Recheck,
}

/// Something the operator's log says about a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Log {
    /// The restore waits for these claims of a deleted cluster to go.
    WaitsForClaims(Vec<String>),
    /// The restore is refused: these member claims of an earlier cluster exist.
    ClaimsExist(Vec<String>),
    /// The restore failed.
    Failed(String),
}

/// A status to report (none when it has not changed) and what then.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The status to write.
    pub status: Option<EtcdRestoreStatus>,
    /// What happens after it.
    pub then: Then,
    /// What the log says.
    pub log: Option<Log>,
}

impl Report {
    fn new(status: Option<EtcdRestoreStatus>, then: Then) -> Self {
        Report { status, then, log: None }
    }
}

/// The next step of a restore.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Report a status.
    Report(Report),
    /// Report `verifying`, then fetch and check the snapshot and create the cluster; what
    /// follows is [`after_create`].
    Create {
        /// The Verifying status reported first.
        verifying: EtcdRestoreStatus,
    },
}

/// Refuses a `file://` snapshot as a restore's source unless member Pods see the
/// operator's files (`reach_pods`). The seed member fetches the snapshot in its own Pod,
/// which mounts only its data volume: a path the operator reads (a volume mounted into
/// it) is not there. The message names the ways that work in a cluster.
pub fn file_source_refusal(url: &str, reach_pods: bool) -> Result<(), Failure> {
    if reach_pods || !url.starts_with("file://") {
        return Ok(());
    }
    Err(Failure::new(
        "SourceUnreachable",
        format!(
            "{url} is a path in the operator's filesystem, which the new cluster's first member cannot read \
             (it fetches the snapshot in its own Pod): restore from an object store (s3://, gs://, az://), \
             or upload the file from your machine with `kubectl etcd restore NAME --from FILE`"
        ),
    ))
}

/// Whether the restore needs nothing more: it is being deleted, or it succeeded or failed.
/// Nothing is observed then.
pub fn settled(restore: &EtcdRestore) -> bool {
    restore.metadata.deletion_timestamp.is_some()
        || matches!(
            restore.status.as_ref().and_then(|s| s.phase),
            Some(RestorePhase::Succeeded | RestorePhase::Failed)
        )
}

/// The next step of an unsettled restore, from what was observed.
pub fn decide(restore: &EtcdRestore, seen: &Observed, now: Timestamp) -> Decision {
    let previous = restore.status.clone().unwrap_or_default();
    let namespace = &seen.namespace;
    let name = &restore.spec.cluster_name;
    let unchanged = |phase: RestorePhase, reason: Option<&str>, message: &str| {
        previous.message.as_deref() == Some(message)
            && previous.phase == Some(phase)
            && previous.reason.as_deref() == reason
    };
    if let Some(cluster) = &seen.cluster {
        if !cluster.created_by(&seen.uid) {
            let message = format!(
                "EtcdCluster {namespace}/{name} already exists and was not created by this restore: restore into \
                 a new name"
            );
            let status = status_of(&previous, RestorePhase::Failed, Some("ClusterExists"), &message, now);
            return Decision::Report(Report::new(Some(status), Then::AwaitChange));
        }
        let size = cluster.size;
        if cluster.complete() {
            let message = format!("EtcdCluster {name} runs {size} members restored from the snapshot");
            let status = status_of(&previous, RestorePhase::Succeeded, None, &message, now);
            return Decision::Report(Report::new(Some(status), Then::AwaitChange));
        }
        let (reason, message) = cluster.seed.clone().unwrap_or_else(|| {
            (
                None,
                format!(
                    "EtcdCluster {name} is starting from the snapshot: {}/{size} members ready",
                    cluster.status.ready_members
                ),
            )
        });
        let status = (!unchanged(RestorePhase::Restoring, reason, &message))
            .then(|| status_of(&previous, RestorePhase::Restoring, reason, &message, now));
        return Decision::Report(Report::new(status, Then::Recheck));
    }
    if let Some(left) = &seen.left_behind {
        if left.kept.is_empty() && !left.going.is_empty() {
            // A deleted cluster's own claims, which the garbage collector removes: wait.
            let message = format!(
                "waiting for PersistentVolumeClaims {} of the deleted cluster {namespace}/{name} to be removed",
                left.going.join(", ")
            );
            let status = (previous.message.as_deref() != Some(message.as_str()))
                .then(|| status_of(&previous, RestorePhase::Pending, None, &message, now));
            let log = Some(Log::WaitsForClaims(left.going.clone()));
            return Decision::Report(Report { status, then: Then::Recheck, log });
        }
        if !left.kept.is_empty() {
            let message = claims_exist_message(namespace, name, &left.kept);
            let status = status_of(&previous, RestorePhase::Failed, Some("ClaimsExist"), &message, now);
            let log = Some(Log::ClaimsExist(left.kept.clone()));
            return Decision::Report(Report { status: Some(status), then: Then::AwaitChange, log });
        }
    }
    Decision::Create {
        verifying: status_of(
            &previous,
            RestorePhase::Verifying,
            None,
            "fetching and checking the snapshot",
            now,
        ),
    }
}

/// What follows the attempt to create the cluster: Restoring with the verified SHA-256 and
/// revision, or Failed with why.
pub fn after_create(
    verifying: &EtcdRestoreStatus,
    restore: &EtcdRestore,
    outcome: Result<(String, Option<i64>), Failure>,
    now: Timestamp,
) -> Report {
    let name = &restore.spec.cluster_name;
    match outcome {
        Ok((sha256, revision)) => {
            let message = if restore.spec.source.upload {
                format!(
                    "EtcdCluster {name} created; its first member waits for the snapshot to be uploaded (`kubectl \
                     etcd restore {name} --from FILE` sends it)"
                )
            } else {
                format!("snapshot verified; EtcdCluster {name} created")
            };
            let mut status = status_of(verifying, RestorePhase::Restoring, None, &message, now);
            status.sha256 = Some(sha256);
            status.revision = revision;
            Report::new(Some(status), Then::Recheck)
        }
        Err(failure) => Report {
            status: Some(status_of(
                verifying,
                RestorePhase::Failed,
                Some(failure.reason),
                &failure.message,
                now,
            )),
            then: Then::AwaitChange,
            log: Some(Log::Failed(failure.to_string())),
        },
    }
}

/// The snapshot the seed member starts from, as `spec.bootstrap.fromSnapshot` names it (a
/// location, or an upload, with the SHA-256 it must have), and the etcd version it recorded.
pub struct Verified {
    /// `spec.bootstrap.fromSnapshot` of the cluster.
    pub bootstrap: Value,
    /// The etcd version the snapshot recorded, if known.
    pub recorded_version: Option<String>,
}

/// The EtcdCluster a restore creates in `namespace` from `verified`, recording the restore's
/// `uid`; refused when no usable version is known.
pub fn cluster_to_create(
    restore: &EtcdRestore,
    namespace: &str,
    uid: &str,
    verified: Verified,
) -> Result<EtcdCluster, Failure> {
    let version = restore.spec.version.clone().or(verified.recorded_version).ok_or_else(|| {
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
        "tls": restore.spec.tls,
        "bootstrap": {"fromSnapshot": verified.bootstrap},
    }))
    .map_err(|e| Failure::new("Internal", format!("building the cluster spec: {e}")))?;
    Ok(EtcdCluster {
        metadata: ObjectMeta {
            name: Some(restore.spec.cluster_name.clone()),
            namespace: Some(namespace.to_string()),
            annotations: Some(
                [(RESTORED_BY_ANNOTATION.to_string(), uid.to_string())]
                    .into_iter()
                    .chain(
                        forced.then(|| {
                            (names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION.to_string(), "true".into())
                        }),
                    )
                    .collect(),
            ),
            ..ObjectMeta::default()
        },
        spec,
        status: None,
    })
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
/// The Event that announces `status`, if it is worth one.
pub fn event_of(status: &EtcdRestoreStatus) -> Option<kube::runtime::events::Event> {
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
/// Claims of an earlier cluster of the name a restore creates, by name, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
/// The version the restored cluster starts at. A version the snapshot recorded that is
/// under one of etcd's advisories becomes the fixed patch of the same minor (a restore is
/// the moment to leave it); one asked for in `spec.version` is refused unless forced. The
/// rule is `shared::version::restored_cluster_version`, which the plugin's restore preview shows.
pub fn restore_version(version: EtcdVersion, asked: bool, forced: bool) -> Result<EtcdVersion, Failure> {
    shared::version::restored_cluster_version(version, asked, forced)
        .map_err(|e| Failure::new("VersionRefused", format!("{e}; nothing was created")))
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
        let now = now();
        let failed = corrupt("bad");
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
        let now = now();
        let failed = corrupt("damaged");
        assert_eq!(failed.reason.as_deref(), Some("SnapshotCorrupt"));
        assert_eq!(failed.conditions[0].type_, "Failed");
        assert_eq!(failed.conditions[0].reason, "SnapshotCorrupt");
        let done = status_of(&failed, RestorePhase::Succeeded, None, "ok", now);
        assert_eq!((done.reason, done.conditions[0].type_.as_str()), (None, "Complete"));
        let verifying = status_of(&EtcdRestoreStatus::default(), RestorePhase::Verifying, None, "x", now);
        assert!(verifying.conditions.is_empty());
    }

    fn now() -> Timestamp {
        "2025-01-01T00:00:00Z".parse().unwrap()
    }

    /// A new restore's status after its snapshot was found corrupt.
    fn corrupt(message: &str) -> EtcdRestoreStatus {
        status_of(
            &EtcdRestoreStatus::default(),
            RestorePhase::Failed,
            Some("SnapshotCorrupt"),
            message,
            now(),
        )
    }

    fn restore(extra: Value) -> EtcdRestore {
        let mut value = json!({
            "metadata": {"name": "r", "namespace": "db", "uid": "r-uid"},
            "spec": {"clusterName": "new", "size": 3, "source": {"backup": "nightly"}},
        });
        if let (Some(base), Some(more)) = (value.as_object_mut(), extra.as_object()) {
            for (key, v) in more {
                base.insert(key.clone(), v.clone());
            }
        }
        serde_json::from_value(value).unwrap()
    }

    fn observed(cluster: Option<SeenCluster>, left_behind: Option<LeftBehind>) -> Observed {
        Observed { namespace: "db".into(), uid: "r-uid".into(), cluster, left_behind }
    }

    fn ours(ready: i32, running: bool) -> SeenCluster {
        let status: EtcdClusterStatus = serde_json::from_value(json!({
            "phase": if running { "Running" } else { "Creating" },
            "readyMembers": ready,
            "members": (0..ready).map(|n| json!({"name": format!("new-{n}")})).collect::<Vec<_>>(),
        }))
        .unwrap();
        SeenCluster { restored_by: Some("r-uid".into()), size: 3, status, seed: None }
    }

    fn reported(decision: Decision) -> Report {
        match decision {
            Decision::Report(report) => report,
            Decision::Create { .. } => panic!("a report, not a creation"),
        }
    }

    #[test]
    fn a_settled_restore_is_left_alone() {
        assert!(!settled(&restore(json!({}))));
        assert!(settled(&restore(json!({"status": {"phase": "Failed"}}))));
        assert!(settled(&restore(json!({"status": {"phase": "Succeeded"}}))));
        assert!(!settled(&restore(json!({"status": {"phase": "Restoring"}}))));
    }

    #[test]
    fn a_new_restore_verifies_and_creates() {
        let Decision::Create { verifying } = decide(&restore(json!({})), &observed(None, None), now()) else {
            panic!("a creation")
        };
        assert_eq!(verifying.phase, Some(RestorePhase::Verifying));
        assert_eq!(verifying.message.as_deref(), Some("fetching and checking the snapshot"));
        let none_left = observed(None, Some(LeftBehind::default()));
        assert!(matches!(decide(&restore(json!({})), &none_left, now()), Decision::Create { .. }));
    }

    #[test]
    fn a_cluster_not_created_by_the_restore_fails_it() {
        let foreign = SeenCluster { restored_by: None, ..ours(3, true) };
        let report = reported(decide(&restore(json!({})), &observed(Some(foreign), None), now()));
        let status = report.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(
            (status.phase, status.reason.as_deref()),
            (Some(RestorePhase::Failed), Some("ClusterExists"))
        );
        assert!(status.message.is_some_and(|m| m.contains("EtcdCluster db/new already exists")));
        assert_eq!(report.then, Then::AwaitChange);
    }

    #[test]
    fn the_restore_follows_its_cluster_until_all_members_run() {
        let done = reported(decide(&restore(json!({})), &observed(Some(ours(3, true)), None), now()));
        let status = done.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(status.phase, Some(RestorePhase::Succeeded));
        assert_eq!(
            status.message.as_deref(),
            Some("EtcdCluster new runs 3 members restored from the snapshot")
        );
        assert_eq!(done.then, Then::AwaitChange);

        let starting = reported(decide(&restore(json!({})), &observed(Some(ours(1, true)), None), now()));
        assert_eq!(starting.then, Then::Recheck);
        let status = starting.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(
            (status.phase, status.message.as_deref()),
            (
                Some(RestorePhase::Restoring),
                Some("EtcdCluster new is starting from the snapshot: 1/3 members ready")
            )
        );
        // The same again: nothing to write.
        let again = restore(json!({"status": status}));
        let same = reported(decide(&again, &observed(Some(ours(1, true)), None), now()));
        assert_eq!((same.status, same.then), (None, Then::Recheck));

        let seed = Some((Some("SeedFailing"), "member new-0 cannot be seeded".to_string()));
        let failing = SeenCluster { seed, ..ours(0, false) };
        let report = reported(decide(&again, &observed(Some(failing), None), now()));
        let status = report.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(
            (status.phase, status.reason.as_deref(), status.message.as_deref()),
            (Some(RestorePhase::Restoring), Some("SeedFailing"), Some("member new-0 cannot be seeded"))
        );
    }

    #[test]
    fn claims_left_behind_hold_the_restore_up_or_refuse_it() {
        let going = LeftBehind { kept: vec![], going: vec!["data-new-0".into()] };
        let report = reported(decide(&restore(json!({})), &observed(None, Some(going.clone())), now()));
        assert_eq!(report.then, Then::Recheck);
        assert_eq!(report.log, Some(Log::WaitsForClaims(vec!["data-new-0".into()])));
        let status = report.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(status.phase, Some(RestorePhase::Pending));
        assert!(
            status.message.as_deref().is_some_and(|m| m.contains("data-new-0 of the deleted cluster db/new"))
        );
        let waiting = restore(json!({"status": status}));
        let again = reported(decide(&waiting, &observed(None, Some(going)), now()));
        assert_eq!(again.status, None, "the same message is not written again");

        let kept = LeftBehind { kept: vec!["data-new-1".into()], going: vec!["data-new-0".into()] };
        let report = reported(decide(&restore(json!({})), &observed(None, Some(kept)), now()));
        assert_eq!(
            (report.then, report.log),
            (Then::AwaitChange, Some(Log::ClaimsExist(vec!["data-new-1".into()])))
        );
        let status = report.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(
            (status.phase, status.reason.as_deref()),
            (Some(RestorePhase::Failed), Some("ClaimsExist"))
        );
        assert_eq!(status.message, Some(claims_exist_message("db", "new", &["data-new-1".into()])));
    }

    #[test]
    fn after_creation_the_restore_restores_or_says_why_not() {
        let verifying = status_of(&EtcdRestoreStatus::default(), RestorePhase::Verifying, None, "x", now());
        let created = after_create(&verifying, &restore(json!({})), Ok(("abc".into(), Some(7))), now());
        let status = created.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(
            (status.phase, status.sha256.as_deref(), status.revision, status.message.as_deref()),
            (
                Some(RestorePhase::Restoring),
                Some("abc"),
                Some(7),
                Some("snapshot verified; EtcdCluster new created")
            )
        );
        assert_eq!(created.then, Then::Recheck);
        let upload =
            restore(json!({"spec": {"clusterName": "new", "source": {"upload": true, "sha256": "abc"}}}));
        let uploaded = after_create(&verifying, &upload, Ok(("abc".into(), None)), now());
        assert!(
            uploaded
                .status
                .and_then(|s| s.message)
                .is_some_and(|m| m.contains("waits for the snapshot to be uploaded"))
        );
        let failed = after_create(&verifying, &upload, Err(Failure::new("SnapshotCorrupt", "bad")), now());
        assert_eq!(failed.then, Then::AwaitChange);
        assert_eq!(failed.log, Some(Log::Failed("SnapshotCorrupt: bad".into())));
        let status = failed.status.unwrap_or_else(|| panic!("a status"));
        assert_eq!(
            (status.phase, status.reason.as_deref()),
            (Some(RestorePhase::Failed), Some("SnapshotCorrupt"))
        );
    }

    #[test]
    fn the_created_cluster_records_its_restore_and_version() {
        let verified =
            || Verified { bootstrap: json!({"upload": true, "sha256": "abc"}), recorded_version: None };
        let refused =
            cluster_to_create(&restore(json!({})), "db", "r-uid", verified()).expect_err("no version");
        assert_eq!(refused.reason, "VersionRequired");
        let forced = restore(json!({
            "metadata": {"name": "r", "namespace": "db", "uid": "r-uid",
                         "annotations": {names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION: "true"}},
            "spec": {"clusterName": "new", "size": 3, "version": "v3.5.1", "source": {"upload": true, "sha256": "abc"}},
        }));
        let cluster = cluster_to_create(&forced, "db", "r-uid", verified()).unwrap();
        assert_eq!((cluster.name_any(), cluster.namespace().as_deref()), ("new".to_string(), Some("db")));
        assert_eq!(cluster.annotations().get(RESTORED_BY_ANNOTATION).map(String::as_str), Some("r-uid"));
        assert_eq!(
            cluster.annotations().get(names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION).map(String::as_str),
            Some("true")
        );
        assert_eq!((cluster.spec.size, cluster.spec.version.as_str()), (3, "3.5.1"));
        assert!(cluster.spec.tls.is_none(), "plain unless asked");
        assert!(cluster.spec.bootstrap.is_some_and(|b| b.from_snapshot.upload));
        let tls = restore(json!({
            "metadata": {"name": "r", "namespace": "db", "uid": "r-uid"},
            "spec": {"clusterName": "new", "size": 3, "version": "3.5.30", "tls": {}, "source": {"upload": true, "sha256": "abc"}},
        }));
        let cluster = cluster_to_create(&tls, "db", "r-uid", verified()).unwrap();
        assert_eq!(
            cluster.spec.tls,
            Some(shared::crd::TlsSpec::default()),
            "a TLS restore makes a TLS cluster"
        );
    }

    #[test]
    fn file_sources_are_refused_unless_pods_see_the_operators_files() {
        let refused = file_source_refusal("file:///backups/demo/x.db", false).expect_err("refused");
        assert_eq!(refused.reason, "SourceUnreachable");
        for part in ["file:///backups/demo/x.db", "s3://", "kubectl etcd restore NAME --from FILE"] {
            assert!(refused.message.contains(part), "{part} in {}", refused.message);
        }
        assert!(file_source_refusal("file:///backups/demo/x.db", true).is_ok(), "the sandbox's node");
        for store in ["s3://b/x.db", "gs://b/x.db", "az://c/x.db"] {
            assert!(file_source_refusal(store, false).is_ok(), "{store}");
        }
    }
}
