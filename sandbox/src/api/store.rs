//! The object store: every object the emulator holds, one global resourceVersion counter,
//! and a bounded history of changes that watches resume from (older requests get 410).
//!
//! It implements the API server's storage rules: server-set metadata, optimistic
//! concurrency, generation bumps on spec changes, the status/main split of the status
//! subresource, finalizers with deletionTimestamp, graceful Pod deletion.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::error::ApiError;
use super::registry::{ResourceKey, ResourceType};

/// How many changes the store keeps for watches to resume from, by default.
pub const DEFAULT_HISTORY: usize = 20_000;

/// Kind of change a watch event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// The object was created.
    Added,
    /// The object changed.
    Modified,
    /// The object is gone.
    Deleted,
}

impl EventType {
    /// The watch event type as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One stored change.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    /// resourceVersion of the change.
    pub revision: u64,
    /// Which resource changed.
    pub key: ResourceKey,
    /// Namespace of the object (empty for cluster-scoped ones).
    pub namespace: String,
    /// What happened.
    pub kind: EventType,
    /// The object after the change (for a deletion: its last state).
    pub object: Value,
    /// The object before a modification, so watches with selectors can tell an object
    /// entering or leaving their selection.
    pub previous: Option<Value>,
}

/// Where a watch starts: the changes it missed, and a receiver for what comes next.
pub type WatchStart = (Vec<Arc<StoredEvent>>, broadcast::Receiver<Arc<StoredEvent>>);

/// Which part of an object an update may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Everything but status (status too when the type has no status subresource).
    Main,
    /// Only status.
    Status,
}

/// How a deletion cascades to dependents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Delete the object now; the garbage collector deletes dependents afterwards.
    #[default]
    Background,
    /// Delete dependents first, then the object.
    Foreground,
    /// Keep dependents, removing their owner references.
    Orphan,
}

/// Options of a delete request.
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    /// Grace period; `Some(0)` deletes a Pod at once.
    pub grace_period_seconds: Option<i64>,
    /// How dependents are treated.
    pub propagation: Propagation,
    /// Delete only if the object still has this UID.
    pub precondition_uid: Option<String>,
    /// Delete only if the object still has this resourceVersion.
    pub precondition_resource_version: Option<String>,
}

/// What a delete did.
#[derive(Clone, Debug, PartialEq)]
pub enum Deleted {
    /// The object is gone; its last state.
    Gone(Value),
    /// Deletion is under way (finalizers or a Pod's grace period); the object as it is now.
    Pending(Value),
}

/// Finalizer the garbage collector honours for foreground deletion.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// Finalizer the garbage collector honours for orphaning deletion.
pub const ORPHAN_FINALIZER: &str = "orphan";

#[derive(Default)]
struct State {
    revision: u64,
    objects: HashMap<ResourceKey, BTreeMap<(String, String), Value>>,
    history: VecDeque<Arc<StoredEvent>>,
    /// Events at or below this revision are no longer in `history`.
    compacted: u64,
}

/// The emulator's storage.
pub struct Store {
    state: Mutex<State>,
    events: broadcast::Sender<Arc<StoredEvent>>,
    history_limit: usize,
}

impl Default for Store {
    fn default() -> Self {
        Store::with_history(DEFAULT_HISTORY)
    }
}

