//! Resources served in two shapes from one storage, as the real API server does: Events are
//! stored as core `v1` Events and also served as `events.k8s.io/v1` Events (what kube-rs's
//! event recorder writes), so `kubectl describe` shows the operator's Events.

use serde_json::{Map, Value, json};

use super::registry::ResourceType;

/// Field pairs: (events.k8s.io/v1 name, core/v1 name).
const EVENT_FIELDS: [(&str, &str); 13] = [
    ("regarding", "involvedObject"),
    ("related", "related"),
    ("note", "message"),
    ("reason", "reason"),
    ("type", "type"),
    ("action", "action"),
    ("reportingController", "reportingComponent"),
    ("reportingInstance", "reportingInstance"),
    ("eventTime", "eventTime"),
    ("series", "series"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
];

/// `events.k8s.io/v1` Events, stored as core Events.
pub fn is_events_v1(rt: &ResourceType) -> bool {
    rt.group == "events.k8s.io" && rt.plural == "events"
}

/// An object as stored, from the shape `rt` serves.
pub fn to_storage(rt: &ResourceType, object: Value) -> Value {
    if !is_events_v1(rt) {
        return object;
    }
    let mut core = rename(&object, EVENT_FIELDS.iter().map(|(v1, core)| (*v1, *core)));
    if let Some(count) = object.get("deprecatedCount") {
        core["count"] = count.clone();
    }
    if core.get("source").is_none()
        && let Some(controller) = object.get("reportingController")
    {
        core["source"] = json!({"component": controller});
    }
    core["apiVersion"] = json!("v1");
    core
}

/// An object as `rt` serves it, from storage.
pub fn to_view(rt: &ResourceType, object: &Value) -> Value {
    if !is_events_v1(rt) {
        let mut served = object.clone();
        served["apiVersion"] = json!(rt.api_version());
        return served;
    }
    let mut v1 = rename(object, EVENT_FIELDS.iter().map(|(v1, core)| (*core, *v1)));
    if let Some(count) = object.get("count") {
        v1["deprecatedCount"] = count.clone();
    }
    v1["apiVersion"] = json!(rt.api_version());
    v1
}

/// Copies `object`, renaming the top-level fields in `pairs` (from, to); `kind`, `metadata`
/// and everything not in `pairs` is dropped.
fn rename<'a>(object: &Value, pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    let mut out = Map::new();
    for key in ["kind", "metadata"] {
        if let Some(value) = object.get(key) {
            out.insert(key.to_string(), value.clone());
        }
    }
    for (from, to) in pairs {
        if let Some(value) = object.get(from) {
            out.insert(to.to_string(), value.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_between_the_two_shapes() {
        let registry = crate::api::registry::with_project_crds();
        let v1 = registry.lookup("events.k8s.io", "v1", "events").expect("served");
        let event = json!({
            "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "demo.1", "namespace": "db"},
            "regarding": {"kind": "EtcdCluster", "name": "demo", "namespace": "db"},
            "note": "added member demo-3 as a learner", "reason": "MemberAdded", "type": "Normal", "action": "Scale",
            "reportingController": "etcd-operator", "reportingInstance": "etcd-operator-0", "eventTime": "2026-11-22T05:00:00.000000Z",
        });
        let core = to_storage(&v1, event.clone());
        assert_eq!(core["involvedObject"]["name"], "demo");
        assert_eq!(core["message"], "added member demo-3 as a learner");
        assert_eq!(core["source"]["component"], "etcd-operator");
        assert_eq!(core["apiVersion"], "v1");
        let back = to_view(&v1, &core);
        assert_eq!(back["regarding"], event["regarding"]);
        assert_eq!(back["note"], event["note"]);
        assert_eq!(back["apiVersion"], "events.k8s.io/v1");
    }
}
