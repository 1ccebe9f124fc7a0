//! `kubectl etcd delete NAME`: deletes the EtcdCluster; its Pods, Services and (unless
//! retained) volumes go with it through their owner references.

use std::time::Duration;

use kube::api::DeleteParams;
use shared::crd::{RetainPolicy, StorageKind};

use crate::client::{ApiError, ConnectError, Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::Progress;
use crate::output::table::human_duration;

/// Delete a cluster and everything it owns.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd delete demo              # asks for confirmation on a terminal\n  \
    kubectl etcd delete demo --yes --wait\n\n\
    Without a terminal (scripts, CI) --yes is required: the command refuses with exit 3 otherwise. \
    Member volumes are deleted too unless spec.storage.retainPolicy is Retain.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Delete without asking.
    #[arg(short = 'y', long)]
    yes: bool,

    /// Wait until the cluster is gone.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 30s or 2m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Why the cluster could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused or did not answer.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The question could not be asked.
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    /// The wait could not go on.
    #[error("cannot follow the deletion: {0}")]
    Watch(String),
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, DeleteError> {
    if !args.yes && !crate::prompt::on_terminal() {
        eprintln!("refusing to delete without --yes when not on a terminal; nothing was changed");
        return Ok(Outcome::Refused);
    }
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    if !args.yes {
        let storage = &cluster.spec.storage;
        let owned = match (storage.kind, storage.retain_policy) {
            (StorageKind::Ephemeral, _) => "its Pods, with their data",
            (StorageKind::Persistent, RetainPolicy::Retain) => "its Pods (the volumes are retained)",
            (StorageKind::Persistent, RetainPolicy::Delete) => "its Pods and volumes, with their data",
        };
        let prompt = format!(
            "Delete etcdcluster {} in namespace {} (size {}) and {owned}?",
            args.name, connection.namespace, cluster.spec.size
        );
        crate::prompt::answered!(crate::prompt::go_ahead(prompt, false, "not deleted").await);
    }
    connection
        .clusters()
        .delete(&args.name, &DeleteParams::background())
        .await
        .map_err(|e| connection.api_error("delete", &args.name, &e))?;
    println!("etcdcluster/{} deleted", args.name);
    if !args.wait {
        return Ok(Outcome::Success);
    }
    let progress = Progress::start(format!("waiting for etcdcluster {} to be gone", args.name));
    let gone =
        connection.follow(connection.clusters(), &args.name, args.timeout, |cluster| cluster.is_none()).await;
    progress.finish();
    if gone.map_err(|e| DeleteError::Watch(crate::client::describe(&e)))? {
        Ok(Outcome::Success)
    } else {
        eprintln!("timed out after {}: etcdcluster {} still exists", human_duration(args.timeout), args.name);
        Ok(Outcome::TimedOut)
    }
}
