//! Fault injection over HTTP, beside the Kubernetes API: `POST /sandbox/v1/faults` with
//! `{"action": "crash" | "lose" | "isolate" | "heal", "namespace": ..., "pod": ...}`.
//! `etcd-sandbox fault` sends it; tests in the same process call [`Faults`] directly.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::node::agent::{FaultError, Faults};

/// Path of the fault route.
pub const FAULTS_PATH: &str = "/sandbox/v1/faults";

/// What to do to which Pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Kill the Pod's container processes; they restart by the Pod's restartPolicy.
    Crash,
    /// Lose the Pod as a dead node would: processes killed, object deleted with grace 0.
    Lose,
    /// Cut the Pod off the network.
    Isolate,
    /// Reconnect an isolated Pod.
    Heal,
}

/// A fault request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRequest {
    /// What to do.
    pub action: Action,
    /// The Pod's namespace.
    pub namespace: String,
    /// The Pod's name.
    pub pod: String,
}

/// Carries out a request on a node.
pub async fn inject(faults: &Faults, request: &FaultRequest) -> Result<(), FaultError> {
    let (ns, pod) = (request.namespace.as_str(), request.pod.as_str());
    match request.action {
        Action::Crash => faults.crash(ns, pod),
        Action::Lose => faults.lose(ns, pod),
        Action::Isolate => faults.isolate(ns, pod, true).await,
        Action::Heal => faults.isolate(ns, pod, false).await,
    }
}

/// The fault route; answers 503 until the node agent runs (`node` is filled in then).
pub fn router(node: Arc<OnceLock<Faults>>) -> Router {
    Router::new().route(FAULTS_PATH, post(handle)).with_state(node)
}

async fn handle(State(node): State<Arc<OnceLock<Faults>>>, Json(request): Json<FaultRequest>) -> Response {
    let Some(faults) = node.get() else {
        return ApiError {
            code: 503,
            reason: "ServiceUnavailable",
            message: "this sandbox runs no node".into(),
            details: None,
        }
        .into_response();
    };
    match inject(faults, &request).await {
        Ok(()) => (StatusCode::OK, Json(request)).into_response(),
        Err(error @ FaultError::NoSuchPod { .. }) => {
            ApiError::not_found("pods", "", &request.pod).with_message(error.to_string()).into_response()
        }
        Err(error) => ApiError::internal(error.to_string()).into_response(),
    }
}
