//! `EtcdCluster`: the desired shape of one etcd cluster, and what the operator last observed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, LocalObjectReference, ResourceRequirements, Toleration, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{SnapshotInfo, StorageLocation};
use super::maintenance::{AlarmStatus, DefragStatus, MaintenanceSpec};
use super::settings::EtcdSettings;
use super::tls::{TlsSpec, TlsStatus};

/// Smallest and largest number of voting members a cluster may have.
pub const MIN_SIZE: i32 = 1;
/// More than 9 voting members makes every write slower without adding useful tolerance.
pub const MAX_SIZE: i32 = 9;
/// Size used when none is given.
pub const DEFAULT_SIZE: i32 = 3;

/// An etcd cluster run by the kubectl-etcd operator: its size, version, storage and pod
/// placement. The operator creates one Pod per member and changes the cluster one safe
/// step at a time (learners first, never breaking quorum, leader last on upgrades).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "etcd.kubectl-etcd.dev",
    version = "v1alpha1",
    kind = "EtcdCluster",
    plural = "etcdclusters",
    singular = "etcdcluster",
    shortname = "etcd",
    category = "all",
    namespaced,
    derive = "PartialEq",
    status = "EtcdClusterStatus",
    scale(
        spec_replicas_path = ".spec.size",
        status_replicas_path = ".status.readyMembers",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Size", type_ = "integer", json_path = ".spec.size", description = "Desired number of voting members"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.ready", description = "Healthy voting members / desired members"),
    printcolumn(name = "Version", type_ = "string", json_path = ".status.currentVersion", description = "Version every member runs (the lowest while an upgrade is under way)"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase", description = "What the cluster is doing now"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(name = "Leader", type_ = "string", json_path = ".status.leader", priority = 1, description = "Member that is the raft leader"),
    printcolumn(name = "Last Backup", type_ = "date", json_path = ".status.lastBackup.completedAt", priority = 1, description = "When the newest successful backup completed"),
    selectable = ".spec.version",
    doc = "An etcd cluster run by the kubectl-etcd operator.",
    validation = Rule::new("self.metadata.name.size() <= 40 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')")
        .message("the cluster name must be at most 40 lowercase letters, digits and '-', starting with a letter: it names the member Pods, their PVCs and Services")
        .reason(Reason::FieldValueInvalid),
    cel
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(oldSelf.tls) || (has(self.tls) && has(self.tls.secrets) == has(oldSelf.tls.secrets) && (!has(self.tls.secrets) || self.tls.secrets == oldSelf.tls.secrets) && has(self.tls.certManager) == has(oldSelf.tls.certManager) && (!has(self.tls.certManager) || self.tls.certManager == oldSelf.tls.certManager))")
    .message("tls can be added to a running cluster (the operator turns it on member by member) but not removed, and where its certificates come from (secrets, certManager) cannot change; tls.renewal may: to serve plain HTTP again or take certificates from another source, create a new cluster and restore a backup into it")
    .reason(Reason::FieldValueForbidden))]
#[x_kube(validation = Rule::new("has(self.bootstrap) == has(oldSelf.bootstrap) && (!has(self.bootstrap) || self.bootstrap == oldSelf.bootstrap)")
    .message("bootstrap is fixed when the cluster is created: to seed from another snapshot, create a new cluster")
    .reason(Reason::FieldValueForbidden))]
pub struct EtcdClusterSpec {
    /// Number of voting members (1 to 9). Odd sizes are recommended: an even size tolerates
    /// no more failures than the odd size below it (4 tolerates 1, like 3). The operator
    /// adds or removes one member at a time.
    #[serde(default = "default_size")]
    #[schemars(range(min = 1, max = 9))]
    pub size: i32,

    /// etcd version to run, e.g. `3.5.1` (a leading `v` is accepted). Changing it starts a
    /// rolling upgrade: patch versions freely, minor versions one at a time, no downgrade
    /// across minor versions.
    #[schemars(regex(pattern = r"^v?[0-9]+\.[0-9]+\.[0-9]+$"), length(max = 32))]
    pub version: String,

    /// Image repository of the etcd image; the tag is `v<version>`. Defaults to the etcd
    /// project's images.
    #[serde(default = "default_repository")]
    #[schemars(regex(pattern = r"^[a-z0-9]+([._/:-][a-z0-9]+)*$"), length(min = 1, max = 255))]
    pub repository: String,

