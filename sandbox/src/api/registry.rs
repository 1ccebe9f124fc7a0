//! The resource types the emulator serves: a fixed set of built-in kinds, plus every
//! CustomResourceDefinition created at run time (with its schema, subresources and printer
//! columns).

use std::sync::{Arc, RwLock};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use shared::validate::{FieldViolation, ResourceSchema};

/// Where objects of a type are stored: all versions of a resource share one place.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    /// API group (empty for the core group).
    pub group: String,
    /// Plural resource name.
    pub plural: String,
}

/// The scale subresource's JSON paths (`.spec.size`, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct ScalePaths {
    /// Where the desired replica count lives.
    pub spec_replicas: String,
    /// Where the observed replica count lives.
    pub status_replicas: String,
    /// Where the label selector (as a string) lives.
    pub label_selector: Option<String>,
}

/// An additional printer column of a CRD.
#[derive(Clone, Debug, PartialEq)]
pub struct PrinterColumn {
    /// Column header.
    pub name: String,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: String,
    /// Optional format hint.
    pub format: Option<String>,
    /// Column description.
    pub description: Option<String>,
    /// Simple JSONPath of the value, e.g. `.status.phase`.
    pub json_path: String,
    /// 0 for the default view, more for `-o wide`.
    pub priority: i32,
}

/// One served resource: a group/version/plural with everything the server needs to know.
#[derive(Clone, Debug)]
pub struct ResourceType {
    /// API group; empty for core.
    pub group: String,
    /// API version within the group.
    pub version: String,
    /// Kind, e.g. `Pod`.
    pub kind: String,
    /// Plural resource name, e.g. `pods`.
    pub plural: String,
    /// Singular name, e.g. `pod`.
    pub singular: String,
    /// Short names for kubectl, e.g. `po`.
    pub short_names: Vec<String>,
    /// Categories, e.g. `all`.
    pub categories: Vec<String>,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Has a `status` subresource: main updates ignore status, status updates ignore the rest.
    pub status_subresource: bool,
    /// The scale subresource, if declared.
    pub scale: Option<ScalePaths>,
    /// Printer columns (custom resources).
    pub printer_columns: Vec<PrinterColumn>,
    /// Schema for defaulting and validation (custom resources).
    pub schema: Option<Arc<ResourceSchema>>,
    /// Served from a CustomResourceDefinition (no strategic merge patch, schema validation).
    pub custom: bool,
}

impl ResourceType {
    /// `v1` for core, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// Where objects of this type are stored; `events.k8s.io` Events share the core ones'.
    pub fn key(&self) -> ResourceKey {
        let group =
            if self.group == "events.k8s.io" && self.plural == "events" { "" } else { self.group.as_str() };
        ResourceKey { group: group.to_string(), plural: self.plural.clone() }
    }

    /// The apiVersion objects are stored with.
    pub fn storage_api_version(&self) -> String {
        if self.key().group == self.group { self.api_version() } else { "v1".to_string() }
    }

    /// `ListKind`, e.g. `PodList`.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The verbs discovery advertises.
    pub fn verbs(&self) -> Vec<&'static str> {
        vec!["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }
}

/// A built-in type: (group, version, kind, plural, short names, namespaced, status subresource).
type Builtin = (&'static str, &'static str, &'static str, &'static str, &'static [&'static str], bool, bool);

const BUILTINS: &[Builtin] = &[
    ("", "v1", "Namespace", "namespaces", &["ns"], false, true),
    ("", "v1", "Node", "nodes", &["no"], false, true),
    ("", "v1", "Pod", "pods", &["po"], true, true),
    ("", "v1", "Service", "services", &["svc"], true, true),
    ("", "v1", "Endpoints", "endpoints", &["ep"], true, false),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", &["pvc"], true, true),
    ("", "v1", "Secret", "secrets", &[], true, false),
    ("", "v1", "ConfigMap", "configmaps", &["cm"], true, false),
    ("", "v1", "Event", "events", &["ev"], true, false),
    ("", "v1", "ServiceAccount", "serviceaccounts", &["sa"], true, false),
    ("events.k8s.io", "v1", "Event", "events", &["ev"], true, false),
    ("coordination.k8s.io", "v1", "Lease", "leases", &[], true, false),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", &["pdb"], true, true),
    ("apps", "v1", "Deployment", "deployments", &["deploy"], true, true),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", &[], true, false),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", &[], true, false),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", &[], false, false),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", &[], false, false),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd", "crds"],
        false,
        true,
    ),
];

/// Kinds `kubectl get all` shows.
const IN_CATEGORY_ALL: &[&str] = &["pods", "services", "deployments"];

fn builtin(entry: &Builtin) -> ResourceType {
    let (group, version, kind, plural, short, namespaced, status) = *entry;
    ResourceType {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        short_names: short.iter().map(|s| s.to_string()).collect(),
        categories: if IN_CATEGORY_ALL.contains(&plural) { vec!["all".into()] } else { vec![] },
        namespaced,
        status_subresource: status,
        scale: None,
        printer_columns: vec![],
        schema: None,
        custom: false,
    }
}

