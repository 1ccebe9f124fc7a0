//! Kubernetes Events the operator publishes about the objects it works on, so `kubectl
//! describe` and `kubectl etcd status` show what happened and why.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

/// The recorder every controller of the operator publishes with: reported by
/// `etcd-operator`, instance the Pod's name when known.
pub fn recorder(client: kube::Client) -> Recorder {
    let reporter = Reporter { controller: "etcd-operator".into(), instance: std::env::var("POD_NAME").ok() };
    Recorder::new(client, reporter)
}

/// Publishes `event` about `regarding`. A failure is logged, not returned: an Event is worth
/// less than the work it reports.
pub async fn publish(recorder: &Recorder, event: &Event, regarding: &ObjectReference) {
    if let Err(error) = recorder.publish(event, regarding).await {
        tracing::warn!(%error, reason = %event.reason, "publishing an event failed");
    }
}

/// A Normal or Warning Event with a reason, an action and a note, about nothing else.
pub fn event(warning: bool, reason: &str, action: &str, note: String) -> Event {
    Event {
        type_: if warning { EventType::Warning } else { EventType::Normal },
        reason: reason.into(),
        note: Some(note),
        action: action.into(),
        secondary: None,
    }
}