impl Store {
    /// A store that keeps the last `history_limit` changes for watches (at least one).
    pub fn with_history(history_limit: usize) -> Self {
        let (events, _) = broadcast::channel(4096);
        Store {
            state: Mutex::new(State { revision: 1, ..State::default() }),
            events,
            history_limit: history_limit.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The newest resourceVersion.
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// Stores a new object (already defaulted and validated). Sets uid, creationTimestamp,
    /// generation and resourceVersion; `name` must be set.
    pub fn create(&self, rt: &ResourceType, namespace: &str, mut object: Value) -> Result<Value, ApiError> {
        let name = name_of(&object).to_string();
        let mut state = self.lock();
        let objects = state.objects.entry(rt.key()).or_default();
        let id = (namespace.to_string(), name.clone());
        if objects.contains_key(&id) {
            return Err(ApiError::already_exists(&rt.plural, &rt.group, &name));
        }
        let meta = metadata_mut(&mut object);
        if rt.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(now()));
        meta.insert("generation".into(), json!(1));
        for server_owned in ["deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            meta.remove(server_owned);
        }
        object["apiVersion"] = json!(rt.storage_api_version());
        object["kind"] = json!(rt.kind);
        let stored = commit(&mut state, self, rt, namespace, &name, EventType::Added, object, None);
        Ok(stored)
    }

    /// One object.
    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> Result<Value, ApiError> {
        let state = self.lock();
        lookup(&state, rt, namespace, name).cloned()
    }

    /// Objects of a type, in one namespace or all (`None`), sorted by namespace and name,
    /// with the resourceVersion the list reflects.
    pub fn list(&self, rt: &ResourceType, namespace: Option<&str>) -> (Vec<Value>, u64) {
        let state = self.lock();
        let items = state
            .objects
            .get(&rt.key())
            .map(|objects| {
                objects
                    .iter()
                    .filter(|((ns, _), _)| namespace.is_none_or(|wanted| wanted == ns))
                    .map(|(_, o)| served_as(o, rt))
                    .collect()
            })
            .unwrap_or_default();
        (items, state.revision)
    }

    /// Every stored object of a resource, across namespaces (for controllers).
    pub fn all_of(&self, key: &ResourceKey) -> Vec<Value> {
        self.lock().objects.get(key).map(|o| o.values().cloned().collect()).unwrap_or_default()
    }

    /// Read-modify-write of one object, atomically. `build` turns the current object into
    /// the proposed one (a replacement body or a patch); `admit` defaults and validates the
    /// result against the current object (and may refuse it). Server-owned metadata is kept,
    /// a stale resourceVersion in the proposal is a conflict, the generation grows when
    /// anything but metadata and status changed, and a no-op changes nothing.
    pub fn update(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        part: Part,
        build: impl FnOnce(&Value) -> Result<Value, ApiError>,
        admit: impl FnOnce(Value, &Value) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        let mut state = self.lock();
        let current = lookup(&state, rt, namespace, name)?.clone();
        let proposed = super::convert::to_storage(rt, build(&served_as(&current, rt))?);
        let wanted_rv = proposed["metadata"]["resourceVersion"].as_str().unwrap_or_default();
        if !wanted_rv.is_empty() && wanted_rv != resource_version(&current) {
            return Err(ApiError::conflict(
                &rt.plural,
                &rt.group,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        let mut next = match part {
            Part::Status => with_status_of(current.clone(), &proposed),
            Part::Main if rt.status_subresource => with_status_of(proposed, &current),
            Part::Main => proposed,
        };
        keep_server_metadata(&mut next, &current);
        next["apiVersion"] = current["apiVersion"].clone();
        next["kind"] = current["kind"].clone();
        let next = admit(next, &current)?;
        if next == current {
            return Ok(served_as(&current, rt));
        }
        let mut next = next;
        if spec_changed(&next, &current) {
            let generation = current["metadata"]["generation"].as_i64().unwrap_or(1);
            next["metadata"]["generation"] = json!(generation + 1);
        }
        let deleting = current["metadata"].get("deletionTimestamp").is_some();
        let kind = if deleting && !held(rt, &next) && !awaiting_grace(rt, &next) {
            EventType::Deleted
        } else {
            EventType::Modified
        };
        let stored = commit(&mut state, self, rt, namespace, name, kind, next, Some(current));
        Ok(served_as(&stored, rt))
    }

    /// A write by the server itself (controllers, status it owns): `change` edits a copy
    /// of the current object, with no admission. Same bookkeeping as [`Store::update`].
    pub fn modify(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        part: Part,
        change: impl FnOnce(&mut Value),
    ) -> Result<Value, ApiError> {
        let build = |current: &Value| {
            let mut next = current.clone();
            change(&mut next);
            Ok(next)
        };
        self.update(rt, namespace, name, part, build, |next, _| Ok(next))
    }

    /// Deletes an object, or starts its deletion when finalizers or a Pod's grace period
    /// hold it.
    pub fn delete(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let mut state = self.lock();
        let current = lookup(&state, rt, namespace, name)?.clone();
        let conflict = |why: &str| ApiError::conflict(&rt.plural, &rt.group, name, why);
        if let Some(uid) = &options.precondition_uid
            && current["metadata"]["uid"].as_str() != Some(uid)
        {
            return Err(conflict(&format!("Precondition failed: UID in precondition: {uid}")));
        }
        if let Some(rv) = &options.precondition_resource_version
            && resource_version(&current) != rv
        {
            return Err(conflict(&format!("Precondition failed: ResourceVersion in precondition: {rv}")));
        }
        let force = options.grace_period_seconds == Some(0);
        let already_deleting = current["metadata"].get("deletionTimestamp").is_some();
        let mut next = current.clone();
        match options.propagation {
            Propagation::Foreground => add_finalizer(&mut next, FOREGROUND_FINALIZER),
            Propagation::Orphan => add_finalizer(&mut next, ORPHAN_FINALIZER),
            Propagation::Background => {}
        }
        let grace = pod_grace_seconds(rt, &next, options);
        if !held(rt, &next) && (grace == 0 || force) {
            let stored =
                commit(&mut state, self, rt, namespace, name, EventType::Deleted, next, Some(current));
            return Ok(Deleted::Gone(served_as(&stored, rt)));
        }
        if already_deleting && next == current {
            return Ok(Deleted::Pending(served_as(&current, rt)));
        }
        let meta = metadata_mut(&mut next);
        if !already_deleting {
            meta.insert("deletionTimestamp".into(), json!(after_seconds(grace)));
        }
        meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
        let stored = commit(&mut state, self, rt, namespace, name, EventType::Modified, next, Some(current));
        Ok(Deleted::Pending(served_as(&stored, rt)))
    }

    /// Changes since `since` for one resource, and a receiver for those after. Refuses with
    /// 410 Gone when the history no longer reaches back to `since`.
    pub fn watch_from(&self, key: &ResourceKey, since: u64) -> Result<WatchStart, ApiError> {
        let state = self.lock();
        if since < state.compacted {
            return Err(ApiError::gone(format!(
                "too old resource version: {since} ({})",
                state.compacted + 1
            )));
        }
        let backlog = state.history.iter().filter(|e| e.revision > since && &e.key == key).cloned().collect();
        Ok((backlog, self.events.subscribe()))
    }

    /// Every change from now on, for the in-process controllers.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.events.subscribe()
    }
}

/// Records a change: new resourceVersion, store or remove the object, history, broadcast.
#[allow(clippy::too_many_arguments)]
fn commit(
    state: &mut State,
    store: &Store,
    rt: &ResourceType,
    namespace: &str,
    name: &str,
    kind: EventType,
    mut object: Value,
    previous: Option<Value>,
) -> Value {
    state.revision += 1;
    let revision = state.revision;
    metadata_mut(&mut object).insert("resourceVersion".into(), json!(revision.to_string()));
    let objects = state.objects.entry(rt.key()).or_default();
    let id = (namespace.to_string(), name.to_string());
    if kind == EventType::Deleted {
        objects.remove(&id);
    } else {
        objects.insert(id, object.clone());
    }
    let event = Arc::new(StoredEvent {
        revision,
        key: rt.key(),
        namespace: namespace.to_string(),
        kind,
        object: object.clone(),
        previous,
    });
    state.history.push_back(event.clone());
    while state.history.len() > store.history_limit {
        if let Some(dropped) = state.history.pop_front() {
            state.compacted = dropped.revision;
        }
    }
    // Nobody listening is fine: watches subscribe when they start.
    let _ = store.events.send(event);
    object
}

fn lookup<'a>(
    state: &'a State,
    rt: &ResourceType,
    namespace: &str,
    name: &str,
) -> Result<&'a Value, ApiError> {
    state
        .objects
        .get(&rt.key())
        .and_then(|objects| objects.get(&(namespace.to_string(), name.to_string())))
        .ok_or_else(|| ApiError::not_found(&rt.plural, &rt.group, name))
}

/// The object as served through `rt` (versions share storage; Events are converted).
pub fn served_as(object: &Value, rt: &ResourceType) -> Value {
    super::convert::to_view(rt, object)
}

/// `metadata.name`, or empty.
pub fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// `metadata.resourceVersion`, or empty.
pub fn resource_version(object: &Value) -> &str {
    object["metadata"]["resourceVersion"].as_str().unwrap_or_default()
}

/// `metadata.finalizers` as strings.
pub fn finalizers(object: &Value) -> Vec<String> {
    object["metadata"]["finalizers"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default()
}

/// Something still holds the object's deletion: a finalizer, or for a namespace the
/// `spec.finalizers` its controller removes once the content is gone.
fn held(rt: &ResourceType, object: &Value) -> bool {
    let namespace_finalizers = rt.group.is_empty()
        && rt.plural == "namespaces"
        && object["spec"]["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    !finalizers(object).is_empty() || namespace_finalizers
}

/// Adds `finalizer` to `metadata.finalizers` unless it is there.
pub fn add_finalizer(object: &mut Value, finalizer: &str) {
    let mut present = finalizers(object);
    if !present.iter().any(|f| f == finalizer) {
        present.push(finalizer.to_string());
        metadata_mut(object).insert("finalizers".into(), json!(present));
    }
}

/// The `metadata` map of an object, created when missing.
pub fn metadata_mut(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(meta)) => meta,
        _ => unreachable!("metadata was just made an object"),
    }
}

fn with_status_of(mut object: Value, source: &Value) -> Value {
    match (object.as_object_mut(), source.get("status")) {
        (Some(map), Some(status)) => {
            map.insert("status".into(), status.clone());
        }
        (Some(map), None) => {
            map.remove("status");
        }
        (None, _) => {}
    }
    object
}

/// Keeps what only the server sets: identity, creation time, generation, deletion state.
fn keep_server_metadata(next: &mut Value, current: &Value) {
    let kept = [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ];
    let current_meta = current["metadata"].as_object().cloned().unwrap_or_default();
    let meta = metadata_mut(next);
    for key in kept {
        match current_meta.get(key) {
            Some(value) => meta.insert(key.to_string(), value.clone()),
            None => meta.remove(key),
        };
    }
    meta.remove("resourceVersion");
    if let Some(rv) = current_meta.get("resourceVersion") {
        meta.insert("resourceVersion".into(), rv.clone());
    }
}

/// Anything outside metadata and status differs.
fn spec_changed(next: &Value, current: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("metadata");
            map.remove("status");
        }
        v
    };
    strip(next) != strip(current)
}

