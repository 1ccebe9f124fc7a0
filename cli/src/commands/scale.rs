//! `kubectl etcd scale NAME --size N`: changes the number of voting members; the operator
//! adds or removes one member at a time, learners first.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::crd::{MAX_SIZE, MIN_SIZE};

use crate::client::{ApiError, ConnectError, Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::{WaitError, wait_if_asked};

/// Change the number of members of a cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd scale demo --size 5\n  \
    kubectl etcd scale demo --size 3 --wait --timeout 10m\n\n\
    Sizes outside 1..=9 are refused (exit 3) before anything is written. With --wait, progress goes \
    to stderr and the command exits 6 if the cluster does not run at its new size within --timeout.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// New number of voting members, 1 to 9. Odd sizes are recommended.
    #[arg(long, allow_negative_numbers = true)]
    size: i32,

    /// Wait until the cluster runs at the new size.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 10m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Why the cluster could not be scaled.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The patch failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The wait could not go on.
    #[error(transparent)]
    Wait(#[from] WaitError),
}

/// Why a size is refused; `None` when it is allowed.
fn refuse_size(size: i32) -> Option<String> {
    (!(MIN_SIZE..=MAX_SIZE).contains(&size)).then(|| {
        format!("size {size} is outside {MIN_SIZE}..={MAX_SIZE}: an etcd cluster has 1 to 9 voting members")
    })
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, ScaleError> {
    if let Some(reason) = refuse_size(args.size) {
        eprintln!("refused: {reason}; nothing was changed");
        return Ok(Outcome::Refused);
    }
    if args.size % 2 == 0 {
        eprintln!(
            "warning: size {} is even: it tolerates no more failed members than size {}",
            args.size,
            args.size - 1
        );
    }
    let connection = Connection::open(kube).await?;
    let started = Instant::now();
    connection.patch_cluster("scale", &args.name, json!({"spec": {"size": args.size}})).await?;
    println!("etcdcluster/{} scaled to {}", args.name, args.size);
    Ok(wait_if_asked(&connection, &args.name, args.wait, args.timeout, started).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_outside_one_to_nine_are_refused() {
        assert_eq!(refuse_size(1), None);
        assert_eq!(refuse_size(9), None);
        assert_eq!(
            refuse_size(12).as_deref(),
            Some("size 12 is outside 1..=9: an etcd cluster has 1 to 9 voting members")
        );
        assert!(refuse_size(0).is_some());
        assert!(refuse_size(-3).is_some());
    }
}
