//! `kubectl etcd logs NAME [-f] [--since DURATION] [--member M]`: the members' etcd logs,
//! each line prefixed with its member, interleaved by the time each line states
//! ([`shared::log_time`]); with `-f`, followed as they come until Ctrl-C or the Pods end.

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::{Api, ResourceExt};

use crate::client::{ConnectError, Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::members::{self, MEMBER_CONTAINER};

/// Show the members' etcd logs, interleaved.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd logs demo --since 10m\n  \
    kubectl etcd logs demo -f\n  \
    kubectl etcd logs demo --member demo-1 --tail 100\n\n\
    Each line starts with [MEMBER]. Without -f, the lines are ordered by the time each states.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Follow the logs until Ctrl-C.
    #[arg(short = 'f', long)]
    follow: bool,

    /// Only lines newer than this, e.g. 30s, 10m, 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    since: Option<Duration>,

    /// The last lines of each member only.
    #[arg(long, value_name = "LINES")]
    tail: Option<i64>,

    /// One member's logs only (its Pod's name).
    #[arg(long, value_name = "MEMBER")]
    member: Option<String>,
}

/// Why the logs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused.
    #[error("{0}")]
    Api(String),
}

/// One member's lines, each with the member prefix.
async fn member_lines(
    pods: &Api<Pod>,
    pod: String,
    params: &LogParams,
) -> Result<impl futures::Stream<Item = (String, String)> + use<>, LogsError> {
    let reader =
        pods.log_stream(&pod, params).await.map_err(|e| LogsError::Api(format!("logs of {pod}: {e}")))?;
    Ok(reader
        .lines()
        .filter_map(|line| futures::future::ready(line.ok()))
        .map(move |line| (pod.clone(), line)))
}

/// Orders the members' lines by the time each states; a line that states none keeps its
/// place after the line before it (a stable order within each member).
pub fn interleave(per_member: Vec<Vec<(String, String)>>) -> Vec<(String, String)> {
    let mut timed: Vec<(String, usize, usize, (String, String))> = Vec::new();
    for (m, lines) in per_member.into_iter().enumerate() {
        let mut current = String::new();
        for (i, line) in lines.into_iter().enumerate() {
            if let Some(time) = shared::log_time::line_time(&line.1) {
                current = time;
            }
            timed.push((current.clone(), m, i, line));
        }
    }
    timed.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    timed.into_iter().map(|(.., line)| line).collect()
}

/// The log request of every member.
pub fn params(follow: bool, since: Option<Duration>, tail: Option<i64>) -> LogParams {
    LogParams {
        container: Some(MEMBER_CONTAINER.to_string()),
        follow,
        since_seconds: since.map(|s| i64::try_from(s.as_secs().max(1)).unwrap_or(i64::MAX)),
        tail_lines: tail,
        ..LogParams::default()
    }
}

/// The member Pods to read, checked against `--member`.
pub async fn chosen_pods(
    pods: &Api<Pod>,
    cluster: &str,
    member: Option<&str>,
) -> Result<Vec<String>, LogsError> {
    let all: Vec<String> = members::member_pods(pods, cluster)
        .await
        .map_err(|e| LogsError::Api(format!("listing the member Pods of {cluster}: {e}")))?
        .iter()
        .map(ResourceExt::name_any)
        .collect();
    match member {
        Some(member) if all.iter().any(|p| p == member) => Ok(vec![member.to_string()]),
        Some(member) => Err(LogsError::Api(format!(
            "{member} is not a member of {cluster}; its members: {}",
            all.join(", ")
        ))),
        None => Ok(all),
    }
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, LogsError> {
    let connection = Connection::open(kube).await?;
    connection.get(&args.name).await.map_err(|e| LogsError::Api(e.to_string()))?;
    let pods: Api<Pod> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let chosen = chosen_pods(&pods, &args.name, args.member.as_deref()).await?;
    let params = params(args.follow, args.since, args.tail);
    if args.follow {
        let mut streams = Vec::new();
        for pod in chosen {
            streams.push(member_lines(&pods, pod, &params).await?.boxed());
        }
        let mut all = futures::stream::select_all(streams);
        while let Some((pod, line)) = all.next().await {
            println!("[{pod}] {line}");
        }
        return Ok(Outcome::Success);
    }
    let mut per_member = Vec::new();
    for pod in chosen {
        per_member.push(member_lines(&pods, pod, &params).await?.collect::<Vec<_>>().await);
    }
    for (pod, line) in interleave(per_member) {
        println!("[{pod}] {line}");
    }
    Ok(Outcome::Success)
}

/// The whole log of one member Pod's `container` (the last `tail` lines), for the report.
pub async fn read(
    pods: &Api<Pod>,
    pod: &str,
    container: Option<&str>,
    tail: i64,
) -> Result<String, kube::Error> {
    let params =
        LogParams { container: container.map(String::from), tail_lines: Some(tail), ..LogParams::default() };
    pods.log_stream(pod, &params)
        .await?
        .lines()
        .try_collect::<Vec<_>>()
        .await
        .map(|lines| lines.join("\n") + "\n")
        .map_err(|e| kube::Error::Service(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(member: &str, texts: &[&str]) -> Vec<(String, String)> {
        texts.iter().map(|t| (member.to_string(), t.to_string())).collect()
    }

    #[test]
    fn lines_interleave_by_their_time_and_untimed_lines_follow_theirs() {
        let a =
            lines("demo-0", &["2026-12-06 03:50:00.1 I | a1", "  continued", "2026-12-06 03:50:02.0 I | a2"]);
        let b = lines("demo-1", &[r#"{"ts":"2026-12-06T03:50:01.000Z","msg":"b1"}"#]);
        let merged: Vec<String> =
            interleave(vec![a, b]).into_iter().map(|(m, l)| format!("{m} {l}")).collect();
        assert_eq!(
            merged,
            [
                "demo-0 2026-12-06 03:50:00.1 I | a1",
                "demo-0   continued",
                r#"demo-1 {"ts":"2026-12-06T03:50:01.000Z","msg":"b1"}"#,
                "demo-0 2026-12-06 03:50:02.0 I | a2",
            ]
        );
    }

    #[test]
    fn since_is_whole_seconds_and_the_container_is_etcd() {
        let p = params(true, Some(Duration::from_millis(1500)), Some(5));
        assert_eq!((p.follow, p.since_seconds, p.tail_lines), (true, Some(1), Some(5)));
        assert_eq!(p.container.as_deref(), Some("etcd"));
    }
}
