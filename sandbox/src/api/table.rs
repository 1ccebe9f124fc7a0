//! Server-side tables (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which
//! `kubectl get` prints: a custom resource's printer columns, the familiar columns of the
//! built-in kinds we use, and NAME + AGE for the rest. Like the real API server, `date`
//! columns are rendered as ages (`5m3s`).

use serde_json::{Value, json};

use super::registry::{PrinterColumn, ResourceType};

/// The client asked for a Table.
pub fn wanted(accept: &str) -> bool {
    accept.split(',').any(|part| part.contains("as=Table"))
}

/// How much of each object a row carries (`includeObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Include {
    /// Nothing.
    None,
    /// `PartialObjectMetadata` (the default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl Include {
    /// From the `includeObject` query parameter.
    pub fn parse(value: Option<&str>) -> Include {
        match value {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

/// A Table of `objects`, with column definitions when `with_columns`.
pub fn table(
    rt: &ResourceType,
    objects: &[Value],
    resource_version: u64,
    include: Include,
    with_columns: bool,
) -> Value {
    let columns = columns(rt);
    let definitions: Vec<Value> = if with_columns {
        columns
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "type": c.type_,
                    "format": c.format.clone().unwrap_or_default(),
                    "description": c.description.clone().unwrap_or_default(),
                    "priority": c.priority,
                })
            })
            .collect()
    } else {
        vec![]
    };
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let cells: Vec<Value> = columns.iter().map(|c| cell(rt, c, object)).collect();
            let mut row = json!({"cells": cells});
            match include {
                Include::None => {}
                Include::Metadata => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": object["metadata"],
                    });
                }
                Include::Object => row["object"] = object.clone(),
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.to_string()},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

fn column(name: &str, type_: &str, json_path: &str, priority: i32) -> PrinterColumn {
    PrinterColumn {
        name: name.into(),
        type_: type_.into(),
        format: None,
        description: None,
        json_path: json_path.into(),
        priority,
    }
}

/// Columns: always NAME first, then the type's own.
fn columns(rt: &ResourceType) -> Vec<PrinterColumn> {
    let mut name = column("Name", "string", ".metadata.name", 0);
    name.format = Some("name".into());
    name.description = Some("Name must be unique within a namespace.".into());
    let age = column("Age", "date", ".metadata.creationTimestamp", 0);
    let mut columns = vec![name];
    if rt.custom {
        if rt.printer_columns.is_empty() {
            columns.push(age);
        } else {
            columns.extend(rt.printer_columns.iter().cloned());
        }
        return columns;
    }
    let own: Vec<PrinterColumn> = match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "pods") => vec![
            column("Ready", "string", "<pod-ready>", 0),
            column("Status", "string", "<pod-status>", 0),
            column("Restarts", "string", "<pod-restarts>", 0),
            age,
            column("IP", "string", ".status.podIP", 1),
            column("Node", "string", ".spec.nodeName", 1),
        ],
        ("", "namespaces") => vec![column("Status", "string", ".status.phase", 0), age],
        ("", "services") => vec![
            column("Type", "string", ".spec.type", 0),
            column("Cluster-IP", "string", ".spec.clusterIP", 0),
            column("Port(s)", "string", "<service-ports>", 0),
            age,
        ],
        ("", "persistentvolumeclaims") => vec![
            column("Status", "string", ".status.phase", 0),
            column("Volume", "string", ".spec.volumeName", 0),
            column("Capacity", "string", ".status.capacity.storage", 0),
            column("StorageClass", "string", ".spec.storageClassName", 0),
            age,
        ],
        ("apps", "deployments") => vec![
            column("Ready", "string", "<deployment-ready>", 0),
            column("Up-to-date", "integer", ".status.updatedReplicas", 0),
            column("Available", "integer", ".status.availableReplicas", 0),
            age,
        ],
        _ => vec![age],
    };
    columns.extend(own);
    columns
}