/// The served types, shared by every request handler.
#[derive(Debug)]
pub struct Registry {
    types: RwLock<Vec<Arc<ResourceType>>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { types: RwLock::new(BUILTINS.iter().map(|b| Arc::new(builtin(b))).collect()) }
    }
}

impl Registry {
    /// The type served at `group/version/plural`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.read().iter().find(|t| t.group == group && t.version == version && t.plural == plural).cloned()
    }

    /// The preferred (first) served version of `group/plural`, whatever its version.
    pub fn lookup_any_version(&self, group: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.read().iter().find(|t| t.group == group && t.plural == plural).cloned()
    }

    /// Every served type, built-ins first, then custom resources in creation order.
    pub fn all(&self) -> Vec<Arc<ResourceType>> {
        self.read().clone()
    }

    /// Starts serving (or updates) the versions of a definition.
    pub fn install(&self, crd: &CustomResourceDefinition) -> Result<(), Vec<FieldViolation>> {
        let types = types_of(crd)?;
        let mut all = self.write();
        all.retain(|t| !(t.custom && t.group == crd.spec.group && t.plural == crd.spec.names.plural));
        all.extend(types.into_iter().map(Arc::new));
        Ok(())
    }

    /// Stops serving a definition's resource.
    pub fn uninstall(&self, group: &str, plural: &str) {
        self.write().retain(|t| !(t.custom && t.group == group && t.plural == plural));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<ResourceType>>> {
        self.types.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<ResourceType>>> {
        self.types.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The served versions of a definition as resource types, or why the definition is refused
/// (a non-structural schema, as a real API server refuses it).
pub fn types_of(crd: &CustomResourceDefinition) -> Result<Vec<ResourceType>, Vec<FieldViolation>> {
    let names = &crd.spec.names;
    let mut types = Vec::new();
    for (i, version) in crd.spec.versions.iter().enumerate().filter(|(_, v)| v.served) {
        let field = format!("spec.versions[{i}].schema.openAPIV3Schema");
        let schema = ResourceSchema::from_crd(crd, &version.name).map_err(|e| {
            vec![FieldViolation {
                field: field.clone(),
                reason: "FieldValueInvalid".into(),
                message: e.to_string(),
            }]
        })?;
        let subresources = version.subresources.as_ref();
        let scale = subresources.and_then(|s| s.scale.as_ref()).map(|s| ScalePaths {
            spec_replicas: s.spec_replicas_path.clone(),
            status_replicas: s.status_replicas_path.clone(),
            label_selector: s.label_selector_path.clone(),
        });
        let printer_columns = version
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| PrinterColumn {
                name: c.name.clone(),
                type_: c.type_.clone(),
                format: c.format.clone(),
                description: c.description.clone(),
                json_path: c.json_path.clone(),
                priority: c.priority.unwrap_or(0),
            })
            .collect();
        types.push(ResourceType {
            group: crd.spec.group.clone(),
            version: version.name.clone(),
            kind: names.kind.clone(),
            plural: names.plural.clone(),
            singular: names.singular.clone().unwrap_or_else(|| names.kind.to_lowercase()),
            short_names: names.short_names.clone().unwrap_or_default(),
            categories: names.categories.clone().unwrap_or_default(),
            namespaced: crd.spec.scope == "Namespaced",
            status_subresource: subresources.and_then(|s| s.status.as_ref()).is_some(),
            scale,
            printer_columns,
            schema: Some(Arc::new(schema)),
            custom: true,
        });
    }
    Ok(types)
}

/// A registry serving the built-ins and the project's own CRDs, for unit tests.
#[cfg(test)]
pub(crate) fn with_project_crds() -> Registry {
    let registry = Registry::default();
    for crd in shared::crd::definitions() {
        if let Err(violations) = registry.install(&crd) {
            panic!("the project's CRDs are served: {violations:?}");
        }
    }
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_and_project_crds_are_served() {
        let registry = Registry::default();
        assert!(registry.lookup("", "v1", "pods").is_some_and(|t| t.namespaced && t.status_subresource));
        assert!(registry.lookup("", "v1", "namespaces").is_some_and(|t| !t.namespaced));
        assert!(registry.lookup("etcd.kubectl-etcd.dev", "v1alpha1", "etcdclusters").is_none());
        for crd in shared::crd::definitions() {
            registry.install(&crd).expect("our CRDs are accepted");
        }
        let cluster =
            registry.lookup("etcd.kubectl-etcd.dev", "v1alpha1", "etcdclusters").expect("installed");
        assert_eq!(cluster.kind, "EtcdCluster");
        assert_eq!(cluster.short_names, ["etcd"]);
        assert_eq!(cluster.scale.as_ref().map(|s| s.spec_replicas.as_str()), Some(".spec.size"));
        assert_eq!(cluster.printer_columns.len(), 7);
        registry.uninstall("etcd.kubectl-etcd.dev", "etcdclusters");
        assert!(registry.lookup("etcd.kubectl-etcd.dev", "v1alpha1", "etcdclusters").is_none());
    }
}
