//! Conformance of the API emulator through kube-rs, the client the operator and plugin use:
//! CRUD, every patch type, optimistic concurrency (409), validation (422), status and scale
//! subresources, selectors and pagination, finalizers, garbage collection, watches (with a
//! kube-rs `watcher` and a `Controller`), `410 Gone`, and the sandbox's request counts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use etcd_sandbox::testkit::TestSandbox;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{
    DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams, PropagationPolicy, WatchEvent,
    WatchParams,
};
use kube::runtime::controller::Action;
use kube::runtime::{Controller, WatchStreamExt, watcher};
use kube::{Api, ResourceExt};
use serde_json::json;
use shared::crd::{EtcdCluster, EtcdClusterSpec};

async fn sandbox() -> TestSandbox {
    TestSandbox::start().await.expect("sandbox starts")
}

fn config_map(name: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
        data: Some(data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        ..ConfigMap::default()
    }
}

fn api_code(error: kube::Error) -> (u16, String) {
    match error {
        kube::Error::Api(status) => (status.code, status.reason.clone()),
        other => panic!("expected an API error, got {other}"),
    }
}

/// Installs the project's CRDs and checks that they are Established.
async fn install_crds(sb: &TestSandbox) {
    sb.install_crds().await.expect("CRDs created");
    let client = &sb.client;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let established = crds.get("etcdclusters.etcd.kubectl-etcd.dev").await.expect("CRD readable");
    let conditions = established.status.and_then(|s| s.conditions).unwrap_or_default();
    assert!(conditions.iter().any(|c| c.type_ == "Established" && c.status == "True"), "{conditions:?}");
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 5 s");
}

#[tokio::test]
async fn crud_of_built_in_and_custom_resources() {
    let sb = sandbox().await;
    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    let created = maps.create(&PostParams::default(), &config_map("a", &[("k", "v")])).await.expect("create");
    assert!(created.metadata.uid.is_some() && created.metadata.resource_version.is_some());
    let (code, reason) =
        api_code(maps.create(&PostParams::default(), &config_map("a", &[])).await.expect_err("dup"));
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));
    let mut fetched = maps.get("a").await.expect("get");
    fetched.data = Some(BTreeMap::from([("k".to_string(), "w".to_string())]));
    let replaced = maps.replace("a", &PostParams::default(), &fetched).await.expect("replace");
    assert_eq!(replaced.data.as_ref().and_then(|d| d.get("k")).map(String::as_str), Some("w"));
    assert_eq!(maps.list(&ListParams::default()).await.expect("list").items.len(), 1);
    maps.delete("a", &DeleteParams::default()).await.expect("delete");
    assert_eq!(api_code(maps.get("a").await.expect_err("gone")).0, 404);
    let elsewhere: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "no-such-namespace");
    let error =
        elsewhere.create(&PostParams::default(), &config_map("x", &[])).await.expect_err("namespace missing");
    assert_eq!(api_code(error).0, 404);

    install_crds(&sb).await;
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(json!({"version": "3.5.1"})).expect("spec");
    let cluster =
        clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("create CR");
    assert_eq!(cluster.spec.size, 3, "schema defaults applied by the server");
    assert_eq!(cluster.metadata.generation, Some(1));
    sb.stop().await;
}

#[tokio::test]
async fn every_patch_type() {
    let sb = sandbox().await;
    install_crds(&sb).await;
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(json!({"version": "3.5.1"})).expect("spec");
    clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("create");
    let pp = PatchParams::default();

    let merged =
        clusters.patch("demo", &pp, &Patch::Merge(json!({"spec": {"size": 5}}))).await.expect("merge");
    assert_eq!((merged.spec.size, merged.metadata.generation), (5, Some(2)));

    let ops: json_patch_v4::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/size", "value": 5},
        {"op": "replace", "path": "/spec/size", "value": 1}
    ]))
    .expect("json patch");
    let jsoned = clusters.patch("demo", &pp, &Patch::Json::<()>(ops)).await.expect("json patch applies");
    assert_eq!(jsoned.spec.size, 1);
    let failing: json_patch_v4::Patch =
        serde_json::from_value(json!([{"op": "test", "path": "/spec/size", "value": 7}]))
            .expect("json patch");
    let (code, _) =
        api_code(clusters.patch("demo", &pp, &Patch::Json::<()>(failing)).await.expect_err("test fails"));
    assert_eq!(code, 422);

    let strategic = clusters.patch("demo", &pp, &Patch::Strategic(json!({"spec": {"size": 3}}))).await;
    assert_eq!(api_code(strategic.expect_err("no strategic merge on CRs")).0, 415);

    let applied = clusters
        .patch(
            "demo",
            &PatchParams::apply("test").force(),
            &Patch::Apply(json!({
                "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
                "metadata": {"name": "demo"}, "spec": {"size": 3}
            })),
        )
        .await
        .expect("apply");
    assert_eq!(
        (applied.spec.size, applied.spec.version.as_str()),
        (3, "3.5.1"),
        "apply keeps fields it does not name"
    );
    let created = clusters
        .patch(
            "fresh",
            &PatchParams::apply("test"),
            &Patch::Apply(json!({
                "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
                "metadata": {"name": "fresh"}, "spec": {"version": "3.4.23"}
            })),
        )
        .await
        .expect("apply creates");
    assert_eq!(created.spec.size, 3);

    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    maps.create(&PostParams::default(), &config_map("cm", &[("a", "1")])).await.expect("create");
    let patched =
        maps.patch("cm", &pp, &Patch::Strategic(json!({"data": {"b": "2"}}))).await.expect("strategic");
    assert_eq!(patched.data.map(|d| d.len()), Some(2));
    sb.stop().await;
}

