//! `kubectl etcd restore NEWNAME --from BACKUP|URL [--size N] [--version V] [--wait]`:
//! creates an EtcdRestore; the operator checks the snapshot, then creates the cluster NEWNAME
//! seeded from it.

use std::time::{Duration, Instant};

use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};
use shared::crd::{EtcdRestore, RestorePhase};

use crate::client::{ConnectError, Connection, KubeArgs, describe, is_invalid, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::Progress;

/// Create a new cluster from a snapshot.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd restore demo2 --from demo-20250101-020000 --wait      # an EtcdBackup\n  \
    kubectl etcd restore demo2 --from s3://backups/etcd/demo/x.db --version 3.5.1 \\\n      \
    --credentials-secret s3-creds --s3-endpoint http://minio:9000 --s3-path-style --size 3 --wait\n\n\
    The snapshot is checked (its SHA-256 and etcd's own hash) before anything is created: a \
    missing or damaged snapshot fails the restore with a reason and creates no cluster. A local \
    FILE must first be copied where the operator can read it (a store, or a volume of the \
    operator), then restored by its URL.")]
pub struct Args {
    /// Name of the new EtcdCluster.
    name: String,

    /// An EtcdBackup name (its newest snapshot), or a snapshot URL (s3://, gs://, az://, file://).
    #[arg(long, value_name = "BACKUP|URL")]
    from: String,

    /// Number of voting members of the new cluster (1 to 9).
    #[arg(long, default_value_t = 3)]
    size: i32,

    /// etcd version of the new cluster (default: the snapshot's, when the backup recorded it).
    #[arg(long)]
    version: Option<String>,

    /// Expected SHA-256 of the snapshot file.
    #[arg(long)]
    sha256: Option<String>,

    /// Secret with the store's credentials, for a URL.
    #[arg(long, value_name = "SECRET")]
    credentials_secret: Option<String>,

    /// Endpoint of an S3-compatible store, for an s3:// URL.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,

    /// Address the S3 bucket in the path.
    #[arg(long)]
    s3_path_style: bool,

    /// Allow plain HTTP to the S3 endpoint.
    #[arg(long)]
    s3_allow_http: bool,

    /// Name of the EtcdRestore (default: restore-<NEWNAME>).
    #[arg(long, value_name = "NAME")]
    restore_name: Option<String>,

    /// Wait until the new cluster runs at its size (or the restore fails).
    #[arg(long)]
    wait: bool,

    /// How long --wait waits.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Why the restore could not be requested.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused or failed.
    #[error("{0}")]
    Api(String),
    /// The operator reported a failure.
    #[error("restore {name} failed: {reason}: {message}")]
    Failed {
        /// The EtcdRestore.
        name: String,
        /// Its reason.
        reason: String,
        /// Its message.
        message: String,
    },
}

/// The `source` of the EtcdRestore the flags name.
fn source(args: &Args) -> Value {
    let mut source = if args.from.contains("://") {
        let mut location = json!({"url": args.from});
        if let Some(secret) = &args.credentials_secret {
            location["credentialsSecret"] = json!(secret);
        }
        if args.s3_endpoint.is_some() || args.s3_path_style || args.s3_allow_http {
            let mut s3 = json!({"forcePathStyle": args.s3_path_style, "allowHttp": args.s3_allow_http});
            if let Some(endpoint) = &args.s3_endpoint {
                s3["endpoint"] = json!(endpoint);
            }
            location["s3"] = s3;
        }
        json!({"location": location})
    } else {
        json!({"backup": args.from})
    };
    if let Some(sha) = &args.sha256 {
        source["sha256"] = json!(sha);
    }
    source
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, RestoreError> {
    let connection = Connection::open(kube).await?;
    let name = args.restore_name.clone().unwrap_or_else(|| format!("restore-{}", args.name));
    let mut spec = json!({"clusterName": args.name, "source": source(args), "size": args.size});
    if let Some(version) = &args.version {
        spec["version"] = json!(version);
    }
    let restore: EtcdRestore = serde_json::from_value(json!({
        "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdRestore", "metadata": {"name": name}, "spec": spec,
    }))
    .map_err(|e| RestoreError::Api(format!("building the EtcdRestore: {e}")))?;
    let api: Api<EtcdRestore> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let started = Instant::now();
    match api.create(&PostParams::default(), &restore).await {
        Ok(_) => eprintln!("etcdrestore/{name} created"),
        Err(e) if is_invalid(&e) => {
            eprintln!("refused: {}; nothing was changed", describe(&e));
            return Ok(Outcome::Refused);
        }
        Err(e) => {
            return Err(RestoreError::Api(format!("cannot create etcdrestore {name}: {}", describe(&e))));
        }
    }
    if !args.wait {
        return Ok(Outcome::Success);
    }
    let mut progress = Progress::start(format!("waiting for etcdrestore {name}"));
    let last = loop {
        let current = api
            .get(&name)
            .await
            .map_err(|e| RestoreError::Api(format!("reading etcdrestore {name}: {}", describe(&e))))?;
        let status = current.status.clone().unwrap_or_default();
        if matches!(status.phase, Some(RestorePhase::Succeeded | RestorePhase::Failed)) {
            break Some(status);
        }
        progress.update(format!("etcdrestore {name}: {}", status.message.as_deref().unwrap_or("pending")));
        if started.elapsed() >= args.timeout {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    progress.finish();
    let Some(status) = last else {
        eprintln!("timed out after {:.0}s waiting for etcdrestore {name}", args.timeout.as_secs_f64());
        return Ok(Outcome::TimedOut);
    };
    if status.phase == Some(RestorePhase::Succeeded) {
        println!(
            "etcdcluster/{} restored from revision {} (sha256 {}) in {:.1}s: {} members running",
            args.name,
            status.revision.map_or_else(|| "?".to_string(), |r| r.to_string()),
            status.sha256.as_deref().unwrap_or("?"),
            started.elapsed().as_secs_f64(),
            args.size
        );
        return Ok(Outcome::Success);
    }
    Err(RestoreError::Failed {
        name,
        reason: status.reason.unwrap_or_default(),
        message: status.message.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(words: &[&str]) -> Args {
        let mut all = vec!["restore"];
        all.extend_from_slice(words);
        Cli::try_parse_from(all).unwrap_or_else(|e| panic!("{e}")).args
    }

    #[test]
    fn a_name_is_a_backup_and_a_url_a_location() {
        assert_eq!(source(&parse(&["new", "--from", "nightly"])), json!({"backup": "nightly"}));
        let url = parse(&[
            "new",
            "--from",
            "s3://b/x.db",
            "--credentials-secret",
            "c",
            "--s3-endpoint",
            "http://m:9000",
            "--s3-path-style",
            "--sha256",
            "ab",
        ]);
        assert_eq!(
            source(&url),
            json!({"location": {"url": "s3://b/x.db", "credentialsSecret": "c",
                "s3": {"endpoint": "http://m:9000", "forcePathStyle": true, "allowHttp": false}}, "sha256": "ab"})
        );
    }
}
