//! `kubectl etcd upgrade-plan NAME --to V` shows what an upgrade would do, step by step;
//! `kubectl etcd upgrade NAME --to V` checks the same plan, asks, sets `spec.version` and
//! optionally follows the rolling upgrade. Both plan with `shared::plan::upgrade`, the
//! planner the operator follows, from the members the cluster's status shows.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::crd::{EtcdCluster, MemberRole};
use shared::names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION;
use shared::plan::upgrade::{ObservedMember, UpgradeInput, UpgradePlan, plan_upgrade, preview_upgrade};
use shared::version::EtcdVersion;

use crate::client::{ApiError, ConnectError, Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::{WaitError, wait_if_asked};
use crate::output::structured::{self, Structured};

/// Show the steps an upgrade would take; change nothing.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd upgrade-plan demo --to 3.5.1\n  \
    kubectl etcd upgrade-plan demo --to 3.5.1 -o json\n\n\
    Patch versions change freely, minor versions one at a time upward (a target two minors up is \
    planned as two rounds), never down across minors. Exit 0 when the plan could be carried out now, \
    3 when it is refused (with the reason on stderr, or in the plan's `refused` field).")]
pub struct PlanArgs {
    /// Name of the EtcdCluster.
    name: String,

    /// The etcd version to plan for, e.g. 3.5.1 (a leading v is accepted).
    #[arg(long, value_name = "VERSION")]
    to: String,

    /// Plan for a minor version the project does not support yet.
    #[arg(long)]
    force: bool,

    /// Print the plan as json or yaml instead of a table.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<Structured>,
}

/// Upgrade (or change the patch version of) a cluster, one member at a time.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd upgrade demo --to 3.5.1              # shows the plan, asks on a terminal\n  \
    kubectl etcd upgrade demo --to 3.5.1 --yes --wait --timeout 20m\n\n\
    The plan is checked before anything is written: a refused path (a downgrade across minors, a \
    skipped minor, an unknown or malformed version) or an unhealthy cluster exits 3 and changes \
    nothing. Without a terminal --yes is required. With --wait, progress goes to stderr; the command \
    exits 0 once every member runs the new version, 6 on timeout (a member that cannot start leaves \
    the cluster Degraded: set the version back or to one that starts to resume).")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// The etcd version to move to, e.g. 3.5.1 (a leading v is accepted).
    #[arg(long, value_name = "VERSION")]
    to: String,

    /// Allow a target etcd advises against (3.4.0-3.4.20, 3.5.0-3.5.5) or a minor version
    /// the project does not support yet (sets the
    /// etcd.kubectl-etcd.dev/allow-unsupported-version annotation). Nothing else is forced:
    /// minor versions are still taken one at a time, through the patch etcd asks for.
    #[arg(long)]
    force: bool,

    /// Upgrade without asking.
    #[arg(short = 'y', long)]
    yes: bool,

    /// Wait until every member runs the new version.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 20m.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Why an upgrade could not be planned or started.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The cluster could not be read or changed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The plan could not be printed.
    #[error("cannot print the plan: {0}")]
    Print(String),
    /// The question could not be asked.
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    /// The wait could not go on.
    #[error(transparent)]
    Wait(#[from] WaitError),
}

/// The version asked for, or why it is refused.
fn parse_target(text: &str) -> Result<EtcdVersion, String> {
    text.parse::<EtcdVersion>().map_err(|_| {
        format!(
            "{text:?} is not an etcd version: give MAJOR.MINOR.PATCH, e.g. {}",
            shared::version::default_version()
        )
    })
}

/// What the planner reads, from the members the cluster's status shows.
pub fn upgrade_input(cluster: &EtcdCluster, target: EtcdVersion, force: bool) -> UpgradeInput {
    let status = cluster.status.clone().unwrap_or_default();
    UpgradeInput {
        members: status
            .members
            .iter()
            .map(|m| ObservedMember {
                name: m.name.clone(),
                id: m.id.clone(),
                version: m.version.as_deref().and_then(|v| v.parse().ok()),
                role: m.role.unwrap_or(MemberRole::Follower),
                healthy: m.healthy,
            })
            .collect(),
        target,
        force,
        backup_configured: cluster.spec.backup.as_ref().is_some_and(|b| b.before_upgrade),
        snapshot_taken: false,
        storage: cluster.spec.storage.kind,
    }
}

/// Runs `upgrade-plan`: the plan on stdout; exit 0 when it could be carried out now.
pub async fn plan(kube: &KubeArgs, args: &PlanArgs) -> Result<Outcome, UpgradeError> {
    let target = match parse_target(&args.to) {
        Ok(target) => target,
        Err(reason) => return Ok(refused(&reason)),
    };
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    let plan = match preview_upgrade(&upgrade_input(&cluster, target, args.force)) {
        Ok(plan) => plan,
        Err(error) => return Ok(refused(&error.to_string())),
    };
    let text = match args.output {
        Some(format) => structured::render(&plan, format).map_err(UpgradeError::Print)?,
        None => crate::output::plan::render(&args.name, &plan),
    };
    print!("{text}");
    Ok(if plan.refused.is_some() { Outcome::Refused } else { Outcome::Success })
}

/// Says why nothing was done.
fn refused(reason: &str) -> Outcome {
    eprintln!("refused: {reason}; nothing was changed");
    Outcome::Refused
}

/// Runs `upgrade`.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, UpgradeError> {
    let target = match parse_target(&args.to) {
        Ok(target) => target,
        Err(reason) => return Ok(refused(&reason)),
    };
    if !args.yes && !crate::prompt::on_terminal() {
        return Ok(refused("an upgrade needs --yes when not on a terminal"));
    }
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    let plan: UpgradePlan = match plan_upgrade(&upgrade_input(&cluster, target, args.force)) {
        Ok(plan) => plan,
        Err(error) => return Ok(refused(&error.to_string())),
    };
    let current_spec = cluster.spec.version.trim_start_matches('v');
    if !plan.changes_members() && current_spec == target.to_string() {
        println!("etcdcluster/{} already runs etcd {target}", args.name);
        return Ok(Outcome::Success);
    }
    eprint!("{}", crate::output::plan::render(&args.name, &plan));
    if !args.yes {
        let question = format!(
            "Upgrade etcdcluster {} in namespace {} from etcd {} to {target}?",
            args.name, connection.namespace, plan.from
        );
        match crate::prompt::confirm(question, false).await {
            Ok(true) => {}
            Ok(false) => return Ok(crate::prompt::declined("not upgraded", None)),
            Err(error) => return crate::prompt::not_answered("not upgraded", error),
        }
    }
    let started = Instant::now();
    let mut patch = json!({"spec": {"version": target.to_string()}});
    if args.force {
        patch["metadata"] = json!({"annotations": {ALLOW_UNSUPPORTED_VERSION_ANNOTATION: "true"}});
    }
    connection.patch_cluster("upgrade", &args.name, patch).await?;
    println!("etcdcluster/{} upgrading to etcd {target}", args.name);
    Ok(wait_if_asked(&connection, &args.name, args.wait, args.timeout, started).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_versions_are_refused_with_an_example() {
        assert_eq!(parse_target("v3.5.30"), Ok(EtcdVersion::new(3, 5, 30)));
        let reason = parse_target("3.5").expect_err("refused");
        assert!(
            reason.starts_with("\"3.5\" is not an etcd version: give MAJOR.MINOR.PATCH, e.g. 3."),
            "{reason}"
        );
        assert!(parse_target("latest").is_err());
    }

    #[test]
    fn the_plan_is_read_from_the_status_members() {
        let cluster: EtcdCluster = serde_json::from_value(json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo"},
            "spec": {"version": "3.5.30", "storage": {"kind": "Ephemeral"}},
            "status": {"members": [
                {"name": "demo-0", "id": "a", "version": "3.5.30", "role": "Leader", "healthy": true},
                {"name": "demo-1", "id": "b", "version": "3.5.30", "role": "Follower", "healthy": true},
            ]}
        }))
        .expect("cluster");
        let input = upgrade_input(&cluster, EtcdVersion::new(3, 5, 16), false);
        assert_eq!(input.members.len(), 2);
        assert_eq!(input.members[0].role, MemberRole::Leader);
        assert_eq!(input.storage, shared::crd::StorageKind::Ephemeral);
        let plan = plan_upgrade(&input).expect("a patch downgrade is allowed");
        assert_eq!(plan.steps.len(), 4, "check, demo-1, move leader, demo-0: {plan:?}");
        let refused = plan_upgrade(&upgrade_input(&cluster, EtcdVersion::new(3, 4, 23), false));
        assert!(refused.expect_err("a downgrade across minors").to_string().contains("3.4"));
    }
}
