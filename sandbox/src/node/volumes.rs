//! A Pod's volumes as folders on the machine, bind-mounted at each container's mountPath:
//! emptyDir (lives with the Pod), persistentVolumeClaim (a folder per bound volume that
//! outlives the Pod), Secret and ConfigMap (their keys as files), and the service account
//! folder every Pod gets unless it opts out. Also the environment a container sees:
//! literal values, the downward API, and keys of Secrets and ConfigMaps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use serde_json::Value;

/// Where a Pod's service account credentials are mounted.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Looks up an object the volumes refer to: (plural, namespace, name) -> object.
pub trait Lookup {
    /// The object, if it exists.
    fn find(&self, plural: &str, namespace: &str, name: &str) -> Option<Value>;
}

/// Why a volume is not ready yet; the Pod waits in ContainerCreating until it is.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// A claim is missing or not bound yet.
    #[error("persistentvolumeclaim {0:?} is not bound yet")]
    ClaimNotBound(String),
    /// A Secret or ConfigMap is missing.
    #[error("{kind} {name:?} not found")]
    Missing {
        /// `secret` or `configmap`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A folder or file could not be written.
    #[error("cannot prepare {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VolumeError + '_ {
    move |source| VolumeError::Io { path: path.display().to_string(), source }
}

/// Folders of a Pod's volumes, by volume name.
pub type PreparedVolumes = BTreeMap<String, PathBuf>;

/// Makes every volume of `pod` exist on disk. `pod_dir` holds what dies with the Pod;
/// `claims_dir` holds persistent volumes (`<claims_dir>/<volumeName>`). `ca_pem` is the
/// API's CA, written to the service account folder's `ca.crt`; `token` the service
/// account token written beside it.
pub fn prepare(
    pod: &Value,
    pod_dir: &Path,
    claims_dir: &Path,
    lookup: &dyn Lookup,
    ca_pem: &str,
    token: &str,
) -> Result<PreparedVolumes, VolumeError> {
    let namespace = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut prepared = PreparedVolumes::new();
    for volume in pod["spec"]["volumes"].as_array().into_iter().flatten() {
        let name = volume["name"].as_str().unwrap_or_default().to_string();
        let local = pod_dir.join("volumes").join(&name);
        let path = if volume.get("persistentVolumeClaim").is_some() {
            let claim = volume["persistentVolumeClaim"]["claimName"].as_str().unwrap_or_default();
            let bound = lookup
                .find("persistentvolumeclaims", namespace, claim)
                .filter(|c| c["status"]["phase"] == "Bound")
                .and_then(|c| c["spec"]["volumeName"].as_str().map(String::from))
                .ok_or_else(|| VolumeError::ClaimNotBound(claim.to_string()))?;
            claims_dir.join(bound)
        } else if let Some(secret) = volume["secret"]["secretName"].as_str() {
            let object = lookup
                .find("secrets", namespace, secret)
                .ok_or(VolumeError::Missing { kind: "secret", name: secret.into() })?;
            write_keys(&local, &secret_data(&object))?;
            local
        } else if let Some(config_map) = volume["configMap"]["name"].as_str() {
            let object = lookup
                .find("configmaps", namespace, config_map)
                .ok_or(VolumeError::Missing { kind: "configmap", name: config_map.into() })?;
            write_keys(&local, &config_map_data(&object))?;
            local
        } else {
            // emptyDir, and anything else the sandbox treats as one.
            local
        };
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        prepared.insert(name, path);
    }
    if pod["spec"]["automountServiceAccountToken"] != false {
        let dir = pod_dir.join("serviceaccount");
        let files = BTreeMap::from([
            ("namespace".to_string(), namespace.as_bytes().to_vec()),
            ("token".to_string(), token.as_bytes().to_vec()),
            ("ca.crt".to_string(), ca_pem.as_bytes().to_vec()),
        ]);
        write_keys(&dir, &files)?;
        prepared.insert(SERVICE_ACCOUNT_VOLUME.to_string(), dir);
    }
    Ok(prepared)
}

/// Name under which the service account folder is prepared.
pub const SERVICE_ACCOUNT_VOLUME: &str = "kube-api-access";

