//! The operator's RBAC (`manifests/install.yaml`, what `kubectl etcd install` applies) allows
//! every API call the operator makes. The operator runs with leader election in its own
//! namespace, creates, scales and upgrades a cluster (with the snapshot before the
//! upgrade); the sandbox counts its requests by verb, API group and resource, and each one
//! must be granted by a rule of its ClusterRole, or for its namespace, of its Role. The
//! scenario ends by growing the members' storage (the operator patches their claims).
//!
//! Owner references with `blockOwnerDeletion` need `update` on the owner's `finalizers`
//! subresource where the OwnerReferencesPermissionEnforcement admission plugin runs
//! (OpenShift); the sandbox does not run it, so the test reads every owner reference the
//! operator wrote and checks that grant itself.
//!
//! Runs as root (the sandbox's node), as CI does.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use etcd_operator::client::OPERATOR_USER_AGENT;
use etcd_operator::controller::{LeaseOptions, run_elected};
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use shared::crd::EtcdBackup;
use shared::crd::{ClusterPhase, EtcdCluster};

/// The rules of the ClusterRole and the Role in the committed install manifest.
fn rules() -> (Vec<PolicyRule>, Vec<PolicyRule>) {
    let text = include_str!("../../manifests/install.yaml");
    let mut cluster_rules = Vec::new();
    let mut namespace_rules = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let object: Value = serde::Deserialize::deserialize(document).expect("a YAML document");
        let rules: Vec<PolicyRule> = serde_json::from_value(object["rules"].clone()).unwrap_or_default();
        match object["kind"].as_str() {
            Some("ClusterRole") => cluster_rules.extend(rules),
            Some("Role") => namespace_rules.extend(rules),
            _ => {}
        }
    }
    (cluster_rules, namespace_rules)
}

fn allows(rules: &[PolicyRule], verb: &str, group: &str, resource: &str) -> bool {
    rules.iter().any(|rule| {
        rule.verbs.iter().any(|v| v == verb)
            && rule.api_groups.iter().flatten().any(|g| g == group)
            && rule.resources.iter().flatten().any(|r| r == resource)
    })
}

