//! Progress on stderr while a command waits: a spinner on a terminal, and otherwise a
//! plain line each time the message changes (so logs of scripts stay readable).

use shared::conditions::ConditionType;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kube::ResourceExt;
use shared::crd::{ClusterPhase, EtcdCluster};

use crate::client::Connection;
use crate::commands::status::health;
use crate::exit::Outcome;
use crate::output::table::human_duration;
use crate::wait::{How, Seen, Waited, wait_for};

/// Shows what a wait is at, on stderr.
pub struct Progress {
    spinner: Option<ProgressBar>,
    last: String,
}

impl Progress {
    /// A spinner when stderr is a terminal, plain lines otherwise; shows `message` first.
    pub fn start(message: String) -> Progress {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                spinner.set_style(style);
            }
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner
        });
        let mut progress = Progress { spinner, last: String::new() };
        progress.update(message);
        progress
    }

    /// Shows `message` if it differs from the last one.
    pub fn update(&mut self, message: String) {
        if message == self.last {
            return;
        }
        match &self.spinner {
            Some(spinner) => spinner.set_message(message.clone()),
            None => eprintln!("{message}"),
        }
        self.last = message;
    }

    /// Removes the spinner, leaving the terminal as it was.
    pub fn finish(self) {
        if let Some(spinner) = self.spinner {
            spinner.finish_and_clear();
        }
    }
}

/// What a cluster is doing, in one line: phase, the Progressing condition's message while it
/// is true, and the ready count, e.g. `Scaling: adding demo-3 as a learner (ready 3/5)`.
pub fn describe(cluster: &EtcdCluster) -> String {
    let status = cluster.status.clone().unwrap_or_default();
    let phase = status.phase.map_or_else(|| "Pending".to_string(), |p| format!("{p:?}"));
    let ready = format!("{}/{}", status.ready_members, cluster.spec.size);
    // A Degraded cluster says why; otherwise what is under way.
    let explaining = if status.phase == Some(ClusterPhase::Degraded) {
        ConditionType::Degraded
    } else {
        ConditionType::Progressing
    };
    let progressing = status
        .conditions
        .iter()
        .find(|c| c.type_ == explaining.as_str() && c.status == "True" && !c.message.is_empty())
        .map(|c| c.message.as_str());
    match progressing {
        Some(message) => format!("{phase}: {message} (ready {ready})"),
        None => format!("{phase} (ready {ready})"),
    }
}

/// Whether the cluster is where `--wait` wants it: the operator has seen the current spec,
/// the phase is Running, every member of the desired size is ready and runs the version
/// asked for.
pub fn is_running(cluster: &EtcdCluster) -> bool {
    let Some(status) = &cluster.status else { return false };
    let observed = match (status.observed_generation, cluster.metadata.generation) {
        (Some(observed), Some(generation)) => observed >= generation,
        _ => true,
    };
    observed
        && status.phase == Some(ClusterPhase::Running)
        && status.ready_members == cluster.spec.size
        && status.desired_members == cluster.spec.size
        && status.current_version.as_deref().is_none_or(|v| v == cluster.spec.version.trim_start_matches('v'))
}

/// Waits as [`wait_running`] does, and on success says the [`summary`] line (timed from
/// `started`) through `say`.
/// With `wait`, waits until cluster `name` runs and prints the summary on stdout; the
/// outcome either way (Success at once without `wait`).
pub async fn wait_if_asked(
    connection: &Connection,
    name: &str,
    wait: bool,
    timeout: Duration,
    started: std::time::Instant,
) -> Result<Outcome, WaitError> {
    if !wait {
        return Ok(Outcome::Success);
    }
    let (outcome, _) =
        wait_and_summarize(connection, name, timeout, started, |line| println!("{line}")).await?;
    Ok(outcome)
}

pub async fn wait_and_summarize(
    connection: &Connection,
    name: &str,
    timeout: Duration,
    started: std::time::Instant,
    say: impl Fn(String),
) -> Result<(Outcome, Option<EtcdCluster>), WaitError> {
    let (outcome, last) = wait_running(connection, name, timeout).await?;
    if let (Outcome::Success, Some(cluster)) = (outcome, &last) {
        say(summary(cluster, started.elapsed()));
    }
    Ok((outcome, last))
}