fn cell(rt: &ResourceType, column: &PrinterColumn, object: &Value) -> Value {
    match column.json_path.as_str() {
        "<pod-ready>" => {
            let statuses = object["status"]["containerStatuses"].as_array().cloned().unwrap_or_default();
            let total = object["spec"]["containers"].as_array().map_or(0, Vec::len);
            let ready = statuses.iter().filter(|s| s["ready"] == true).count();
            json!(format!("{ready}/{total}"))
        }
        "<pod-status>" => json!(pod_status(object)),
        "<pod-restarts>" => {
            let statuses = object["status"]["containerStatuses"].as_array().cloned().unwrap_or_default();
            let restarts: i64 = statuses.iter().filter_map(|s| s["restartCount"].as_i64()).sum();
            json!(restarts.to_string())
        }
        "<service-ports>" => {
            let ports = object["spec"]["ports"].as_array().cloned().unwrap_or_default();
            let listed: Vec<String> = ports
                .iter()
                .map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")))
                .collect();
            json!(if listed.is_empty() { "<none>".to_string() } else { listed.join(",") })
        }
        "<deployment-ready>" => {
            let ready = object["status"]["readyReplicas"].as_i64().unwrap_or(0);
            let wanted = object["spec"]["replicas"].as_i64().unwrap_or(0);
            json!(format!("{ready}/{wanted}"))
        }
        path => typed_cell(&column.type_, lookup(object, path), rt),
    }
}

/// As the CRD table convertor does: strings as text, numbers as numbers, dates as ages.
fn typed_cell(type_: &str, value: Option<&Value>, _rt: &ResourceType) -> Value {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Value::Null };
    match type_ {
        "date" => value.as_str().map(|t| json!(age(t))).unwrap_or(Value::Null),
        "integer" => value.as_i64().map(Value::from).unwrap_or(Value::Null),
        "number" => value.as_f64().map(Value::from).unwrap_or(Value::Null),
        "boolean" => value.as_bool().map(Value::from).unwrap_or(Value::Null),
        _ => match value {
            Value::String(s) => json!(s),
            other => json!(other.to_string()),
        },
    }
}

fn pod_status(pod: &Value) -> String {
    if pod["metadata"].get("deletionTimestamp").is_some() {
        return "Terminating".into();
    }
    let statuses = pod["status"]["containerStatuses"].as_array().cloned().unwrap_or_default();
    for status in &statuses {
        if let Some(reason) = status["state"]["waiting"]["reason"].as_str() {
            return reason.into();
        }
        if let Some(reason) = status["state"]["terminated"]["reason"].as_str()
            && pod["status"]["phase"] != "Running"
        {
            return reason.into();
        }
    }
    pod["status"]["phase"].as_str().unwrap_or("Pending").into()
}

/// The value at a simple JSONPath (`.status.phase`, `{.spec.ports[0].port}`).
pub fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let mut current = object;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (field, index) = match segment.split_once('[') {
            Some((field, rest)) => (field, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        if !field.is_empty() {
            current = current.get(field)?;
        }
        if let Some(i) = index {
            current = current.get(i)?;
        }
    }
    Some(current)
}

/// Time since an RFC 3339 timestamp, as kubectl shows ages.
fn age(timestamp: &str) -> String {
    match timestamp.parse::<jiff::Timestamp>() {
        Ok(then) => {
            let seconds = jiff::Timestamp::now().duration_since(then).as_secs();
            match u64::try_from(seconds) {
                Ok(seconds) => shared::display::human_duration(std::time::Duration::from_secs(seconds)),
                // A second in the future is clock skew; more is a wrong timestamp.
                Err(_) if seconds >= -1 => "0s".into(),
                Err(_) => "<invalid>".into(),
            }
        }
        Err(_) => "<invalid>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_table_uses_printer_columns() {
        let registry = crate::api::registry::with_project_crds();
        let rt = registry.lookup("etcd.kubectl-etcd.dev", "v1alpha1", "etcdclusters").expect("served");
        let object = json!({
            "metadata": {"name": "demo", "creationTimestamp": store_time(-300)},
            "spec": {"size": 3},
            "status": {"ready": "3/3", "currentVersion": "3.5.1", "phase": "Running", "leader": "demo-1"}
        });
        let t = table(&rt, &[object], 7, Include::Metadata, true);
        let names: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["Name", "Size", "Ready", "Version", "Phase", "Age", "Leader", "Last Backup"]);
        let cells = &t["rows"][0]["cells"];
        assert_eq!(cells[0], "demo");
        assert_eq!(cells[1], 3);
        assert_eq!(cells[2], "3/3");
        assert_eq!(cells[5], "5m");
        assert_eq!(cells[7], Value::Null, "no backup yet");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    fn store_time(offset_seconds: i64) -> String {
        let t = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(offset_seconds))
            .expect("in range");
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    #[test]
    fn json_paths() {
        let v = json!({"spec": {"ports": [{"port": 2379}]}});
        assert_eq!(lookup(&v, ".spec.ports[0].port"), Some(&json!(2379)));
        assert_eq!(lookup(&v, "{.spec.ports[0].port}"), Some(&json!(2379)));
        assert_eq!(lookup(&v, ".spec.missing"), None);
    }
}