#[tokio::test]
async fn conflicts_validation_and_subresources() {
    let sb = sandbox().await;
    install_crds(&sb).await;
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let spec: EtcdClusterSpec = serde_json::from_value(json!({"version": "3.5.1"})).expect("spec");
    let original =
        clusters.create(&PostParams::default(), &EtcdCluster::new("demo", spec)).await.expect("create");

    let mut newer = original.clone();
    newer.spec.size = 5;
    clusters.replace("demo", &PostParams::default(), &newer).await.expect("first writer wins");
    let mut stale = original.clone();
    stale.spec.size = 1;
    let (code, reason) =
        api_code(clusters.replace("demo", &PostParams::default(), &stale).await.expect_err("stale"));
    assert_eq!((code, reason.as_str()), (409, "Conflict"));

    let invalid =
        clusters.patch("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"size": 12}}))).await;
    match invalid.expect_err("size 12 refused") {
        kube::Error::Api(status) => {
            assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
            assert!(status.message.contains("spec.size"), "{}", status.message);
        }
        other => panic!("expected 422, got {other}"),
    }
    let kind_change = Patch::Merge(json!({"spec": {"storage": {"kind": "Ephemeral"}}}));
    let refused =
        clusters.patch("demo", &PatchParams::default(), &kind_change).await.expect_err("transition rule");
    assert_eq!(api_code(refused).0, 422);

    let status =
        json!({"status": {"phase": "Running", "readyMembers": 5, "ready": "5/5", "selector": "app=demo"}});
    let with_status =
        clusters.patch_status("demo", &PatchParams::default(), &Patch::Merge(status)).await.expect("status");
    assert_eq!(with_status.metadata.generation, Some(2), "status writes do not bump the generation");
    let ignored = clusters
        .patch("demo", &PatchParams::default(), &Patch::Merge(json!({"status": {"phase": "Failed"}})))
        .await
        .expect("main");
    assert_eq!(ignored.status.and_then(|s| s.phase).map(|p| format!("{p:?}")).as_deref(), Some("Running"));

    let scale = clusters.get_scale("demo").await.expect("scale");
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(5));
    assert_eq!(scale.status.map(|s| (s.replicas, s.selector)), Some((5, Some("app=demo".into()))));
    let scaled = clusters
        .patch_scale("demo", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .expect("scale");
    assert_eq!(scaled.spec.and_then(|s| s.replicas), Some(3));
    assert_eq!(clusters.get("demo").await.expect("get").spec.size, 3);
    sb.stop().await;
}

#[tokio::test]
async fn selectors_and_pagination() {
    let sb = sandbox().await;
    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    for (name, tier) in [("a", "db"), ("b", "db"), ("c", "web"), ("d", "web"), ("e", "db")] {
        let mut cm = config_map(name, &[]);
        cm.metadata.labels = Some(BTreeMap::from([("tier".to_string(), tier.to_string())]));
        maps.create(&PostParams::default(), &cm).await.expect("create");
    }
    let db = maps.list(&ListParams::default().labels("tier=db")).await.expect("label selector");
    assert_eq!(db.items.iter().map(|c| c.name_any()).collect::<Vec<_>>(), ["a", "b", "e"]);
    let not_web = maps.list(&ListParams::default().labels("tier notin (web)")).await.expect("set selector");
    assert_eq!(not_web.items.len(), 3);
    let named = maps.list(&ListParams::default().fields("metadata.name=c")).await.expect("field selector");
    assert_eq!(named.items.iter().map(|c| c.name_any()).collect::<Vec<_>>(), ["c"]);
    let first = maps.list(&ListParams::default().limit(2)).await.expect("page 1");
    assert_eq!(first.items.len(), 2);
    let token = first.metadata.continue_.clone().expect("more pages");
    let second = maps.list(&ListParams::default().limit(2).continue_token(&token)).await.expect("page 2");
    assert_eq!(second.items.iter().map(|c| c.name_any()).collect::<Vec<_>>(), ["c", "d"]);
    sb.stop().await;
}

#[tokio::test]
async fn finalizers_and_garbage_collection() {
    let sb = sandbox().await;
    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    let mut held = config_map("held", &[]);
    held.metadata.finalizers = Some(vec!["example.com/cleanup".into()]);
    maps.create(&PostParams::default(), &held).await.expect("create");
    let pending = maps.delete("held", &DeleteParams::default()).await.expect("delete");
    assert!(
        pending.left().is_some_and(|cm| cm.metadata.deletion_timestamp.is_some()),
        "still there, being deleted"
    );
    maps.patch("held", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
        .await
        .expect("release");
    assert_eq!(api_code(maps.get("held").await.expect_err("gone")).0, 404);

    let owner_of = |cm: &ConfigMap| OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: cm.name_any(),
        uid: cm.metadata.uid.clone().expect("uid"),
        block_owner_deletion: Some(true),
        ..OwnerReference::default()
    };
    // Background: the owner goes at once, the dependent soon after.
    let owner = maps.create(&PostParams::default(), &config_map("owner", &[])).await.expect("owner");
    let mut dependent = config_map("dependent", &[]);
    dependent.metadata.owner_references = Some(vec![owner_of(&owner)]);
    maps.create(&PostParams::default(), &dependent).await.expect("dependent");
    maps.delete("owner", &DeleteParams::background()).await.expect("delete owner");
    eventually("background collection of the dependent", || async { maps.get("dependent").await.is_err() })
        .await;

    // Foreground: the owner waits for its dependents.
    let owner = maps.create(&PostParams::default(), &config_map("owner2", &[])).await.expect("owner");
    let mut dependent = config_map("dependent2", &[]);
    dependent.metadata.owner_references = Some(vec![owner_of(&owner)]);
    dependent.metadata.finalizers = Some(vec!["example.com/slow".into()]);
    maps.create(&PostParams::default(), &dependent).await.expect("dependent");
    maps.delete(
        "owner2",
        &DeleteParams { propagation_policy: Some(PropagationPolicy::Foreground), ..DeleteParams::default() },
    )
    .await
    .expect("foreground delete");
    eventually("the dependent being deleted", || async {
        maps.get("dependent2").await.is_ok_and(|d| d.metadata.deletion_timestamp.is_some())
    })
    .await;
    assert!(maps.get("owner2").await.is_ok(), "the owner waits while a dependent remains");
    maps.patch(
        "dependent2",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("release");
    eventually("the owner going after its dependent", || async { maps.get("owner2").await.is_err() }).await;
    sb.stop().await;
}

#[tokio::test]
async fn watcher_and_controller_react_to_changes() {
    let sb = sandbox().await;
    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    let seen = Arc::new(tokio::sync::Mutex::new(Vec::<String>::new()));
    let recorder = seen.clone();
    let watching = tokio::spawn(
        watcher(maps.clone(), watcher::Config::default()).applied_objects().try_for_each(move |cm| {
            let recorder = recorder.clone();
            async move {
                recorder.lock().await.push(format!(
                    "{}={}",
                    cm.name_any(),
                    cm.data.unwrap_or_default().get("v").cloned().unwrap_or_default()
                ));
                Ok(())
            }
        }),
    );

    // A controller that copies each "source-*" ConfigMap's data into "copy-*".
    let controller_maps = maps.clone();
    let reconcile = move |cm: Arc<ConfigMap>, _ctx: Arc<()>| {
        let maps = controller_maps.clone();
        async move {
            let name = cm.name_any();
            if let Some(suffix) = name.strip_prefix("source-") {
                let copy = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("copy-{suffix}")}, "data": cm.data});
                maps.patch(
                    &format!("copy-{suffix}"),
                    &PatchParams::apply("copier").force(),
                    &Patch::Apply(copy),
                )
                .await?;
            }
            Ok::<_, kube::Error>(Action::await_change())
        }
    };
    let controlling = tokio::spawn(
        Controller::new(maps.clone(), watcher::Config::default())
            .run(reconcile, |_, _: &kube::Error, _| Action::requeue(Duration::from_secs(1)), Arc::new(()))
            .for_each(|_| async {}),
    );

    maps.create(&PostParams::default(), &config_map("source-1", &[("v", "one")])).await.expect("create");
    eventually("the controller's copy", || async { maps.get("copy-1").await.is_ok() }).await;
    maps.patch("source-1", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "two"}})))
        .await
        .expect("patch");
    eventually("the copy following the change", || async {
        maps.get("copy-1")
            .await
            .is_ok_and(|c| c.data.unwrap_or_default().get("v").map(String::as_str) == Some("two"))
    })
    .await;
    eventually("the watcher seeing both versions", || async {
        let seen = seen.lock().await;
        seen.contains(&"source-1=one".to_string()) && seen.contains(&"source-1=two".to_string())
    })
    .await;
    watching.abort();
    controlling.abort();
    sb.stop().await;
}

