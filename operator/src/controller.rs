//! The controller: watches EtcdClusters and what they own, and reconciles each on every
//! change, plus a periodic health check. With leader election, only the replica that holds
//! the Lease runs it, so two replicas never act on the same cluster at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use kube::Api;
use kube::ResourceExt;
use kube::runtime::{Controller, PredicateConfig, WatchStreamExt, predicates, reflector, watcher};
use kube_lease_manager::LeaseManagerBuilder;
use shared::crd::EtcdCluster;
use shared::names;

use crate::metrics::Metrics;
use crate::reconcile::{Context, error_policy, reconcile};

/// Where the leader-election Lease lives and who competes for it.
#[derive(Clone, Debug)]
pub struct LeaseOptions {
    /// Namespace of the Lease (the operator's own).
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (its Pod name).
    pub identity: String,
    /// How long a held lease lasts without renewal, in seconds.
    pub duration: u64,
    /// How long before expiry the holder renews, in seconds.
    pub grace: u64,
}

/// What a running controller is given: where it counts, and the image it runs for the
/// containers of its own (a restore's seed steps).
#[derive(Clone)]
pub struct Settings {
    /// What the operator counts.
    pub metrics: Arc<Metrics>,
    /// The operator's own image (`--operator-image`), which restoring members run to fetch
    /// their snapshot.
    pub operator_image: String,
    /// The cluster DNS domain member addresses are written in (`--cluster-domain`).
    pub cluster_domain: String,
    /// Member Pods see the operator's own files. True only on the sandbox, whose node runs
    /// every container over the host's filesystem; there a restore may fetch a `file://`
    /// snapshot in its seed Pod. In a cluster a seed Pod mounts only its data volume, so
    /// such restores are refused with the ways that work (an object store, or `kubectl etcd
    /// restore --from FILE`). `file://` backups work either way: the operator writes them.
    pub file_snapshots_reach_pods: bool,
}

impl Default for Settings {
    /// Fresh metrics and this release's image.
    fn default() -> Self {
        Settings {
            metrics: Arc::default(),
            operator_image: format!("ghcr.io/kubectl-etcd/etcd-operator:v{}", env!("CARGO_PKG_VERSION")),
            cluster_domain: names::CLUSTER_DOMAIN.to_string(),
            file_snapshots_reach_pods: false,
        }
    }
}

/// Runs the controller until `shutdown` completes, with the default [`Settings`].
pub async fn run(
    client: kube::Client,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    run_with(client, Settings::default(), shutdown).await;
}

/// Runs the controller until `shutdown` completes, with `settings`.
pub async fn run_with(
    client: kube::Client,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let Settings { metrics, operator_image, cluster_domain, file_snapshots_reach_pods } = settings;
    let owned =
        watcher::Config::default().labels(&format!("{}={}", names::LABEL_MANAGED_BY, names::MANAGED_BY));
    let context = Arc::new(Context {
        client: client.clone(),
        recorder: crate::events::recorder(client.clone()),
        metrics: metrics.clone(),
        operator_image,
        cluster_domain,
        base_applied: std::sync::Mutex::default(),
    });
    // Backups run beside the clusters, with the same shutdown.
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let backups = crate::backup::run(client.clone(), metrics, shutdown.clone());
    let restores = crate::restore::run(client.clone(), file_snapshots_reach_pods, shutdown.clone());
    // Clusters wake the controller when their spec (generation) or their defragmentation
    // request changes, not on the operator's own status writes, which would each cost a
    // second, idle reconcile. Changes
    // of the Pods, claims and Services a cluster owns wake it too, and every reconcile
    // requeues itself, so nothing is missed.
    let (reader, writer) = reflector::store();
    let cluster_events = watcher(Api::<EtcdCluster>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(spec_or_request, PredicateConfig::default());
    let clusters = Controller::for_stream(cluster_events, reader)
        .owns(Api::<Pod>::all(client.clone()), owned.clone())
        .owns(Api::<PersistentVolumeClaim>::all(client.clone()), owned.clone())
        .owns(Api::<Service>::all(client), owned)
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "reconcile error");
            }
        });
    futures::join!(clusters, backups, restores);
}

