//! The control loops a real cluster runs beside the API server, in small: garbage
//! collection by owner references (background, foreground and orphan deletion), namespace
//! finalization, PersistentVolumeClaim binding, Endpoints for Services, and Deployments
//! keeping their Pods.
//!
//! Each loop is a pure "sweep" over the store: it looks at every object and takes the next
//! step. A sweep runs after every batch of changes, so the loops converge quickly and never
//! race each other (one sweep at a time).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::error::ApiError;
use super::registry::ResourceType;
use super::selectors::LabelSelector;
use super::server::ApiServer;
use super::store::{DeleteOptions, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, Part, finalizers, name_of};

/// Runs the sweeps after every batch of changes until the server is dropped.
pub async fn run(server: Arc<ApiServer>) {
    let mut changes = server.store.subscribe();
    loop {
        sweep(&server);
        // Wait for a change, then let a burst of changes settle into one sweep.
        let waited = tokio::time::timeout(Duration::from_secs(5), changes.recv()).await;
        if let Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) = waited {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        while changes.try_recv().is_ok() {}
    }
}

/// One controller's pass over the store.
type Step = fn(&ApiServer) -> Result<(), ApiError>;

/// One pass of every loop.
pub fn sweep(server: &ApiServer) {
    let steps: [(&str, Step); 6] = [
        ("garbage collection", collect_garbage),
        ("namespaces", finalize_namespaces),
        ("volume claims", bind_claims),
        ("claim protection", release_unused_claims),
        ("endpoints", publish_endpoints),
        ("deployments", keep_deployments),
    ];
    for (name, step) in steps {
        if let Err(error) = step(server) {
            tracing::warn!(controller = name, %error, "controller step failed; retrying on the next change");
        }
    }
}

/// Every stored object with its type.
fn everything(server: &ApiServer) -> Vec<(Arc<ResourceType>, Value)> {
    let mut seen = HashSet::new();
    let mut all = Vec::new();
    for rt in server.registry.all() {
        if seen.insert(rt.key()) {
            for object in server.store.all_of(&rt.key()) {
                all.push((rt.clone(), object));
            }
        }
    }
    all
}

fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

fn uid_of(object: &Value) -> &str {
    object["metadata"]["uid"].as_str().unwrap_or_default()
}

fn owners(object: &Value) -> Vec<Value> {
    object["metadata"]["ownerReferences"].as_array().cloned().unwrap_or_default()
}

fn is_deleting(object: &Value) -> bool {
    object["metadata"].get("deletionTimestamp").is_some()
}

/// Deletes dependents whose owners are all gone; carries out foreground and orphan deletion.
fn collect_garbage(server: &ApiServer) -> Result<(), ApiError> {
    let all = everything(server);
    let live: HashSet<&str> = all.iter().map(|(_, o)| uid_of(o)).collect();
    let dependents_of = |uid: &str| -> Vec<&(Arc<ResourceType>, Value)> {
        all.iter().filter(|(_, o)| owners(o).iter().any(|r| r["uid"] == uid)).collect()
    };
    for (rt, object) in &all {
        let refs = owners(object);
        if !refs.is_empty() && refs.iter().all(|r| !live.contains(r["uid"].as_str().unwrap_or_default())) {
            ignore_missing(server.store.delete(
                rt,
                namespace_of(object),
                name_of(object),
                &DeleteOptions::default(),
            ))?;
            continue;
        }
        if !is_deleting(object) {
            continue;
        }
        let held_by = finalizers(object);
        let dependents = dependents_of(uid_of(object));
        if held_by.iter().any(|f| f == ORPHAN_FINALIZER) {
            for (dep_rt, dep) in &dependents {
                let uid = uid_of(object).to_string();
                ignore_missing(server.store.modify(
                    dep_rt,
                    namespace_of(dep),
                    name_of(dep),
                    Part::Main,
                    |next| {
                        let kept: Vec<Value> =
                            owners(next).into_iter().filter(|r| r["uid"] != uid.as_str()).collect();
                        next["metadata"]["ownerReferences"] = json!(kept);
                    },
                ))?;
            }
            remove_finalizer(server, rt, object, ORPHAN_FINALIZER)?;
        } else if held_by.iter().any(|f| f == FOREGROUND_FINALIZER) {
            if dependents.is_empty() {
                remove_finalizer(server, rt, object, FOREGROUND_FINALIZER)?;
            }
            for (dep_rt, dep) in dependents.iter().filter(|(_, d)| !is_deleting(d)) {
                let foreground = DeleteOptions {
                    propagation: super::store::Propagation::Foreground,
                    ..DeleteOptions::default()
                };
                ignore_missing(server.store.delete(dep_rt, namespace_of(dep), name_of(dep), &foreground))?;
            }
        }
    }
    Ok(())
}