/// Grace period a deletion waits for: a Pod that runs on a node gets its termination grace
/// (default 30 s) unless the request says otherwise; everything else is deleted at once.
fn pod_grace_seconds(rt: &ResourceType, pod: &Value, options: &DeleteOptions) -> i64 {
    if !(rt.group.is_empty() && rt.plural == "pods")
        || pod["spec"]["nodeName"].as_str().unwrap_or_default().is_empty()
    {
        return 0;
    }
    let phase = pod["status"]["phase"].as_str().unwrap_or_default();
    if phase == "Succeeded" || phase == "Failed" {
        return 0;
    }
    options
        .grace_period_seconds
        .or_else(|| pod["spec"]["terminationGracePeriodSeconds"].as_i64())
        .unwrap_or(30)
        .max(0)
}

/// A Pod being deleted waits for its node to stop it, even with no finalizers left.
fn awaiting_grace(rt: &ResourceType, object: &Value) -> bool {
    rt.group.is_empty()
        && rt.plural == "pods"
        && object["metadata"]["deletionGracePeriodSeconds"].as_i64().unwrap_or(0) > 0
}

/// The current time as Kubernetes writes it (RFC 3339, seconds).
pub fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn after_seconds(seconds: i64) -> String {
    let later = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    later.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> (Arc<ResourceType>, Arc<ResourceType>) {
        let registry = crate::api::registry::with_project_crds();
        let pods = registry.lookup("", "v1", "pods").expect("pods");
        let clusters =
            registry.lookup("etcd.kubectl-etcd.dev", "v1alpha1", "etcdclusters").expect("clusters");
        (pods, clusters)
    }

    fn cluster(name: &str) -> Value {
        json!({"metadata": {"name": name}, "spec": {"version": "3.5.1", "size": 3}})
    }

    fn accept(next: Value, _: &Value) -> Result<Value, ApiError> {
        Ok(next)
    }

    #[test]
    fn create_sets_server_metadata_and_refuses_duplicates() {
        let (_, clusters) = types();
        let store = Store::default();
        let created = store.create(&clusters, "default", cluster("demo")).expect("created");
        assert_eq!(created["metadata"]["generation"], 1);
        assert_eq!(created["metadata"]["namespace"], "default");
        assert_eq!(created["kind"], "EtcdCluster");
        assert!(created["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));
        let again = store.create(&clusters, "default", cluster("demo")).expect_err("duplicate");
        assert_eq!((again.code, again.reason), (409, "AlreadyExists"));
        assert!(store.create(&clusters, "other", cluster("demo")).is_ok(), "namespaces are separate");
    }

    #[test]
    fn stale_resource_version_is_a_conflict_and_spec_changes_bump_generation() {
        let (_, clusters) = types();
        let store = Store::default();
        let created = store.create(&clusters, "default", cluster("demo")).expect("created");
        let rv = resource_version(&created).to_string();
        let grow = |c: &Value| {
            let mut c = c.clone();
            c["spec"]["size"] = json!(5);
            Ok(c)
        };
        let updated = store.update(&clusters, "default", "demo", Part::Main, grow, accept).expect("updated");
        assert_eq!(updated["metadata"]["generation"], 2);
        let stale = |c: &Value| {
            let mut c = c.clone();
            c["metadata"]["resourceVersion"] = json!(rv);
            c["spec"]["size"] = json!(1);
            Ok(c)
        };
        let error = store.update(&clusters, "default", "demo", Part::Main, stale, accept).expect_err("stale");
        assert_eq!((error.code, error.reason), (409, "Conflict"));
        assert!(error.message.contains("the object has been modified"), "{}", error.message);
    }

    #[test]
    fn status_subresource_separates_status_from_spec() {
        let (_, clusters) = types();
        let store = Store::default();
        store.create(&clusters, "default", cluster("demo")).expect("created");
        let both = |c: &Value| {
            let mut c = c.clone();
            c["spec"]["size"] = json!(5);
            c["status"] = json!({"phase": "Running"});
            Ok(c)
        };
        let main = store.update(&clusters, "default", "demo", Part::Main, both, accept).expect("main");
        assert_eq!((main["spec"]["size"].clone(), main.get("status")), (json!(5), None));
        let status = store.update(&clusters, "default", "demo", Part::Status, both, accept).expect("status");
        assert_eq!(status["status"]["phase"], "Running");
        assert_eq!(status["metadata"]["generation"], 2, "a status update does not bump the generation");
        let rv = resource_version(&status).to_string();
        let noop = store
            .update(&clusters, "default", "demo", Part::Status, |c| Ok(c.clone()), accept)
            .expect("noop");
        assert_eq!(resource_version(&noop), rv, "a no-op update changes nothing");
    }

    #[test]
    fn finalizers_hold_deletion_until_removed() {
        let (_, clusters) = types();
        let store = Store::default();
        let mut held = cluster("demo");
        held["metadata"]["finalizers"] = json!(["example.com/cleanup"]);
        store.create(&clusters, "default", held).expect("created");
        let pending = store.delete(&clusters, "default", "demo", &DeleteOptions::default()).expect("delete");
        let Deleted::Pending(object) = pending else { panic!("finalizer holds the object") };
        assert!(object["metadata"]["deletionTimestamp"].is_string());
        let release = |c: &Value| {
            let mut c = c.clone();
            c["metadata"]["finalizers"] = json!([]);
            Ok(c)
        };
        store.update(&clusters, "default", "demo", Part::Main, release, accept).expect("finalizer removed");
        let gone = store.get(&clusters, "default", "demo").expect_err("deleted once finalizers are gone");
        assert_eq!(gone.code, 404);
    }

    #[test]
    fn running_pods_wait_for_their_grace_period_unless_forced() {
        let (pods, _) = types();
        let store = Store::default();
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "sandbox", "containers": []}, "status": {"phase": "Running"}});
        store.create(&pods, "default", pod.clone()).expect("created");
        let graceful = store.delete(&pods, "default", "p", &DeleteOptions::default()).expect("delete");
        let Deleted::Pending(object) = graceful else { panic!("a running pod terminates first") };
        assert_eq!(object["metadata"]["deletionGracePeriodSeconds"], 30);
        let forced = DeleteOptions { grace_period_seconds: Some(0), ..DeleteOptions::default() };
        assert!(matches!(store.delete(&pods, "default", "p", &forced), Ok(Deleted::Gone(_))));
        let unscheduled = json!({"metadata": {"name": "q"}, "spec": {"containers": []}});
        store.create(&pods, "default", unscheduled).expect("created");
        assert!(matches!(
            store.delete(&pods, "default", "q", &DeleteOptions::default()),
            Ok(Deleted::Gone(_))
        ));
    }

    #[test]
    fn watches_resume_from_history_and_too_old_is_gone() {
        let (_, clusters) = types();
        let store = Store::default();
        let start = store.revision();
        store.create(&clusters, "default", cluster("a")).expect("a");
        store.create(&clusters, "default", cluster("b")).expect("b");
        let (backlog, _) = store.watch_from(&clusters.key(), start).expect("watch");
        let names: Vec<&str> = backlog.iter().map(|e| name_of(&e.object)).collect();
        assert_eq!(names, ["a", "b"]);
        for i in 0..DEFAULT_HISTORY {
            let _ = store.create(&clusters, "default", cluster(&format!("c{i}")));
        }
        let error = store.watch_from(&clusters.key(), start).expect_err("history no longer reaches back");
        assert_eq!((error.code, error.reason), (410, "Expired"));
    }
}