/// Why leader election could not run.
#[derive(Debug, thiserror::Error)]
#[error("leader election on Lease {namespace}/{name} failed: {source}")]
pub struct ElectionError {
    namespace: String,
    name: String,
    source: kube_lease_manager::LeaseManagerError,
}

/// Runs the controller while this replica holds the Lease, and stops it as soon as it
/// loses the Lease; until `shutdown` completes. The Lease is released on shutdown so
/// another replica takes over at once.
pub async fn run_elected(
    client: kube::Client,
    lease: LeaseOptions,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ElectionError> {
    let metrics = settings.metrics.clone();
    let failed =
        |source| ElectionError { namespace: lease.namespace.clone(), name: lease.name.clone(), source };
    let manager = LeaseManagerBuilder::new(client.clone(), &lease.name)
        .with_namespace(&lease.namespace)
        .with_identity(&lease.identity)
        .with_duration(lease.duration)
        .with_grace(lease.grace)
        .build()
        .await
        .map_err(failed)?;
    let (mut leading, task) = manager.watch().await;
    tokio::pin!(shutdown);
    'election: loop {
        while !*leading.borrow_and_update() {
            tokio::select! {
                changed = leading.changed() => if changed.is_err() { break 'election },
                _ = &mut shutdown => break 'election,
            }
        }
        tracing::info!(identity = %lease.identity, "leading: starting the controller");
        metrics.leading.store(true, Ordering::Relaxed);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let controller = tokio::spawn(run_with(client.clone(), settings.clone(), async {
            let _ = stopped.await;
        }));
        let shutting_down = loop {
            tokio::select! {
                changed = leading.changed() => if changed.is_err() || !*leading.borrow_and_update() { break false },
                _ = &mut shutdown => break true,
            }
        };
        metrics.leading.store(false, Ordering::Relaxed);
        tracing::info!(identity = %lease.identity, "stopping the controller: {}", if shutting_down { "shutting down" } else { "lost the lease" });
        let _ = stop.send(());
        let abort = controller.abort_handle();
        // Every step is safe to interrupt (the next leader carries on from what it
        // observes), so a reconcile that does not finish promptly is simply stopped.
        if tokio::time::timeout(std::time::Duration::from_secs(2), controller).await.is_err() {
            tracing::debug!("stopping the controller without waiting for it any longer");
            abort.abort();
        }
        if shutting_down {
            break;
        }
    }
    drop(leading);
    if let Ok(Ok(manager)) = task.await
        && let Err(error) = manager.release().await
    {
        tracing::warn!(%error, "releasing the lease failed; it expires by itself");
    }
    Ok(())
}

/// What wakes the cluster controller: the cluster's generation (its spec) together with its
/// defragmentation and certificate rotation request annotations, which `kubectl etcd
/// defrag` and `kubectl etcd rotate-certificates` write without changing the spec.
fn spec_or_request(cluster: &EtcdCluster) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let generation = predicates::generation(cluster)?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    generation.hash(&mut hasher);
    cluster.annotations().get(shared::crd::DEFRAG_REQUEST_ANNOTATION).hash(&mut hasher);
    cluster.annotations().get(shared::crd::ROTATE_REQUEST_ANNOTATION).hash(&mut hasher);
    Some(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_defragmentation_request_wakes_the_controller_like_a_spec_change() {
        let mut cluster: EtcdCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo", "generation": 1}, "spec": {"version": "3.5.30"}}))
        .expect("cluster");
        let before = spec_or_request(&cluster);
        cluster.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
        assert_eq!(spec_or_request(&cluster), before, "other metadata does not wake it");
        cluster.metadata.annotations =
            Some([(shared::crd::DEFRAG_REQUEST_ANNOTATION.to_string(), "r1".to_string())].into());
        assert_ne!(spec_or_request(&cluster), before);
        let requested = spec_or_request(&cluster);
        cluster.metadata.generation = Some(2);
        assert_ne!(spec_or_request(&cluster), requested);
        let generation_2 = spec_or_request(&cluster);
        cluster
            .metadata
            .annotations
            .get_or_insert_default()
            .insert(shared::crd::ROTATE_REQUEST_ANNOTATION.to_string(), "r2".to_string());
        assert_ne!(spec_or_request(&cluster), generation_2, "a rotation request wakes it too");
    }
}
