//! The HTTP front of the emulator: routes a request to discovery, OpenAPI or a resource
//! verb, and shapes answers as the API server does (objects, lists, tables, watch streams,
//! `metav1.Status` errors, `Warning` headers).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::admission::{self, FieldValidation};
use super::error::ApiError;
use super::kube_version::{self, KubeVersion};
use super::patch::{PatchError, PatchKind, apply_patch};
use super::registry::{Registry, ResourceType};
use super::requests::{self, RequestCounter};
use super::route::{Route, Target, parse};
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{DeleteOptions, Deleted, Part, Propagation, Store, name_of, now};
use super::table::{self, Include};
use super::watch::{self, WatchRequest};
use super::{discovery, openapi, pod_security};

/// Namespaces every cluster starts with.
const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// The emulated API server: its types, its objects, and the address clients use.
pub struct ApiServer {
    /// Served resource types.
    pub registry: Registry,
    /// Stored objects.
    pub store: Store,
    /// `host:port` clients reach the server at.
    pub address: String,
    /// Every request served, by verb, resource and client.
    pub requests: RequestCounter,
    /// Service account tokens issued to Pods.
    pub tokens: super::auth::Tokens,
    rbac: AtomicBool,
    kube_minor: AtomicU32,
    next_cluster_ip: AtomicU32,
    logs_dir: std::sync::OnceLock<std::path::PathBuf>,
    executor: std::sync::OnceLock<Arc<dyn super::exec::Executor>>,
}

impl ApiServer {
    /// A server with the initial namespaces, keeping `history` changes for watches.
    pub fn new(address: String, history: usize) -> Arc<Self> {
        let server = Arc::new(ApiServer {
            registry: Registry::default(),
            store: Store::with_history(history),
            address,
            requests: RequestCounter::default(),
            tokens: super::auth::Tokens::default(),
            rbac: AtomicBool::new(false),
            kube_minor: AtomicU32::new(kube_version::DEFAULT_VERSION.minor),
            next_cluster_ip: AtomicU32::new(10),
            logs_dir: std::sync::OnceLock::new(),
            executor: std::sync::OnceLock::new(),
        });
        for name in INITIAL_NAMESPACES {
            let created = server.create_object("namespaces", "", json!({"metadata": {"name": name}}));
            if let Err(error) = created {
                tracing::error!(%error, namespace = name, "creating an initial namespace failed");
            }
        }
        server
    }

    /// Creates a built-in object directly (for controllers and set-up), with admission.
    pub fn create_object(&self, plural: &str, namespace: &str, object: Value) -> Result<Value, ApiError> {
        let rt = self.builtin(plural)?;
        let (object, _) = admission::admit_create(&rt, object, FieldValidation::Strict)?;
        self.check_pod_security(&rt, namespace, &object)?;
        self.store.create(&rt, namespace, object)
    }

    /// Pod Security admission: a Pod that breaks the level its namespace enforces is
    /// refused (see [`super::pod_security`]).
    pub(crate) fn check_pod_security(
        &self,
        rt: &ResourceType,
        namespace: &str,
        pod: &Value,
    ) -> Result<(), ApiError> {
        if !(rt.group.is_empty() && rt.plural == "pods") {
            return Ok(());
        }
        let namespaces = self.builtin("namespaces")?;
        let Some((level, version)) =
            self.store.get(&namespaces, "", namespace).ok().as_ref().and_then(pod_security::enforced)
        else {
            return Ok(());
        };
        let violations = pod_security::violations(level, pod);
        if violations.is_empty() {
            return Ok(());
        }
        Err(ApiError::forbidden_object(
            "pods",
            "",
            name_of(pod),
            &pod_security::forbidden_message(level, &version, &violations),
        ))
    }

    /// The served type of a core or well-known built-in resource, by plural.
    pub fn builtin(&self, plural: &str) -> Result<Arc<ResourceType>, ApiError> {
        let group = match plural {
            "deployments" => "apps",
            "leases" => "coordination.k8s.io",
            "poddisruptionbudgets" => "policy",
            "customresourcedefinitions" => "apiextensions.k8s.io",
            _ => "",
        };
        self.registry.lookup_any_version(group, plural).ok_or_else(|| ApiError::no_route(plural))
    }

    /// Where the node writes container logs (`<dir>/<ns>/<pod>/<container>.log`), for
    /// `pods/log`.
    pub fn set_logs_dir(&self, dir: std::path::PathBuf) {
        let _ = self.logs_dir.set(dir);
    }

