//! Role-based access control as the API server's RBAC authorizer decides it: a request's
//! attributes (user, verb, API group, resource, subresource, namespace, name) are allowed
//! when a rule of a Role or ClusterRole bound to the user covers them. A RoleBinding grants
//! its role's rules in its own namespace only; a ClusterRoleBinding grants a ClusterRole's
//! rules everywhere, cluster-scoped resources included. Nothing is allowed otherwise: RBAC
//! has no deny rules.
//!
//! Pure: [`Policy::allows`] decides from the stored objects, and [`forbidden_message`]
//! words a refusal as `k8s.io/apiserver`'s `responsewriters.forbiddenMessage` does:
//! `User "system:serviceaccount:ns:sa" cannot get resource "pods" in API group "" in the
//! namespace "ns"` (or `at the cluster scope`, or `cannot get path "/x"`).
//! Reference: <https://kubernetes.io/docs/reference/access-authn-authz/rbac/>.

use serde_json::Value;

/// Who sent a request, as the API server's authenticator names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// `system:serviceaccount:<namespace>:<name>` for a service account.
    pub name: String,
    /// `system:serviceaccounts`, `system:serviceaccounts:<namespace>`, `system:authenticated`.
    pub groups: Vec<String>,
}

impl User {
    /// The user a service account's token authenticates as.
    pub fn service_account(namespace: &str, name: &str) -> User {
        User {
            name: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }
}

/// What a request asks to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
    pub verb: String,
    /// The API group (`""` for core).
    pub group: String,
    /// The plural resource; empty for a non-resource request.
    pub resource: String,
    /// `status`, `scale`, `portforward`, `log`, ...
    pub subresource: Option<String>,
    /// The namespace in the path; empty for cluster scope.
    pub namespace: String,
    /// The object's name; empty for collections and creations.
    pub name: String,
    /// The path, for non-resource requests.
    pub path: String,
}

impl Attributes {
    /// `pods/portforward`, or the resource alone.
    pub fn combined_resource(&self) -> String {
        match &self.subresource {
            Some(sub) => format!("{}/{sub}", self.resource),
            None => self.resource.clone(),
        }
    }
}

/// One rule of a Role or ClusterRole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// Verbs, `*` for all.
    pub verbs: Vec<String>,
    /// API groups, `*` for all.
    pub api_groups: Vec<String>,
    /// Resources (`pods`, `pods/log`, `*`, `*/scale`, `pods/*`).
    pub resources: Vec<String>,
    /// Names the rule is limited to; empty for any.
    pub resource_names: Vec<String>,
    /// Non-resource paths (`/healthz`, `/api/*`).
    pub non_resource_urls: Vec<String>,
}

impl Rule {
    fn from_json(rule: &Value) -> Rule {
        let strings = |key: &str| -> Vec<String> {
            rule[key].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()
        };
        Rule {
            verbs: strings("verbs"),
            api_groups: strings("apiGroups"),
            resources: strings("resources"),
            resource_names: strings("resourceNames"),
            non_resource_urls: strings("nonResourceURLs"),
        }
    }

    /// Whether the rule covers the request (`k8s.io/kubernetes/pkg/apis/rbac/v1` `RuleAllows`).
    pub fn allows(&self, request: &Attributes) -> bool {
        let verb = self.verbs.iter().any(|v| v == "*" || *v == request.verb);
        if request.resource.is_empty() {
            return verb
                && self.non_resource_urls.iter().any(|url| match url.strip_suffix('*') {
                    Some(prefix) => request.path.starts_with(prefix),
                    None => *url == request.path,
                });
        }
        let group = self.api_groups.iter().any(|g| g == "*" || *g == request.group);
        let combined = request.combined_resource();
        // As `ResourceMatches`: `*`, the exact `resource/subresource`, or `*/subresource`.
        let resource = self.resources.iter().any(|r| {
            r == "*"
                || *r == combined
                || request.subresource.as_deref().is_some_and(|sub| r.strip_prefix("*/") == Some(sub))
        });
        let name = self.resource_names.is_empty() || self.resource_names.contains(&request.name);
        verb && group && resource && name
    }
}

/// The stored RBAC objects (as JSON, as the API stores them).
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Roles.
    pub roles: Vec<Value>,
    /// RoleBindings.
    pub role_bindings: Vec<Value>,
    /// ClusterRoles.
    pub cluster_roles: Vec<Value>,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: Vec<Value>,
}