/// The bind mounts of one container: (folder on the machine, mountPath).
pub fn mounts_of(container: &Value, volumes: &PreparedVolumes) -> Vec<(PathBuf, PathBuf)> {
    let mut mounts: Vec<(PathBuf, PathBuf)> = container["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let source = volumes.get(m["name"].as_str()?)?;
            let source = match m["subPath"].as_str() {
                Some(sub) if !sub.is_empty() => source.join(sub),
                _ => source.clone(),
            };
            Some((source, PathBuf::from(m["mountPath"].as_str()?)))
        })
        .collect();
    if let Some(account) = volumes.get(SERVICE_ACCOUNT_VOLUME)
        && !mounts.iter().any(|(_, target)| target == Path::new(SERVICE_ACCOUNT_DIR))
    {
        mounts.push((account.clone(), PathBuf::from(SERVICE_ACCOUNT_DIR)));
    }
    mounts
}

/// A container's environment: `env` (values, downward API fields, Secret and ConfigMap
/// keys) and `envFrom`.
pub fn environment(pod: &Value, container: &Value, lookup: &dyn Lookup) -> Vec<(String, String)> {
    let namespace = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut env = Vec::new();
    for source in container["envFrom"].as_array().into_iter().flatten() {
        let prefix = source["prefix"].as_str().unwrap_or_default();
        let data = if let Some(name) = source["configMapRef"]["name"].as_str() {
            lookup.find("configmaps", namespace, name).map(|o| config_map_data(&o))
        } else if let Some(name) = source["secretRef"]["name"].as_str() {
            lookup.find("secrets", namespace, name).map(|o| secret_data(&o))
        } else {
            None
        };
        for (key, value) in data.unwrap_or_default() {
            env.push((format!("{prefix}{key}"), String::from_utf8_lossy(&value).into_owned()));
        }
    }
    for var in container["env"].as_array().into_iter().flatten() {
        let Some(name) = var["name"].as_str() else { continue };
        let from = &var["valueFrom"];
        let value = if let Some(value) = var["value"].as_str() {
            Some(value.to_string())
        } else if let Some(path) = from["fieldRef"]["fieldPath"].as_str() {
            Some(field(pod, path))
        } else if let Some(key) = from["secretKeyRef"]["key"].as_str() {
            let name = from["secretKeyRef"]["name"].as_str().unwrap_or_default();
            lookup
                .find("secrets", namespace, name)
                .and_then(|o| secret_data(&o).remove(key))
                .map(|v| String::from_utf8_lossy(&v).into_owned())
        } else if let Some(key) = from["configMapKeyRef"]["key"].as_str() {
            let name = from["configMapKeyRef"]["name"].as_str().unwrap_or_default();
            lookup
                .find("configmaps", namespace, name)
                .and_then(|o| config_map_data(&o).remove(key))
                .map(|v| String::from_utf8_lossy(&v).into_owned())
        } else {
            None
        };
        env.push((name.to_string(), value.unwrap_or_default()));
    }
    env
}

/// A downward API field: `metadata.name`, `metadata.namespace`, `metadata.uid`,
/// `metadata.labels['k']`, `status.podIP`, `spec.nodeName`, `spec.serviceAccountName`, ...
fn field(pod: &Value, path: &str) -> String {
    if let Some(key) = path.strip_prefix("metadata.labels['").and_then(|k| k.strip_suffix("']")) {
        return pod["metadata"]["labels"][key].as_str().unwrap_or_default().to_string();
    }
    let mut value = pod;
    for part in path.split('.') {
        value = &value[part];
    }
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn secret_data(object: &Value) -> BTreeMap<String, Vec<u8>> {
    let Ok(secret) = serde_json::from_value::<Secret>(object.clone()) else { return BTreeMap::new() };
    let mut data: BTreeMap<String, Vec<u8>> =
        secret.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect();
    for (k, v) in secret.string_data.unwrap_or_default() {
        data.insert(k, v.into_bytes());
    }
    data
}

fn config_map_data(object: &Value) -> BTreeMap<String, Vec<u8>> {
    let Ok(map) = serde_json::from_value::<ConfigMap>(object.clone()) else { return BTreeMap::new() };
    let mut data: BTreeMap<String, Vec<u8>> =
        map.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.into_bytes())).collect();
    for (k, v) in map.binary_data.unwrap_or_default() {
        data.insert(k, v.0);
    }
    data
}