    /// The node's way of running commands in containers, for `pods/exec`.
    pub fn set_executor(&self, executor: Arc<dyn super::exec::Executor>) {
        let _ = self.executor.set(executor);
    }

    /// The node's executor, once a node runs.
    pub fn executor(&self) -> Option<&Arc<dyn super::exec::Executor>> {
        self.executor.get()
    }

    /// Makes service account tokens subject to RBAC (see [`super::auth`]); off, every
    /// request is allowed.
    pub fn enforce_rbac(&self, on: bool) {
        self.rbac.store(on, Ordering::Relaxed);
    }

    /// The Kubernetes version to report and behave as (1.x only).
    pub fn set_kube_version(&self, version: KubeVersion) {
        self.kube_minor.store(version.minor, Ordering::Relaxed);
    }

    /// The Kubernetes version the server reports and behaves as.
    pub fn kube_version(&self) -> KubeVersion {
        KubeVersion { major: 1, minor: self.kube_minor.load(Ordering::Relaxed) }
    }

    /// Whether RBAC is enforced.
    pub fn rbac_enforced(&self) -> bool {
        self.rbac.load(Ordering::Relaxed)
    }

    fn allocate_cluster_ip(&self) -> String {
        let n = self.next_cluster_ip.fetch_add(1, Ordering::Relaxed);
        format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 1)
    }
}

/// The HTTP router.
pub fn router(server: Arc<ApiServer>) -> Router {
    Router::new()
        .route(
            "/api/v1/namespaces/{namespace}/pods/{name}/portforward",
            axum::routing::get(super::portforward::portforward),
        )
        .route(
            "/api/v1/namespaces/{namespace}/pods/{name}/exec",
            axum::routing::get(super::exec::exec).post(super::exec::exec_spdy),
        )
        .fallback(handle)
        .layer(axum::middleware::from_fn_with_state(server.clone(), super::auth::middleware))
        .with_state(server)
}

type Params = HashMap<String, String>;

async fn handle(
    State(server): State<Arc<ApiServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let route = parse(uri.path(), &server.registry);
    let user_agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let watch = flag(&params, "watch");
    server.requests.record(requests::classify(
        method.as_str(),
        route.as_ref().ok(),
        uri.path(),
        watch,
        user_agent,
    ));
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let response = if !body.is_empty() && content_type.contains("protobuf") {
        // Objects are JSON only; client-go falls back to JSON when it hears 415.
        ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: \
             application/json, application/yaml, application/json-patch+json, application/merge-patch+json, \
             application/strategic-merge-patch+json, application/apply-patch+yaml (not {content_type})"
        ))
        .into_response()
    } else {
        match route.and_then(|route| dispatch(&server, route, &method, &uri, &headers, &params, &body)) {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    };
    tracing::debug!(%method, path = uri.path(), status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
    response
}

fn dispatch(
    server: &Arc<ApiServer>,
    route: Route,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    params: &Params,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let found = |document: Option<Value>| document.map(ok_json).ok_or_else(|| ApiError::no_route(uri.path()));
    match route {
        Route::Version => Ok(ok_json(discovery::version(server.kube_version()))),
        Route::Health => Ok((StatusCode::OK, "ok").into_response()),
        Route::CoreVersions => Ok(ok_json(discovery::core_versions(&server.address))),
        Route::Groups => Ok(ok_json(discovery::groups(&server.registry))),
        Route::Group(group) => found(discovery::group(&server.registry, &group)),
        Route::Resources { group, version } => {
            found(discovery::resources(&server.registry, &group, &version))
        }
        Route::OpenApiV2 => Err(ApiError::no_route(uri.path())),
        Route::OpenApiV3Index => Ok(ok_json(openapi::index(&server.registry))),
        Route::OpenApiV3 { group, version } => {
            found(openapi::group_version(&server.registry, &group, &version))
        }
        Route::Requests if method == Method::GET => Ok(ok_json(server.requests.snapshot().to_json())),
        Route::Requests => {
            Err(ApiError::method_not_allowed(format!("{method} is not supported on this path")))
        }
        Route::Resource(target) => resource(server, method, &target, headers, params, body),
    }
}

fn resource(
    server: &Arc<ApiServer>,
    method: &Method,
    target: &Target,
    headers: &HeaderMap,
    params: &Params,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let sub = target.subresource.as_deref();
    match (method.as_str(), target.name.is_some(), sub) {
        ("GET", false, None) if target.legacy_watch || flag(params, "watch") => {
            watch_collection(server, target, headers, params)
        }
        ("GET", false, None) => list(server, target, headers, params),
        ("POST", false, None) => create(server, target, params, body),
        ("DELETE", false, None) => delete_collection(server, target, params, body),
        ("GET", true, None | Some("status")) => {
            let object = server.store.get(&target.rt, target.storage_namespace(), name(target))?;
            Ok(respond_object(&target.rt, object, headers, params, StatusCode::OK, &[]))
        }
        ("GET", true, Some("scale")) => get_scale(server, target),
        ("GET", true, Some("log")) if target.rt.group.is_empty() && target.rt.plural == "pods" => {
            pod_log(server, target, params)
        }
        ("PUT", true, None) => update(server, target, params, body, Part::Main),
        ("PUT", true, Some("status")) => update(server, target, params, body, Part::Status),
        ("PUT" | "PATCH", true, Some("scale")) => change_scale(server, target, method, headers, body),
        ("PATCH", true, None) => patch(server, target, headers, params, body, Part::Main),
        ("PATCH", true, Some("status")) => patch(server, target, headers, params, body, Part::Status),
        ("DELETE", true, None) => delete(server, target, params, body),
        (_, _, Some(other)) if !is_known_subresource(&target.rt, other) => {
            Err(ApiError::no_route(&format!("{}/{other}", target.rt.plural)))
        }
        (verb, ..) => Err(ApiError::method_not_allowed(format!("{verb} is not supported on this resource"))),
    }
}

fn is_known_subresource(rt: &ResourceType, sub: &str) -> bool {
    match sub {
        "status" => rt.status_subresource,
        "scale" => rt.scale.is_some(),
        _ => false,
    }
}

fn name(target: &Target) -> &str {
    target.name.as_deref().unwrap_or_default()
}

fn flag(params: &Params, key: &str) -> bool {
    params.get(key).is_some_and(|v| v == "true" || v == "1")
}

fn ok_json(value: Value) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], value.to_string()).into_response()
}

