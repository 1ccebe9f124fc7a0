//! `kubectl etcd move-leader NAME [--to MEMBER]`: hands raft leadership to another voter
//! (etcd's MoveLeader, sent to the leader through the API server, [`crate::members`]), e.g.
//! before maintenance on the leader's node. Without `--to`, the healthy voter with the
//! highest raft index other than the leader takes over: the most caught-up one.

use std::time::{Duration, Instant};

use crate::client::{ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;
use crate::members::{self, Member, SurveyError};
use crate::output::structured::{self, Structured};

/// How long the new leader has to be reported by every healthy member.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Move raft leadership to another member.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd move-leader demo\n  \
    kubectl etcd move-leader demo --to demo-2\n  \
    kubectl etcd move-leader demo -o json\n\n\
    Without --to, the healthy voting member with the highest raft index other than the leader \
    becomes leader. A learner or an unhealthy member is refused (exit 3); nothing is changed.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// The member (its Pod's name) to become leader.
    #[arg(long, value_name = "MEMBER")]
    to: Option<String>,

    /// Output format: the result as JSON or YAML.
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT")]
    output: Option<Structured>,
}

/// Why leadership could not be moved.
#[derive(Debug, thiserror::Error)]
pub enum MoveLeaderError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The members could not be reached.
    #[error(transparent)]
    Survey(#[from] SurveyError),
    /// etcd refused.
    #[error("moving leadership from {from} to {to}: {message}")]
    Etcd {
        /// The leader.
        from: String,
        /// The member asked to lead.
        to: String,
        /// etcd's answer.
        message: String,
    },
    /// The output could not be rendered.
    #[error("cannot render the result: {0}")]
    Render(String),
}

/// What was done.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Moved {
    from: String,
    to: String,
    raft_term: Option<u64>,
}

/// The member to hand leadership to, or why there is none: the one asked for (a healthy
/// voter that is not the leader), else the healthy voter with the highest raft index
/// other than the leader.
fn choose<'a>(members: &'a [Member], to: Option<&str>) -> Result<(&'a Member, &'a Member), String> {
    let leader = members.iter().find(|m| m.leader).ok_or_else(|| {
        "the healthy members agree on no leader (an election is under way, or quorum is lost); \
         `kubectl etcd status` shows the members"
            .to_string()
    })?;
    let Some(to) = to else {
        let best = members
            .iter()
            .filter(|m| !m.leader && !m.learner && m.healthy)
            .max_by_key(|m| (m.raft_index, std::cmp::Reverse(m.name.clone())));
        return best.map(|m| (leader, m)).ok_or_else(|| {
            format!("no healthy voting member other than the leader {} can take over", leader.name)
        });
    };
    let target = members.iter().find(|m| m.name == to).ok_or_else(|| {
        let known: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        format!("{to} is not a member; the members: {}", known.join(", "))
    })?;
    if target.learner {
        return Err(format!("{to} is a learner: it does not vote and cannot lead until it is promoted"));
    }
    if !target.healthy {
        let why =
            if target.answered { "it knows no leader or an alarm names it" } else { "it does not answer" };
        return Err(format!("{to} is not healthy ({why}); choose a healthy member"));
    }
    Ok((leader, target))
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, MoveLeaderError> {
    let connection = Connection::open(kube).await?;
    let survey = members::survey(&connection.client, &connection.namespace, &args.name).await?;
    let (leader, target) = match choose(&survey.members, args.to.as_deref()) {
        Ok(chosen) => chosen,
        Err(refusal) => {
            eprintln!("error: refusing to move leadership in {}: {refusal}; nothing was changed", args.name);
            return Ok(Outcome::Refused);
        }
    };
    let (from, to) = (leader.name.clone(), target.name.clone());
    if from == to {
        eprintln!("{to} already leads {}; nothing was changed", args.name);
        return Ok(Outcome::Success);
    }
    let etcd_error = |message: String| MoveLeaderError::Etcd { from: from.clone(), to: to.clone(), message };
    let mut etcd = survey.client(&from).ok_or_else(|| etcd_error("the leader does not answer".into()))?;
    eprintln!("moving leadership of {} from {from} to {to}", args.name);
    etcd.move_leader(target.raw_id()).await.map_err(|e| etcd_error(e.to_string()))?;
    let started = Instant::now();
    let raft_term = loop {
        let now = members::survey(&connection.client, &connection.namespace, &args.name).await?;
        if let Some(leader) = now.leader().filter(|l| l.name == to) {
            break leader.raft_term;
        }
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err(etcd_error(format!(
                "etcd accepted, but {to} is not reported as leader after {} s",
                SETTLE_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let moved = Moved { from, to, raft_term };
    match args.output {
        Some(format) => print!("{}", structured::render(&moved, format).map_err(MoveLeaderError::Render)?),
        None => println!(
            "leader of {}: {} -> {} (raft term {})",
            args.name,
            moved.from,
            moved.to,
            moved.raft_term.map_or_else(|| "?".into(), |t| t.to_string())
        ),
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::testing::member;

    fn cluster() -> Vec<Member> {
        let mut members = vec![member("demo-0", 1, 10), member("demo-1", 2, 12), member("demo-2", 3, 11)];
        members[0].leader = true;
        members
    }

    #[test]
    fn the_most_caught_up_healthy_voter_takes_over_by_default() {
        let members = cluster();
        let (from, to) = choose(&members, None).expect("a target");
        assert_eq!((from.name.as_str(), to.name.as_str()), ("demo-0", "demo-1"));
        let mut members = cluster();
        members[1].healthy = false;
        assert_eq!(choose(&members, None).expect("a target").1.name, "demo-2");
        members[2].learner = true;
        let refusal = choose(&members, None).expect_err("nobody");
        assert!(refusal.contains("no healthy voting member"), "{refusal}");
    }

    #[test]
    fn learners_unhealthy_and_unknown_targets_are_refused() {
        let mut members = cluster();
        members[1].learner = true;
        members[2].healthy = false;
        members[2].answered = false;
        assert!(choose(&members, Some("demo-1")).expect_err("learner").contains("is a learner"));
        assert!(choose(&members, Some("demo-2")).expect_err("down").contains("does not answer"));
        assert!(choose(&members, Some("demo-7")).expect_err("unknown").contains("not a member"));
        assert_eq!(choose(&members, Some("demo-0")).expect("the leader").1.name, "demo-0");
    }

    #[test]
    fn without_a_leader_nothing_is_chosen() {
        let mut members = cluster();
        members[0].leader = false;
        assert!(choose(&members, None).expect_err("no leader").contains("no leader"));
    }
}
