//! The refusals a real cluster makes, which the sandbox makes when asked to: RBAC for
//! service account tokens, Pod Security admission by namespace label, and the CRD features
//! of the Kubernetes version the sandbox reports.

use etcd_sandbox::instance::Options;
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

fn create<K: serde::de::DeserializeOwned>(value: serde_json::Value) -> K {
    serde_json::from_value(value).expect("a valid object")
}

/// A client that authenticates with `token`, as a Pod's in-cluster client does.
async fn client_with_token(sb: &TestSandbox, token: &str) -> Client {
    let mut config = sb.sandbox.client_config().await.expect("config");
    config.auth_info.token = Some(token.to_string().into());
    Client::try_from(config).expect("client")
}

fn refusal(error: kube::Error) -> (u16, String, String) {
    match error {
        kube::Error::Api(status) => (status.code, status.reason.clone(), status.message.clone()),
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test]
async fn service_account_tokens_are_authorized_by_the_stored_rbac_objects() {
    let sb = TestSandbox::start_with(Options { node: false, enforce_rbac: true, ..Options::default() })
        .await
        .expect("sandbox starts");
    let admin = sb.client.clone();
    for ns in ["granted", "other"] {
        let namespaces: Api<Namespace> = Api::all(admin.clone());
        namespaces
            .create(&PostParams::default(), &create(json!({"metadata": {"name": ns}})))
            .await
            .expect("ns");
    }
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader", "namespace": "granted"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]});
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "reader", "namespace": "granted"},
        "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "granted"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}});
    for (plural, object) in [("roles", role), ("rolebindings", binding)] {
        let resource = kube::api::ApiResource {
            group: "rbac.authorization.k8s.io".into(),
            version: "v1".into(),
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: object["kind"].as_str().expect("kind").into(),
            plural: plural.into(),
        };
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(admin.clone(), "granted", &resource);
        api.create(&PostParams::default(), &create(object)).await.expect("the admin creates RBAC objects");
    }

    let token = sb.sandbox.server.tokens.issue("granted", "app");
    let app = client_with_token(&sb, &token).await;
    let granted: Api<ConfigMap> = Api::namespaced(app.clone(), "granted");
    assert!(granted.list(&ListParams::default()).await.is_ok(), "the Role grants list in its namespace");
    let (code, reason, message) = refusal(
        granted
            .create(&PostParams::default(), &create(json!({"metadata": {"name": "x"}})))
            .await
            .expect_err("create is not granted"),
    );
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        message,
        r#"configmaps is forbidden: User "system:serviceaccount:granted:app" cannot create resource "configmaps" in API group "" in the namespace "granted""#
    );
    let other: Api<ConfigMap> = Api::namespaced(app.clone(), "other");
    let (code, _, message) = refusal(other.get("x").await.expect_err("another namespace"));
    assert_eq!(code, 403);
    assert_eq!(
        message,
        r#"configmaps "x" is forbidden: User "system:serviceaccount:granted:app" cannot get resource "configmaps" in API group "" in the namespace "other""#
    );
    let everywhere: Api<ConfigMap> = Api::all(app);
    let (_, _, message) =
        refusal(everywhere.list(&ListParams::default()).await.expect_err("cluster-wide list"));
    assert!(
        message.ends_with(r#"cannot list resource "configmaps" in API group "" at the cluster scope"#),
        "{message}"
    );

    let stranger = client_with_token(&sb, "not-issued-by-the-sandbox").await;
    let (code, reason, _) = refusal(
        Api::<ConfigMap>::namespaced(stranger, "granted")
            .list(&ListParams::default())
            .await
            .expect_err("401"),
    );
    assert_eq!((code, reason.as_str()), (401, "Unauthorized"));
    assert!(
        Api::<ConfigMap>::namespaced(admin, "other").list(&ListParams::default()).await.is_ok(),
        "the kubeconfig's administrator keeps full access"
    );
    sb.stop().await;
}

