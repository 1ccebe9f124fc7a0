//! Who a request comes from, and whether it may do what it asks.
//!
//! Authentication: a request without credentials is the sandbox's administrator (the user
//! of the kubeconfig `etcd-sandbox up` writes), with full access. A bearer token the node
//! agent issued to a Pod ([`Tokens::issue`], written to the Pod's
//! `/var/run/secrets/kubernetes.io/serviceaccount/token`) is that Pod's service account.
//!
//! Authorization, when enforced ([`ApiServer::enforce_rbac`]): a service account may do
//! what the stored Roles, ClusterRoles and their bindings grant it ([`super::rbac`]), and
//! nothing else; an unknown token is refused with 401. Requests outside the resource paths
//! (discovery, OpenAPI, `/version`, health) are allowed to every authenticated user, as the
//! default `system:discovery` and `system:public-info-viewer` bindings allow them. Without
//! enforcement every request is allowed, as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::rbac::{Attributes, Policy, User};
use super::requests;
use super::route::{Route, parse};
use super::server::ApiServer;

/// Service account tokens issued to Pods.
#[derive(Debug, Default)]
pub struct Tokens {
    accounts: Mutex<HashMap<String, User>>,
}

impl Tokens {
    /// A new token for the service account `name` in `namespace`.
    pub fn issue(&self, namespace: &str, name: &str) -> String {
        let token = format!("sandbox-sa-{}", uuid::Uuid::new_v4().simple());
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), User::service_account(namespace, name));
        token
    }

    /// The service account a token was issued to.
    pub fn user(&self, token: &str) -> Option<User> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner).get(token).cloned()
    }
}

/// Who sent a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// No credentials: the sandbox's administrator.
    Admin,
    /// A token issued to a Pod.
    Account(User),
    /// A token the sandbox did not issue.
    Unknown,
}

/// Who the request's `Authorization` header says sent it.
pub fn identify(tokens: &Tokens, headers: &HeaderMap) -> Identity {
    let Some(header) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Identity::Admin;
    };
    match header.strip_prefix("Bearer ").map(str::trim) {
        Some(token) => tokens.user(token).map_or(Identity::Unknown, Identity::Account),
        None => Identity::Unknown,
    }
}

/// The RBAC attributes of a request, `None` outside the resource paths.
pub fn attributes(method: &str, route: &Route, watch: bool) -> Option<Attributes> {
    let Route::Resource(target) = route else { return None };
    let verb = requests::classify(method, Some(route), "", watch, "").verb;
    let name = target.name.clone().unwrap_or_default();
    // As the API server's RequestInfo: a namespace's own namespace is itself.
    let namespace = match target.namespace.clone() {
        None if target.rt.group.is_empty() && target.rt.plural == "namespaces" => name.clone(),
        namespace => namespace.unwrap_or_default(),
    };
    Some(Attributes {
        verb,
        group: target.rt.group.clone(),
        resource: target.rt.plural.clone(),
        subresource: target.subresource.clone(),
        namespace,
        name,
        path: String::new(),
    })
}

/// The stored RBAC objects.
pub fn policy(server: &ApiServer) -> Policy {
    let all = |plural: &str| {
        server
            .registry
            .lookup_any_version("rbac.authorization.k8s.io", plural)
            .map(|rt| server.store.list(&rt, None).0)
            .unwrap_or_default()
    };
    Policy {
        roles: all("roles"),
        role_bindings: all("rolebindings"),
        cluster_roles: all("clusterroles"),
        cluster_role_bindings: all("clusterrolebindings"),
    }
}

/// Refuses what the request's identity may not do (401 or 403), as the API server's
/// authentication and authorization filters do.
pub fn check(
    server: &ApiServer,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    watch: bool,
) -> Result<(), ApiError> {
    if !server.rbac_enforced() {
        return Ok(());
    }
    let user = match identify(&server.tokens, headers) {
        Identity::Admin => return Ok(()),
        Identity::Unknown => return Err(ApiError::unauthorized()),
        Identity::Account(user) => user,
    };
    let Ok(route) = parse(path, &server.registry) else { return Ok(()) };
    let Some(request) = attributes(method, &route, watch) else { return Ok(()) };
    if policy(server).allows(&user, &request) {
        return Ok(());
    }
    tracing::info!(user = %user.name, verb = %request.verb, resource = %request.combined_resource(),
        namespace = %request.namespace, "refused by RBAC");
    Err(ApiError::forbidden_object(
        &request.resource,
        &request.group,
        &request.name,
        &super::rbac::forbidden_message(&user, &request),
    ))
}

/// The middleware in front of every API route.
pub async fn middleware(State(server): State<Arc<ApiServer>>, request: Request, next: Next) -> Response {
    let watch = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "watch=true" || pair == "watch=1"));
    match check(&server, request.method().as_str(), request.uri().path(), request.headers(), watch) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}