impl Policy {
    /// Whether `user` may do what `request` asks.
    pub fn allows(&self, user: &User, request: &Attributes) -> bool {
        let cluster_wide = self
            .cluster_role_bindings
            .iter()
            .filter(|b| binds(b, user, ""))
            .filter(|b| b["roleRef"]["kind"] == "ClusterRole")
            .filter_map(|b| find(&self.cluster_roles, "", b["roleRef"]["name"].as_str()?));
        if cluster_wide.flat_map(rules_of).any(|rule| rule.allows(request)) {
            return true;
        }
        if request.namespace.is_empty() {
            return false;
        }
        self.role_bindings
            .iter()
            .filter(|b| b["metadata"]["namespace"] == request.namespace.as_str())
            .filter(|b| binds(b, user, &request.namespace))
            .filter_map(|b| {
                let name = b["roleRef"]["name"].as_str()?;
                match b["roleRef"]["kind"].as_str()? {
                    "Role" => find(&self.roles, &request.namespace, name),
                    "ClusterRole" => find(&self.cluster_roles, "", name),
                    _ => None,
                }
            })
            .flat_map(rules_of)
            .any(|rule| rule.allows(request))
    }
}

fn find<'a>(objects: &'a [Value], namespace: &str, name: &str) -> Option<&'a Value> {
    objects.iter().find(|o| {
        o["metadata"]["name"] == name && o["metadata"]["namespace"].as_str().unwrap_or_default() == namespace
    })
}

fn rules_of(role: &Value) -> Vec<Rule> {
    role["rules"].as_array().into_iter().flatten().map(Rule::from_json).collect()
}

/// Whether a binding (in `namespace`, empty for a ClusterRoleBinding) names the user.
fn binds(binding: &Value, user: &User, namespace: &str) -> bool {
    binding["subjects"].as_array().into_iter().flatten().any(|subject| {
        let name = subject["name"].as_str().unwrap_or_default();
        match subject["kind"].as_str() {
            Some("ServiceAccount") => {
                // A subject without a namespace means the binding's own (RoleBindings only).
                let ns = subject["namespace"].as_str().filter(|n| !n.is_empty()).unwrap_or(namespace);
                user.name == format!("system:serviceaccount:{ns}:{name}")
            }
            Some("User") => user.name == name,
            Some("Group") => user.groups.iter().any(|g| g == name),
            _ => false,
        }
    })
}