    /// Where members keep their data. Persistent storage (the default) survives Pod loss
    /// and node reboots; ephemeral storage is lost with the Pod.
    #[serde(default)]
    pub storage: StorageSpec,

    /// How member Pods are scheduled and labelled.
    #[serde(default)]
    pub pod: PodPolicy,

    /// Stop every change to the cluster: no members are added, removed, replaced or
    /// upgraded until this is false again. Status is still reported.
    #[serde(default)]
    pub paused: bool,

    /// Mutual TLS for client and peer traffic, with certificates the operator issues, the
    /// user brings or cert-manager issues. Added to a running plain cluster, it is turned on
    /// member by member without losing quorum (status says how far: Progressing reason
    /// `EnablingTls`); once set it cannot be removed, nor its certificates' source changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,

    /// Backups of this cluster: where the operator stores the snapshot it takes before an
    /// upgrade. Scheduled backups are EtcdBackup resources with a schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<ClusterBackupSpec>,

    /// How a new cluster gets its first data. Without it the cluster starts empty. Fixed at
    /// creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Bootstrap>,

    /// Settings of the etcd server (space quota, auto-compaction, snapshot count, raft
    /// timing). A change is rolled out one member at a time, followers first and the leader
    /// last, each restart gated on every member being healthy and caught up.
    #[serde(default)]
    pub etcd: EtcdSettings,

    /// Defragmentation on a schedule, and the recovery from a NOSPACE alarm.
    #[serde(default)]
    pub maintenance: MaintenanceSpec,
}

pub(crate) fn default_size() -> i32 {
    DEFAULT_SIZE
}

fn default_repository() -> String {
    crate::names::DEFAULT_REPOSITORY.to_string()
}

/// Storage of member data.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.kind == 'Persistent' || (!has(self.size) && !has(self.storageClassName))")
    .message("size and storageClassName apply only to Persistent storage: remove them or set kind: Persistent")
    .reason(Reason::FieldValueInvalid))]
#[x_kube(validation = Rule::new("(has(self.storageClassName) ? self.storageClassName : '') == (has(oldSelf.storageClassName) ? oldSelf.storageClassName : '')")
    .message("storageClassName cannot change after creation: create a new cluster and restore a backup into it")
    .reason(Reason::FieldValueForbidden))]
#[x_kube(validation = Rule::new("!has(self.size) || !has(oldSelf.size) || quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0")
    .message("storage size can only grow: a PersistentVolumeClaim cannot shrink")
    .reason(Reason::FieldValueForbidden))]
pub struct StorageSpec {
    /// `Persistent` (default): one PersistentVolumeClaim per member; a lost Pod comes back
    /// as the same member with its data. `Ephemeral`: data lives in an emptyDir; a lost Pod
    /// is replaced by a new member that copies the data from the others. Cannot change after
    /// creation.
    #[serde(default)]
    #[x_kube(validation = Rule::new("self == oldSelf")
        .message("storage kind cannot change after creation: create a new cluster with the other kind and restore a backup into it")
        .reason(Reason::FieldValueForbidden))]
    pub kind: StorageKind,

    /// Size of each member's volume (Persistent only), a Kubernetes quantity such as `8Gi`.
    /// Defaults to `1Gi`. Can grow later: the operator then asks each member's claim for the
    /// new size, which needs a storage class with `allowVolumeExpansion: true` (a refusal
    /// is reported as a `StorageGrowthRefused` Event). Cannot shrink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"))]
    pub size: Option<String>,

    /// StorageClass of the members' volumes (Persistent only). Empty means the cluster's
    /// default class. Cannot change after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub storage_class_name: Option<String>,

    /// What happens to the members' PersistentVolumeClaims when the EtcdCluster is deleted:
    /// `Delete` (default) removes them with the cluster; `Retain` keeps them.
    #[serde(default)]
    pub retain_policy: RetainPolicy,
}

/// Kind of storage for member data.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StorageKind {
    /// One PersistentVolumeClaim per member.
    #[default]
    Persistent,
    /// An emptyDir per Pod; data is lost with the Pod.
    Ephemeral,
}

/// What happens to member volumes when the cluster is deleted.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RetainPolicy {
    /// Remove the volumes with the cluster.
    #[default]
    Delete,
    /// Keep the volumes after the cluster is deleted.
    Retain,
}