fn respond_object(
    rt: &ResourceType,
    object: Value,
    headers: &HeaderMap,
    params: &Params,
    code: StatusCode,
    warnings: &[String],
) -> Response {
    let body = if table::wanted(accept(headers)) {
        let revision =
            object["metadata"]["resourceVersion"].as_str().and_then(|r| r.parse().ok()).unwrap_or(0);
        table::table(
            rt,
            &[object],
            revision,
            Include::parse(params.get("includeObject").map(String::as_str)),
            true,
        )
    } else {
        object
    };
    let mut response = (code, [("content-type", "application/json")], body.to_string()).into_response();
    for warning in warnings {
        if let Ok(value) = format!("299 - \"{}\"", warning.replace('"', "'")).parse() {
            response.headers_mut().append("warning", value);
        }
    }
    response
}

fn accept(headers: &HeaderMap) -> &str {
    headers.get("accept").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn selectors(params: &Params) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(params.get("labelSelector").map(String::as_str).unwrap_or_default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = FieldSelector::parse(params.get("fieldSelector").map(String::as_str).unwrap_or_default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((labels, fields))
}

fn list(
    server: &ApiServer,
    target: &Target,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Response, ApiError> {
    let (labels, fields) = selectors(params)?;
    let (items, revision) = server.store.list(&target.rt, target.namespace.as_deref());
    let mut items: Vec<Value> =
        items.into_iter().filter(|o| labels.matches_object(o) && fields.matches_object(o)).collect();
    // Pagination: `continue` is the namespace/name of the last item already sent.
    if let Some(token) = params.get("continue").filter(|t| !t.is_empty()) {
        items.retain(|o| position(o).as_str() > token.as_str());
    }
    let limit = params.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0);
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if let Some(limit) = limit
        && items.len() > limit
    {
        metadata["remainingItemCount"] = json!(items.len() - limit);
        items.truncate(limit);
        if let Some(last) = items.last() {
            metadata["continue"] = json!(position(last));
        }
    }
    let body = if table::wanted(accept(headers)) {
        let mut t = table::table(
            &target.rt,
            &items,
            revision,
            Include::parse(params.get("includeObject").map(String::as_str)),
            true,
        );
        t["metadata"] = metadata;
        t
    } else {
        json!({"kind": target.rt.list_kind(), "apiVersion": target.rt.api_version(), "metadata": metadata, "items": items})
    };
    Ok(ok_json(body))
}

/// Sort key of an object in a list, also the pagination token.
fn position(object: &Value) -> String {
    format!("{}/{}", object["metadata"]["namespace"].as_str().unwrap_or_default(), name_of(object))
}

fn watch_collection(
    server: &ApiServer,
    target: &Target,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Response, ApiError> {
    let (labels, fields) = selectors(params)?;
    let since = params.get("resourceVersion").and_then(|rv| rv.parse::<u64>().ok());
    let timeout = params.get("timeoutSeconds").and_then(|t| t.parse::<u64>().ok()).unwrap_or(1800);
    let request = WatchRequest {
        rt: target.rt.clone(),
        namespace: target.namespace.clone(),
        labels,
        fields,
        since,
        send_initial_events: flag(params, "sendInitialEvents"),
        bookmarks: flag(params, "allowWatchBookmarks"),
        timeout: Duration::from_secs(timeout),
        as_table: table::wanted(accept(headers))
            .then(|| Include::parse(params.get("includeObject").map(String::as_str))),
    };
    let body = watch::start(&server.store, request)?;
    Ok((StatusCode::OK, [("content-type", "application/json")], body).into_response())
}

fn decode(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request needs a body"));
    }
    serde_json::from_slice(body)
        .or_else(|_| serde_yaml::from_slice(body))
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON or YAML: {e}")))
}

fn field_validation(params: &Params) -> Result<FieldValidation, ApiError> {
    FieldValidation::parse(params.get("fieldValidation").map(String::as_str))
}

fn dry_run(params: &Params) -> bool {
    params.get("dryRun").is_some_and(|v| v == "All")
}

fn check_namespace(server: &ApiServer, target: &Target) -> Result<(), ApiError> {
    if !target.rt.namespaced {
        return Ok(());
    }
    let ns = target.storage_namespace();
    if ns.is_empty() {
        return Err(ApiError::bad_request("a namespaced resource is created inside a namespace"));
    }
    let namespaces = server.builtin("namespaces")?;
    let namespace =
        server.store.get(&namespaces, "", ns).map_err(|_| ApiError::not_found("namespaces", "", ns))?;
    if namespace["metadata"].get("deletionTimestamp").is_some() {
        return Err(ApiError::forbidden(format!(
            "unable to create new content in namespace {ns} because it is being terminated"
        )));
    }
    Ok(())
}

fn create(server: &ApiServer, target: &Target, params: &Params, body: &Bytes) -> Result<Response, ApiError> {
    let rt = &target.rt;
    let mut object = decode(body)?;
    admission::check_identity(rt, target.storage_namespace(), &object)?;
    check_namespace(server, target)?;
    object = super::convert::to_storage(rt, object);
    admission::generate_name(&mut object);
    let fields = field_validation(params)?;
    let dropped = admit_definition_fields(server, rt, &mut object, fields)?;
    let (mut object, mut warnings) = admission::admit_create(rt, object, fields)?;
    warnings.extend(dropped);
    server.check_pod_security(rt, target.storage_namespace(), &object)?;
    if rt.group.is_empty()
        && rt.plural == "services"
        && object["spec"]["clusterIP"].as_str().unwrap_or_default().is_empty()
    {
        object["spec"]["clusterIP"] = json!(server.allocate_cluster_ip());
        object["spec"]["clusterIPs"] = json!([object["spec"]["clusterIP"].clone()]);
    }
    if rt.plural == "customresourcedefinitions" {
        check_definition(server.kube_version(), &object)?;
    }
    if dry_run(params) {
        return Ok(respond_object(rt, object, &HeaderMap::new(), params, StatusCode::CREATED, &warnings));
    }
    let created = server.store.create(rt, target.storage_namespace(), object)?;
    let created = super::store::served_as(&after_write(server, rt, created)?, rt);
    Ok(respond_object(rt, created, &HeaderMap::new(), params, StatusCode::CREATED, &warnings))
}

fn update(
    server: &ApiServer,
    target: &Target,
    params: &Params,
    body: &Bytes,
    part: Part,
) -> Result<Response, ApiError> {
    refuse_dry_run(params)?;
    let rt = &target.rt;
    let object = decode(body)?;
    admission::check_identity(rt, target.storage_namespace(), &object)?;
    if name_of(&object) != name(target) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({})",
            name_of(&object),
            name(target)
        )));
    }
    write(server, target, params, part, move |_| Ok(object))
}

