//! `kubectl etcd scale NAME --size N`: changes the number of voting members; the operator
//! adds or removes one member at a time, learners first. On a terminal, a missing `--size`
//! is chosen from a list, and the membership steps are shown before the change is asked for.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::crd::{EtcdCluster, MAX_SIZE, MIN_SIZE};
use shared::plan::preview::{ScalePreview, observed, preview_scale};

use crate::client::{Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::wait_if_asked;
use crate::prompt;
use crate::wait::ChangeError;

/// Change the number of members of a cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd scale demo --size 5\n  \
    kubectl etcd scale demo --size 3 --wait --timeout 10m\n  \
    kubectl etcd scale demo                  # on a terminal: choose the size, see the steps, confirm\n\n\
    Sizes outside 1..=9 are refused (exit 3) before anything is written. On a terminal without --yes \
    the membership steps are shown and a confirmation asked (default No when members are removed); \
    declining exits 8 and changes nothing. With --wait, progress goes to stderr and the command exits \
    6 if the cluster does not run at its new size within --timeout.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// New number of voting members, 1 to 9. Odd sizes are recommended. Asked for on a
    /// terminal when left out.
    #[arg(long, allow_negative_numbers = true)]
    size: Option<i32>,

    /// Scale without showing the steps or asking.
    #[arg(short = 'y', long)]
    yes: bool,

    /// Wait until the cluster runs at the new size.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 10m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
}

/// What the command says when the person stops it.
const NOT_DONE: &str = "not scaled";

/// Why a size is refused; `None` when it is allowed.
fn refuse_size(size: i32) -> Option<String> {
    (!(MIN_SIZE..=MAX_SIZE).contains(&size)).then(|| {
        format!("size {size} is outside {MIN_SIZE}..={MAX_SIZE}: an etcd cluster has 1 to 9 voting members")
    })
}

/// One line of the size list: the size, the failures it tolerates, and `mark` (e.g.
/// "current") when it is the size `marked`.
fn size_choice(size: i32, marked: i32, mark: &str) -> String {
    let voters = usize::try_from(size).unwrap_or_default();
    let tolerates = ScalePreview::tolerates(voters);
    let failures = if tolerates == 1 { "failure" } else { "failures" };
    let even = if size % 2 == 0 { ", even: no more than one fewer" } else { "" };
    let now = if size == marked { format!("  ({mark})") } else { String::new() };
    format!("{size} member{} - tolerates {tolerates} {failures}{even}{now}", if size == 1 { "" } else { "s" })
}

/// Asks for a number of voting members from the list of sizes, `marked` preselected and
/// labelled `mark` (scale's current size, restore's default); `what` is said on Ctrl-C.
pub(crate) async fn choose_size(
    question: String,
    marked: i32,
    mark: &str,
    what: &str,
) -> prompt::Answer<i32> {
    let items = (MIN_SIZE..=MAX_SIZE).map(|size| size_choice(size, marked, mark)).collect();
    let default = usize::try_from(marked - MIN_SIZE).unwrap_or_default();
    let chosen = prompt::answer(prompt::choose(question, items, default).await, what)?;
    Ok(chosen.map_continue(|index| MIN_SIZE + i32::try_from(index).unwrap_or_default()))
}

/// What the person sees before being asked: the steps in order and the fault tolerance
/// before and after, from the planner the operator follows.
fn preview_text(cluster: &EtcdCluster, name: &str, size: i32) -> String {
    let to = usize::try_from(size).unwrap_or_default();
    let preview = match observed(cluster, to).and_then(|input| preview_scale(&input)) {
        Ok(preview) => preview,
        Err(error) => return format!("No preview of the steps: {error}.\n"),
    };
    let mut text = format!(
        "Scaling etcdcluster {name} from {} to {} voting members (tolerates {} -> {} failed members):\n",
        preview.from,
        preview.to,
        ScalePreview::tolerates(preview.from),
        ScalePreview::tolerates(preview.to)
    );
    if let Some(reason) = &preview.waits_for {
        text.push_str(&format!("  first, the operator waits: {reason}\n"));
    }
    for (k, step) in preview.steps.iter().enumerate() {
        text.push_str(&format!("  {}. {}\n", k + 1, step.describe()));
    }
    text
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, ChangeError> {
    if let Some(reason) = args.size.and_then(refuse_size) {
        eprintln!("refused: {reason}; nothing was changed");
        return Ok(Outcome::Refused);
    }
    let asking = prompt::may_ask(args.yes);
    if args.size.is_none() && !asking {
        return Ok(prompt::missing_argument("--size <SIZE>"));
    }
    let connection = Connection::open(kube).await?;
    let size = match args.size {
        Some(size) => size,
        None => {
            let current = connection.get(&args.name).await?.spec.size;
            let question = format!("New size of etcdcluster {} (now {current})", args.name);
            prompt::answered!(choose_size(question, current, "current", NOT_DONE).await)
        }
    };
    if size % 2 == 0 {
        eprintln!("warning: size {size} is even: it tolerates no more failed members than size {}", size - 1);
    }
    if asking {
        let cluster = connection.get(&args.name).await?;
        if cluster.spec.size == size {
            println!("etcdcluster/{} already has size {size}", args.name);
            return Ok(Outcome::Success);
        }
        eprint!("{}", preview_text(&cluster, &args.name, size));
        let question =
            format!("Scale etcdcluster {} in namespace {} to {size}?", args.name, connection.namespace);
        // Removing members is what cannot be taken back: it asks with No as the default.
        prompt::answered!(prompt::go_ahead(question, size > cluster.spec.size, NOT_DONE).await);
    }
    let started = Instant::now();
    connection.patch_cluster("scale", &args.name, json!({"spec": {"size": size}})).await?;
    println!("etcdcluster/{} scaled to {size}", args.name);
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

    #[test]
    fn the_size_list_says_what_each_size_tolerates() {
        assert_eq!(size_choice(1, 3, "current"), "1 member - tolerates 0 failures");
        assert_eq!(size_choice(3, 3, "current"), "3 members - tolerates 1 failure  (current)");
        assert_eq!(
            size_choice(4, 3, "current"),
            "4 members - tolerates 1 failure, even: no more than one fewer"
        );
        assert_eq!(size_choice(5, 3, "default"), "5 members - tolerates 2 failures");
        assert_eq!(size_choice(3, 3, "default"), "3 members - tolerates 1 failure  (default)");
    }
}