/// Scheduling and metadata of member Pods.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!(self.antiAffinity == 'Required' && has(self.affinity) && has(self.affinity.podAntiAffinity))")
    .message("set either antiAffinity: Required or affinity.podAntiAffinity, not both")
    .reason(Reason::FieldValueInvalid))]
pub struct PodPolicy {
    /// CPU and memory requests and limits of the etcd container. Without it the container
    /// requests 100m CPU and 256Mi memory and has no limits: a CPU limit throttles etcd's
    /// heartbeats into needless leader elections, and a memory limit below its working set
    /// (which grows with the data) kills it. When given, it replaces those defaults whole
    /// (give `{}` for no requests at all). A namespace whose ResourceQuota counts limits
    /// needs limits here, or a LimitRange that supplies them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,

    /// CPU and memory requests and limits of each init container that builds the data of a
    /// member restored from a snapshot (fetch or receive the snapshot, restore it, install
    /// it). Without it each requests 100m CPU and 128Mi memory and has no limits. When
    /// given, it replaces those defaults whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_resources: Option<ResourceRequirements>,

    /// Secrets in the cluster's namespace holding credentials to pull the etcd image (and
    /// the operator's image, which the init containers of a restored member run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,

    /// ServiceAccount member Pods run as; empty means the namespace's `default`. Its token
    /// is never mounted: etcd does not call the Kubernetes API. Useful for image pull
    /// secrets attached to the account, or policies keyed on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"), length(min = 1, max = 253))]
    pub service_account_name: Option<String>,

    /// Topology spread constraints of member Pods, e.g. across zones with `topologyKey:
    /// topology.kubernetes.io/zone` and a `labelSelector` of
    /// `etcd.kubectl-etcd.dev/cluster: <cluster name>`. Added to the anti-affinity that
    /// `antiAffinity` chooses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,

    /// Node labels a member Pod's node must have.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,

    /// Tolerations of member Pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,

    /// Affinity rules of member Pods, added to the anti-affinity chosen by `antiAffinity`.
    /// An explicit `podAntiAffinity` here replaces that default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,

    /// Spreading members across nodes: `Preferred` (default) asks the scheduler to put
    /// members on different nodes when it can; `Required` refuses to co-locate them (a
    /// member stays Pending when no other node fits); `None` does not spread.
    #[serde(default)]
    pub anti_affinity: AntiAffinity,

    /// Extra labels on member Pods. Keys under `etcd.kubectl-etcd.dev/` and
    /// `app.kubernetes.io/managed-by` belong to the operator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[x_kube(validation = Rule::new("self.all(k, !k.startsWith('etcd.kubectl-etcd.dev/') && k != 'app.kubernetes.io/managed-by')")
        .message("labels under etcd.kubectl-etcd.dev/ and app.kubernetes.io/managed-by are set by the operator: choose another key")
        .reason(Reason::FieldValueForbidden))]
    pub labels: BTreeMap<String, String>,

    /// Extra annotations on member Pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,

    /// PriorityClass of member Pods. etcd is usually critical to what runs on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub priority_class_name: Option<String>,
}

/// How strongly members are spread across nodes.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AntiAffinity {
    /// Spread members across nodes when possible.
    #[default]
    Preferred,
    /// Never put two members on one node.
    Required,
    /// No spreading rule.
    None,
}

/// Backup settings that belong to the cluster itself.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterBackupSpec {
    /// Where the operator stores snapshots it takes on its own (before an upgrade).
    pub destination: StorageLocation,

    /// Take a snapshot before every upgrade and stop the upgrade if it fails (default true).
    #[serde(default = "default_true")]
    pub before_upgrade: bool,
}

fn default_true() -> bool {
    true
}

/// How a new cluster gets its data.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Bootstrap {
    /// Start the cluster from this snapshot (checked before use). A snapshot in a store is
    /// fetched, checked and restored by every initial member, and all start together; an
    /// uploaded one seeds the first member, and the others join one learner at a time.
    /// EtcdRestore fills this in.
    pub from_snapshot: SnapshotSource,
}

