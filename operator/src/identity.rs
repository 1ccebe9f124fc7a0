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
        let missing = |missing| IdentityError {
            kind: K::kind(&()).to_string(),
            name: meta.name.clone().unwrap_or_default(),
            missing,
        };
        let present = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        Ok(Identity {
            name: present(&meta.name).ok_or_else(|| missing("name"))?,
            namespace: present(&meta.namespace).ok_or_else(|| missing("namespace"))?,
            uid: present(&meta.uid).ok_or_else(|| missing("uid"))?,
        })
    }
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
