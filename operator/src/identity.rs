//! The identity of an object a controller works on: its namespace, name and UID, read once
//! and checked. An object without them (a namespaced resource read without its namespace,
//! one not stored yet) is an error that names what is missing, never an empty string that
//! would send a request to the wrong place.

use kube::Resource;

/// Namespace, name and UID of a stored, namespaced object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid`.
    pub uid: String,
}

/// An object lacks part of its identity.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {name:?} has no metadata.{missing}: only stored, namespaced objects can be reconciled")]
pub struct IdentityError {
    /// The object's kind.
    pub kind: String,
    /// Its name, as far as it has one.
    pub name: String,
    /// The field that is missing.
    pub missing: &'static str,
}

impl Identity {
    /// The identity of `object`, or which part of it is missing.
    pub fn of<K: Resource<DynamicType = ()>>(object: &K) -> Result<Identity, IdentityError> {
        let meta = object.meta();
        Ok(Identity {
            name: required::<K>(meta, &meta.name, "name")?,
            namespace: namespace(object)?,
            uid: uid(object)?,
        })
    }
}

/// The object's namespace, or which object lacks one.
pub fn namespace<K: Resource<DynamicType = ()>>(object: &K) -> Result<String, IdentityError> {
    required::<K>(object.meta(), &object.meta().namespace, "namespace")
}

/// The object's UID, or which object lacks one.
pub fn uid<K: Resource<DynamicType = ()>>(object: &K) -> Result<String, IdentityError> {
    required::<K>(object.meta(), &object.meta().uid, "uid")
}

/// `value`, when it is there and not empty.
fn required<K: Resource<DynamicType = ()>>(
    meta: &kube::api::ObjectMeta,
    value: &Option<String>,
    missing: &'static str,
) -> Result<String, IdentityError> {
    value.clone().filter(|v| !v.is_empty()).ok_or_else(|| IdentityError {
        kind: K::kind(&()).to_string(),
        name: meta.name.clone().unwrap_or_default(),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use shared::crd::EtcdCluster;

    use super::*;

    fn cluster(metadata: serde_json::Value) -> EtcdCluster {
        serde_json::from_value(serde_json::json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1",
            "kind": "EtcdCluster", "metadata": metadata, "spec": {"version": "3.5.30"}}))
        .expect("cluster")
    }

    #[test]
    fn missing_identity_is_an_error_that_names_the_field() {
        let full = cluster(serde_json::json!({"name": "demo", "namespace": "db", "uid": "u-1"}));
        let id = Identity::of(&full).expect("identity");
        assert_eq!((id.namespace.as_str(), id.name.as_str(), id.uid.as_str()), ("db", "demo", "u-1"));
        let no_namespace = cluster(serde_json::json!({"name": "demo", "uid": "u-1"}));
        let error = Identity::of(&no_namespace).expect_err("no namespace");
        assert_eq!(error.missing, "namespace");
        assert_eq!(
            error.to_string(),
            "EtcdCluster \"demo\" has no metadata.namespace: only stored, namespaced objects can be reconciled"
        );
        let no_uid = cluster(serde_json::json!({"name": "demo", "namespace": "db", "uid": ""}));
        assert_eq!(Identity::of(&no_uid).expect_err("no uid").missing, "uid");
    }
}
