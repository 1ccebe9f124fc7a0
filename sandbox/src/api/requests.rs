//! Counts the requests the emulator serves, named as a Kubernetes audit log names them: the
//! verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
//! `deletecollection`), the resource (`pods`, `etcdclusters/status`) and the client, by its
//! `User-Agent`. A watch counts once, when it is opened. Requests outside the resource
//! paths (discovery, OpenAPI, `/version`) count under their lower-case HTTP method and
//! their path, as audit logs name non-resource requests.
//!
//! The counts are served as JSON at [`REQUESTS_PATH`]; tests read them in-process through
//! [`RequestCounter::snapshot`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Value, json};

use super::route::Route;

/// Path of the request counts, beside the Kubernetes API.
pub const REQUESTS_PATH: &str = "/sandbox/v1/requests";

/// What a request was: its verb, what it addressed, and who sent it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RequestKind {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`;
    /// the lower-case HTTP method for non-resource requests.
    pub verb: String,
    /// The API group of the resource (`""` for the core group and non-resource requests).
    pub group: String,
    /// The plural resource with its subresource (`pods`, `etcdclusters/status`), or the
    /// path of a non-resource request.
    pub resource: String,
    /// The `User-Agent` header; empty when the client sent none (kube-rs sends none unless
    /// its configuration adds one).
    pub client: String,
}

/// Names a request: `method` as received, `route` when the path parsed, `path` otherwise,
/// `watch` when the query asked to watch, `user_agent` as sent.
pub fn classify(
    method: &str,
    route: Option<&Route>,
    path: &str,
    watch: bool,
    user_agent: &str,
) -> RequestKind {
    let client = user_agent.to_string();
    let Some(Route::Resource(target)) = route else {
        return RequestKind {
            verb: method.to_ascii_lowercase(),
            group: String::new(),
            resource: path.to_string(),
            client,
        };
    };
    let collection = target.name.is_none();
    let verb = match method {
        "GET" if collection && (watch || target.legacy_watch) => "watch",
        "GET" if collection => "list",
        "GET" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" if collection => "deletecollection",
        "DELETE" => "delete",
        other => other,
    };
    let verb = if method == verb { verb.to_ascii_lowercase() } else { verb.to_string() };
    RequestKind { verb, group: target.rt.group.clone(), resource: resource(target), client }
}

fn resource(target: &super::route::Target) -> String {
    match &target.subresource {
        Some(sub) => format!("{}/{sub}", target.rt.plural),
        None => target.rt.plural.clone(),
    }
}

/// Counts requests as they are served.
#[derive(Debug, Default)]
pub struct RequestCounter {
    counts: Mutex<BTreeMap<RequestKind, u64>>,
}

