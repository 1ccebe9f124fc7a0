//! `kubectl etcd report NAME [--out FILE]`: a support bundle, one `.tar.gz` (a single file
//! to attach to an issue, written whole or not at all: `FILE.part`, then renamed) holding
//! what a person helping needs: the EtcdCluster with its status, the members as etcd
//! describes them (member list, endpoint status), the alarms, the cluster's Pods and PVCs,
//! the namespace's EtcdBackups, EtcdRestores and Events, the Secrets' names and keys (never
//! their values), recent logs of the members and of the operator. Every file passes
//! [`redact`], so nothing shaped like a private key leaves the cluster; what could not be
//! read is listed in `errors.txt`.

use std::io::Write;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod, Secret};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serde::Serialize;
use serde_json::{Value, json};
use shared::crd::{EtcdBackup, EtcdRestore};
use shared::names;

use crate::client::{ConnectError, Connection, KubeArgs};
use crate::commands::logs;
use crate::exit::Outcome;
use crate::members::{self, MEMBER_CONTAINER};

/// Write a support bundle for a cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd report demo\n  \
    kubectl etcd report demo --out /tmp/demo-report.tar.gz --tail 5000\n\n\
    The bundle holds no Secret value (Secrets' names and keys only) and nothing shaped like a \
    private key; read it before you share it.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// The file to write. Default: etcd-report-NAME-UNIXTIME.tar.gz in the current folder.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Log lines kept per container.
    #[arg(long, value_name = "LINES", default_value_t = 2000)]
    tail: i64,
}

/// Why no report was written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The cluster could not be read.
    #[error("{0}")]
    Api(String),
    /// The bundle could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Replaces every PEM block of a private key in `text` (`-----BEGIN ... PRIVATE KEY-----`
/// to its `-----END ...-----`, also inside JSON or YAML strings) with a marker.
pub fn redact(text: &str) -> String {
    const MARKER: &str = "[REDACTED PRIVATE KEY]";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let header_end = rest[begin + 11..].find("-----").map(|i| begin + 11 + i + 5);
        let private = header_end.is_some_and(|end| rest[begin..end].contains("PRIVATE KEY"));
        let Some(header_end) = header_end.filter(|_| private) else {
            out.push_str(&rest[..begin + 11]);
            rest = &rest[begin + 11..];
            continue;
        };
        out.push_str(&rest[..begin]);
        out.push_str(MARKER);
        rest = match rest[header_end..].find("-----END ") {
            Some(end) => {
                let after = header_end + end + 9;
                match rest[after..].find("-----") {
                    Some(close) => &rest[after + close + 5..],
                    None => "",
                }
            }
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// A Secret as the report shows it: its name, type and keys, never a value.
pub fn secret_outline(secret: &Secret) -> Value {
    let keys: Vec<&String> = secret
        .data
        .iter()
        .flat_map(|d| d.keys())
        .chain(secret.string_data.iter().flat_map(|d| d.keys()))
        .collect();
    json!({"name": secret.name_any(), "type": secret.type_, "keys": keys})
}

/// `object` as YAML without `metadata.managedFields`.
fn yaml<T: Serialize>(object: &T) -> String {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    strip_managed_fields(&mut value);
    serde_yaml::to_string(&value).unwrap_or_default()
}

fn strip_managed_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
                metadata.remove("managedFields");
            }
            map.values_mut().for_each(strip_managed_fields);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_managed_fields),
        _ => {}
    }
}

/// The bundle's files, gathered; failures become lines of `errors.txt`.
#[derive(Default)]
struct Bundle {
    files: Vec<(String, String)>,
    errors: Vec<String>,
}

impl Bundle {
    fn add(&mut self, path: &str, content: Result<String, String>) {
        match content {
            Ok(text) => self.files.push((path.to_string(), redact(&text))),
            Err(error) => self.errors.push(format!("{path}: {error}")),
        }
    }
}