/// Waits, showing progress on stderr, until the cluster `name` runs at its size. Gives up when the operator reports the spec cannot be
/// carried out (phase Failed: the outcome is the cluster's health) or after `timeout`
/// (printing the last known state on stderr). Returns the outcome and the last object seen.
async fn wait_running(
    connection: &Connection,
    name: &str,
    timeout: Duration,
) -> Result<(Outcome, Option<EtcdCluster>), WaitError> {
    let deadline = std::time::Instant::now() + timeout;
    let waited = wait_for(
        connection,
        connection.clusters(),
        name,
        How::Watch,
        deadline,
        format!("waiting for etcdcluster {name}"),
        |cluster| {
            let done = is_running(cluster)
                || cluster.status.as_ref().and_then(|s| s.phase) == Some(ClusterPhase::Failed);
            if done { Seen::Done(Some(describe(cluster))) } else { Seen::Waiting(describe(cluster)) }
        },
    )
    .await
    .map_err(|e| WaitError::Watch(crate::client::describe(&e)))?;
    let cluster = match waited {
        Waited::Done(cluster) => cluster,
        Waited::Gone => return Err(WaitError::Deleted(connection.not_found(name))),
        Waited::TimedOut(None) => {
            eprintln!(
                "timed out after {} waiting for etcdcluster {name}: it was never seen",
                human_duration(timeout)
            );
            return Ok((Outcome::TimedOut, None));
        }
        Waited::TimedOut(Some(cluster)) => {
            eprintln!(
                "timed out after {} waiting for etcdcluster {name} to run at size {}: last seen {}",
                human_duration(timeout),
                cluster.spec.size,
                describe(&cluster)
            );
            return Ok((Outcome::TimedOut, Some(cluster)));
        }
    };
    if !is_running(&cluster) {
        let status = cluster.status.clone().unwrap_or_default();
        let reason = status
            .conditions
            .iter()
            .filter(|c| c.status == "True" && c.type_ != ConditionType::Available.as_str())
            .chain(
                status
                    .conditions
                    .iter()
                    .filter(|c| c.type_ == ConditionType::Available.as_str() && c.status == "False"),
            )
            .map(|c| c.message.clone())
            .next()
            .unwrap_or_default();
        eprintln!("etcdcluster {name} cannot be carried out: {reason}");
        return Ok((health(cluster.spec.size, cluster.status.as_ref()), Some(cluster)));
    }
    Ok((Outcome::Success, Some(cluster)))
}

/// Why a wait could not go on.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The API refused the watch.
    #[error("cannot follow the cluster: {0}")]
    Watch(String),
    /// The cluster was deleted during the wait.
    #[error("{0} any more: it was deleted while waiting")]
    Deleted(String),
}

/// `etcdcluster/demo is Running: 3/3 members ready, etcd 3.5.1, leader demo-0 (21.4s)`.
pub fn summary(cluster: &EtcdCluster, took: Duration) -> String {
    let status = cluster.status.clone().unwrap_or_default();
    let mut line = format!(
        "etcdcluster/{} is Running: {}/{} members ready",
        cluster.name_any(),
        status.ready_members,
        cluster.spec.size
    );
    if let Some(version) = &status.current_version {
        line.push_str(&format!(", etcd {version}"));
    }
    if let Some(leader) = &status.leader {
        line.push_str(&format!(", leader {leader}"));
    }
    line.push_str(&format!(" ({:.1}s)", took.as_secs_f64()));
    line
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
    use k8s_openapi::jiff::Timestamp;
    use shared::crd::{ClusterPhase, EtcdClusterSpec, EtcdClusterStatus};

    use super::*;

    #[test]
    fn describes_phase_step_and_ready_count() {
        let spec: EtcdClusterSpec =
            serde_json::from_value(serde_json::json!({"size": 5, "version": "3.5.30"})).expect("spec");
        let mut cluster = EtcdCluster::new("demo", spec);
        assert_eq!(describe(&cluster), "Pending (ready 0/5)");
        cluster.status = Some(EtcdClusterStatus {
            phase: Some(ClusterPhase::Scaling),
            ready_members: 3,
            conditions: vec![Condition {
                type_: "Progressing".into(),
                status: "True".into(),
                reason: "AddingLearner".into(),
                message: "adding demo-3 as a learner".into(),
                last_transition_time: Time(Timestamp::UNIX_EPOCH),
                observed_generation: None,
            }],
            ..EtcdClusterStatus::default()
        });
        assert_eq!(describe(&cluster), "Scaling: adding demo-3 as a learner (ready 3/5)");
    }
}
