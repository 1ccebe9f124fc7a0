//! Watches as the API server streams them: one JSON event per line, filtered by namespace
//! and selectors (an object leaving the selection is reported as DELETED, one entering it as
//! ADDED), optional bookmarks, initial events (`sendInitialEvents`), a server-side timeout,
//! and an ERROR event with 410 when the client asked for history the store no longer keeps
//! or fell too far behind.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::error::ApiError;
use super::registry::ResourceType;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{EventType, Store, StoredEvent, served_as};
use super::table::{self, Include};

/// How often a watch that allows bookmarks gets one.
const BOOKMARK_EVERY: Duration = Duration::from_secs(10);

/// What a watch asks for.
#[derive(Clone, Debug)]
pub struct WatchRequest {
    /// The resource watched.
    pub rt: Arc<ResourceType>,
    /// Only this namespace (`None`: all).
    pub namespace: Option<String>,
    /// Label selector.
    pub labels: LabelSelector,
    /// Field selector.
    pub fields: FieldSelector,
    /// Start after this resourceVersion; `None` (or 0) sends the current objects first.
    pub since: Option<u64>,
    /// Send the current objects first, then a bookmark marking their end.
    pub send_initial_events: bool,
    /// Send bookmarks.
    pub bookmarks: bool,
    /// End the watch after this long.
    pub timeout: Duration,
    /// Send each object as a one-row Table (kubectl get -w).
    pub as_table: Option<Include>,
}

impl WatchRequest {
    fn selects(&self, namespace: &str, object: &Value) -> bool {
        self.namespace.as_deref().is_none_or(|ns| ns == namespace)
            && self.labels.matches_object(object)
            && self.fields.matches_object(object)
    }

    /// How a stored change looks through this watch's selection, if it shows at all.
    fn translate(&self, event: &StoredEvent) -> Option<(EventType, Value)> {
        if event.key != self.rt.key() {
            return None;
        }
        let object = served_as(&event.object, &self.rt);
        let now = self.selects(&event.namespace, &object);
        let before =
            event.previous.as_ref().is_some_and(|p| self.selects(&event.namespace, &served_as(p, &self.rt)));
        let kind = match (event.kind, before, now) {
            (EventType::Modified, false, true) => EventType::Added,
            (EventType::Modified, true, false) => EventType::Deleted,
            (kind, _, true) => kind,
            (EventType::Deleted, true, false) => EventType::Deleted,
            _ => return None,
        };
        Some((kind, object))
    }

    fn line(&self, kind: &str, object: &Value, first: &mut bool) -> Bytes {
        let object = match self.as_table {
            Some(include) if kind != "BOOKMARK" && kind != "ERROR" => {
                let revision =
                    object["metadata"]["resourceVersion"].as_str().and_then(|r| r.parse().ok()).unwrap_or(0);
                let t = table::table(&self.rt, std::slice::from_ref(object), revision, include, *first);
                *first = false;
                t
            }
            _ => object.clone(),
        };
        Bytes::from(format!("{}\n", json!({"type": kind, "object": object})))
    }

    fn bookmark(&self, revision: u64, initial_end: bool) -> Value {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": metadata})
    }
}

/// Starts a watch: checks the history, then streams events until timeout or disconnect.
pub fn start(store: &Store, request: WatchRequest) -> Result<Body, ApiError> {
    let since = request.since.filter(|rv| *rv > 0);
    let (initial, backlog, mut receiver, start_revision) = match since {
        Some(rv) => match store.watch_from(&request.rt.key(), rv) {
            Ok((backlog, receiver)) => (vec![], backlog, receiver, rv),
            // As the API server does: the watch opens, then says 410 in an ERROR event.
            Err(gone) => {
                let event = json!({"type": "ERROR", "object": gone.status()});
                return Ok(Body::from(format!("{event}\n")));
            }
        },
        None => {
            let (backlog, receiver) = store.watch_from(&request.rt.key(), store.revision())?;
            let (objects, revision) = store.list(&request.rt, request.namespace.as_deref());
            // Events that slipped in between are in the backlog and are replayed after.
            let backlog = backlog.into_iter().filter(|e| e.revision > revision).collect();
            (objects, backlog, receiver, revision)
        }
    };
    let (sender, out) = mpsc::channel::<Result<Bytes, std::convert::Infallible>>(256);
    tokio::spawn(async move {
        let mut first = true;
        let mut last = start_revision;
        for object in
            initial.iter().filter(|o| request.selects(o["metadata"]["namespace"].as_str().unwrap_or(""), o))
        {
            if sender.send(Ok(request.line("ADDED", object, &mut first))).await.is_err() {
                return;
            }
        }
        if request.send_initial_events && request.bookmarks {
            let bookmark = request.bookmark(last, true);
            if sender.send(Ok(request.line("BOOKMARK", &bookmark, &mut first))).await.is_err() {
                return;
            }
        }
        for event in backlog {
            last = event.revision;
            if let Some((kind, object)) = request.translate(&event)
                && sender.send(Ok(request.line(kind.as_str(), &object, &mut first))).await.is_err()
            {
                return;
            }
        }
        let deadline = tokio::time::sleep(request.timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        ticker.tick().await;
        loop {
            let line = tokio::select! {
                _ = &mut deadline => return,
                _ = sender.closed() => return,
                _ = ticker.tick(), if request.bookmarks => {
                    let bookmark = request.bookmark(last, false);
                    request.line("BOOKMARK", &bookmark, &mut first)
                }
                received = receiver.recv() => match received {
                    Ok(event) if event.revision <= last => continue,
                    Ok(event) => {
                        last = event.revision;
                        match request.translate(&event) {
                            Some((kind, object)) => request.line(kind.as_str(), &object, &mut first),
                            None => continue,
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let gone = ApiError::gone("the watch fell too far behind; list again").status();
                        let _ = sender.send(Ok(request.line("ERROR", &gone, &mut first))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            if sender.send(Ok(line)).await.is_err() {
                return;
            }
        }
    });
    Ok(Body::from_stream(tokio_stream_from(out)))
}

fn tokio_stream_from<T: Send + 'static>(
    mut receiver: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)).boxed()
}
