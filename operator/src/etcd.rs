//! The operator's conversations with etcd: the member list, each member's status, and the
//! membership and maintenance calls of the plan. Members are reached at their Pod IPs, so
//! the operator works the same inside the cluster and outside it.
//!
//! etcd's refusals are sorted here: "unhealthy cluster" (a member reconnected less than
//! about 5 s ago) and "learner not in sync" mean try again shortly; "peer URL exists" and
//! "member not found" mean an earlier attempt already did it (the operator may have died
//! right after), so they count as done.

use std::time::Duration;

use etcd_client::{Client, ConnectOptions, MemberAddOptions};
use shared::plan::membership::MemberView;

/// How long one call to one member may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What went wrong talking to etcd.
#[derive(Debug, thiserror::Error)]
pub enum EtcdError {
    /// No member could be reached.
    #[error("no etcd member answers at {endpoints}: {message}")]
    Unreachable {
        /// The endpoints tried.
        endpoints: String,
        /// The last error.
        message: String,
    },
    /// etcd refused for now; the same call is expected to work a little later.
    #[error("etcd asked to retry {action}: {message}")]
    Retry {
        /// What was attempted.
        action: String,
        /// etcd's answer.
        message: String,
    },
    /// etcd refused.
    #[error("etcd refused {action}: {message}")]
    Refused {
        /// What was attempted.
        action: String,
        /// etcd's answer.
        message: String,
    },
}

impl EtcdError {
    /// Whether trying again shortly is the right reaction.
    pub fn is_retryable(&self) -> bool {
        matches!(self, EtcdError::Retry { .. } | EtcdError::Unreachable { .. })
    }
}

/// One member's own view, from its status.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberState {
    /// etcd version it runs.
    pub version: String,
    /// Database size in bytes.
    pub db_size: i64,
    /// Applied raft index.
    pub raft_applied_index: u64,
    /// The leader it knows of (0: none).
    pub leader: u64,
}

/// The cluster as etcd describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// etcd's cluster ID.
    pub cluster_id: u64,
    /// Members, for the planner.
    pub members: Vec<MemberView>,
    /// Each healthy member's status, by member ID.
    pub states: Vec<(u64, MemberState)>,
}

async fn connect(endpoints: &[String]) -> Result<Client, etcd_client::Error> {
    let options = ConnectOptions::new().with_connect_timeout(CONNECT_TIMEOUT).with_timeout(CALL_TIMEOUT);
    Client::connect(endpoints, Some(options)).await
}

fn unreachable(endpoints: &[String], error: impl std::fmt::Display) -> EtcdError {
    EtcdError::Unreachable { endpoints: endpoints.join(","), message: error.to_string() }
}

/// etcd's answers that mean "the same call will work a little later": a member reconnected
/// moments ago, a learner still catching up, an election, a slow answer, or a request that
/// reached a learner (which serves no membership calls) while membership was changing.
const RETRY_ANSWERS: &[&str] = &[
    "unhealthy cluster",
    "not in sync",
    "in sync with leader",
    "too many learner",
    "leader changed",
    "timed out",
    "Timeout expired",
    "deadline has elapsed",
    "no leader",
    "not supported for learner",
];

/// Sorts an answer to `action` into retry / refused.
fn classify(action: &str, error: etcd_client::Error) -> EtcdError {
    classify_message(action, error.to_string())
}

fn classify_message(action: &str, message: String) -> EtcdError {
    let retry = RETRY_ANSWERS.iter().any(|m| message.contains(m));
    if retry {
        EtcdError::Retry { action: action.into(), message }
    } else {
        EtcdError::Refused { action: action.into(), message }
    }
}