impl RequestCounter {
    /// Counts one request.
    pub fn record(&self, kind: RequestKind) {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner).entry(kind).or_default() += 1;
    }

    /// The counts so far.
    pub fn snapshot(&self) -> RequestCounts {
        RequestCounts(self.counts.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

/// Request counts at one moment, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts(BTreeMap<RequestKind, u64>);

impl RequestCounts {
    /// All requests counted.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// How many requests of this verb on this resource were counted, from any client.
    pub fn count(&self, verb: &str, resource: &str) -> u64 {
        self.0.iter().filter(|(k, _)| k.verb == verb && k.resource == resource).map(|(_, n)| n).sum()
    }

    /// Each kind with its count, in order of verb, resource and client.
    pub fn iter(&self) -> impl Iterator<Item = (&RequestKind, u64)> {
        self.0.iter().map(|(kind, n)| (kind, *n))
    }

    /// Only the requests sent by `client` (its exact `User-Agent`).
    pub fn of_client(&self, client: &str) -> RequestCounts {
        RequestCounts(
            self.0.iter().filter(|(k, _)| k.client == client).map(|(k, n)| (k.clone(), *n)).collect(),
        )
    }

    /// The requests counted after `earlier`, a snapshot of the same counter.
    pub fn since(&self, earlier: &RequestCounts) -> RequestCounts {
        RequestCounts(
            self.0
                .iter()
                .map(|(kind, n)| (kind.clone(), n.saturating_sub(earlier.0.get(kind).copied().unwrap_or(0))))
                .filter(|(_, n)| *n > 0)
                .collect(),
        )
    }

    /// `{"total": N, "requests": [{"verb", "group", "resource", "client", "count"}, ...]}`.
    pub fn to_json(&self) -> Value {
        let requests: Vec<Value> = self
            .iter()
            .map(|(k, count)| {
                json!({"verb": k.verb, "group": k.group, "resource": k.resource, "client": k.client, "count": count})
            })
            .collect();
        json!({"total": self.total(), "requests": requests})
    }
}

/// One line per kind: `COUNT VERB RESOURCE (CLIENT)`.
impl fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, count) in self.iter() {
            let client = if kind.client.is_empty() { "no user agent" } else { kind.client.as_str() };
            writeln!(f, "{count:>6} {} {} ({client})", kind.verb, kind.resource)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::route::parse;

    fn kind(method: &str, path: &str, watch: bool) -> RequestKind {
        let registry = crate::api::registry::with_project_crds();
        let route = parse(path, &registry).ok();
        classify(method, route.as_ref(), path, watch, "test/1")
    }

    fn named(verb: &str, resource: &str) -> (String, String) {
        (verb.to_string(), resource.to_string())
    }

    fn verb_and_resource(method: &str, path: &str, watch: bool) -> (String, String) {
        let kind = kind(method, path, watch);
        (kind.verb, kind.resource)
    }

    #[test]
    fn verbs_are_named_as_audit_logs_name_them() {
        let pods = "/api/v1/namespaces/default/pods";
        assert_eq!(verb_and_resource("GET", pods, false), named("list", "pods"));
        assert_eq!(verb_and_resource("GET", pods, true), named("watch", "pods"));
        assert_eq!(
            verb_and_resource("GET", "/api/v1/watch/namespaces/default/pods", false),
            named("watch", "pods")
        );
        assert_eq!(verb_and_resource("GET", &format!("{pods}/demo-0"), false), named("get", "pods"));
        assert_eq!(verb_and_resource("POST", pods, false), named("create", "pods"));
        assert_eq!(verb_and_resource("PUT", &format!("{pods}/demo-0"), false), named("update", "pods"));
        assert_eq!(verb_and_resource("DELETE", &format!("{pods}/demo-0"), false), named("delete", "pods"));
        assert_eq!(verb_and_resource("DELETE", pods, false), named("deletecollection", "pods"));
        let status = "/apis/etcd.kubectl-etcd.dev/v1alpha1/namespaces/default/etcdclusters/demo/status";
        assert_eq!(verb_and_resource("PATCH", status, false), named("patch", "etcdclusters/status"));
        let budgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets/demo";
        assert_eq!(verb_and_resource("PATCH", budgets, false), named("patch", "poddisruptionbudgets"));
    }

    #[test]
    fn other_paths_count_under_their_method_and_path() {
        assert_eq!(verb_and_resource("GET", "/version", false), named("get", "/version"));
        assert_eq!(verb_and_resource("GET", "/apis", false), named("get", "/apis"));
        assert_eq!(verb_and_resource("GET", "/no/such/thing", false), named("get", "/no/such/thing"));
        assert_eq!(verb_and_resource("GET", REQUESTS_PATH, false), named("get", REQUESTS_PATH));
        assert_eq!(kind("GET", "/version", false).client, "test/1");
    }

    #[test]
    fn counts_add_up_by_kind_and_client() {
        let counter = RequestCounter::default();
        let list = |client: &str| RequestKind {
            verb: "list".into(),
            group: String::new(),
            resource: "pods".into(),
            client: client.into(),
        };
        counter.record(list("operator/1"));
        let before = counter.snapshot();
        counter.record(list("operator/1"));
        counter.record(list("operator/1"));
        counter.record(list("kubectl/1"));
        let after = counter.snapshot();
        assert_eq!((before.total(), after.total()), (1, 4));
        assert_eq!(after.count("list", "pods"), 4);
        assert_eq!(after.of_client("operator/1").total(), 3);
        let window = after.since(&before);
        assert_eq!(window.total(), 3);
        assert_eq!(window.of_client("operator/1").count("list", "pods"), 2);
        assert_eq!(window.of_client("kubectl/1").total(), 1);
        assert_eq!(after.since(&after), RequestCounts::default(), "nothing new, nothing listed");
        assert_eq!(
            window.to_json(),
            json!({"total": 3, "requests": [
                {"verb": "list", "group": "", "resource": "pods", "client": "kubectl/1", "count": 1},
                {"verb": "list", "group": "", "resource": "pods", "client": "operator/1", "count": 2},
            ]})
        );
        assert_eq!(window.to_string(), "     1 list pods (kubectl/1)\n     2 list pods (operator/1)\n");
    }
}