#[tokio::test]
async fn too_old_resource_version_is_gone() {
    let sb = TestSandbox::start_with_history(20).await.expect("sandbox starts");
    let maps: Api<ConfigMap> = Api::namespaced(sb.client.clone(), "default");
    let first = maps.create(&PostParams::default(), &config_map("first", &[])).await.expect("create");
    let first_rv = first.resource_version().expect("resourceVersion");
    for i in 0..30 {
        maps.create(&PostParams::default(), &config_map(&format!("m{i}"), &[])).await.expect("create");
    }
    let mut stream = maps.watch(&WatchParams::default(), &first_rv).await.expect("watch opens").boxed();
    match stream.try_next().await.expect("an event") {
        Some(WatchEvent::Error(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"))
        }
        other => panic!("expected 410 Expired, got {other:?}"),
    }
    // A fresh watcher lists again and sees everything.
    let listed =
        watcher(maps.clone(), watcher::Config::default()).applied_objects().take(31).try_collect::<Vec<_>>();
    let listed =
        tokio::time::timeout(Duration::from_secs(5), listed).await.expect("in time").expect("watch works");
    assert_eq!(listed.len(), 31);
    sb.stop().await;
}

#[tokio::test]
async fn requests_are_counted_by_verb_resource_and_client() {
    let sb = sandbox().await;
    let mut config = sb.sandbox.client_config().await.expect("config");
    let agent = "counting-test/1";
    config.headers.push((axum::http::header::USER_AGENT, axum::http::HeaderValue::from_static(agent)));
    let client = kube::Client::try_from(config).expect("client");
    let before = sb.requests();
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    maps.create(&PostParams::default(), &config_map("counted", &[("a", "1")])).await.expect("create");
    maps.get("counted").await.expect("get");
    maps.list(&ListParams::default()).await.expect("list");
    maps.patch("counted", &PatchParams::default(), &Patch::Merge(json!({"data": {"a": "2"}})))
        .await
        .expect("patch");
    // A watch that stays open for a second and delivers events counts once.
    let events = maps.watch(&WatchParams::default().timeout(1), "0").await.expect("watch opens");
    let events: Vec<_> = events.try_collect().await.expect("watch ends");
    assert!(!events.is_empty(), "the watch delivered the config map");
    maps.delete("counted", &DeleteParams::default()).await.expect("delete");

    let counted = sb.requests().since(&before).of_client(agent);
    let named: Vec<(String, String, u64)> =
        counted.iter().map(|(k, n)| (k.verb.clone(), k.resource.clone(), n)).collect();
    let expected: Vec<(String, String, u64)> = ["create", "delete", "get", "list", "patch", "watch"]
        .iter()
        .map(|verb| (verb.to_string(), "configmaps".to_string(), 1))
        .collect();
    assert_eq!(named, expected);

    // The same counts over HTTP, beside the Kubernetes API.
    let request = axum::http::Request::get("/sandbox/v1/requests").body(Vec::new()).expect("request");
    let served: serde_json::Value =
        serde_json::from_str(&client.request_text(request).await.expect("counts served")).expect("JSON");
    let entries = served["requests"].as_array().expect("a list of counts");
    assert!(
        entries.contains(
            &json!({"verb": "create", "group": "", "resource": "configmaps", "client": agent, "count": 1})
        ),
        "{served:#}"
    );
    assert!(served["total"].as_u64().is_some_and(|total| total >= 6), "{served:#}");
    sb.stop().await;
}
