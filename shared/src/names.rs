//! Names and label keys the operator owns. Users may not set these themselves.

/// The API group of every custom resource of this project.
pub const API_GROUP: &str = "etcd.kubectl-etcd.dev";

/// The API version of the custom resources.
pub const API_VERSION: &str = "v1alpha1";

/// Label prefix reserved for the operator's own labels.
pub const LABEL_PREFIX: &str = "etcd.kubectl-etcd.dev/";

/// Label naming the EtcdCluster a Pod, PVC or Service belongs to.
pub const LABEL_CLUSTER: &str = "etcd.kubectl-etcd.dev/cluster";

/// Label naming the member a Pod or PVC belongs to.
pub const LABEL_MEMBER: &str = "etcd.kubectl-etcd.dev/member";

/// The well-known `app.kubernetes.io/managed-by` label and our value for it.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`LABEL_MANAGED_BY`] on everything the operator creates.
pub const MANAGED_BY: &str = "kubectl-etcd";

/// Image repository used when a cluster does not name one (the etcd project's own images).
pub const DEFAULT_REPOSITORY: &str = "gcr.io/etcd-development/etcd";