fn patch(
    server: &ApiServer,
    target: &Target,
    headers: &HeaderMap,
    params: &Params,
    body: &Bytes,
    part: Part,
) -> Result<Response, ApiError> {
    refuse_dry_run(params)?;
    let rt = target.rt.clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let kind = PatchKind::from_content_type(content_type).ok_or_else(|| {
        ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format: {content_type}"
        ))
    })?;
    let patch_body = decode(body)?;
    let kind_name = if rt.custom { String::new() } else { rt.kind.clone() };
    let missing = server.store.get(&rt, target.storage_namespace(), name(target)).is_err();
    if kind == PatchKind::Apply && missing && part == Part::Main {
        // Server-side apply creates what does not exist yet.
        let mut object = apply_patch(kind, &kind_name, &Value::Null, &patch_body).map_err(patch_error)?;
        object["metadata"]["name"] = json!(name(target));
        let bytes = Bytes::from(object.to_string());
        return create(server, target, params, &bytes);
    }
    write(server, target, params, part, move |current| {
        apply_patch(kind, &kind_name, current, &patch_body).map_err(patch_error)
    })
}

fn patch_error(error: PatchError) -> ApiError {
    match error {
        PatchError::Malformed { .. } => ApiError::bad_request(error.to_string()),
        PatchError::StrategicMergeUnsupported { .. } => ApiError::unsupported_media_type(error.to_string()),
        PatchError::Invalid { .. } | PatchError::TestFailed { .. } => {
            ApiError { code: 422, reason: "Invalid", message: error.to_string(), details: None }
        }
    }
}