fn remove_finalizer(
    server: &ApiServer,
    rt: &ResourceType,
    object: &Value,
    finalizer: &str,
) -> Result<(), ApiError> {
    ignore_missing(server.store.modify(rt, namespace_of(object), name_of(object), Part::Main, |next| {
        let kept: Vec<String> = finalizers(next).into_iter().filter(|f| f != finalizer).collect();
        next["metadata"]["finalizers"] = json!(kept);
    }))
}

fn ignore_missing<T>(result: Result<T, ApiError>) -> Result<(), ApiError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// A namespace being deleted: mark it Terminating, delete its content, then let it go.
fn finalize_namespaces(server: &ApiServer) -> Result<(), ApiError> {
    let namespaces = server.builtin("namespaces")?;
    for namespace in server.store.all_of(&namespaces.key()).iter().filter(|n| is_deleting(n)) {
        let ns = name_of(namespace).to_string();
        if namespace["status"]["phase"] != "Terminating" {
            ignore_missing(server.store.modify(&namespaces, "", &ns, Part::Status, |next| {
                next["status"]["phase"] = json!("Terminating");
            }))?;
        }
        let content: Vec<_> =
            everything(server).into_iter().filter(|(rt, o)| rt.namespaced && namespace_of(o) == ns).collect();
        for (rt, object) in content.iter().filter(|(_, o)| !is_deleting(o)) {
            ignore_missing(server.store.delete(rt, &ns, name_of(object), &DeleteOptions::default()))?;
        }
        if content.is_empty() {
            ignore_missing(server.store.modify(&namespaces, "", &ns, Part::Main, |next| {
                next["spec"]["finalizers"] = json!([]);
            }))?;
        }
    }
    Ok(())
}

/// Binds every pending claim at once, as a local-path provisioner would.
fn bind_claims(server: &ApiServer) -> Result<(), ApiError> {
    let claims = server.builtin("persistentvolumeclaims")?;
    for claim in server
        .store
        .all_of(&claims.key())
        .iter()
        .filter(|c| c["status"]["phase"] != "Bound" && !is_deleting(c))
    {
        let volume = format!("pvc-{}", uid_of(claim));
        let (ns, name) = (namespace_of(claim), name_of(claim));
        ignore_missing(server.store.modify(&claims, ns, name, Part::Main, |next| {
            next["spec"]["volumeName"] = json!(volume);
        }))?;
        ignore_missing(server.store.modify(&claims, ns, name, Part::Status, |next| {
            next["status"] = json!({
                "phase": "Bound",
                "accessModes": next["spec"]["accessModes"].clone(),
                "capacity": {"storage": next["spec"]["resources"]["requests"]["storage"].clone()},
            });
        }))?;
    }
    Ok(())
}

