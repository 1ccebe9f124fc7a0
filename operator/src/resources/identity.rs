//! The identity of an object read from the API: its namespace and UID. An object without
//! them was not read from the API (or the API is broken); a request built from an empty
//! default would go to the wrong namespace or tie an object to no owner, so they are
//! required and their absence is an error that says which object lacks what.

use kube::{Resource, ResourceExt};

/// An object lacks a part of its identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} {name:?} has no {what}: it must be read from the API before it is reconciled")]
pub struct MissingIdentity {
    /// The object's kind, e.g. `EtcdRestore`.
    pub kind: String,
    /// The object's name (empty if it has none).
    pub name: String,
    /// What it lacks: `metadata.namespace` or `metadata.uid`.
    pub what: &'static str,
}

fn required<K>(object: &K, value: Option<String>, what: &'static str) -> Result<String, MissingIdentity>
where
    K: Resource<DynamicType = ()>,
{
    value.filter(|v| !v.is_empty()).ok_or_else(|| MissingIdentity {
        kind: K::kind(&()).into_owned(),
        name: object.name_any(),
        what,
    })
}

/// The object's namespace, or which object lacks one.
pub fn namespace<K: Resource<DynamicType = ()>>(object: &K) -> Result<String, MissingIdentity> {
    required(object, object.namespace(), "metadata.namespace")
}

/// The object's UID, or which object lacks one.
pub fn uid<K: Resource<DynamicType = ()>>(object: &K) -> Result<String, MissingIdentity> {
    required(object, object.uid(), "metadata.uid")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::ObjectMeta;
    use shared::crd::EtcdRestore;

    use super::*;

    #[test]
    fn missing_identity_names_the_object_and_what_it_lacks() {
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some("db".into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        };
        assert_eq!(namespace(&pod).as_deref(), Ok("db"));
        let missing = uid(&pod).expect_err("no uid");
        assert_eq!(
            (missing.kind.as_str(), missing.name.as_str(), missing.what),
            ("Pod", "p", "metadata.uid")
        );
        assert_eq!(
            missing.to_string(),
            "the Pod \"p\" has no metadata.uid: it must be read from the API before it is reconciled"
        );
        let restore: EtcdRestore = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "r", "namespace": ""},
            "spec": {"clusterName": "c", "source": {"backup": "b"}},
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let missing = namespace(&restore).expect_err("an empty namespace is none");
        assert_eq!((missing.kind.as_str(), missing.what), ("EtcdRestore", "metadata.namespace"));
    }
}
