//! `kubectl etcd resume NAME`: lets the operator change the cluster again (spec.paused
//! false); it then carries out whatever the spec asks.

use crate::client::{ApiError, ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;

/// Let the operator change a paused cluster again.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd resume demo\n  \
    kubectl etcd resume demo -n databases && kubectl etcd status demo -n databases")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,
}

/// Why the cluster could not be resumed.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The patch failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, ResumeError> {
    let connection = Connection::open(kube).await?;
    connection.set_paused(&args.name, false).await?;
    println!("etcdcluster/{} resumed", args.name);
    Ok(Outcome::Success)
}
