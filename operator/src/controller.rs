//! The controller: watches EtcdClusters and what they own, and reconciles each on every
//! change, plus a periodic health check.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Service};
use kube::Api;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::{Controller, watcher};
use shared::crd::EtcdCluster;
use shared::names;

use crate::reconcile::{Context, error_policy, reconcile};

/// Runs until `shutdown` completes.
pub async fn run(
    client: kube::Client,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let owned =
        watcher::Config::default().labels(&format!("{}={}", names::LABEL_MANAGED_BY, names::MANAGED_BY));
    let reporter = Reporter { controller: "etcd-operator".into(), instance: std::env::var("POD_NAME").ok() };
    let context =
        Arc::new(Context { client: client.clone(), recorder: Recorder::new(client.clone(), reporter) });
    // The operator's own status writes also wake the controller: the reconciler writes
    // status only when it changed, so each write costs one quiet extra reconcile at most.
    Controller::new(Api::<EtcdCluster>::all(client.clone()), watcher::Config::default())
        .owns(Api::<Pod>::all(client.clone()), owned.clone())
        .owns(Api::<PersistentVolumeClaim>::all(client.clone()), owned.clone())
        .owns(Api::<Service>::all(client), owned)
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(%error, "reconcile error");
            }
        })
        .await;
}
