//! What `kubectl etcd install` puts in a cluster: the CRDs (the committed manifests,
//! embedded), the operator's ServiceAccount, least-privilege RBAC, and its Deployment.
//! The RBAC rules are what the operator calls, and nothing more:
//!
//! | API | resources | verbs | why |
//! | --- | --- | --- | --- |
//! | etcd.kubectl-etcd.dev | etcdclusters, etcdbackups, etcdrestores | get list watch | the controller's watches |
//! | etcd.kubectl-etcd.dev | etcdclusters, etcdbackups | create | an EtcdRestore creates the new cluster; an upgrade its snapshot |
//! | core | secrets | get create delete | a backup destination's credentials, named in the EtcdBackup; a TLS cluster's certificates, issued into Secrets the cluster owns and deleted with a member (no list, no watch; see below) |
//! | etcd.kubectl-etcd.dev | their `/status` | get patch update | status reports |
//! | etcd.kubectl-etcd.dev | etcdclusters/finalizers | update | owner references with `blockOwnerDeletion` (the OwnerReferencesPermissionEnforcement admission plugin, on OpenShift) |
//! | core | pods | get list watch create delete patch | members: created, upgraded in place, removed |
//! | core | persistentvolumeclaims | get list watch create delete patch | member volumes; `patch` grows them to a larger `spec.storage.size` |
//! | core | services | get list watch create patch | client and peer Services (server-side apply) |
//! | policy | poddisruptionbudgets | get list watch create patch | the budget that keeps quorum (apply) |
//! | events.k8s.io | events | create patch | Events on clusters and members |
//! | coordination.k8s.io | leases (own namespace only, a Role) | get create update patch | leader election |
//!
//! `secrets: get` is cluster-wide because EtcdClusters and EtcdBackups may live in any
//! namespace and name their store's credentials in their own namespace. With `get` alone
//! the operator can read only a Secret whose name it is given, never discover one; the name
//! comes from an EtcdBackup or EtcdCluster in the same namespace, so whoever may create
//! those there can have the operator use that namespace's Secrets as store credentials:
//! grant creating them as carefully as reading Secrets.

use serde_json::{Value, json};

/// The namespace the operator goes to when `-n` is not given.
pub const DEFAULT_NAMESPACE: &str = "etcd-operator";

/// The operator's name: ServiceAccount, ClusterRole, bindings, Lease, Deployment.
pub const NAME: &str = "etcd-operator";

/// The operator's image repository; the tag is `v<version>`. The sandbox runs any image
/// whose repository ends in `etcd-operator` as the locally built operator.
pub const IMAGE_REPOSITORY: &str = "ghcr.io/kubectl-etcd/etcd-operator";

/// The label that marks a Namespace `install` created, so `uninstall` removes only those.
pub const CREATED_BY_LABEL: &str = "app.kubernetes.io/created-by";

/// The field manager of server-side apply, and the value of [`CREATED_BY_LABEL`].
pub const MANAGER: &str = "kubectl-etcd";

/// The committed CRD manifests (`manifests/crd/`), embedded: (file name, YAML).
pub const CRDS: &[(&str, &str)] = &[
    (
        "etcd.kubectl-etcd.dev_etcdclusters.yaml",
        include_str!("../../../manifests/crd/etcd.kubectl-etcd.dev_etcdclusters.yaml"),
    ),
    (
        "etcd.kubectl-etcd.dev_etcdbackups.yaml",
        include_str!("../../../manifests/crd/etcd.kubectl-etcd.dev_etcdbackups.yaml"),
    ),
    (
        "etcd.kubectl-etcd.dev_etcdrestores.yaml",
        include_str!("../../../manifests/crd/etcd.kubectl-etcd.dev_etcdrestores.yaml"),
    ),
];

fn labels() -> Value {
    json!({
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/part-of": "kubectl-etcd",
        "app.kubernetes.io/managed-by": MANAGER,
    })
}

/// The Pod Security Standards level the namespace `install` creates enforces: the
/// operator's Pod meets `restricted`, so nothing weaker runs beside it.
pub const POD_SECURITY_ENFORCE: (&str, &str) = ("pod-security.kubernetes.io/enforce", "restricted");

/// The Namespace, created only when it does not exist yet (never applied over one), at Pod
/// Security level [`POD_SECURITY_ENFORCE`].
pub fn namespace(namespace: &str) -> Value {
    let (level_label, level) = POD_SECURITY_ENFORCE;
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {CREATED_BY_LABEL: MANAGER, level_label: level}},
    })
}

/// The image of the operator of `version`: [`IMAGE_REPOSITORY`]`:v<version>`.
pub fn release_image(version: &str) -> String {
    format!("{IMAGE_REPOSITORY}:v{version}")
}

