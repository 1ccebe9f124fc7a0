//! Round trips through JSON and YAML, and defaults: what serde fills in for a missing field
//! is exactly what the schema tells the API server to fill in.

use kube::CustomResourceExt;
use serde_json::{Value, json};
use shared::crd::*;
use shared::validate::ResourceSchema;

fn full_cluster() -> EtcdCluster {
    let spec: EtcdClusterSpec = serde_json::from_value(json!({
        "size": 5,
        "version": "3.5.1",
        "repository": "quay.io/coreos/etcd",
        "storage": {"kind": "Persistent", "size": "8Gi", "storageClassName": "fast", "retainPolicy": "Retain"},
        "pod": {
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "etcd", "effect": "NoSchedule"}],
            "antiAffinity": "Required",
            "labels": {"team": "db"},
            "annotations": {"note": "x"},
            "priorityClassName": "system-cluster-critical"
        },
        "paused": true,
        "backup": {"destination": {"url": "s3://b/p", "credentialsSecret": "c", "s3": {"region": "eu-west-1", "forcePathStyle": true}}, "beforeUpgrade": false},
        "bootstrap": {"fromSnapshot": {"backup": "nightly", "sha256": "0".repeat(64)}}
    }))
    .expect("spec deserializes");
    let mut cluster = EtcdCluster::new("demo", spec);
    cluster.status = Some(
        serde_json::from_value(json!({
            "phase": "Running",
            "observedGeneration": 4,
            "desiredMembers": 5,
            "readyMembers": 5,
            "ready": "5/5",
            "currentVersion": "3.5.1",
            "targetVersion": "3.5.1",
            "leader": "demo-2",
            "clusterId": "cdf818194e3a8c32",
            "members": [{"name": "demo-0", "id": "8e9e05c52164694d", "version": "3.5.1", "role": "Follower", "healthy": true, "dbSizeBytes": 20480, "raftAppliedIndex": 42}],
            "conditions": [{"type": "Available", "status": "True", "reason": "QuorumHealthy", "message": "5 of 5 members healthy", "lastTransitionTime": "2026-11-22T04:00:00Z"}],
            "warnings": ["size 4 is even"],
            "lastBackup": {"location": "s3://b/p/demo/x.db", "sha256": "a".repeat(64), "sizeBytes": 1024, "revision": 9, "etcdVersion": "3.5.1", "completedAt": "2026-11-22T03:00:00Z"},
            "selector": "etcd.kubectl-etcd.dev/cluster=demo"
        }))
        .expect("status deserializes"),
    );
    cluster
}

#[test]
fn cluster_round_trips_through_json_and_yaml() {
    let cluster = full_cluster();
    let json = serde_json::to_string(&cluster).expect("to json");
    assert_eq!(serde_json::from_str::<EtcdCluster>(&json).expect("from json"), cluster);
    let yaml = serde_yaml::to_string(&cluster).expect("to yaml");
    assert_eq!(serde_yaml::from_str::<EtcdCluster>(&yaml).expect("from yaml"), cluster);
    assert!(json.contains(r#""storageClassName":"fast""#), "fields are camelCase on the wire");
}

#[test]
fn backup_and_restore_round_trip() {
    let backup: EtcdBackup = serde_json::from_value(json!({
        "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdBackup",
        "metadata": {"name": "nightly"},
        "spec": {"clusterName": "demo", "destination": {"url": "file:///backups"}, "schedule": "@daily", "retention": {"keepLast": 7, "maxAge": "14d"}},
        "status": {"phase": "Failed", "reason": "StoreUnreachable", "message": "x", "retained": [{"location": "file:///backups/demo/1.db", "sha256": "b".repeat(64), "sizeBytes": 1, "revision": 2, "etcdVersion": "3.4.23"}]}
    }))
    .expect("backup deserializes");
    let text = serde_json::to_string(&backup).expect("to json");
    assert_eq!(serde_json::from_str::<EtcdBackup>(&text).expect("from json"), backup);

    let restore: EtcdRestore = serde_json::from_value(json!({
        "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdRestore",
        "metadata": {"name": "recover"},
        "spec": {"clusterName": "demo2", "source": {"location": {"url": "s3://b/snap.db"}, "sha256": "c".repeat(64)}, "size": 3, "version": "3.5.0", "storage": {"kind": "Ephemeral"}},
        "status": {"phase": "Restoring", "revision": 10}
    }))
    .expect("restore deserializes");
    let text = serde_yaml::to_string(&restore).expect("to yaml");
    assert_eq!(serde_yaml::from_str::<EtcdRestore>(&text).expect("from yaml"), restore);
}

#[test]
fn unknown_enum_values_are_refused_when_reading() {
    let bad = json!({"version": "3.5.1", "storage": {"kind": "Tmpfs"}});
    let error = serde_json::from_value::<EtcdClusterSpec>(bad).expect_err("unknown kind refused");
    assert!(error.to_string().contains("Tmpfs"), "{error}");
}

/// The schema defaults (what the API server stores) equal serde's defaults (what the
/// operator reads when a field is missing), so both sides see the same cluster.
#[test]
fn schema_defaults_equal_serde_defaults() {
    let minimal = json!({
        "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
        "metadata": {"name": "demo"}, "spec": {"version": "3.5.1"}
    });
    let schema = ResourceSchema::from_crd(&EtcdCluster::crd(), "v1alpha1").expect("schema");
    let defaulted = schema.apply_defaults(&minimal);
    let from_serde: EtcdCluster = serde_json::from_value(minimal).expect("minimal cluster deserializes");
    let from_schema: EtcdCluster = serde_json::from_value(defaulted.clone()).expect("defaulted deserializes");
    assert_eq!(from_schema, from_serde);

    let spec = &from_serde.spec;
    assert_eq!(spec.size, 3);
    assert_eq!(spec.repository, "gcr.io/etcd-development/etcd");
    assert_eq!(spec.storage.kind, StorageKind::Persistent);
    assert_eq!(spec.storage.retain_policy, RetainPolicy::Delete);
    assert_eq!(spec.pod.anti_affinity, AntiAffinity::Preferred);
    assert!(!spec.paused);
    assert_eq!(defaulted["spec"]["storage"]["kind"], Value::from("Persistent"));
    assert_eq!(defaulted["spec"]["pod"]["antiAffinity"], Value::from("Preferred"));
}

#[test]
fn backup_defaults() {
    let spec: ClusterBackupSpec =
        serde_json::from_value(json!({"destination": {"url": "s3://b"}})).expect("deserializes");
    assert!(spec.before_upgrade, "a snapshot before each upgrade is the default");
    let backup: EtcdBackupSpec =
        serde_json::from_value(json!({"clusterName": "demo", "destination": {"url": "s3://b"}}))
            .expect("deserializes");
    assert!(!backup.suspend && backup.schedule.is_none() && backup.retention.is_none());
}

#[test]
fn api_group_constants_match_the_derived_resources() {
    use kube::Resource;
    assert_eq!(EtcdCluster::group(&()), API_GROUP);
    assert_eq!(EtcdCluster::version(&()), API_VERSION);
    assert_eq!(EtcdBackup::api_version(&()), format!("{API_GROUP}/{API_VERSION}"));
    assert_eq!(EtcdRestore::api_version(&()), format!("{API_GROUP}/{API_VERSION}"));
}
