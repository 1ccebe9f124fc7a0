//! `EtcdBackup`: one snapshot of a cluster, or a schedule of them with retention.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{SnapshotInfo, StorageLocation};

/// A snapshot of an EtcdCluster stored in object storage. Without a schedule it is taken
/// once; with a schedule it is taken repeatedly and old snapshots are pruned by retention.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "etcd.kubectl-etcd.dev",
    version = "v1alpha1",
    kind = "EtcdBackup",
    plural = "etcdbackups",
    singular = "etcdbackup",
    shortname = "etcdbk",
    namespaced,
    derive = "PartialEq",
    status = "EtcdBackupStatus",
    printcolumn(
        name = "Cluster",
        type_ = "string",
        json_path = ".spec.clusterName",
        description = "EtcdCluster backed up"
    ),
    printcolumn(
        name = "Schedule",
        type_ = "string",
        json_path = ".spec.schedule",
        description = "Cron schedule; empty for a one-shot backup"
    ),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(
        name = "Size",
        type_ = "integer",
        json_path = ".status.snapshot.sizeBytes",
        description = "Size of the newest snapshot in bytes"
    ),
    printcolumn(name = "Revision", type_ = "integer", json_path = ".status.snapshot.revision"),
    printcolumn(
        name = "Version",
        type_ = "string",
        json_path = ".status.snapshot.etcdVersion",
        description = "etcd version of the snapshot"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "Location", type_ = "string", json_path = ".status.snapshot.location", priority = 1),
    selectable = ".spec.clusterName",
    doc = "A snapshot of an EtcdCluster, once or on a schedule.",
    cel
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.retention) || has(self.schedule)")
    .message("retention applies to scheduled backups: set schedule, or remove retention")
    .reason(Reason::FieldValueInvalid))]
#[x_kube(validation = Rule::new("has(self.schedule) == has(oldSelf.schedule)")
    .message("a backup cannot switch between one-shot and scheduled: create a new EtcdBackup")
    .reason(Reason::FieldValueForbidden))]
pub struct EtcdBackupSpec {
    /// Name of the EtcdCluster in the same namespace to back up. Cannot change.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf")
        .message("clusterName cannot change: create a new EtcdBackup for the other cluster")
        .reason(Reason::FieldValueForbidden))]
    pub cluster_name: String,

    /// Where snapshots are stored. Each snapshot is written under this URL as
    /// `<cluster>/<backup>-<UTC time>-rev<revision>.db`, e.g.
    /// `demo/nightly-20250101T020000Z-rev1234.db`.
    pub destination: StorageLocation,

    /// Cron schedule (five fields, e.g. `0 */6 * * *`, or `@hourly`, `@daily`, ...; times
    /// in UTC). A sixth, leading field gives seconds (`*/30 * * * * *`), for tests and short
    /// intervals. Without it the backup is taken once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4,5}\S+)$"
    ))]
    pub schedule: Option<String>,

    /// Which scheduled snapshots to keep. The newest successful snapshot is never deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,

    /// Stop taking scheduled snapshots until this is false again.
    #[serde(default)]
    pub suspend: bool,
}

/// Which snapshots of a schedule to keep. A snapshot is deleted only when every rule that
/// is set allows it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.keepLast) || has(self.maxAge)")
    .message("retention needs keepLast, maxAge or both")
    .reason(Reason::FieldValueRequired))]
pub struct Retention {
    /// Keep at least this many of the newest successful snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub keep_last: Option<i32>,

    /// Keep snapshots younger than this, e.g. `36h` or `7d` (units s, m, h, d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(s|m|h|d)$"))]
    pub max_age: Option<String>,
}

/// What a backup is doing.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupPhase {
    /// Accepted; waiting for the operator or for the next scheduled time.
    Pending,
    /// A snapshot is being taken and uploaded.
    Running,
    /// The (newest) snapshot is stored.
    Succeeded,
    /// The (newest) attempt failed; see reason and message.
    Failed,
}

/// Observed state of an EtcdBackup, written by the operator.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EtcdBackupStatus {
    /// State of the newest attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<BackupPhase>,

    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// When the newest attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,

    /// When the newest attempt ended, successful or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,

    /// The newest successful snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotInfo>,

    /// Snapshots of a schedule that retention keeps, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retained: Vec<SnapshotInfo>,

    /// When the schedule next runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_schedule_time: Option<Time>,

    /// Why the newest attempt failed, as a single CamelCase word (e.g. `NoHealthyMember`,
    /// `StoreUnreachable`, `AccessDenied`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,

    /// What happened and what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,

    /// Standard conditions (`Complete`, `Failed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
