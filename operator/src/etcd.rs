//! The operator's conversations with etcd: the member list, each member's status, and the
//! membership and maintenance calls of the plan. Members are reached at their Pod IPs, so
//! the operator works the same inside the cluster and outside it.
//!
//! etcd's refusals are sorted here: "unhealthy cluster" (a member reconnected less than
//! about 5 s ago) and "learner not in sync" mean try again shortly; "peer URL exists" and
//! "member not found" mean an earlier attempt already did it (the operator may have died
//! right after), so they count as done, and so does "can only promote a learner member"
//! (the member already votes).
//!
//! Health is what etcd's own `/health` endpoint checks, not merely "answers": the rule is
//! [`shared::health`], which the plugin's views use too.

use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, MemberAddOptions, TlsOptions};
use shared::health;
use shared::plan::membership::MemberView;
use shared::tls::ClientCredentials;

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
    /// Bytes of the database in use (the rest is free space a defragmentation gives back).
    pub db_in_use: i64,
    /// Applied raft index.
    pub raft_applied_index: u64,
    /// The leader it knows of (0: none).
    pub leader: u64,
    /// The errors its Status reports (no leader, and every alarm in the cluster).
    pub errors: Vec<String>,
}

/// The cluster as etcd describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// etcd's cluster ID.
    pub cluster_id: u64,
    /// Members, for the planner.
    pub members: Vec<MemberView>,
    /// The status of each member that answered (healthy or not), by member ID.
    pub states: Vec<(u64, MemberState)>,
    /// The cluster's alarms: the member ID each names, and the alarm (`NOSPACE`,
    /// `CORRUPT`), from the members' Status errors.
    pub alarms: Vec<(u64, String)>,
}

/// etcd-client's TLS settings for `credentials`: trust the cluster's CA only, present the
/// client certificate, and verify every member by the one name all server certificates
/// carry (members are reached at Pod IPs; see `names::tls_server_name`).
pub fn tls_options(credentials: &ClientCredentials) -> TlsOptions {
    TlsOptions::new()
        .ca_certificate(Certificate::from_pem(&credentials.ca_pem))
        .identity(Identity::from_pem(&credentials.cert_pem, &credentials.key_pem))
        .domain_name(credentials.server_name.clone())
}

/// Connection options with the timeouts and, for a TLS cluster, `tls`.
pub fn connect_options(tls: Option<&ClientCredentials>) -> ConnectOptions {
    let options = ConnectOptions::new().with_connect_timeout(CONNECT_TIMEOUT).with_timeout(CALL_TIMEOUT);
    match tls {
        Some(credentials) => options.with_tls(tls_options(credentials)),
        None => options,
    }
}