/// The member list and every member's health. `endpoints` maps member names to client URLs
/// (`http://<pod IP>:2379`) of the members whose Pods run.
pub async fn observe(endpoints: &[(String, String)]) -> Result<Membership, EtcdError> {
    let urls: Vec<String> = endpoints.iter().map(|(_, url)| url.clone()).collect();
    let list = member_list(&urls).await?;
    let cluster_id = list.header().map(|h| h.cluster_id()).unwrap_or_default();
    let mut members = Vec::new();
    let mut states = Vec::new();
    for member in list.members() {
        let url = endpoints.iter().find(|(name, _)| name == member.name()).map(|(_, url)| url.clone());
        let state = match url {
            Some(url) => member_state(&url).await,
            None => None,
        };
        members.push(MemberView {
            id: member.id(),
            name: member.name().to_string(),
            peer_url: member.peer_urls().first().cloned().unwrap_or_default(),
            learner: member.is_learner(),
            healthy: state.is_some(),
            leader: state.as_ref().is_some_and(|s| s.leader == member.id()),
            version: state.as_ref().and_then(|s| s.version.parse().ok()),
            raft_index: state.as_ref().map(|s| s.raft_applied_index),
        });
        if let Some(state) = state {
            states.push((member.id(), state));
        }
    }
    // A member is leader when the healthy members agree it is; fill in from any of them.
    let leader = states.iter().map(|(_, s)| s.leader).find(|l| *l != 0);
    for member in &mut members {
        member.leader = Some(member.id) == leader && member.healthy;
    }
    Ok(Membership { cluster_id, members, states })
}

/// The member list from the first member that answers, asked one at a time (a learner
/// that is still starting, or a member cut off, must not hide the others).
async fn member_list(urls: &[String]) -> Result<etcd_client::MemberListResponse, EtcdError> {
    let mut last = String::from("no endpoint");
    for url in urls {
        let one = [url.clone()];
        let answer = match connect(&one).await {
            Ok(mut client) => tokio::time::timeout(CALL_TIMEOUT, client.member_list()).await,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        match answer {
            Ok(Ok(list)) => return Ok(list),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = format!("{url} timed out"),
        }
    }
    Err(unreachable(urls, last))
}

/// A member's status, or `None` when it does not answer.
async fn member_state(url: &str) -> Option<MemberState> {
    let urls = [url.to_string()];
    let mut client = connect(&urls).await.ok()?;
    let status = tokio::time::timeout(CALL_TIMEOUT, client.status()).await.ok()?.ok()?;
    Some(MemberState {
        version: status.version().to_string(),
        db_size: status.db_size(),
        raft_applied_index: status.raft_applied_index(),
        leader: status.leader(),
    })
}

/// Adds a learner with `peer_url`. Done already (the URL is a member) counts as done.
pub async fn add_learner(endpoints: &[String], peer_url: &str) -> Result<(), EtcdError> {
    let mut client = connect(endpoints).await.map_err(|e| unreachable(endpoints, e))?;
    match client.member_add([peer_url], Some(MemberAddOptions::new().with_is_learner())).await {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("already exists") => Ok(()),
        Err(e) => Err(classify(&format!("adding learner {peer_url}"), e)),
    }
}

/// Promotes a learner to a voting member.
pub async fn promote(endpoints: &[String], id: u64) -> Result<(), EtcdError> {
    let mut client = connect(endpoints).await.map_err(|e| unreachable(endpoints, e))?;
    match client.member_promote(id).await {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("not a learner") => Ok(()),
        Err(e) => Err(classify(&format!("promoting member {id:x}"), e)),
    }
}

/// Removes a member. Already gone counts as done.
pub async fn remove(endpoints: &[String], id: u64) -> Result<(), EtcdError> {
    let mut client = connect(endpoints).await.map_err(|e| unreachable(endpoints, e))?;
    match client.member_remove(id).await {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("member not found") => Ok(()),
        Err(e) => Err(classify(&format!("removing member {id:x}"), e)),
    }
}

/// Moves leadership to member `to`. The request must reach the current leader.
pub async fn move_leader(leader_endpoint: &str, to: u64) -> Result<(), EtcdError> {
    let urls = [leader_endpoint.to_string()];
    let mut client = connect(&urls).await.map_err(|e| unreachable(&urls, e))?;
    client.move_leader(to).await.map(|_| ()).map_err(|e| classify(&format!("moving leadership to {to:x}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_refusals_are_retried_and_real_ones_are_not() {
        for answer in [
            "grpc request error: status: FailedPrecondition, message: \"etcdserver: can only promote a learner member which is in sync with leader\"",
            "grpc request error: status: Unavailable, message: \"etcdserver: rpc not supported for learner\"",
            "grpc request error: status: Cancelled, message: \"Timeout expired\"",
            "etcdserver: unhealthy cluster",
        ] {
            assert!(classify_message("promoting", answer.to_string()).is_retryable(), "{answer}");
        }
        let refused = classify_message("adding", "etcdserver: Peer URLs already exists".to_string());
        assert!(!refused.is_retryable());
    }
}