async fn wait_for(clusters: &Api<EtcdCluster>, what: &str, check: impl Fn(&EtcdCluster) -> bool) {
    let started = Instant::now();
    loop {
        if clusters.get("demo").await.is_ok_and(|c| check(&c)) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "{what}: not within 180 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn at(cluster: &EtcdCluster, size: usize, version: &str) -> bool {
    let Some(status) = &cluster.status else { return false };
    status.phase == Some(ClusterPhase::Running)
        && status.members.len() == size
        && status.members.iter().all(|m| m.healthy && m.version.as_deref() == Some(version))
        && status.observed_generation == cluster.metadata.generation
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_of_the_operator_is_allowed_by_its_rbac() {
    let (cluster_rules, namespace_rules) = rules();
    assert!(!cluster_rules.is_empty() && !namespace_rules.is_empty(), "the manifest has both roles");
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    let namespaces: Api<Namespace> = Api::all(sb.client.clone());
    let operator_ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "etcd-operator"}})).expect("ns");
    namespaces.create(&PostParams::default(), &operator_ns).await.expect("namespace created");
    let config = sb.sandbox.client_config().await.expect("client configuration");
    let client = etcd_operator::client::from_config(config).expect("the operator's client");
    let lease = LeaseOptions {
        namespace: "etcd-operator".into(),
        name: "etcd-operator".into(),
        identity: "rbac-test".into(),
        duration: 5,
        grace: 2,
    };
    let _operator = tokio::spawn(run_elected(
        client,
        lease,
        etcd_operator::controller::Settings::default(),
        std::future::pending(),
    ));

    let folder = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", folder.path().display());
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec = serde_json::from_value(
        json!({"size": 3, "version": "3.5.16", "backup": {"destination": {"url": url}}}),
    )
    .expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("created");
    wait_for(&clusters, "created", |c| at(c, 3, "3.5.16")).await;
    for (patch, size, version) in [
        (json!({"spec": {"size": 4}}), 4, "3.5.16"),
        (json!({"spec": {"size": 3}}), 3, "3.5.16"),
        (json!({"spec": {"version": "3.5.30"}}), 3, "3.5.30"),
    ] {
        clusters.patch("demo", &PatchParams::default(), &Patch::Merge(patch)).await.expect("patched");
        wait_for(&clusters, &format!("{size} members at {version}"), |c| at(c, size, version)).await;
    }

    // Storage growth: every member's claim is asked for the new size.
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(sb.client.clone(), "default");
    let patch = json!({"spec": {"storage": {"size": "2Gi"}}});
    clusters.patch("demo", &PatchParams::default(), &Patch::Merge(patch)).await.expect("patched");
    let started = Instant::now();
    loop {
        let sizes: Vec<Option<String>> = claims
            .list(&Default::default())
            .await
            .expect("claims")
            .items
            .iter()
            .map(|c| {
                let requests = c.spec.as_ref()?.resources.as_ref()?.requests.as_ref()?;
                requests.get("storage").map(|q| q.0.clone())
            })
            .collect();
        if sizes.len() == 3 && sizes.iter().all(|s| s.as_deref() == Some("2Gi")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "claims grown to 2Gi: {sizes:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut blocking = BTreeSet::new();
    let namespaced = sb.client.clone();
    let metas = [
        Api::<Pod>::namespaced(namespaced.clone(), "default")
            .list(&Default::default())
            .await
            .map(|l| l.items.into_iter().map(|o| o.metadata).collect::<Vec<_>>()),
        claims.list(&Default::default()).await.map(|l| l.items.into_iter().map(|o| o.metadata).collect()),
        Api::<Service>::namespaced(namespaced.clone(), "default")
            .list(&Default::default())
            .await
            .map(|l| l.items.into_iter().map(|o| o.metadata).collect()),
        Api::<PodDisruptionBudget>::namespaced(namespaced.clone(), "default")
            .list(&Default::default())
            .await
            .map(|l| l.items.into_iter().map(|o| o.metadata).collect()),
        Api::<EtcdBackup>::namespaced(namespaced, "default")
            .list(&Default::default())
            .await
            .map(|l| l.items.into_iter().map(|o| o.metadata).collect()),
    ];
    for meta in metas.into_iter().flat_map(|m| m.expect("listed")) {
        for owner in meta.owner_references.iter().flatten().filter(|o| o.block_owner_deletion == Some(true)) {
            blocking.insert((owner.api_version.clone(), owner.kind.clone()));
        }
    }
    assert!(!blocking.is_empty(), "the operator's objects block their owner's deletion");
    for (api_version, kind) in &blocking {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let finalizers = format!("{}s/finalizers", kind.to_lowercase());
        assert!(
            allows(&cluster_rules, "update", group, &finalizers),
            "owner references to {kind} with blockOwnerDeletion need update on {group}/{finalizers}"
        );
    }

    let calls = sb.requests().of_client(OPERATOR_USER_AGENT);
    let mut seen = BTreeSet::new();
    let mut denied = Vec::new();
    for (kind, count) in calls.iter() {
        seen.insert(format!("{} {}/{}", kind.verb, kind.group, kind.resource));
        let allowed = allows(&cluster_rules, &kind.verb, &kind.group, &kind.resource)
            || (kind.resource == "leases"
                && allows(&namespace_rules, &kind.verb, &kind.group, &kind.resource));
        if !allowed {
            denied.push(format!("{count} x {} {}/{}", kind.verb, kind.group, kind.resource));
        }
    }
    println!(
        "the operator's calls ({} kinds):\n{}",
        seen.len(),
        seen.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(denied.is_empty(), "calls the RBAC does not allow:\n{}", denied.join("\n"));
    for expected in [
        "create /pods",
        "patch /pods",
        "create etcd.kubectl-etcd.dev/etcdbackups",
        "patch /persistentvolumeclaims",
        "get coordination.k8s.io/leases",
    ] {
        assert!(seen.contains(expected), "the scenario exercised {expected}: {seen:?}");
    }
    sb.stop().await;
}
