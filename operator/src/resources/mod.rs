//! The Kubernetes objects the operator creates for an EtcdCluster: one Pod and (with
//! persistent storage) one PersistentVolumeClaim per member, a headless peer Service, a
//! client Service, a headless metrics Service and a PodDisruptionBudget.
//!
//! Every builder is a pure function of the EtcdCluster (and, for member objects, the
//! member's parameters): no I/O, no clock, no randomness. Names, labels, ports and URLs all
//! come from [`shared::names`], so the plugin and the planner compute the same ones.

pub mod pdb;
pub mod pod;
pub mod pvc;
pub mod security;
pub mod service;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use shared::crd::EtcdCluster;
use shared::names;

/// Name of the etcd client port on the container and the Services.
pub const CLIENT_PORT_NAME: &str = "client";
/// Name of the etcd peer port on the container and the peer Service.
pub const PEER_PORT_NAME: &str = "peer";
/// Name of the etcd metrics port on the container.
pub const METRICS_PORT_NAME: &str = "metrics";

/// Why an object could not be built from an EtcdCluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The cluster object has no `metadata.name`.
    #[error("the EtcdCluster has no name: it must be read from the API before building its resources")]
    NoName,

    /// The cluster object has no `metadata.namespace`.
    #[error(
        "the EtcdCluster {cluster} has no namespace: it must be read from the API before building its \
         resources"
    )]
    NoNamespace {
        /// The cluster's name.
        cluster: String,
    },

    /// The cluster object has no `metadata.uid`, so nothing can be owned by it.
    #[error("the EtcdCluster has no uid: it must be read from the API before building its resources")]
    NoUid,

    /// The member name does not follow `<cluster>-<index>`.
    #[error(
        "{member:?} is not a member name of the EtcdCluster {cluster}: member names are \
         <cluster>-<index>, from shared::names::member_name"
    )]
    ForeignMember {
        /// The cluster's name.
        cluster: String,
        /// The name that was given.
        member: String,
    },

    /// `spec.bootstrap.fromSnapshot` has no location (an EtcdBackup name must be resolved
    /// first, which EtcdRestore does).
    #[error(
        "spec.bootstrap.fromSnapshot must name the snapshot's location: create the cluster with an \
         EtcdRestore (kubectl etcd restore), which fills it in"
    )]
    SnapshotUnresolved,

    /// The member's own entry is missing from `--initial-cluster` (etcd refuses to start).
    #[error(
        "the initial cluster of member {member} does not list it with its own peer URL {peer_url}: \
         etcd would refuse to start; include ({member}, {peer_url}) in MemberPod::initial_cluster"
    )]
    NotInInitialCluster {
        /// The member being built.
        member: String,
        /// The peer URL it must be listed with.
        peer_url: String,
    },
}