/// The operator's objects in `namespace`, running `image`, in the order they are applied (a
/// binding after what it binds, the Deployment last). The operator learns its own image from
/// `OPERATOR_IMAGE`, so the members it restores from a snapshot run the same image.
pub fn operator(namespace: &str, image: &str) -> Vec<Value> {
    let rule = |groups: &[&str], resources: &[&str], verbs: &[&str]| json!({"apiGroups": groups, "resources": resources, "verbs": verbs});
    let group = shared::crd::API_GROUP;
    let field = |path: &str| json!({"fieldRef": {"fieldPath": path}});
    vec![
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels()},
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": NAME, "labels": labels()},
            "rules": [
                rule(&[group], &["etcdclusters", "etcdbackups", "etcdrestores"], &["get", "list", "watch"]),
                rule(&[group], &["etcdclusters", "etcdbackups"], &["create"]),
                rule(&[""], &["secrets"], &["get", "create", "delete"]),
                rule(
                    &[group],
                    &["etcdclusters/status", "etcdbackups/status", "etcdrestores/status"],
                    &["get", "patch", "update"],
                ),
                rule(&[""], &["pods"], &["get", "list", "watch", "create", "delete", "patch"]),
                rule(&[group], &["etcdclusters/finalizers"], &["update"]),
                rule(&[""], &["persistentvolumeclaims"], &["get", "list", "watch", "create", "delete", "patch"]),
                rule(&[""], &["services"], &["get", "list", "watch", "create", "patch"]),
                rule(&["policy"], &["poddisruptionbudgets"], &["get", "list", "watch", "create", "patch"]),
                rule(&["events.k8s.io"], &["events"], &["create", "patch"]),
            ],
        }),
        binding("ClusterRole", None, namespace),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels()},
            "rules": [rule(&["coordination.k8s.io"], &["leases"], &["get", "create", "update", "patch"])],
        }),
        binding("Role", Some(namespace), namespace),
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels()},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "template": {
                    "metadata": {"labels": labels()},
                    "spec": {
                        "serviceAccountName": NAME,
                        "securityContext": {
                            "runAsNonRoot": true,
                            "runAsUser": 65532,
                            "runAsGroup": 65532,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [{
                            "name": "operator",
                            "image": image,
                            "args": ["run", "--log-format", "json"],
                            "env": [
                                {"name": "POD_NAMESPACE", "valueFrom": field("metadata.namespace")},
                                {"name": "POD_NAME", "valueFrom": field("metadata.name")},
                                {"name": "OPERATOR_IMAGE", "value": image},
                            ],
                            "ports": [{"name": "metrics", "containerPort": 8080}],
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"}},
                            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "metrics"}},
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": false,
                                "readOnlyRootFilesystem": true,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }],
                    },
                },
            },
        }),
    ]
}

/// The binding of the `role_kind` (ClusterRole or Role) named [`NAME`] to the operator's
/// ServiceAccount in `account_namespace`; a RoleBinding lives in `namespace`.
fn binding(role_kind: &str, namespace: Option<&str>, account_namespace: &str) -> Value {
    let mut metadata = json!({"name": NAME, "labels": labels()});
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": format!("{role_kind}Binding"),
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": NAME},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": account_namespace}],
    })
}

/// Everything as one YAML stream: the CRDs as committed, the Namespace, the operator
/// (`image`); `version` is the plugin's, for the header.
pub fn render(namespace_name: &str, version: &str, image: &str) -> Result<String, serde_yaml::Error> {
    let mut text = format!(
        "# kubectl-etcd {version}: the CRDs and the etcd-operator in namespace {namespace_name}.\n\
         # Printed by `kubectl etcd install --dry-run`; apply with `kubectl apply --server-side -f`.\n"
    );
    for (_, crd) in CRDS {
        text.push_str("---\n");
        text.push_str(crd);
    }
    for object in std::iter::once(namespace(namespace_name)).chain(operator(namespace_name, image)) {
        text.push_str("---\n");
        text.push_str(&serde_yaml::to_string(&object)?);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::rbac::v1::{ClusterRole, Role};

    use super::*;

    #[test]
    fn objects_parse_as_their_kinds() {
        let objects = operator("ops", &release_image("1.2.3"));
        let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(
            kinds,
            ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment"]
        );
        let deployment: Deployment = serde_json::from_value(objects[5].clone()).expect("a Deployment");
        let pod = deployment.spec.template.spec.expect("a Pod template");
        assert_eq!(pod.containers[0].image.as_deref(), Some("ghcr.io/kubectl-etcd/etcd-operator:v1.2.3"));
        let env = pod.containers[0].env.as_ref().expect("env");
        let own_image = env.iter().find(|e| e.name == "OPERATOR_IMAGE").and_then(|e| e.value.as_deref());
        assert_eq!(
            own_image,
            Some("ghcr.io/kubectl-etcd/etcd-operator:v1.2.3"),
            "restores run the same image"
        );
        assert_eq!(pod.service_account_name.as_deref(), Some(NAME));
        let cluster_role: ClusterRole = serde_json::from_value(objects[1].clone()).expect("a ClusterRole");
        let rules = cluster_role.rules.expect("rules");
        assert!(rules.iter().all(|r| !r.verbs.iter().any(|v| v == "*")), "no wildcard verbs");
        assert!(
            rules.iter().all(|r| !r.resources.iter().flatten().any(|v| v == "*")),
            "no wildcard resources"
        );
        let secrets: Vec<&Vec<String>> = rules
            .iter()
            .filter(|r| r.resources.iter().flatten().any(|v| v == "secrets"))
            .map(|r| &r.verbs)
            .collect();
        let verbs = ["get", "create", "delete"].map(String::from).to_vec();
        assert_eq!(secrets, [&verbs], "secrets: never list or watch");
        let role: Role = serde_json::from_value(objects[3].clone()).expect("a Role");
        assert_eq!(role.metadata.namespace.as_deref(), Some("ops"), "leases only in its own namespace");
    }

    #[test]
    fn rendering_lists_the_crds_then_the_operator() {
        let text = render("ops", "1.2.3", &release_image("1.2.3")).expect("renders");
        let documents: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).expect("a YAML document"))
            .collect();
        let kinds: Vec<&str> = documents.iter().filter_map(|d| d["kind"].as_str()).collect();
        assert_eq!(&kinds[..3], ["CustomResourceDefinition"; 3]);
        assert_eq!(kinds[3], "Namespace");
        assert_eq!(
            documents[3]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].as_str(),
            Some("restricted"),
            "the operator's namespace enforces what its Pod meets"
        );
        assert_eq!(kinds.last(), Some(&"Deployment"));
    }
}
