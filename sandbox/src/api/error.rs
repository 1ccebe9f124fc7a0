//! Errors as the Kubernetes API server answers them: a `metav1.Status` body with the HTTP
//! code, a machine-readable reason, a message and, for invalid objects, field causes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shared::validate::FieldViolation;

/// An API error, ready to be sent as a `metav1.Status`.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `metav1.StatusReason`, e.g. `NotFound`, `Conflict`, `Invalid`.
    pub reason: &'static str,
    /// What went wrong, in the API server's words.
    pub message: String,
    /// `details` of the Status (name, group, kind, causes), when there are any.
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, reason, message: message.into(), details: None }
    }

    /// The same error with another message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 404: `<plural>.<group> "<name>" not found`.
    pub fn not_found(resource: &str, group: &str, name: &str) -> Self {
        ApiError::new(404, "NotFound", format!("{} \"{name}\" not found", qualified(resource, group)))
            .with_details(json!({"name": name, "group": group, "kind": resource}))
    }

    /// 404 for a URL that names no resource at all.
    pub fn no_route(path: &str) -> Self {
        ApiError::new(404, "NotFound", format!("the server could not find the requested resource ({path})"))
    }

    /// 409: the object already exists.
    pub fn already_exists(resource: &str, group: &str, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(resource, group)),
        )
        .with_details(json!({"name": name, "group": group, "kind": resource}))
    }

    /// 409: a stale resourceVersion or a failed precondition.
    pub fn conflict(resource: &str, group: &str, name: &str, why: &str) -> Self {
        ApiError::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {} \"{name}\": {why}", qualified(resource, group)),
        )
        .with_details(json!({"name": name, "group": group, "kind": resource}))
    }

    /// 422 with one cause per broken rule, as `kubectl` prints them.
    pub fn invalid(kind: &str, group: &str, name: &str, violations: &[FieldViolation]) -> Self {
        let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
        let summary = match listed.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let causes: Vec<Value> = violations
            .iter()
            .map(|v| json!({"reason": v.reason, "message": v.message, "field": v.field}))
            .collect();
        let qualified_kind = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
        ApiError::new(422, "Invalid", format!("{qualified_kind} \"{name}\" is invalid: {summary}"))
            .with_details(json!({"name": name, "group": group, "kind": kind, "causes": causes}))
    }

    /// 400: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    /// 403: the request is understood and refused.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(403, "Forbidden", message)
    }

    /// 403 about one resource, as `apierrors.NewForbidden` words it: `<plural>.<group>
    /// "<name>" is forbidden: <why>` (`<plural>.<group> is forbidden: <why>` without a name).
    pub fn forbidden_object(resource: &str, group: &str, name: &str, why: &str) -> Self {
        let what = qualified(resource, group);
        let message = if name.is_empty() {
            format!("{what} is forbidden: {why}")
        } else {
            format!("{what} \"{name}\" is forbidden: {why}")
        };
        ApiError::new(403, "Forbidden", message)
            .with_details(json!({"name": name, "group": group, "kind": resource}))
    }

    /// 401: the request's credentials are not known.
    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 405: the resource does not support the verb.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError::new(405, "MethodNotAllowed", message)
    }

    /// 410: a watch asked for history the server no longer keeps.
    pub fn gone(message: impl Into<String>) -> Self {
        ApiError::new(410, "Expired", message)
    }

    /// 415: for example a strategic merge patch on a custom resource.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        ApiError::new(415, "UnsupportedMediaType", message)
    }

    /// 500: something inside the sandbox failed.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "InternalError", message)
    }

    /// The `metav1.Status` object.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, [("content-type", "application/json")], self.status().to_string()).into_response()
    }
}

/// `pods` or `etcdclusters.etcd.kubectl-etcd.dev`.
fn qualified(resource: &str, group: &str) -> String {
    if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_like_the_api_servers() {
        let e = ApiError::not_found("etcdclusters", "etcd.kubectl-etcd.dev", "demo");
        assert_eq!(e.message, r#"etcdclusters.etcd.kubectl-etcd.dev "demo" not found"#);
        assert_eq!(e.status()["code"], 404);
        assert_eq!(ApiError::not_found("pods", "", "x").message, r#"pods "x" not found"#);
        let v = FieldViolation {
            field: "spec.size".into(),
            reason: "FieldValueInvalid".into(),
            message: "bad".into(),
        };
        let e = ApiError::invalid("EtcdCluster", "etcd.kubectl-etcd.dev", "demo", &[v]);
        assert_eq!(e.message, r#"EtcdCluster.etcd.kubectl-etcd.dev "demo" is invalid: spec.size: bad"#);
        assert_eq!(e.status()["details"]["causes"][0]["field"], "spec.size");
    }
}