/// A claim being deleted goes once no Pod uses it (a Pod that has not finished and names
/// it in a volume), as Kubernetes' PVC protection controller does.
fn release_unused_claims(server: &ApiServer) -> Result<(), ApiError> {
    let claims = server.builtin("persistentvolumeclaims")?;
    let pods = server.builtin("pods")?;
    let all_pods = server.store.all_of(&pods.key());
    for claim in server.store.all_of(&claims.key()).iter().filter(|c| is_deleting(c)) {
        let (ns, name) = (namespace_of(claim), name_of(claim));
        let in_use = all_pods.iter().filter(|p| namespace_of(p) == ns).any(|p| {
            let finished = matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"));
            !finished
                && p["spec"]["volumes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|v| v["persistentVolumeClaim"]["claimName"].as_str() == Some(name))
        });
        if !in_use && finalizers(claim).iter().any(|f| f == super::admission::CLAIM_PROTECTION_FINALIZER) {
            remove_finalizer(server, &claims, claim, super::admission::CLAIM_PROTECTION_FINALIZER)?;
        }
    }
    Ok(())
}

fn pod_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Keeps an Endpoints object per Service with a selector: ready Pods as addresses.
fn publish_endpoints(server: &ApiServer) -> Result<(), ApiError> {
    let services = server.builtin("services")?;
    let endpoints = server.builtin("endpoints")?;
    let pods = server.store.all_of(&server.builtin("pods")?.key());
    for service in server.store.all_of(&services.key()) {
        let Some(selector) = service["spec"]["selector"].as_object().filter(|s| !s.is_empty()) else {
            continue;
        };
        let labels: std::collections::BTreeMap<String, String> =
            selector.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect();
        let selector = LabelSelector::from_match_labels(&labels);
        let ns = namespace_of(&service);
        let selected: Vec<&Value> = pods
            .iter()
            .filter(|p| {
                namespace_of(p) == ns
                    && selector.matches_object(p)
                    && !p["status"]["podIP"].is_null()
                    && !is_deleting(p)
            })
            .collect();
        let address = |p: &Value| {
            let mut address = json!({
                "ip": p["status"]["podIP"],
                "targetRef": {"kind": "Pod", "namespace": ns, "name": name_of(p), "uid": uid_of(p)},
            });
            if let Some(hostname) = p["spec"]["hostname"].as_str() {
                address["hostname"] = json!(hostname);
            }
            address
        };
        let ready: Vec<Value> = selected.iter().filter(|p| pod_ready(p)).map(|p| address(p)).collect();
        let not_ready: Vec<Value> = selected.iter().filter(|p| !pod_ready(p)).map(|p| address(p)).collect();
        let ports: Vec<Value> = service["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| json!({"name": p["name"], "port": p["targetPort"].as_i64().or(p["port"].as_i64()), "protocol": p["protocol"]}))
            .collect();
        let mut subset = json!({"ports": ports});
        if !ready.is_empty() {
            subset["addresses"] = json!(ready);
        }
        if !not_ready.is_empty() {
            subset["notReadyAddresses"] = json!(not_ready);
        }
        let subsets = if selected.is_empty() { json!([]) } else { json!([subset]) };
        let name = name_of(&service).to_string();
        match server.store.get(&endpoints, ns, &name) {
            Ok(current) if current["subsets"] == subsets => {}
            Ok(_) => {
                ignore_missing(server.store.modify(&endpoints, ns, &name, Part::Main, |next| {
                    next["subsets"] = subsets.clone();
                }))?;
            }
            Err(_) => {
                let owner = json!({"apiVersion": "v1", "kind": "Service", "name": name, "uid": uid_of(&service), "controller": true});
                let object = json!({
                    "metadata": {"name": name, "labels": service["metadata"]["labels"], "ownerReferences": [owner]},
                    "subsets": subsets,
                });
                match server.store.create(&endpoints, ns, object) {
                    Ok(_) => {}
                    Err(e) if e.code == 409 => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(())
}

/// Keeps `spec.replicas` Pods of each Deployment's template running, and its status current.
fn keep_deployments(server: &ApiServer) -> Result<(), ApiError> {
    let deployments = server.builtin("deployments")?;
    let pod_type = server.builtin("pods")?;
    let pods = server.store.all_of(&pod_type.key());
    for deployment in server.store.all_of(&deployments.key()).iter().filter(|d| !is_deleting(d)) {
        let ns = namespace_of(deployment);
        let uid = uid_of(deployment);
        let owned: Vec<&Value> =
            pods.iter().filter(|p| owners(p).iter().any(|r| r["uid"] == uid) && !is_deleting(p)).collect();
        let wanted = deployment["spec"]["replicas"].as_i64().unwrap_or(1).max(0) as usize;
        let mut failed_create = None;
        if owned.len() < wanted {
            let template = &deployment["spec"]["template"];
            let owner = json!({
                "apiVersion": "apps/v1", "kind": "Deployment", "name": name_of(deployment), "uid": uid,
                "controller": true, "blockOwnerDeletion": true,
            });
            let mut pod = json!({
                "metadata": {
                    "generateName": format!("{}-", name_of(deployment)),
                    "labels": template["metadata"]["labels"],
                    "annotations": template["metadata"]["annotations"],
                    "ownerReferences": [owner],
                },
                "spec": template["spec"],
            });
            super::admission::generate_name(&mut pod);
            let (pod, _) =
                super::admission::admit_create(&pod_type, pod, super::admission::FieldValidation::Ignore)?;
            // A Pod admission refuses (Pod Security) is reported, as the ReplicaSet
            // controller reports it, in a ReplicaFailure condition.
            match server.check_pod_security(&pod_type, ns, &pod) {
                Ok(()) => {
                    server.store.create(&pod_type, ns, pod)?;
                }
                Err(refused) => failed_create = Some(format!("Error creating: {}", refused.message)),
            }
        } else if owned.len() > wanted
            && let Some(extra) = owned.last()
        {
            ignore_missing(server.store.delete(&pod_type, ns, name_of(extra), &DeleteOptions::default()))?;
        }
        let ready = owned.iter().filter(|p| pod_ready(p)).count();
        let mut status = json!({
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": owned.len(),
            "updatedReplicas": owned.len(),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [{
                "type": "Available",
                "status": if ready >= wanted { "True" } else { "False" },
                "reason": if ready >= wanted { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                "message": format!("{ready} of {wanted} replicas ready"),
            }],
        });
        if let (Some(message), Some(conditions)) = (failed_create, status["conditions"].as_array_mut()) {
            conditions.push(json!({"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": message}));
        }
        if deployment["status"] != status {
            ignore_missing(server.store.modify(
                &deployments,
                ns,
                name_of(deployment),
                Part::Status,
                |next| {
                    next["status"] = status;
                },
            ))?;
        }
    }
    Ok(())
}