/// The shared end of update and patch: admission against the current object, storage,
/// side effects, response.
fn write(
    server: &ApiServer,
    target: &Target,
    params: &Params,
    part: Part,
    build: impl FnOnce(&Value) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let rt = &target.rt;
    let fields = field_validation(params)?;
    let mut warnings = Vec::new();
    let updated = server.store.update(
        rt,
        target.storage_namespace(),
        name(target),
        part,
        build,
        |mut next, current| {
            let dropped = admit_definition_fields(server, rt, &mut next, fields)?;
            let (admitted, found) = admission::admit_update(rt, next, current, fields)?;
            if rt.plural == "customresourcedefinitions" {
                check_definition(server.kube_version(), &admitted)?;
            }
            warnings = found;
            warnings.extend(dropped);
            Ok(admitted)
        },
    )?;
    let updated = after_write(server, rt, updated)?;
    Ok(respond_object(rt, updated, &HeaderMap::new(), params, StatusCode::OK, &warnings))
}

fn refuse_dry_run(params: &Params) -> Result<(), ApiError> {
    if dry_run(params) {
        return Err(ApiError::bad_request(
            "the sandbox supports dryRun=All on create only; this request changed nothing",
        ));
    }
    Ok(())
}

fn delete_options(params: &Params, body: &Bytes) -> Result<DeleteOptions, ApiError> {
    let from_body = if body.is_empty() { json!({}) } else { decode(body)? };
    let text = |key: &str| params.get(key).cloned().or_else(|| from_body[key].as_str().map(String::from));
    let grace = params
        .get("gracePeriodSeconds")
        .and_then(|g| g.parse::<i64>().ok())
        .or_else(|| from_body["gracePeriodSeconds"].as_i64());
    let propagation = match text("propagationPolicy")
        .as_deref()
        .or_else(|| from_body["orphanDependents"].as_bool().and_then(|orphan| orphan.then_some("Orphan")))
    {
        None | Some("Background") => Propagation::Background,
        Some("Foreground") => Propagation::Foreground,
        Some("Orphan") => Propagation::Orphan,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "propagationPolicy must be Background, Foreground or Orphan, not {other:?}"
            )));
        }
    };
    Ok(DeleteOptions {
        grace_period_seconds: grace,
        propagation,
        precondition_uid: from_body["preconditions"]["uid"].as_str().map(String::from),
        precondition_resource_version: from_body["preconditions"]["resourceVersion"]
            .as_str()
            .map(String::from),
    })
}

/// Namespaces a real API server refuses to delete.
const PROTECTED_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

