//! The status patch every controller writes: a JSON merge patch (RFC 7386) that makes the
//! stored status equal to the new one, so that what a controller no longer reports
//! disappears. A merge patch leaves absent fields alone, and the status types leave empty
//! fields out, so a plain `{"status": new}` could never clear a warning, a leader or a
//! reason; here every field the previous status had and the new one lacks is set to null.
//!
//! Fields another writer owns (the backup controller's `lastBackup` on a cluster) are named
//! in `kept` and never removed. Server-side apply of the status under the operator's field
//! manager would do the same on a real API server, but needs field ownership, which the
//! sandbox does not track; this patch means the same on both.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// The merge patch `{"status": ...}` that turns `previous` into `next`, except that the
/// top-level fields in `kept` are left as they are when `next` lacks them.
pub fn status_patch<T: Serialize>(previous: Option<&T>, next: &T, kept: &[&str]) -> Value {
    let previous = previous.and_then(|p| serde_json::to_value(p).ok()).unwrap_or(Value::Null);
    let next = serde_json::to_value(next).unwrap_or_else(|_| json!({}));
    let mut patch = diff(&previous, &next);
    if let Value::Object(fields) = &mut patch {
        fields.retain(|key, value| !(value.is_null() && kept.contains(&key.as_str())));
    }
    json!({ "status": patch })
}

/// The merge patch from `from` to `to`: `to` itself, with a null for every key of an
/// object in `from` that `to` lacks, recursively.
fn diff(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(old), Value::Object(new)) => {
            let mut out = Map::new();
            for (key, value) in new {
                let nested = old.get(key).map_or_else(|| value.clone(), |before| diff(before, value));
                out.insert(key.clone(), nested);
            }
            for key in old.keys().filter(|k| !new.contains_key(*k)) {
                out.insert(key.clone(), Value::Null);
            }
            Value::Object(out)
        }
        _ => to.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(target: &mut Value, patch: &Value) {
        json_patch::merge(target, patch);
    }

    #[test]
    fn fields_no_longer_reported_are_removed_and_the_rest_replaced() {
        let before = json!({"phase": "Running", "warnings": ["size 4 is even"], "leader": "demo-0",
            "members": [{"name": "demo-0"}], "lastBackup": {"name": "b1"},
            "snapshot": {"size": 1, "revision": 2}});
        let after = json!({"phase": "Running", "members": [{"name": "demo-1"}], "snapshot": {"size": 3}});
        let patch = status_patch(Some(&before), &after, &["lastBackup"]);
        let mut stored = json!({"status": before});
        apply(&mut stored, &patch);
        assert_eq!(
            stored,
            json!({"status": {"phase": "Running", "members": [{"name": "demo-1"}],
                "lastBackup": {"name": "b1"}, "snapshot": {"size": 3}}})
        );
    }

    #[test]
    fn without_a_previous_status_the_patch_is_the_status() {
        let next = json!({"phase": "Creating", "warnings": []});
        assert_eq!(status_patch(None, &next, &[]), json!({"status": next}));
    }
}