/// The message of a 403 as the API server words it (without the `<resource> "<name>" is
/// forbidden: ` prefix, which [`super::error::ApiError::forbidden_by_rbac`] adds).
pub fn forbidden_message(user: &User, request: &Attributes) -> String {
    if request.resource.is_empty() {
        return format!("User {:?} cannot {} path {:?}", user.name, request.verb, request.path);
    }
    let resource = request.combined_resource();
    if request.namespace.is_empty() {
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} at the cluster scope",
            user.name, request.verb, resource, request.group
        )
    } else {
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} in the namespace {:?}",
            user.name, request.verb, resource, request.group, request.namespace
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(verb: &str, group: &str, resource: &str, namespace: &str, name: &str) -> Attributes {
        let (resource, subresource) = match resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (resource.to_string(), None),
        };
        Attributes {
            verb: verb.into(),
            group: group.into(),
            resource,
            subresource,
            namespace: namespace.into(),
            name: name.into(),
            path: String::new(),
        }
    }

    fn operator() -> User {
        User::service_account("etcd-system", "etcd-operator")
    }

    fn policy() -> Policy {
        let subject =
            json!([{"kind": "ServiceAccount", "name": "etcd-operator", "namespace": "etcd-system"}]);
        Policy {
            cluster_roles: vec![json!({"metadata": {"name": "op"}, "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["etcd.kubectl-etcd.dev"], "resources": ["etcdclusters/status"], "verbs": ["patch"]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["creds"]},
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]},
            ]})],
            cluster_role_bindings: vec![json!({"metadata": {"name": "op"}, "subjects": subject,
                "roleRef": {"kind": "ClusterRole", "name": "op", "apiGroup": "rbac.authorization.k8s.io"}})],
            roles: vec![json!({"metadata": {"name": "leases", "namespace": "etcd-system"}, "rules": [
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"]},
                {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create", "get"]},
            ]})],
            role_bindings: vec![json!({"metadata": {"name": "leases", "namespace": "etcd-system"},
                "subjects": [{"kind": "ServiceAccount", "name": "etcd-operator"}],
                "roleRef": {"kind": "Role", "name": "leases", "apiGroup": "rbac.authorization.k8s.io"}})],
        }
    }

    #[test]
    fn cluster_role_bindings_grant_their_verbs_in_every_namespace() {
        let policy = policy();
        assert!(policy.allows(&operator(), &request("list", "", "pods", "demo", "")));
        assert!(policy.allows(&operator(), &request("watch", "", "pods", "", "")), "all namespaces");
        assert!(
            !policy.allows(&operator(), &request("delete", "", "pods", "demo", "m0")),
            "verb not granted"
        );
        assert!(policy.allows(&operator(), &request("list", "", "nodes", "", "")), "cluster scope");
        let other = User::service_account("demo", "default");
        assert!(!policy.allows(&other, &request("list", "", "pods", "demo", "")), "another account");
    }

    #[test]
    fn subresources_groups_and_names_are_matched_exactly() {
        let policy = policy();
        let status = request("patch", "etcd.kubectl-etcd.dev", "etcdclusters/status", "demo", "a");
        assert!(policy.allows(&operator(), &status));
        let main = request("patch", "etcd.kubectl-etcd.dev", "etcdclusters", "demo", "a");
        assert!(!policy.allows(&operator(), &main), "status does not grant the main resource");
        let finalizers = request("update", "etcd.kubectl-etcd.dev", "etcdclusters/finalizers", "demo", "a");
        assert!(!policy.allows(&operator(), &finalizers));
        assert!(!policy.allows(&operator(), &request("list", "apps", "pods", "demo", "")), "group");
        assert!(policy.allows(&operator(), &request("get", "", "secrets", "demo", "creds")));
        assert!(
            !policy.allows(&operator(), &request("get", "", "secrets", "demo", "other")),
            "resourceNames"
        );
        assert!(!policy.allows(&operator(), &request("list", "", "secrets", "demo", "")), "names never list");
    }

    #[test]
    fn role_bindings_grant_only_in_their_namespace() {
        let policy = policy();
        let lease = |ns: &str| request("update", "coordination.k8s.io", "leases", ns, "etcd-operator");
        assert!(policy.allows(&operator(), &lease("etcd-system")));
        assert!(!policy.allows(&operator(), &lease("demo")));
        let forward = |ns: &str| request("create", "", "pods/portforward", ns, "m0");
        assert!(policy.allows(&operator(), &forward("etcd-system")));
        assert!(!policy.allows(&operator(), &forward("demo")));
    }

    #[test]
    fn wildcards_cover_what_they_say() {
        let rule = |resources: &[&str]| Rule {
            verbs: vec!["*".into()],
            api_groups: vec!["*".into()],
            resources: resources.iter().map(|r| r.to_string()).collect(),
            ..Rule::default()
        };
        assert!(rule(&["*"]).allows(&request("get", "x", "pods/log", "n", "p")));
        assert!(rule(&["*/scale"]).allows(&request("update", "apps", "deployments/scale", "n", "d")));
        assert!(!rule(&["*/scale"]).allows(&request("update", "apps", "deployments", "n", "d")));
        assert!(
            !rule(&["pods/*"]).allows(&request("get", "", "pods/log", "n", "p")),
            "not a wildcard in RBAC"
        );
        let paths =
            Rule { verbs: vec!["get".into()], non_resource_urls: vec!["/api/*".into()], ..Rule::default() };
        let path = |p: &str| Attributes { verb: "get".into(), path: p.into(), ..Attributes::default() };
        assert!(paths.allows(&path("/api/v1")) && !paths.allows(&path("/version")));
    }

    #[test]
    fn refusals_are_worded_as_the_api_server_words_them() {
        let user = operator();
        assert_eq!(
            forbidden_message(&user, &request("create", "", "pods/portforward", "demo", "m0")),
            r#"User "system:serviceaccount:etcd-system:etcd-operator" cannot create resource "pods/portforward" in API group "" in the namespace "demo""#
        );
        assert_eq!(
            forbidden_message(&user, &request("list", "etcd.kubectl-etcd.dev", "etcdclusters", "", "")),
            r#"User "system:serviceaccount:etcd-system:etcd-operator" cannot list resource "etcdclusters" in API group "etcd.kubectl-etcd.dev" at the cluster scope"#
        );
    }
}