/// A snapshot to restore from: an EtcdBackup in the same namespace, a URL, or a file uploaded
/// to the seed member (`kubectl etcd restore --from FILE`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "(has(self.backup) ? 1 : 0) + (has(self.location) ? 1 : 0) + (has(self.upload) && self.upload ? 1 : 0) == 1")
    .message("name exactly one snapshot source: backup (an EtcdBackup), location (a URL) or upload (a file sent by the plugin)")
    .reason(Reason::FieldValueInvalid))]
#[x_kube(validation = Rule::new("!has(self.upload) || !self.upload || has(self.sha256)")
    .message("an uploaded snapshot needs its sha256, so the seed member can check what it receives")
    .reason(Reason::FieldValueRequired))]
pub struct SnapshotSource {
    /// Name of an EtcdBackup in the same namespace; its newest successful snapshot is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub backup: Option<String>,

    /// A snapshot file in object storage or on a path mounted into the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<StorageLocation>,

    /// The snapshot is uploaded to the seed member by `kubectl etcd restore --from FILE`: the
    /// seed's first init container waits for it on port 2390 (`PUT /snapshot`, reached
    /// through the API server's port-forward), checks it against `sha256` and etcd's
    /// appended hash, and only then lets the restore go on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub upload: bool,

    /// Expected SHA-256 of the snapshot file (64 lowercase hex digits). When set, a snapshot
    /// with another checksum is refused before anything is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: Option<String>,
}

/// What the cluster is doing, as the operator last saw it.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterPhase {
    /// Accepted; no member is running yet.
    Pending,
    /// The initial members are starting.
    Creating,
    /// All members voting, healthy and at the desired version.
    Running,
    /// Members are being added or removed.
    Scaling,
    /// A rolling upgrade is under way.
    Upgrading,
    /// A lost or failed member is being replaced or restarted.
    Healing,
    /// Quorum holds but some members are unhealthy, or a step failed.
    Degraded,
    /// Quorum is lost; the operator does nothing destructive. Restore from a backup.
    Unavailable,
    /// `spec.paused` is set; nothing is changed.
    Paused,
    /// The spec cannot be carried out (see the conditions).
    Failed,
}

/// Observed state of an EtcdCluster, written by the operator.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EtcdClusterStatus {
    /// What the cluster is doing now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<ClusterPhase>,

    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Desired number of voting members (`spec.size`).
    #[serde(default)]
    pub desired_members: i32,

    /// Voting members that are healthy.
    #[serde(default)]
    pub ready_members: i32,

    /// `readyMembers/desiredMembers`, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<String>,

    /// Version every member runs; while an upgrade is under way, the lowest one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,

    /// Version the cluster is moving to (`spec.version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,

    /// Name of the member that is the raft leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,

    /// etcd cluster ID, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,

    /// One entry per member, in name order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberStatus>,

    /// `Available`, `Progressing` and `Degraded`, each with a reason and a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,

    /// Advice that does not stop the cluster, e.g. an even size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,

    /// The newest successful backup of this cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<SnapshotInfo>,

    /// Label selector of the member Pods, for the scale subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,

    /// When the operator last checked the members' health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_health_check: Option<Time>,

    /// etcd alarms that are raised (NOSPACE, CORRUPT), by member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<AlarmStatus>,

    /// Defragmentations: the one under way and the last one finished, with the bytes each
    /// member gave back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defrag: Option<DefragStatus>,

    /// A TLS cluster's certificates: when each expires and is renewed, a CA rotation under
    /// way, members waiting for a restart with renewed certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsStatus>,
}

/// One member as the operator last saw it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberStatus {
    /// Member (and Pod) name, `<cluster>-<n>`.
    pub name: String,

    /// etcd member ID in hex, as `etcdctl member list` prints it. Empty before the member is
    /// added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,

    /// etcd version the member reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,

    /// `Leader`, `Follower` or `Learner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MemberRole>,

    /// The member answers its health check.
    #[serde(default)]
    pub healthy: bool,

    /// Size of the member's database file in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_size_bytes: Option<i64>,

    /// Bytes of the database file in use; the rest is free space a defragmentation gives
    /// back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_size_in_use_bytes: Option<i64>,

    /// Raft index the member has applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raft_applied_index: Option<i64>,

    /// Why the member is not healthy, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Role of a member in raft.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRole {
    /// The member that orders every write.
    Leader,
    /// A voting member that is not the leader.
    Follower,
    /// A non-voting member catching up before it is promoted.
    Learner,
}
