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

/// A claim to grow: its name, what it asks for now, and the size `spec.storage.size` asks.
#[derive(Clone, Debug, PartialEq)]
pub struct Growth {
    /// The claim.
    pub claim: String,
    /// Its `spec.resources.requests.storage` now.
    pub from: String,
    /// The size to request.
    pub to: Quantity,
}

/// The member claims (of `claims`, the cluster's) that request less storage than
/// `spec.storage.size`: each is patched to that size, and the storage class's driver grows
/// the volume (Kubernetes refuses the patch when the class does not allow expansion). None
/// for ephemeral storage, for claims being deleted, or for a size that cannot be read.
pub fn claims_to_grow(cluster: &EtcdCluster, claims: &[PersistentVolumeClaim]) -> Vec<Growth> {
    let storage = &cluster.spec.storage;
    if storage.kind == StorageKind::Ephemeral {
        return Vec::new();
    }
    let size = storage.size.as_deref().unwrap_or(DEFAULT_STORAGE_SIZE);
    let Some(wanted) = storage_bytes(size) else { return Vec::new() };
    claims
        .iter()
        .filter(|c| c.metadata.deletion_timestamp.is_none())
        .filter_map(|c| {
            let requested = c.spec.as_ref()?.resources.as_ref()?.requests.as_ref()?.get("storage")?;
            (storage_bytes(&requested.0)? < wanted).then(|| Growth {
                claim: c.metadata.name.clone().unwrap_or_default(),
                from: requested.0.clone(),
                to: Quantity(size.to_string()),
            })
        })
        .filter(|g| !g.claim.is_empty())
        .collect()
}

/// Bytes of a storage quantity in the forms `spec.storage.size` accepts (`8Gi`, `1.5T`,
/// `1000000`); `None` for any other form.
pub fn storage_bytes(quantity: &str) -> Option<u128> {
    let split = quantity.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(split);
    let multiplier: u128 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "Ei" => 1 << 60,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.len() > 9 {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let scale = 10u128.pow(u32::try_from(fraction.len()).ok()?);
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
    whole.checked_mul(multiplier)?.checked_add(fraction.checked_mul(multiplier)? / scale)
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
    fn storage_quantities_in_bytes() {
        assert_eq!(storage_bytes("1Gi"), Some(1 << 30));
        assert_eq!(storage_bytes("1024Mi"), storage_bytes("1Gi"));
        assert_eq!(storage_bytes("1.5Gi"), Some(3 << 29));
        assert_eq!(storage_bytes("2G"), Some(2_000_000_000));
        assert_eq!(storage_bytes("1000"), Some(1000));
        for bad in ["", "Gi", "1Xi", "1.2.3Gi", "-1Gi", "1gi"] {
            assert_eq!(storage_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn claims_below_the_spec_size_grow_to_it() {
        let mut c = cluster();
        let with_size = |member: &str, size: &str| {
            let mut sized = cluster();
            sized.spec.storage.size = Some(size.into());
            claim(&sized, member)
        };
        let claims =
            vec![with_size("demo-0", "1Gi"), with_size("demo-1", "2Gi"), with_size("demo-2", "2048Mi")];
        c.spec.storage.size = Some("2Gi".into());
        let grow = claims_to_grow(&c, &claims);
        assert_eq!(
            grow,
            [Growth { claim: "data-demo-0".into(), from: "1Gi".into(), to: Quantity("2Gi".into()) }],
            "2048Mi is 2Gi already"
        );
        c.spec.storage.size = None;
        assert_eq!(claims_to_grow(&c, &claims), [], "the 1Gi default is no growth");
        c.spec.storage.size = Some("3Gi".into());
        assert_eq!(claims_to_grow(&c, &claims).len(), 3);
        let mut deleting = claims.clone();
        for claim in &mut deleting {
            claim.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        }
        assert_eq!(claims_to_grow(&c, &deleting), [], "claims being deleted are left alone");
        c.spec.storage.kind = StorageKind::Ephemeral;
        assert_eq!(claims_to_grow(&c, &claims), []);
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