#[tokio::test]
async fn pods_breaking_the_namespaces_pod_security_level_are_refused() {
    use k8s_openapi::api::core::v1::Pod;
    let sb = TestSandbox::start().await.expect("sandbox starts");
    let namespaces: Api<Namespace> = Api::all(sb.client.clone());
    let labelled = json!({"metadata": {"name": "hardened",
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    namespaces.create(&PostParams::default(), &create(labelled)).await.expect("namespace");
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "hardened");
    let bare = json!({"metadata": {"name": "x"}, "spec": {"containers": [{"name": "etcd", "image": "etcd:v3.5.30"}]}});
    let (code, reason, message) =
        refusal(pods.create(&PostParams::default(), &create(bare.clone())).await.expect_err("refused"));
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        message,
        r#"pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "etcd" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "etcd" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "etcd" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "etcd" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
    );
    let hardened = json!({"metadata": {"name": "y"}, "spec": {
        "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "etcd", "image": "etcd:v3.5.30", "securityContext": {
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}});
    pods.create(&PostParams::default(), &create(hardened)).await.expect("a restricted Pod is admitted");
    let open: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    open.create(&PostParams::default(), &create(bare))
        .await
        .expect("an unlabelled namespace admits anything");
    sb.stop().await;
}

/// Waits until the Pod has ended and returns its phase and its container's log.
async fn ended(sb: &TestSandbox, name: &str) -> (String, String) {
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    for _ in 0..300 {
        let pod = pods.get(name).await.expect("pod");
        let phase = pod.status.and_then(|s| s.phase).unwrap_or_default();
        if phase == "Succeeded" || phase == "Failed" {
            let log = std::fs::read_to_string(sb.dir().join("logs/default").join(name).join("main.log"))
                .unwrap_or_default();
            return (phase, log);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("pod {name} did not end within 30 s");
}

#[tokio::test]
async fn isolated_containers_see_only_their_image_and_volumes_and_run_as_their_user() {
    use k8s_openapi::api::core::v1::Pod;
    let sb = TestSandbox::start_with(Options { isolate_containers: true, ..Options::default() })
        .await
        .expect("sandbox with a node starts (needs root)");
    let pods: Api<Pod> = Api::namespaced(sb.client.clone(), "default");
    let host_file = sb.dir().join("kubeconfig");
    assert!(host_file.exists(), "the machine has the file");
    let script = format!(
        "if [ -e {0} ]; then echo visible; else echo absent; fi; ls /usr/local/bin; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; ls /scratch && echo scratch",
        host_file.display()
    );
    let looker = json!({"metadata": {"name": "looker"}, "spec": {"restartPolicy": "Never",
        "volumes": [{"name": "scratch", "emptyDir": {}}],
        "containers": [{"name": "main", "image": "quay.io/coreos/etcd:v3.5.30", "command": ["sh", "-c", script],
            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]}});
    pods.create(&PostParams::default(), &create(looker)).await.expect("pod");
    let (phase, log) = ended(&sb, "looker").await;
    assert_eq!(phase, "Succeeded", "{log}");
    assert_eq!(log, "absent\netcd\netcdctl\netcdutl\ndefault\nscratch\n", "only the image and the volumes");

    let writer = json!({"metadata": {"name": "writer"}, "spec": {"restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532},
        "volumes": [{"name": "data", "emptyDir": {}}],
        "containers": [{"name": "main", "image": "quay.io/coreos/etcd:v3.5.30", "command": ["sh", "-c",
            "id -u; id -G; echo member > /data/db && echo wrote; mkdir /var/lib/etcd 2>/dev/null || echo refused"],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}});
    pods.create(&PostParams::default(), &create(writer)).await.expect("pod");
    let (phase, log) = ended(&sb, "writer").await;
    assert_eq!(phase, "Succeeded", "{log}");
    assert_eq!(log, "65532\n65532\nwrote\nrefused\n", "uid, groups, its fsGroup volume, a root-owned folder");

    let rooted = json!({"metadata": {"name": "rooted"}, "spec": {"restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "main", "image": "quay.io/coreos/etcd:v3.5.30", "command": ["sh", "-c", "true"]}]}});
    pods.create(&PostParams::default(), &create(rooted)).await.expect("pod");
    let mut reason = String::new();
    for _ in 0..100 {
        let pod = pods.get("rooted").await.expect("pod");
        let state = serde_json::to_value(pod.status).expect("json")["containerStatuses"][0]["state"].clone();
        reason = state["waiting"]["reason"].as_str().unwrap_or_default().to_string();
        if reason == "CreateContainerConfigError" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(reason, "CreateContainerConfigError", "runAsNonRoot with the image's root user");
    sb.stop().await;
}

#[tokio::test]
async fn the_reported_version_decides_which_crd_fields_and_cel_libraries_exist() {
    use etcd_sandbox::api::kube_version::KubeVersion;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let definition = |rule: &str| -> CustomResourceDefinition {
        create(
            json!({"metadata": {"name": "shirts.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "shirts", "singular": "shirt", "kind": "Shirt"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "selectableFields": [{"jsonPath": ".spec.color"}],
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                    "properties": {"color": {"type": "string"}, "size": {"type": "string"}},
                    "x-kubernetes-validations": [{"rule": rule}]}}}}}]}}),
        )
    };
    let version = |minor: u32| Options {
        node: false,
        kube_version: KubeVersion { major: 1, minor },
        ..Options::default()
    };

    let sb = TestSandbox::start_with(version(30)).await.expect("sandbox starts");
    let reported = sb.client.apiserver_version().await.expect("/version");
    assert_eq!((reported.major.as_str(), reported.minor.as_str()), ("1", "30"));
    let crds: Api<CustomResourceDefinition> = Api::all(sb.client.clone());
    let created = crds
        .create(&PostParams::default(), &definition("quantity(self.size).isLessThan(quantity('10'))"))
        .await
        .expect("1.30 takes quantity()");
    assert_eq!(created.spec.versions[0].selectable_fields, None, "1.30 drops selectableFields (gate off)");
    sb.stop().await;

    let sb = TestSandbox::start_with(version(28)).await.expect("sandbox starts");
    let crds: Api<CustomResourceDefinition> = Api::all(sb.client.clone());
    let (code, _, message) = refusal(
        crds.create(&PostParams::default(), &definition("quantity(self.size).isLessThan(quantity('10'))"))
            .await
            .expect_err("1.28 has no quantity() for new rules"),
    );
    assert_eq!(code, 422);
    assert!(message.starts_with(r#"CustomResourceDefinition.apiextensions.k8s.io "shirts.example.com" is invalid: spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: "#), "{message}");
    assert!(
        message.contains(
            "compilation failed: ERROR: <input>:1:1: undeclared reference to 'quantity' (in container '')"
        ),
        "{message}"
    );
    sb.stop().await;

    let sb = TestSandbox::start_with(version(32)).await.expect("sandbox starts");
    let crds: Api<CustomResourceDefinition> = Api::all(sb.client.clone());
    let created = crds.create(&PostParams::default(), &definition("self.size != ''")).await.expect("created");
    assert_eq!(
        created.spec.versions[0].selectable_fields.as_ref().map(Vec::len),
        Some(1),
        "1.32 serves them"
    );
    sb.stop().await;
}
