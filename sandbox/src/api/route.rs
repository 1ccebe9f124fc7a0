//! Kubernetes API paths as the emulator understands them:
//! `/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]`, the same under
//! `/apis/GROUP/VERSION`, the legacy `/watch/` prefix, discovery, OpenAPI and `/version`.

use std::sync::Arc;

use super::error::ApiError;
use super::registry::{Registry, ResourceType};

/// What a request path names.
#[derive(Debug)]
pub enum Route {
    /// `/version`
    Version,
    /// `/healthz`, `/readyz`, `/livez`
    Health,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/GROUP`
    Group(String),
    /// `/api/v1` or `/apis/GROUP/VERSION`
    Resources {
        /// API group (empty for core).
        group: String,
        /// Version.
        version: String,
    },
    /// `/openapi/v2`
    OpenApiV2,
    /// `/openapi/v3`
    OpenApiV3Index,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/GROUP/VERSION`
    OpenApiV3 {
        /// API group (empty for core).
        group: String,
        /// Version.
        version: String,
    },
    /// `/sandbox/v1/requests`: the sandbox's request counts (not a Kubernetes path).
    Requests,
    /// A collection, an object or one of its subresources.
    Resource(Target),
}

/// A resource path.
#[derive(Debug, Clone)]
pub struct Target {
    /// The resource type.
    pub rt: Arc<ResourceType>,
    /// The namespace in the path; `None` for cluster-scoped resources and all-namespace lists.
    pub namespace: Option<String>,
    /// The object name; `None` for a collection.
    pub name: Option<String>,
    /// `status`, `scale`, `log`, ...
    pub subresource: Option<String>,
    /// Reached through the legacy `/watch/` prefix.
    pub legacy_watch: bool,
}

impl Target {
    /// The namespace objects are stored under: the path's, or empty for cluster scope.
    pub fn storage_namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }
}

/// Resolves a request path against the served resource types.
pub fn parse(path: &str, registry: &Registry) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let route = match segments.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", group] => Route::Group(group.to_string()),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["sandbox", "v1", "requests"] => Route::Requests,
        ["openapi", "v3"] => Route::OpenApiV3Index,
        ["openapi", "v3", "api", version] => {
            Route::OpenApiV3 { group: String::new(), version: version.to_string() }
        }
        ["openapi", "v3", "apis", group, version] => {
            Route::OpenApiV3 { group: group.to_string(), version: version.to_string() }
        }
        ["api", version, rest @ ..] => resource_route("", version, rest, registry, path)?,
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest, registry, path)?,
        _ => return Err(ApiError::no_route(path)),
    };
    Ok(route)
}

fn resource_route(
    group: &str,
    version: &str,
    rest: &[&str],
    registry: &Registry,
    path: &str,
) -> Result<Route, ApiError> {
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        other => (false, other),
    };
    if rest.is_empty() {
        return Ok(Route::Resources { group: group.to_string(), version: version.to_string() });
    }
    let find = |plural: &str| registry.lookup(group, version, plural).ok_or_else(|| ApiError::no_route(path));
    let namespaced_in = |plural: &str| registry.lookup(group, version, plural).filter(|t| t.namespaced);
    let target = match rest {
        // /namespaces/NS/PLURAL[/NAME[/SUB]] when PLURAL is a namespaced resource of this group.
        ["namespaces", ns, plural, tail @ ..] if namespaced_in(plural).is_some() => {
            let rt = find(plural)?;
            let (name, subresource) = name_and_subresource(tail, path)?;
            Target { rt, namespace: Some(ns.to_string()), name, subresource, legacy_watch }
        }
        [plural, tail @ ..] => {
            let rt = find(plural)?;
            let (name, subresource) = name_and_subresource(tail, path)?;
            if rt.namespaced && name.is_some() {
                // A namespaced object must be addressed inside its namespace.
                return Err(ApiError::no_route(path));
            }
            Target { rt, namespace: None, name, subresource, legacy_watch }
        }
        [] => return Err(ApiError::no_route(path)),
    };
    Ok(Route::Resource(target))
}

fn name_and_subresource(tail: &[&str], path: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    match tail {
        [] => Ok((None, None)),
        [name] => Ok((Some(name.to_string()), None)),
        [name, sub] => Ok((Some(name.to_string()), Some(sub.to_string()))),
        _ => Err(ApiError::no_route(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        crate::api::registry::with_project_crds()
    }

    fn target(path: &str) -> Target {
        match parse(path, &registry()) {
            Ok(Route::Resource(t)) => t,
            other => panic!("{path} parsed as {other:?}"),
        }
    }

    #[test]
    fn namespaced_paths() {
        let t = target("/api/v1/namespaces/default/pods/demo-0/status");
        assert_eq!((t.rt.plural.as_str(), t.namespace.as_deref()), ("pods", Some("default")));
        assert_eq!((t.name.as_deref(), t.subresource.as_deref()), (Some("demo-0"), Some("status")));
        let t = target("/apis/etcd.kubectl-etcd.dev/v1alpha1/namespaces/ns1/etcdclusters");
        assert_eq!((t.rt.kind.as_str(), t.name), ("EtcdCluster", None));
        let t = target("/apis/etcd.kubectl-etcd.dev/v1alpha1/etcdclusters");
        assert_eq!(t.namespace, None, "a list across all namespaces");
    }

    #[test]
    fn namespaces_themselves_and_their_subresources() {
        let t = target("/api/v1/namespaces/default");
        assert_eq!(
            (t.rt.plural.as_str(), t.name.as_deref(), t.namespace),
            ("namespaces", Some("default"), None)
        );
        let t = target("/api/v1/namespaces/default/finalize");
        assert_eq!(t.subresource.as_deref(), Some("finalize"));
    }

    #[test]
    fn legacy_watch_discovery_and_unknown_paths() {
        assert!(target("/api/v1/watch/namespaces/default/pods").legacy_watch);
        assert!(matches!(parse("/apis/apps/v1", &registry()), Ok(Route::Resources { .. })));
        assert!(matches!(parse("/version", &registry()), Ok(Route::Version)));
        assert!(matches!(parse("/sandbox/v1/requests", &registry()), Ok(Route::Requests)));
        let error =
            parse("/apis/etcd.kubectl-etcd.dev/v1alpha1/etcdproxies", &registry()).expect_err("unknown");
        assert_eq!(error.code, 404);
        assert!(parse("/api/v1/pods/x", &registry()).is_err(), "a namespaced object needs its namespace");
    }
}