/// The owner reference that ties an object to its EtcdCluster: Kubernetes' garbage
/// collector deletes the object with the cluster, and the operator is woken when it changes.
pub fn owner_reference(cluster: &EtcdCluster) -> Result<OwnerReference, BuildError> {
    let name = cluster_name(cluster)?;
    let uid = cluster.metadata.uid.as_deref().filter(|uid| !uid.is_empty()).ok_or(BuildError::NoUid)?;
    Ok(OwnerReference {
        api_version: EtcdCluster::api_version(&()).into_owned(),
        kind: EtcdCluster::kind(&()).into_owned(),
        name: name.to_string(),
        uid: uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

/// The etcd image for `version`: `<repository>:v<version>` (a leading `v` on `version` is
/// accepted, as in the spec).
pub fn image(cluster: &EtcdCluster, version: &str) -> String {
    let version = version.strip_prefix('v').unwrap_or(version);
    format!("{}:v{version}", cluster.spec.repository)
}

/// The cluster's name, or an error if it has none.
fn cluster_name(cluster: &EtcdCluster) -> Result<&str, BuildError> {
    cluster.metadata.name.as_deref().filter(|n| !n.is_empty()).ok_or(BuildError::NoName)
}

/// The cluster's namespace, or an error if it has none.
fn cluster_namespace(cluster: &EtcdCluster) -> Result<&str, BuildError> {
    let name = cluster_name(cluster)?;
    cluster
        .metadata
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| BuildError::NoNamespace { cluster: name.to_string() })
}

/// Refuses a member name that is not one of the cluster's (`<cluster>-<index>`).
fn check_member(cluster: &str, member: &str) -> Result<(), BuildError> {
    match names::member_index(cluster, member) {
        Some(_) => Ok(()),
        None => Err(BuildError::ForeignMember { cluster: cluster.to_string(), member: member.to_string() }),
    }
}

/// Metadata of an object of the cluster: its name, the cluster's namespace, `labels`, and,
/// when `owned`, the cluster's owner reference.
fn object_meta(
    cluster: &EtcdCluster,
    name: String,
    labels: BTreeMap<String, String>,
    owned: bool,
) -> Result<ObjectMeta, BuildError> {
    let namespace = cluster_namespace(cluster)?;
    let owner_references = if owned { Some(vec![owner_reference(cluster)?]) } else { None };
    Ok(ObjectMeta {
        name: Some(name),
        namespace: Some(namespace.to_string()),
        labels: Some(labels),
        owner_references,
        ..ObjectMeta::default()
    })
}

/// A cluster as the operator reads it from the API, for the builders' tests.
#[cfg(test)]
pub(crate) mod testing {
    use shared::crd::{EtcdCluster, EtcdClusterSpec, EtcdSettings, MaintenanceSpec, PodPolicy, StorageSpec};
    use shared::names;

    /// Namespace of the test cluster.
    pub const NAMESPACE: &str = "db";
    /// UID of the test cluster.
    pub const UID: &str = "0b6c0a4e-1d7f-4c3e-9a57-2f1e8d6c5b4a";

    /// `demo` in namespace `db`, 3 members of etcd 3.5.30, every other field defaulted.
    pub fn cluster() -> EtcdCluster {
        let mut cluster = EtcdCluster::new(
            "demo",
            EtcdClusterSpec {
                size: 3,
                version: "3.5.30".to_string(),
                repository: names::DEFAULT_REPOSITORY.to_string(),
                storage: StorageSpec::default(),
                pod: PodPolicy::default(),
                paused: false,
                tls: None,
                backup: None,
                bootstrap: None,
                etcd: EtcdSettings::default(),
                maintenance: MaintenanceSpec::default(),
            },
        );
        cluster.metadata.namespace = Some(NAMESPACE.to_string());
        cluster.metadata.uid = Some(UID.to_string());
        cluster
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{UID, cluster};
    use super::*;

    #[test]
    fn owner_reference_names_the_cluster_as_controller() {
        let owner = owner_reference(&cluster()).expect("cluster has a uid");
        assert_eq!(owner.api_version, "etcd.kubectl-etcd.dev/v1alpha1");
        assert_eq!(owner.api_version, format!("{}/{}", names::API_GROUP, names::API_VERSION));
        assert_eq!(owner.kind, "EtcdCluster");
        assert_eq!(owner.name, "demo");
        assert_eq!(owner.uid, UID);
        assert_eq!(owner.controller, Some(true));
        assert_eq!(owner.block_owner_deletion, Some(true));
    }

    #[test]
    fn a_cluster_without_uid_is_refused() {
        let mut c = cluster();
        c.metadata.uid = None;
        let err = owner_reference(&c).expect_err("no uid");
        assert_eq!(err, BuildError::NoUid);
        assert_eq!(
            err.to_string(),
            "the EtcdCluster has no uid: it must be read from the API before building its resources"
        );
        c.metadata.uid = Some(String::new());
        assert_eq!(owner_reference(&c), Err(BuildError::NoUid), "an empty uid is no uid");
    }

    #[test]
    fn a_cluster_without_name_or_namespace_is_refused() {
        let mut c = cluster();
        c.metadata.namespace = None;
        let err = object_meta(&c, "x".into(), BTreeMap::new(), false).expect_err("no namespace");
        assert_eq!(err, BuildError::NoNamespace { cluster: "demo".into() });
        assert!(err.to_string().contains("read from the API"), "{err}");
        c.metadata.name = None;
        assert_eq!(owner_reference(&c), Err(BuildError::NoName));
    }

    #[test]
    fn image_tags_are_v_prefixed_once() {
        let c = cluster();
        assert_eq!(image(&c, "3.5.30"), "gcr.io/etcd-development/etcd:v3.5.30");
        assert_eq!(image(&c, "v3.5.30"), "gcr.io/etcd-development/etcd:v3.5.30");
        let mut c = cluster();
        c.spec.repository = "localhost:5000/etcd".into();
        assert_eq!(image(&c, "3.4.23"), "localhost:5000/etcd:v3.4.23", "a registry port is kept");
    }

    #[test]
    fn member_names_must_belong_to_the_cluster() {
        assert_eq!(check_member("demo", "demo-0"), Ok(()));
        let err = check_member("demo", "other-0").expect_err("foreign");
        assert_eq!(err, BuildError::ForeignMember { cluster: "demo".into(), member: "other-0".into() });
        assert!(check_member("demo", "demo").is_err());
    }
}
