//! `EtcdRestore`: create a new cluster from a snapshot.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cluster::{SnapshotSource, StorageSpec, default_size};
use super::tls::TlsSpec;

/// A request to create a new EtcdCluster seeded from a snapshot. The operator checks the
/// snapshot first (its sha256 and etcd's own hash), then creates the cluster with
/// `spec.bootstrap.fromSnapshot`; nothing is created when the snapshot is missing or corrupt.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "etcd.kubectl-etcd.dev",
    version = "v1alpha1",
    kind = "EtcdRestore",
    plural = "etcdrestores",
    singular = "etcdrestore",
    shortname = "etcdrs",
    namespaced,
    derive = "PartialEq",
    status = "EtcdRestoreStatus",
    printcolumn(
        name = "Cluster",
        type_ = "string",
        json_path = ".spec.clusterName",
        description = "EtcdCluster created by the restore"
    ),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(
        name = "Revision",
        type_ = "integer",
        json_path = ".status.revision",
        description = "Revision of the restored snapshot"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    doc = "Create a new EtcdCluster from a snapshot.",
    cel
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self == oldSelf")
    .message("an EtcdRestore cannot be changed once created: delete it and create another")
    .reason(Reason::FieldValueForbidden))]
pub struct EtcdRestoreSpec {
    /// Name of the new EtcdCluster (in the same namespace). It must not exist yet.
    #[schemars(length(min = 1, max = 40), regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"))]
    pub cluster_name: String,

    /// The snapshot to restore.
    pub source: SnapshotSource,

    /// Number of voting members of the new cluster (1 to 9).
    #[serde(default = "default_size")]
    #[schemars(range(min = 1, max = 9))]
    pub size: i32,

    /// etcd version of the new cluster, e.g. `3.5.1`. Defaults to the snapshot's version.
    /// A snapshot restores into the same minor version or the next one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^v?[0-9]+\.[0-9]+\.[0-9]+$"), length(max = 32))]
    pub version: Option<String>,

    /// Storage of the new cluster's members.
    #[serde(default)]
    pub storage: StorageSpec,

    /// TLS of the new cluster (its `spec.tls`): `{}` has the operator issue the
    /// certificates. Without it the new cluster serves plain HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
}

/// What a restore is doing.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePhase {
    /// Accepted, not started.
    Pending,
    /// Fetching and checking the snapshot.
    Verifying,
    /// The cluster is created and growing to its size.
    Restoring,
    /// The new cluster is running at its size.
    Succeeded,
    /// The restore failed; see reason and message. Nothing was left half-created.
    Failed,
}

/// Observed state of an EtcdRestore, written by the operator.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EtcdRestoreStatus {
    /// What the restore is doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<RestorePhase>,

    /// SHA-256 of the snapshot as verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,

    /// Revision of the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,

    /// Why the restore failed, as a single CamelCase word (e.g. `SnapshotNotFound`,
    /// `SnapshotCorrupt`, `ClusterExists`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,

    /// What happened and what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,

    /// Standard conditions (`Complete`, `Failed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