fn delete(server: &ApiServer, target: &Target, params: &Params, body: &Bytes) -> Result<Response, ApiError> {
    refuse_dry_run(params)?;
    if target.rt.group.is_empty()
        && target.rt.plural == "namespaces"
        && PROTECTED_NAMESPACES.contains(&name(target))
    {
        return Err(ApiError::forbidden(format!(
            "namespaces \"{}\" is forbidden: this namespace may not be deleted",
            name(target)
        )));
    }
    let options = delete_options(params, body)?;
    let outcome = server.store.delete(&target.rt, target.storage_namespace(), name(target), &options)?;
    match outcome {
        Deleted::Pending(object) => {
            Ok(respond_object(&target.rt, object, &HeaderMap::new(), params, StatusCode::OK, &[]))
        }
        Deleted::Gone(object) => {
            after_delete(server, &target.rt, &object);
            let status = json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {
                    "name": name_of(&object),
                    "group": target.rt.group,
                    "kind": target.rt.plural,
                    "uid": object["metadata"]["uid"],
                },
            });
            Ok(ok_json(status))
        }
    }
}

fn delete_collection(
    server: &ApiServer,
    target: &Target,
    params: &Params,
    body: &Bytes,
) -> Result<Response, ApiError> {
    refuse_dry_run(params)?;
    let (labels, fields) = selectors(params)?;
    let options = delete_options(params, body)?;
    let (items, _) = server.store.list(&target.rt, target.namespace.as_deref());
    let mut deleted = Vec::new();
    for object in items.into_iter().filter(|o| labels.matches_object(o) && fields.matches_object(o)) {
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        match server.store.delete(&target.rt, &namespace, name_of(&object), &options) {
            Ok(Deleted::Gone(gone)) => {
                after_delete(server, &target.rt, &gone);
                deleted.push(gone);
            }
            Ok(Deleted::Pending(pending)) => deleted.push(pending),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ok_json(json!({
        "kind": target.rt.list_kind(),
        "apiVersion": target.rt.api_version(),
        "metadata": {"resourceVersion": server.store.revision().to_string()},
        "items": deleted,
    })))
}

/// The fields of a definition the server's version does not know or has turned off
/// (`selectableFields`), dropped or refused as that version does; the warnings to send.
fn admit_definition_fields(
    server: &ApiServer,
    rt: &ResourceType,
    object: &mut Value,
    fields: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    if rt.plural != "customresourcedefinitions" {
        return Ok(vec![]);
    }
    let warnings = kube_version::admit_selectable_fields(
        server.kube_version(),
        object,
        fields == FieldValidation::Strict,
    )
    .map_err(ApiError::bad_request)?;
    Ok(if fields == FieldValidation::Warn { warnings } else { vec![] })
}

/// A CustomResourceDefinition is named `<plural>.<group>`, has a usable schema, and its
/// rules use only the CEL libraries the server's version offers.
fn check_definition(version: KubeVersion, object: &Value) -> Result<(), ApiError> {
    let too_new = kube_version::cel_violations(version, object);
    let crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
        serde_json::from_value(object.clone())
            .map_err(|e| ApiError::bad_request(format!("not a CustomResourceDefinition: {e}")))?;
    let expected = format!("{}.{}", crd.spec.names.plural, crd.spec.group);
    let name = crd.metadata.name.clone().unwrap_or_default();
    let mut violations = Vec::new();
    if name != expected {
        violations.push(shared::validate::FieldViolation {
            field: "metadata.name".into(),
            reason: "FieldValueInvalid".into(),
            message: format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
        });
    }
    if let Err(found) = super::registry::types_of(&crd) {
        violations.extend(found);
    }
    violations.extend(too_new);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("CustomResourceDefinition", "apiextensions.k8s.io", &name, &violations))
    }
}

/// Side effects of a stored write: a definition starts being served and is Established.
fn after_write(server: &ApiServer, rt: &ResourceType, object: Value) -> Result<Value, ApiError> {
    if rt.plural != "customresourcedefinitions" {
        return Ok(object);
    }
    let crd = serde_json::from_value(object.clone())
        .map_err(|e| ApiError::internal(format!("a stored definition does not decode: {e}")))?;
    server.registry.install(&crd).map_err(|v| {
        ApiError::invalid("CustomResourceDefinition", "apiextensions.k8s.io", name_of(&object), &v)
    })?;
    let established = json!({
        "acceptedNames": object["spec"]["names"],
        "storedVersions": object["spec"]["versions"].as_array().into_iter().flatten()
            .filter(|v| v["storage"] == true).map(|v| v["name"].clone()).collect::<Vec<_>>(),
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now()},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now()},
        ],
    });
    if object["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Established"))
    {
        return Ok(object);
    }
    server.store.modify(rt, "", name_of(&object), Part::Status, |next| next["status"] = established)
}

