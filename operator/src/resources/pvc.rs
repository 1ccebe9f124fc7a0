//! The PersistentVolumeClaim of one etcd member.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use shared::crd::{EtcdCluster, RetainPolicy, StorageKind};
use shared::names;

use super::{BuildError, check_member, cluster_name, object_meta};

/// Size of a member's volume when `spec.storage.size` is not set.
pub const DEFAULT_STORAGE_SIZE: &str = "1Gi";

/// The claim holding member `member`'s data, named [`names::claim_name`]; `None` for
/// ephemeral storage.
///
/// The claim is owned by the cluster (not by the Pod), so a replaced Pod finds its data
/// again. With `retainPolicy: Retain` it carries no owner reference at all, so deleting the
/// cluster leaves it in place.
pub fn member_claim(
    cluster: &EtcdCluster,
    member: &str,
) -> Result<Option<PersistentVolumeClaim>, BuildError> {
    let name = cluster_name(cluster)?;
    check_member(name, member)?;
    let storage = &cluster.spec.storage;
    let owned = match storage.retain_policy {
        RetainPolicy::Delete => true,
        RetainPolicy::Retain => false,
    };
    let metadata = object_meta(cluster, names::claim_name(member), names::labels(name, Some(member)), owned)?;
    if storage.kind == StorageKind::Ephemeral {
        return Ok(None);
    }
    let size = storage.size.as_deref().unwrap_or(DEFAULT_STORAGE_SIZE);
    Ok(Some(PersistentVolumeClaim {
        metadata,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), Quantity(size.to_string()))])),
                limits: None,
            }),
            storage_class_name: storage.storage_class_name.clone(),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NAMESPACE, UID, cluster};
    use super::*;

    fn claim(c: &EtcdCluster, member: &str) -> PersistentVolumeClaim {
        member_claim(c, member).expect("valid").expect("persistent storage")
    }

    fn requests(pvc: &PersistentVolumeClaim) -> BTreeMap<String, Quantity> {
        pvc.spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.clone())
            .expect("requests")
    }

    #[test]
    fn persistent_claim_with_defaults() {
        let pvc = claim(&cluster(), "demo-1");
        assert_eq!(pvc.metadata.name.as_deref(), Some("data-demo-1"));
        assert_eq!(pvc.metadata.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(pvc.metadata.labels.as_ref(), Some(&names::labels("demo", Some("demo-1"))));
        assert_eq!(pvc.metadata.annotations, None);
        let owners = pvc.metadata.owner_references.as_deref().expect("owned with Delete");
        assert_eq!(owners.len(), 1);
        assert_eq!(
            (owners[0].kind.as_str(), owners[0].name.as_str(), owners[0].uid.as_str()),
            ("EtcdCluster", "demo", UID)
        );
        let spec = pvc.spec.as_ref().expect("spec");
        assert_eq!(spec.access_modes.as_deref(), Some(&["ReadWriteOnce".to_string()][..]));
        assert_eq!(requests(&pvc), BTreeMap::from([("storage".to_string(), Quantity("1Gi".into()))]));
        assert_eq!(spec.resources.as_ref().and_then(|r| r.limits.as_ref()), None);
        assert_eq!(spec.storage_class_name, None, "the cluster's default class");
        assert_eq!(
            (spec.volume_mode.as_ref(), spec.volume_name.as_ref(), spec.selector.as_ref()),
            (None, None, None)
        );
        assert!(pvc.status.is_none());
    }

    #[test]
    fn size_and_class_come_from_the_spec() {
        let mut c = cluster();
        c.spec.storage.size = Some("8Gi".into());
        c.spec.storage.storage_class_name = Some("fast-ssd".into());
        let pvc = claim(&c, "demo-0");
        assert_eq!(requests(&pvc)["storage"], Quantity("8Gi".into()));
        assert_eq!(pvc.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()), Some("fast-ssd"));
    }

    #[test]
    fn retain_policy_leaves_the_claim_unowned() {
        let mut c = cluster();
        c.spec.storage.retain_policy = RetainPolicy::Retain;
        let pvc = claim(&c, "demo-0");
        assert_eq!(pvc.metadata.owner_references, None);
        assert_eq!(pvc.metadata.name.as_deref(), Some("data-demo-0"));
        assert_eq!(
            pvc.metadata.labels.as_ref(),
            Some(&names::labels("demo", Some("demo-0"))),
            "still findable"
        );

        c.metadata.uid = None;
        assert!(member_claim(&c, "demo-0").is_ok(), "an unowned claim needs no uid");
    }

    #[test]
    fn ephemeral_storage_has_no_claim() {
        let mut c = cluster();
        c.spec.storage.kind = StorageKind::Ephemeral;
        assert_eq!(member_claim(&c, "demo-0"), Ok(None));
    }

    #[test]
    fn invalid_input_is_refused() {
        let mut c = cluster();
        assert!(matches!(member_claim(&c, "other-0"), Err(BuildError::ForeignMember { .. })));
        c.metadata.uid = None;
        assert_eq!(member_claim(&c, "demo-0"), Err(BuildError::NoUid));
        c.metadata.namespace = None;
        assert_eq!(member_claim(&c, "demo-0"), Err(BuildError::NoNamespace { cluster: "demo".into() }));
    }
}