async fn list<K>(api: Api<K>, params: &ListParams) -> Result<String, String>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
{
    api.list(params).await.map(|list| yaml(&list.items)).map_err(|e| crate::client::describe(&e))
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, ReportError> {
    let connection = Connection::open(kube).await?;
    let (client, namespace, name) = (&connection.client, connection.namespace.as_str(), args.name.as_str());
    let cluster = connection.get(name).await.map_err(|e| ReportError::Api(e.to_string()))?;
    let mut bundle = Bundle::default();
    bundle.add("etcdcluster.yaml", Ok(yaml(&cluster)));
    match members::survey(client, namespace, name).await {
        Ok(survey) => {
            bundle.add("etcd/members.yaml", Ok(yaml(&survey.members)));
            bundle.add("etcd/alarms.yaml", Ok(yaml(&survey.alarms)));
        }
        Err(error) => bundle.add("etcd/members.yaml", Err(error.to_string())),
    }
    let all = ListParams::default();
    let selected = ListParams::default().labels(&names::selector_string(&names::selector_labels(name)));
    bundle
        .add("etcdbackups.yaml", list(Api::<EtcdBackup>::namespaced(client.clone(), namespace), &all).await);
    bundle.add(
        "etcdrestores.yaml",
        list(Api::<EtcdRestore>::namespaced(client.clone(), namespace), &all).await,
    );
    bundle.add("events.yaml", list(Api::<Event>::namespaced(client.clone(), namespace), &all).await);
    bundle.add("pods.yaml", list(Api::<Pod>::namespaced(client.clone(), namespace), &selected).await);
    let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), namespace);
    bundle.add("persistentvolumeclaims.yaml", list(claims, &selected).await);
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace).list(&all).await;
    bundle.add(
        "secrets.yaml",
        secrets
            .map(|l| {
                serde_yaml::to_string(&l.items.iter().map(secret_outline).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .map_err(|e| crate::client::describe(&e)),
    );
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match members::member_pods(&pods, name).await {
        Ok(member_pods) => {
            for pod in member_pods.iter().map(ResourceExt::name_any) {
                let text = logs::read(&pods, &pod, Some(MEMBER_CONTAINER), args.tail).await;
                bundle.add(&format!("logs/members/{pod}.log"), text.map_err(|e| crate::client::describe(&e)));
            }
        }
        Err(error) => bundle.add("logs/members", Err(crate::client::describe(&error))),
    }
    // The operator's Pods, labelled as `install` labels them.
    let operator_selector = format!("app.kubernetes.io/name={}", crate::install::objects::NAME);
    let operators =
        Api::<Pod>::all(client.clone()).list(&ListParams::default().labels(&operator_selector)).await;
    match operators {
        Ok(list) if list.items.is_empty() => {
            bundle.errors.push(format!("logs/operator: no Pod labelled {operator_selector}"))
        }
        Ok(list) => {
            for pod in &list.items {
                let (pod_ns, pod_name) = (pod.namespace().unwrap_or_default(), pod.name_any());
                let api: Api<Pod> = Api::namespaced(client.clone(), &pod_ns);
                let text = logs::read(&api, &pod_name, None, args.tail).await;
                bundle.add(
                    &format!("logs/operator/{pod_ns}_{pod_name}.log"),
                    text.map_err(|e| crate::client::describe(&e)),
                );
            }
        }
        Err(error) => bundle.add("logs/operator", Err(crate::client::describe(&error))),
    }
    let errors = bundle.errors.join("\n") + "\n";
    bundle.files.push(("errors.txt".into(), errors));
    let file = args.out.clone().unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        PathBuf::from(format!("etcd-report-{name}-{now}.tar.gz"))
    });
    write(&file, &format!("etcd-report-{name}"), &bundle.files)?;
    eprintln!("{} files, {} could not be read (see errors.txt)", bundle.files.len(), bundle.errors.len());
    println!("{}", file.display());
    Ok(Outcome::Success)
}

/// Writes `files` under `folder` into the .tar.gz `file`, through `FILE.part`.
fn write(file: &Path, folder: &str, files: &[(String, String)]) -> Result<(), ReportError> {
    let part = crate::download::part_path(file);
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError::Io { path, source }
    };
    let written = (|| {
        let out = std::fs::File::create(&part)?;
        let mut archive =
            tar::Builder::new(flate2::write::GzEncoder::new(out, flate2::Compression::default()));
        let mtime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o600);
            header.set_mtime(mtime);
            archive.append_data(&mut header, format!("{folder}/{path}"), content.as_bytes())?;
        }
        let mut out = archive.into_inner()?.finish()?;
        out.flush()?;
        out.sync_all()
    })();
    if let Err(error) = written.and_then(|()| std::fs::rename(&part, file)) {
        let _ = std::fs::remove_file(&part);
        return Err(io(file)(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;

    use super::*;

    #[test]
    fn private_keys_are_redacted_and_certificates_kept() {
        let text = "a\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\nb \
                    \"-----BEGIN PRIVATE KEY-----\\nABC\\n-----END PRIVATE KEY-----\\n\" \
                    -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let redacted = redact(text);
        assert!(!redacted.contains("MHcCAQEE") && !redacted.contains("ABC"), "{redacted}");
        assert_eq!(redacted.matches("[REDACTED PRIVATE KEY]").count(), 2, "{redacted}");
        assert!(redacted.contains("-----BEGIN CERTIFICATE-----\nMIIB"), "{redacted}");
        assert_eq!(redact("-----BEGIN RSA PRIVATE KEY-----\nunterminated"), "[REDACTED PRIVATE KEY]");
    }

    #[test]
    fn secrets_show_names_and_keys_only() {
        let secret = Secret {
            metadata: kube::api::ObjectMeta { name: Some("s3".into()), ..Default::default() },
            data: Some(BTreeMap::from([("secret-key".to_string(), ByteString(b"hunter2".to_vec()))])),
            type_: Some("Opaque".into()),
            ..Default::default()
        };
        let outline = secret_outline(&secret);
        assert_eq!(outline, json!({"name": "s3", "type": "Opaque", "keys": ["secret-key"]}));
        assert!(!outline.to_string().contains("hunter2") && !outline.to_string().contains("aHVudGVyMg"));
    }
}
