//! `kubectl etcd upgrade-plan NAME --to V` shows what an upgrade would do, step by step;
//! `kubectl etcd upgrade NAME --to V` checks the same plan, asks, sets `spec.version` and
//! optionally follows the rolling upgrade. Both plan with `shared::plan::upgrade`, the
//! planner the operator follows, from the members the cluster's status shows. On a
//! terminal a missing `--to` is chosen from the versions the version policy allows from
//! the running one, and `upgrade-plan` ends by offering to carry its plan out.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::crd::{EtcdCluster, MemberRole};
use shared::names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION;
use shared::plan::upgrade::{ObservedMember, UpgradeInput, UpgradePlan, plan_upgrade, preview_upgrade};
use shared::version::{EtcdVersion, StepKind, UpgradeTarget, upgrade_targets};

use crate::client::{ApiError, ConnectError, Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::{WaitError, wait_if_asked};
use crate::output::structured::{self, Structured};
use crate::prompt::{self, PromptError};

/// What the commands say when the person stops them.
const NOT_DONE: &str = "not upgraded";

/// Show the steps an upgrade would take; change nothing.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd upgrade-plan demo --to 3.5.1\n  \
    kubectl etcd upgrade-plan demo --to 3.5.1 -o json\n  \
    kubectl etcd upgrade-plan demo             # on a terminal: choose the version, then run the plan or not\n\n\
    Patch versions change freely, minor versions one at a time upward (a target two minors up is \
    planned as two rounds), never down across minors. Exit 0 when the plan could be carried out now, \
    3 when it is refused (with the reason on stderr, or in the plan's `refused` field). On a terminal \
    a missing --to is chosen from the versions allowed from the running one, and, without -o, the \
    plan ends with an offer to carry it out (default No; declining or Ctrl-C exits 8). Without a \
    terminal --to is required (exit 2).")]
pub struct PlanArgs {
    /// Name of the EtcdCluster.
    name: String,

    /// The etcd version to plan for, e.g. 3.5.1 (a leading v is accepted). Chosen from a
    /// list on a terminal when left out.
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,

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
    kubectl etcd upgrade demo --to 3.5.1 --yes --wait --timeout 20m\n  \
    kubectl etcd upgrade demo                         # on a terminal: choose the version, see the plan\n\n\
    The plan is checked before anything is written: a refused path (a downgrade across minors, a \
    skipped minor, an unknown or malformed version) or an unhealthy cluster exits 3 and changes \
    nothing. On a terminal a missing --to is chosen from the patch versions and the next minor \
    version the version policy allows (versions etcd advises against only with --force); the plan \
    is shown and confirmed (default No; declining or Ctrl-C exits 8 and changes nothing). Without a \
    terminal --to (exit 2 when missing) and --yes are required. With --wait, progress goes to stderr; the command \
    exits 0 once every member runs the new version, 6 on timeout (a member that cannot start leaves \
    the cluster Degraded: set the version back or to one that starts to resume).")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// The etcd version to move to, e.g. 3.5.1 (a leading v is accepted). Chosen from a list
    /// on a terminal when left out.
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,

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
    Prompt(#[from] PromptError),
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

/// The version `--to` names: `Ok(None)` when it was left out, `Err` with the outcome when
/// it is malformed (refused) or missing where nobody can be asked (the usage error).
fn given_target(to: Option<&str>, asking: bool) -> Result<Option<EtcdVersion>, Outcome> {
    match to.map(parse_target) {
        Some(Ok(target)) => Ok(Some(target)),
        Some(Err(reason)) => Err(refused(&reason)),
        None if asking => Ok(None),
        None => Err(prompt::missing_argument("--to <VERSION>")),
    }
}

/// The version the cluster runs: the lowest version its members report, else its
/// `spec.version` (before any member reported one).
fn running_version(cluster: &EtcdCluster) -> Option<EtcdVersion> {
    let status = cluster.status.clone().unwrap_or_default();
    let reported: Vec<EtcdVersion> =
        status.members.iter().filter_map(|m| m.version.as_deref().and_then(|v| v.parse().ok())).collect();
    shared::version::cluster_version(&reported).or_else(|| cluster.spec.version.parse().ok())
}

/// One line of the version list: the version, what kind of change it is, the stops on the
/// way, and the advisory of a version etcd advises against (listed only with --force).
fn target_choice(target: &UpgradeTarget, running: EtcdVersion) -> String {
    let kind = match target.kind {
        StepKind::Patch if target.version < running => "patch downgrade",
        StepKind::Patch => "patch upgrade",
        _ => "next minor version",
    };
    let mut line = format!("{}  {kind}", target.version);
    if let Ok(path) = &target.path
        && path.len() > 1
    {
        let stops: Vec<String> = path[..path.len() - 1].iter().map(ToString::to_string).collect();
        line.push_str(&format!(", through {}", stops.join(", ")));
    }
    if let Some(advisory) = shared::advisory::advisory(target.version) {
        line.push_str(&format!(" - etcd advises against it: {}", advisory.defect));
    }
    line
}

/// What is said under the list about the versions left out of it: those etcd advises
/// against, which only --force offers.
fn not_offered(targets: &[UpgradeTarget]) -> Option<String> {
    let advised: Vec<String> = targets
        .iter()
        .filter(|t| matches!(t.path, Err(shared::version::PathError::Advisory { .. })))
        .map(|t| t.version.to_string())
        .collect();
    (!advised.is_empty()).then(|| {
        format!(
            "Not offered: {} (etcd advises against them; --force lists them with their advisories)",
            advised.join(", ")
        )
    })
}

/// Asks for the version to move `name` to, from the versions the version policy allows from
/// the one it runs.
async fn choose_target(cluster: &EtcdCluster, name: &str, force: bool) -> prompt::Answer<EtcdVersion> {
    let Some(running) = running_version(cluster) else {
        return Ok(std::ops::ControlFlow::Break(refused(&format!(
            "the version etcdcluster {name} runs is not known yet: give --to VERSION"
        ))));
    };
    let targets = upgrade_targets(running, force);
    let offered: Vec<&UpgradeTarget> = targets.iter().filter(|t| t.path.is_ok()).collect();
    if offered.is_empty() {
        return Ok(std::ops::ControlFlow::Break(refused(&format!(
            "no tested version is allowed from etcd {running}: give --to VERSION"
        ))));
    }
    if let Some(note) = not_offered(&targets) {
        eprintln!("{note}");
    }
    let items = offered.iter().map(|t| target_choice(t, running)).collect();
    let question = format!("Version to move etcdcluster {name} to (it runs etcd {running})");
    let chosen = prompt::answer(prompt::choose(question, items, 0).await, NOT_DONE)?;
    Ok(chosen.map_continue(|index| offered[index].version))
}

/// Sets `spec.version` (and, forced, the annotation that allows it): the operator carries
/// the upgrade out.
async fn start(
    connection: &Connection,
    name: &str,
    target: EtcdVersion,
    force: bool,
) -> Result<(), ApiError> {
    let mut patch = json!({"spec": {"version": target.to_string()}});
    if force {
        patch["metadata"] = json!({"annotations": {ALLOW_UNSUPPORTED_VERSION_ANNOTATION: "true"}});
    }
    connection.patch_cluster("upgrade", name, patch).await?;
    println!("etcdcluster/{name} upgrading to etcd {target}");
    Ok(())
}

/// Whether carrying `plan` out changes anything: a member or the cluster's `spec.version`.
fn changes_anything(cluster: &EtcdCluster, plan: &UpgradePlan) -> bool {
    plan.changes_members() || cluster.spec.version.trim_start_matches('v') != plan.to.to_string()
}

/// Runs `upgrade-plan`: the plan on stdout; exit 0 when it could be carried out now. On a
/// terminal, a plan shown as a table ends with the offer to carry it out.
pub async fn plan(kube: &KubeArgs, args: &PlanArgs) -> Result<Outcome, UpgradeError> {
    let asking = prompt::may_ask(false);
    let given = match given_target(args.to.as_deref(), asking) {
        Ok(given) => given,
        Err(outcome) => return Ok(outcome),
    };
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    let target = match given {
        Some(target) => target,
        None => prompt::answered!(choose_target(&cluster, &args.name, args.force).await),
    };
    let plan = match preview_upgrade(&upgrade_input(&cluster, target, args.force)) {
        Ok(plan) => plan,
        Err(error) => return Ok(refused(&error.to_string())),
    };
    let text = match args.output {
        Some(format) => structured::render(&plan, format).map_err(UpgradeError::Print)?,
        None => crate::output::plan::render(&args.name, &plan),
    };
    print!("{text}");
    if plan.refused.is_some() {
        return Ok(Outcome::Refused);
    }
    if asking && args.output.is_none() && changes_anything(&cluster, &plan) {
        let question = format!(
            "Carry this plan out now: upgrade etcdcluster {} in namespace {} to etcd {target}?",
            args.name, connection.namespace
        );
        prompt::answered!(prompt::go_ahead(question, false, NOT_DONE).await);
        start(&connection, &args.name, target, args.force).await?;
    }
    Ok(Outcome::Success)
}

/// Says why nothing was done.
fn refused(reason: &str) -> Outcome {
    eprintln!("refused: {reason}; nothing was changed");
    Outcome::Refused
}

/// Runs `upgrade`.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, UpgradeError> {
    let asking = prompt::may_ask(args.yes);
    let given = match given_target(args.to.as_deref(), asking) {
        Ok(given) => given,
        Err(outcome) => return Ok(outcome),
    };
    if !args.yes && !prompt::on_terminal() {
        return Ok(refused("an upgrade needs --yes when not on a terminal"));
    }
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    let target = match given {
        Some(target) => target,
        None => prompt::answered!(choose_target(&cluster, &args.name, args.force).await),
    };
    let plan: UpgradePlan = match plan_upgrade(&upgrade_input(&cluster, target, args.force)) {
        Ok(plan) => plan,
        Err(error) => return Ok(refused(&error.to_string())),
    };
    if !changes_anything(&cluster, &plan) {
        println!("etcdcluster/{} already runs etcd {target}", args.name);
        return Ok(Outcome::Success);
    }
    eprint!("{}", crate::output::plan::render(&args.name, &plan));
    if asking {
        let question = format!(
            "Upgrade etcdcluster {} in namespace {} from etcd {} to {target}?",
            args.name, connection.namespace, plan.from
        );
        prompt::answered!(prompt::go_ahead(question, false, NOT_DONE).await);
    }
    let started = Instant::now();
    start(&connection, &args.name, target, args.force).await?;
    Ok(wait_if_asked(&connection, &args.name, args.wait, args.timeout, started).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_list_says_what_each_target_is_and_names_what_it_leaves_out() {
        let running = EtcdVersion::new(3, 4, 23);
        let targets = upgrade_targets(running, false);
        assert_eq!(target_choice(&targets[0], running), "3.5.30  next minor version");
        let note = not_offered(&targets).expect("3.5.1 and 3.5.0 are advised against");
        assert!(note.starts_with("Not offered: 3.5.1, 3.5.0 (etcd advises against them"), "{note}");
        let forced = upgrade_targets(running, true);
        let listed = target_choice(&forced[2], running);
        assert!(listed.starts_with("3.5.1  next minor version - etcd advises against it: "), "{listed}");
        let patch = upgrade_targets(EtcdVersion::new(3, 5, 30), false);
        assert_eq!(target_choice(&patch[0], EtcdVersion::new(3, 5, 30)), "3.5.16  patch downgrade");
        assert_eq!(given_target(None, false), Err(Outcome::Usage), "a script is not asked");
        assert_eq!(given_target(None, true), Ok(None));
        assert_eq!(given_target(Some("3.5"), true), Err(Outcome::Refused));
    }

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