async fn connect(
    endpoints: &[String],
    tls: Option<&ClientCredentials>,
) -> Result<Client, etcd_client::Error> {
    Client::connect(endpoints, Some(connect_options(tls))).await
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
/// (`http://<pod IP>:2379`, `https://` on a TLS cluster, reached with `tls`) of the members whose Pods run.
///
/// A member is healthy when it answers a Status call, knows a leader, reports no error of
/// its own and no alarm names it (see the module documentation). The leader is the member
/// every healthy member reports; when they disagree (an election under way) no member is
/// leader, so the planner waits.
pub async fn observe(
    endpoints: &[(String, String)],
    tls: Option<&ClientCredentials>,
) -> Result<Membership, EtcdError> {
    let urls: Vec<String> = endpoints.iter().map(|(_, url)| url.clone()).collect();
    let list = member_list(&urls, tls).await?;
    let cluster_id = list.header().map(|h| h.cluster_id()).unwrap_or_default();
    // Every member at once: a look costs one round trip, not one per member.
    let asked = list.members().iter().filter_map(|member| {
        let url = endpoints.iter().find(|(name, _)| name == member.name()).map(|(_, url)| url.as_str())?;
        Some(async move { member_state(url, tls).await.map(|state| (member.id(), state)) })
    });
    let states: Vec<(u64, MemberState)> =
        futures::future::join_all(asked).await.into_iter().flatten().collect();
    // The alarms come from the members' Status errors, not from the Alarm API: etcd serves
    // even an alarm GET through raft, so asking on every observation would append a raft
    // entry each time (a write every reconcile, and snapshots that differ for no change).
    let mut alarms: Vec<(u64, String)> = Vec::new();
    for alarm in states.iter().flat_map(|(_, s)| s.errors.iter()).filter_map(|e| health::status_alarm(e)) {
        if !alarms.contains(&alarm) {
            alarms.push(alarm);
        }
    }
    let mut members = Vec::new();
    for member in list.members() {
        let state = states.iter().find(|(id, _)| *id == member.id()).map(|(_, s)| s);
        let problems = health_problems(member.id(), state, &alarms);
        if !problems.is_empty() {
            tracing::debug!(member = member.name(), id = %format!("{:x}", member.id()), ?problems, "member unhealthy");
        }
        members.push(MemberView {
            id: member.id(),
            name: member.name().to_string(),
            peer_url: member.peer_urls().first().cloned().unwrap_or_default(),
            learner: member.is_learner(),
            healthy: problems.is_empty(),
            leader: false,
            version: state.and_then(|s| s.version.parse().ok()),
            raft_index: state.map(|s| s.raft_applied_index),
        });
    }
    let reports: Vec<u64> = members
        .iter()
        .filter(|m| m.healthy)
        .filter_map(|m| states.iter().find(|(id, _)| *id == m.id).map(|(_, s)| s.leader))
        .collect();
    let leader = health::agreed_leader(&reports);
    if leader.is_none() && !reports.is_empty() {
        tracing::debug!(?reports, "the healthy members do not agree on a leader");
    }
    for member in &mut members {
        member.leader = Some(member.id) == leader;
    }
    Ok(Membership { cluster_id, members, states, alarms })
}

/// Why member `id` is not healthy (empty: healthy), by etcd's own rule
/// ([`shared::health::problems`]), from its Status (`None`: it did not answer).
pub fn health_problems(id: u64, state: Option<&MemberState>, alarms: &[(u64, String)]) -> Vec<String> {
    health::problems(id, state.map(|s| (s.leader, s.errors.as_slice())), alarms)
}

/// The member list from the first member that answers, asked one at a time (a learner
/// that is still starting, or a member cut off, must not hide the others).
async fn member_list(
    urls: &[String],
    tls: Option<&ClientCredentials>,
) -> Result<etcd_client::MemberListResponse, EtcdError> {
    let mut last = String::from("no endpoint");
    for url in urls {
        let one = [url.clone()];
        let answer = match connect(&one, tls).await {
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
async fn member_state(url: &str, tls: Option<&ClientCredentials>) -> Option<MemberState> {
    let urls = [url.to_string()];
    let mut client = connect(&urls, tls).await.ok()?;
    let status = tokio::time::timeout(CALL_TIMEOUT, client.status()).await.ok()?.ok()?;
    Some(MemberState {
        version: status.version().to_string(),
        db_size: status.db_size(),
        db_in_use: status.raft_used_db_size(),
        raft_applied_index: status.raft_applied_index(),
        leader: status.leader(),
        errors: status.errors().to_vec(),
    })
}

/// Adds a learner with `peer_url`. Done already (the URL is a member) counts as done.
pub async fn add_learner(
    endpoints: &[String],
    peer_url: &str,
    tls: Option<&ClientCredentials>,
) -> Result<(), EtcdError> {
    let mut client = connect(endpoints, tls).await.map_err(|e| unreachable(endpoints, e))?;
    match client.member_add([peer_url], Some(MemberAddOptions::new().with_is_learner())).await {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("already exists") => Ok(()),
        Err(e) => Err(classify(&format!("adding learner {peer_url}"), e)),
    }
}

/// etcd's answer to promoting a member that already votes (`ErrMemberNotLearner`,
/// `etcdserver: can only promote a learner member`, on 3.4.23 and 3.5.30 alike). A learner
/// still behind gets the same words followed by `which is in sync with leader`
/// (`ErrLearnerNotReady`), which means retry.
const NOT_A_LEARNER: &str = "can only promote a learner member";

/// Whether `message` says the member promoted is not a learner (it votes already).
fn is_not_a_learner(message: &str) -> bool {
    message.contains(NOT_A_LEARNER) && !message.contains("in sync with leader")
}

/// Promotes a learner to a voting member. Already voting (a promotion repeated after the
/// operator died right after it) counts as done.
pub async fn promote(
    endpoints: &[String],
    id: u64,
    tls: Option<&ClientCredentials>,
) -> Result<(), EtcdError> {
    let mut client = connect(endpoints, tls).await.map_err(|e| unreachable(endpoints, e))?;
    match client.member_promote(id).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_a_learner(&e.to_string()) => {
            tracing::debug!(id = %format!("{id:x}"), "member votes already; promotion counts as done");
            Ok(())
        }
        Err(e) => Err(classify(&format!("promoting member {id:x}"), e)),
    }
}

/// Removes a member. Already gone counts as done.
pub async fn remove(endpoints: &[String], id: u64, tls: Option<&ClientCredentials>) -> Result<(), EtcdError> {
    let mut client = connect(endpoints, tls).await.map_err(|e| unreachable(endpoints, e))?;
    match client.member_remove(id).await {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("member not found") => Ok(()),
        Err(e) => Err(classify(&format!("removing member {id:x}"), e)),
    }
}

/// Sets member `id`'s peer URLs to `peer_url` (`MemberUpdate`): its peers dial it there
/// from then on. Repeating it (after a crash) sets the same URL again, which etcd accepts.
pub async fn update_peer_url(
    endpoints: &[String],
    id: u64,
    peer_url: &str,
    tls: Option<&ClientCredentials>,
) -> Result<(), EtcdError> {
    let mut client = connect(endpoints, tls).await.map_err(|e| unreachable(endpoints, e))?;
    client
        .member_update(id, [peer_url.to_string()])
        .await
        .map(|_| ())
        .map_err(|e| classify(&format!("moving member {id:x}'s peer URL to {peer_url}"), e))
}

/// Moves leadership to member `to`. The request must reach the current leader.
pub async fn move_leader(
    leader_endpoint: &str,
    to: u64,
    tls: Option<&ClientCredentials>,
) -> Result<(), EtcdError> {
    let urls = [leader_endpoint.to_string()];
    let mut client = connect(&urls, tls).await.map_err(|e| unreachable(&urls, e))?;
    client.move_leader(to).await.map(|_| ()).map_err(|e| classify(&format!("moving leadership to {to:x}"), e))
}

/// How long one member's defragmentation may take: it rewrites the whole database file.
const DEFRAG_TIMEOUT: Duration = Duration::from_secs(300);

/// Defragments the member at `url`; returns its database size after, in bytes.
pub async fn defragment(url: &str, tls: Option<&ClientCredentials>) -> Result<i64, EtcdError> {
    let urls = [url.to_string()];
    let options = connect_options(tls).with_timeout(DEFRAG_TIMEOUT);
    let mut client = Client::connect(&urls, Some(options)).await.map_err(|e| unreachable(&urls, e))?;
    client.defragment().await.map_err(|e| classify(&format!("defragmenting {url}"), e))?;
    let status = client.status().await.map_err(|e| classify(&format!("reading the status of {url}"), e))?;
    Ok(status.db_size())
}

/// Compacts the history to the current revision, physically (the space is free once it
/// returns); returns that revision. A revision compacted already counts as done.
pub async fn compact_to_current(
    endpoints: &[String],
    tls: Option<&ClientCredentials>,
) -> Result<i64, EtcdError> {
    let mut client = connect(endpoints, tls).await.map_err(|e| unreachable(endpoints, e))?;
    let status = client.status().await.map_err(|e| classify("reading the current revision", e))?;
    let revision = status.header().map(|h| h.revision()).unwrap_or_default();
    let options = etcd_client::CompactionOptions::new().with_physical();
    match client.compact(revision, Some(options)).await {
        Ok(_) => Ok(revision),
        Err(e) if e.to_string().contains("compacted") => Ok(revision),
        Err(e) => Err(classify(&format!("compacting to revision {revision}"), e)),
    }
}

/// Disarms the NOSPACE alarm of each member in `members`.
pub async fn disarm_no_space(
    endpoints: &[String],
    members: &[u64],
    tls: Option<&ClientCredentials>,
) -> Result<(), EtcdError> {
    use etcd_client::{AlarmAction, AlarmOptions, AlarmType};
    let mut client = connect(endpoints, tls).await.map_err(|e| unreachable(endpoints, e))?;
    for member in members {
        let mut options = AlarmOptions::new();
        options.with_member(*member);
        client
            .alarm(AlarmAction::Deactivate, AlarmType::Nospace, Some(options))
            .await
            .map_err(|e| classify(&format!("disarming the NOSPACE alarm of {member:x}"), e))?;
    }
    Ok(())
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

    #[test]
    fn only_a_member_that_votes_already_is_not_a_learner() {
        // What etcd-client printed for etcd 3.5.30 and 3.4.23 (operator/tests/health.rs).
        let votes = "grpc request error: code: 'The system is not in a state required for the operation's \
                     execution', message: \"etcdserver: can only promote a learner member\"";
        assert!(is_not_a_learner(votes));
        let behind = "grpc request error: status: FailedPrecondition, message: \"etcdserver: can only promote \
                      a learner member which is in sync with leader\"";
        assert!(!is_not_a_learner(behind));
        assert!(classify_message("promoting", behind.to_string()).is_retryable());
    }

    #[test]
    fn a_member_state_is_judged_by_etcds_health_rule() {
        let state = MemberState {
            leader: 1,
            errors: vec!["memberID:7 alarm:NOSPACE ".into()],
            ..MemberState::default()
        };
        let alarms = [(7, "NOSPACE".to_string())];
        assert!(health_problems(1, Some(&state), &alarms).is_empty(), "the alarm names 7");
        assert_eq!(health_problems(7, Some(&state), &alarms), ["alarm NOSPACE"]);
        assert_eq!(health_problems(1, None, &alarms), ["does not answer a status request"]);
    }
}