/// Side effects of a deletion: a definition's objects go with it.
fn after_delete(server: &ApiServer, rt: &ResourceType, object: &Value) {
    if rt.plural != "customresourcedefinitions" {
        return;
    }
    let group = object["spec"]["group"].as_str().unwrap_or_default();
    let plural = object["spec"]["names"]["plural"].as_str().unwrap_or_default();
    if let Some(served) = server.registry.lookup_any_version(group, plural) {
        let (items, _) = server.store.list(&served, None);
        let force = DeleteOptions { grace_period_seconds: Some(0), ..DeleteOptions::default() };
        for item in items {
            let namespace = item["metadata"]["namespace"].as_str().unwrap_or_default();
            if let Err(error) = server.store.delete(&served, namespace, name_of(&item), &force) {
                tracing::warn!(%error, group, plural, "removing an object of a deleted definition failed");
            }
        }
    }
    server.registry.uninstall(group, plural);
}

/// `kubectl logs [-f] [--tail N] [-c C]`: the container's log file, followed while the
/// Pod exists when asked.
fn pod_log(server: &Arc<ApiServer>, target: &Target, params: &Params) -> Result<Response, ApiError> {
    let pod = server.store.get(&target.rt, target.storage_namespace(), name(target))?;
    let containers: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match params.get("container") {
        Some(c) => c.clone(),
        None if containers.len() == 1 => containers[0].to_string(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {}, choose one of: [{}]",
                name(target),
                containers.join(" ")
            )));
        }
    };
    let path = server
        .logs_dir
        .get()
        .map(|dir| dir.join(target.storage_namespace()).join(name(target)).join(format!("{container}.log")))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{}\" is waiting to start",
                name(target)
            ))
        })?;
    let text =
        std::fs::read_to_string(&path).map_err(|e| ApiError::internal(format!("reading the log: {e}")))?;
    let text = match log_cutoff(params)? {
        Some(cutoff) => lines_since(&text, &cutoff),
        None => text,
    };
    let text = match params.get("tailLines").and_then(|t| t.parse::<usize>().ok()) {
        Some(n) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("{l}\n")).collect()
        }
        None => text,
    };
    if !flag(params, "follow") {
        return Ok((StatusCode::OK, [("content-type", "text/plain")], text).into_response());
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let (server, rt, ns, pod_name) =
        (server.clone(), target.rt.clone(), target.storage_namespace().to_string(), name(target).to_string());
    tokio::spawn(async move {
        let mut offset = match std::fs::metadata(&path) {
            Ok(meta) => meta.len(),
            Err(_) => return,
        };
        if sender.send(Ok(Bytes::from(text))).await.is_err() {
            return;
        }
        while server.store.get(&rt, &ns, &pod_name).is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let Ok(content) = std::fs::read(&path) else { return };
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(content.len());
            if start < content.len() {
                offset = content.len() as u64;
                if sender.send(Ok(Bytes::copy_from_slice(&content[start..]))).await.is_err() {
                    return;
                }
            }
        }
    });
    let stream =
        futures::stream::unfold(receiver, |mut r| async move { r.recv().await.map(|item| (item, r)) });
    Ok((StatusCode::OK, [("content-type", "text/plain")], axum::body::Body::from_stream(stream))
        .into_response())
}

/// `sinceSeconds=N` or `sinceTime=RFC3339` as the text a log line's time is compared with
/// ([`shared::log_time::line_time`]).
fn log_cutoff(params: &Params) -> Result<Option<String>, ApiError> {
    let since = match (params.get("sinceSeconds"), params.get("sinceTime")) {
        (Some(seconds), _) => {
            let seconds = seconds.parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "sinceSeconds must be a positive number of seconds, not {seconds}"
                ))
            })?;
            jiff::Timestamp::now() - jiff::SignedDuration::from_secs(seconds)
        }
        (None, Some(time)) => time
            .parse::<jiff::Timestamp>()
            .map_err(|e| ApiError::bad_request(format!("sinceTime {time:?} is not an RFC 3339 time: {e}")))?,
        (None, None) => return Ok(None),
    };
    Ok(Some(since.strftime("%Y-%m-%dT%H:%M:%S").to_string()))
}

