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
    let event = Event {
        type_: event.type_,
        reason: event.reason.clone(),
        note: event.note.clone().map(fit_note),
        action: event.action.clone(),
        secondary: event.secondary.clone(),
    };
    if let Err(error) = recorder.publish(&event, regarding).await {
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

/// The API server refuses an Event whose note is longer than 1 KiB (`maxNoteLength` in
/// events.k8s.io/v1 validation), and a refused Event is lost; a failure note that quotes
/// etcd or a store can be longer.
const MAX_NOTE_BYTES: usize = 1024;

/// `note`, cut at a character boundary to fit [`MAX_NOTE_BYTES`], ending in "…" when cut.
fn fit_note(note: String) -> String {
    if note.len() <= MAX_NOTE_BYTES {
        return note;
    }
    let mut end = MAX_NOTE_BYTES - '…'.len_utf8();
    while !note.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &note[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_fit_the_api_limit_and_are_cut_at_a_character() {
        assert_eq!(fit_note("short".into()), "short");
        let exact = "a".repeat(MAX_NOTE_BYTES);
        assert_eq!(fit_note(exact.clone()), exact);
        let long = "é".repeat(MAX_NOTE_BYTES);
        let cut = fit_note(long);
        assert!(cut.len() <= MAX_NOTE_BYTES && cut.ends_with('…'), "{} bytes", cut.len());
        assert!(cut.trim_end_matches('…').chars().all(|c| c == 'é'));
    }
}
