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