/// The lines of `text` from `cutoff` on. The sandbox keeps no time per line, as a kubelet
/// does: a line's time is the one it states (etcd's and the operator's lines state one), a
/// line that states none has the time of the line before it.
fn lines_since(text: &str, cutoff: &str) -> String {
    let mut current: Option<String> = None;
    let mut kept = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(time) = shared::log_time::line_time(line) {
            current = Some(time);
        }
        if current.as_deref().is_some_and(|time| time >= cutoff) {
            kept.push_str(line);
        }
    }
    kept
}

fn get_scale(server: &ApiServer, target: &Target) -> Result<Response, ApiError> {
    let object = server.store.get(&target.rt, target.storage_namespace(), name(target))?;
    Ok(ok_json(scale_of(&target.rt, &object)?))
}

fn scale_of(rt: &ResourceType, object: &Value) -> Result<Value, ApiError> {
    let paths = rt.scale.as_ref().ok_or_else(|| ApiError::no_route("scale"))?;
    let spec = table::lookup(object, &paths.spec_replicas).and_then(Value::as_i64).unwrap_or(0);
    let status = table::lookup(object, &paths.status_replicas).and_then(Value::as_i64).unwrap_or(0);
    let selector =
        paths.label_selector.as_deref().and_then(|p| table::lookup(object, p)).cloned().unwrap_or(json!(""));
    let meta = &object["metadata"];
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": spec},
        "status": {"replicas": status, "selector": selector},
    }))
}

fn change_scale(
    server: &ApiServer,
    target: &Target,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let rt = target.rt.clone();
    let paths = rt.scale.clone().ok_or_else(|| ApiError::no_route("scale"))?;
    let request = decode(body)?;
    let content_type =
        headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let is_patch = method == Method::PATCH;
    let updated = server.store.update(
        &rt,
        target.storage_namespace(),
        name(target),
        Part::Main,
        |current| {
            let scale = scale_of(&rt, current)?;
            let wanted = if is_patch {
                let kind = PatchKind::from_content_type(&content_type).ok_or_else(|| {
                    ApiError::unsupported_media_type(format!("unknown patch format {content_type}"))
                })?;
                let kind = if kind == PatchKind::StrategicMerge { PatchKind::Merge } else { kind };
                apply_patch(kind, "", &scale, &request).map_err(patch_error)?
            } else {
                request.clone()
            };
            let replicas = wanted["spec"]["replicas"]
                .as_i64()
                .ok_or_else(|| ApiError::bad_request("a Scale needs spec.replicas as an integer"))?;
            let mut next = current.clone();
            set_path(&mut next, &paths.spec_replicas, json!(replicas))?;
            if let Some(rv) = wanted["metadata"]["resourceVersion"].as_str() {
                next["metadata"]["resourceVersion"] = json!(rv);
            }
            Ok(next)
        },
        |next, current| admission::admit_update(&rt, next, current, FieldValidation::Strict).map(|(o, _)| o),
    )?;
    Ok(ok_json(scale_of(&rt, &updated)?))
}

fn set_path(object: &mut Value, path: &str, value: Value) -> Result<(), ApiError> {
    let mut current = object;
    let segments: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    let Some((last, parents)) = segments.split_last() else {
        return Err(ApiError::internal(format!("empty scale path {path:?}")));
    };
    for segment in parents {
        if !current[*segment].is_object() {
            current[*segment] = json!({});
        }
        current = &mut current[*segment];
    }
    current[*last] = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_keeps_the_lines_from_the_cutoff_with_their_continuations() {
        let log = "2026-12-06 03:50:00.1 I | old\n\
                   {\"level\":\"info\",\"ts\":\"2026-12-06T03:50:05.000Z\",\"msg\":\"new\"}\n\
                   continued\n\
                   2026-12-06T03:50:06Z  INFO newer\n";
        assert_eq!(
            lines_since(log, "2026-12-06T03:50:05"),
            "{\"level\":\"info\",\"ts\":\"2026-12-06T03:50:05.000Z\",\"msg\":\"new\"}\ncontinued\n2026-12-06T03:50:06Z  INFO newer\n"
        );
        assert_eq!(lines_since("no time\n", "2026-12-06T03:50:05"), "");
        let params: Params = [("sinceSeconds".to_string(), "x".to_string())].into();
        assert!(log_cutoff(&params).is_err());
        let params: Params = [("sinceTime".to_string(), "2026-12-06T03:50:05Z".to_string())].into();
        assert_eq!(log_cutoff(&params).expect("a time").as_deref(), Some("2026-12-06T03:50:05"));
    }
}