fn write_keys(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<(), VolumeError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (key, content) in files {
        let path = dir.join(key);
        std::fs::write(&path, content).map_err(io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Objects(Vec<(&'static str, Value)>);

    impl Lookup for Objects {
        fn find(&self, plural: &str, _namespace: &str, name: &str) -> Option<Value> {
            self.0.iter().find(|(p, o)| *p == plural && o["metadata"]["name"] == name).map(|(_, o)| o.clone())
        }
    }

    #[test]
    fn volumes_become_folders_and_mounts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let objects = Objects(vec![
            (
                "persistentvolumeclaims",
                json!({"metadata": {"name": "data-demo-0"}, "spec": {"volumeName": "pvc-1"}, "status": {"phase": "Bound"}}),
            ),
            ("secrets", json!({"metadata": {"name": "tls"}, "data": {"ca.crt": "aGVsbG8="}})),
            ("configmaps", json!({"metadata": {"name": "conf"}, "data": {"etcd.conf": "x: 1"}})),
        ]);
        let pod = json!({
            "metadata": {"name": "demo-0", "namespace": "db"},
            "spec": {
                "volumes": [
                    {"name": "data", "persistentVolumeClaim": {"claimName": "data-demo-0"}},
                    {"name": "scratch", "emptyDir": {}},
                    {"name": "tls", "secret": {"secretName": "tls"}},
                    {"name": "conf", "configMap": {"name": "conf"}}
                ],
                "containers": [{"name": "etcd", "volumeMounts": [
                    {"name": "data", "mountPath": "/var/lib/etcd"},
                    {"name": "tls", "mountPath": "/etc/etcd/tls"}
                ]}]
            }
        });
        let prepared =
            prepare(&pod, &dir.path().join("pod"), &dir.path().join("claims"), &objects, "CA", "T")
                .expect("prepared");
        assert_eq!(
            std::fs::read_to_string(prepared[SERVICE_ACCOUNT_VOLUME].join("ca.crt")).expect("ca"),
            "CA"
        );
        assert_eq!(prepared["data"], dir.path().join("claims/pvc-1"));
        assert_eq!(std::fs::read(prepared["tls"].join("ca.crt")).expect("secret file"), b"hello");
        assert_eq!(std::fs::read_to_string(prepared["conf"].join("etcd.conf")).expect("config file"), "x: 1");
        let mounts = mounts_of(&pod["spec"]["containers"][0], &prepared);
        assert_eq!(mounts[0], (dir.path().join("claims/pvc-1"), PathBuf::from("/var/lib/etcd")));
        assert_eq!(mounts.last().map(|m| m.1.clone()), Some(PathBuf::from(SERVICE_ACCOUNT_DIR)));
    }

    #[test]
    fn unbound_claims_keep_the_pod_waiting() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pod = json!({"metadata": {"namespace": "db"}, "spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "c"}}]}});
        let error = prepare(&pod, dir.path(), dir.path(), &Objects(vec![]), "", "").expect_err("not bound");
        assert!(matches!(error, VolumeError::ClaimNotBound(_)));
    }

    #[test]
    fn environment_from_values_fields_and_keys() {
        let objects =
            Objects(vec![("configmaps", json!({"metadata": {"name": "conf"}, "data": {"LEVEL": "debug"}}))]);
        let pod = json!({"metadata": {"name": "demo-0", "namespace": "db", "labels": {"app": "etcd"}}, "status": {"podIP": "10.244.100.2"}});
        let container = json!({"env": [
            {"name": "A", "value": "1"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "L", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "LEVEL"}}}
        ]});
        let env = environment(&pod, &container, &objects);
        let expected: Vec<(String, String)> =
            [("A", "1"), ("POD", "demo-0"), ("IP", "10.244.100.2"), ("APP", "etcd"), ("L", "debug")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(env, expected);
    }
}
