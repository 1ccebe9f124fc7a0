//! Reaching a cluster's members from a workstation, with no route to them needed: each
//! member Pod's client port is bridged to a local port through the API server's
//! `pods/portforward` subresource (a WebSocket, as `kubectl port-forward` uses), and etcd's
//! gRPC client talks to that local port.
//!
//! [`survey`] asks every member for its status and one of them for the member list and
//! the alarms: what `alarm`, `move-leader` and `report` show and act on.

use std::time::Duration;

use etcd_client::{AlarmAction, AlarmType, Client};
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use shared::crd::EtcdCluster;
use shared::tls::ClientCredentials;
use shared::{health, names};

use crate::credentials::CredentialsReadError;

/// The etcd container of a member Pod (the operator's `resources::pod::CONTAINER_NAME`).
pub const MEMBER_CONTAINER: &str = "etcd";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The bridge's copy buffer in each direction. A snapshot streams hundreds of MiB through
/// it; tokio's default (8 KiB) costs a write to the local socket per 8 KiB.
const BRIDGE_BUFFER: usize = 256 * 1024;

/// A local port bridged to a Pod's port through the API; stops when dropped.
pub struct Forward {
    /// `http://127.0.0.1:PORT`, or `https://` for a TLS cluster's client port.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Bridges a local port to `port` of Pod `pod`: every connection to the local port is a
/// port-forward of its own. With `tls`, the URL says `https://` (the port serves TLS).
pub async fn forward(pods: &Api<Pod>, pod: &str, port: u16, tls: bool) -> std::io::Result<Forward> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let url = format!("{}://{}", if tls { "https" } else { "http" }, listener.local_addr()?);
    let (pods, pod) = (pods.clone(), pod.to_string());
    let task = tokio::spawn(async move {
        while let Ok((mut local, _)) = listener.accept().await {
            let (pods, pod) = (pods.clone(), pod.clone());
            tokio::spawn(async move {
                let Ok(mut forwarder) = pods.portforward(&pod, &[port]).await else { return };
                let Some(mut remote) = forwarder.take_stream(port) else { return };
                let _ = tokio::io::copy_bidirectional_with_sizes(
                    &mut local,
                    &mut remote,
                    BRIDGE_BUFFER,
                    BRIDGE_BUFFER,
                )
                .await;
                drop(remote);
                let _ = forwarder.join().await;
            });
        }
    });
    Ok(Forward { url, task })
}

/// The member Pods of `cluster`, in name order.
pub async fn member_pods(pods: &Api<Pod>, cluster: &str) -> Result<Vec<Pod>, kube::Error> {
    let selector = ListParams::default().labels(&names::selector_string(&names::selector_labels(cluster)));
    let mut members = pods.list(&selector).await?.items;
    members.sort_by_key(ResourceExt::name_any);
    Ok(members)
}

/// An etcd client of one member, through its forward; with `tls`, the cluster's client
/// credentials.
pub async fn connect(
    forward: &Forward,
    tls: Option<&ClientCredentials>,
) -> Result<Client, etcd_client::Error> {
    let options = crate::credentials::connect_options(tls, CONNECT_TIMEOUT, Some(CALL_TIMEOUT));
    crate::grpc::connect(&[forward.url.as_str()], options).await
}

/// Why the members could not be surveyed.
#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    /// The Pods could not be listed.
    #[error("listing the member Pods of {0}: {1}")]
    Api(String, String),
    /// No member answered.
    #[error(
        "no member of {cluster} answers through the API ({pods} member Pods); `kubectl etcd status {cluster}` \
         shows what the operator sees"
    )]
    Unavailable {
        /// The cluster.
        cluster: String,
        /// Its member Pods.
        pods: usize,
    },
    /// The cluster could not be read.
    #[error("reading EtcdCluster {0}: {1}")]
    Cluster(String, String),
    /// A TLS cluster's client credentials could not be read.
    #[error(transparent)]
    Credentials(#[from] CredentialsReadError),
    /// etcd refused a call.
    #[error("{action}: {message}")]
    Etcd {
        /// What was asked.
        action: &'static str,
        /// etcd's answer.
        message: String,
    },
}

/// One member as etcd and its own status describe it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's name (its Pod's name).
    pub name: String,
    /// Its member ID, in hex as etcdctl prints it.
    pub id: String,
    /// Whether it is a learner (not voting).
    pub learner: bool,
    /// Whether it answered a status call through the API.
    pub answered: bool,
    /// Whether it is healthy as etcd's `/health` judges ([`shared::health::problems`]): it
    /// answered, knows a leader, reports no error and no alarm names it.
    pub healthy: bool,
    /// Whether it is the leader.
    pub leader: bool,
    /// The etcd version it runs.
    pub version: Option<String>,
    /// Its database size in bytes.
    pub db_size: Option<i64>,
    /// Its raft index.
    pub raft_index: Option<u64>,
    /// Its raft term.
    pub raft_term: Option<u64>,
    /// The errors its status reports.
    pub errors: Vec<String>,
    #[serde(skip)]
    raw_id: u64,
}

impl Member {
    /// The member ID.
    pub fn raw_id(&self) -> u64 {
        self.raw_id
    }
}

/// An alarm: the member it names and its kind (`NOSPACE`, `CORRUPT`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    /// The member's name (its ID in hex when it is no longer a member).
    pub member: String,
    /// The member ID, in hex.
    pub member_id: String,
    /// `NOSPACE` or `CORRUPT`.
    pub alarm: String,
    #[serde(skip)]
    raw_id: u64,
    #[serde(skip)]
    kind: AlarmType,
}

impl Alarm {
    /// Whether it is a CORRUPT alarm.
    pub fn is_corrupt(&self) -> bool {
        self.kind == AlarmType::Corrupt
    }
}

/// The members, their alarms, and a connection to each member that answered.
pub struct Survey {
    /// Every member etcd lists, in name order.
    pub members: Vec<Member>,
    /// The cluster's alarms (etcd's Alarm API).
    pub alarms: Vec<Alarm>,
    clients: Vec<(String, Client, Forward)>,
}

impl Survey {
    /// The leader, when the healthy members agree on one.
    pub fn leader(&self) -> Option<&Member> {
        self.members.iter().find(|m| m.leader)
    }

    /// A client of member `name`, when it answered.
    pub fn client(&self, name: &str) -> Option<Client> {
        self.clients.iter().find(|(n, ..)| n == name).map(|(_, client, _)| client.clone())
    }

    /// A client of any member that answered (the leader first).
    pub fn any_client(&self) -> Option<Client> {
        self.leader().and_then(|l| self.client(&l.name)).or_else(|| self.clients.first().map(|c| c.1.clone()))
    }
}

/// Asks every member Pod of `cluster` for its status, one of them for the member list and
/// the alarms.
pub async fn survey(client: &kube::Client, namespace: &str, cluster: &str) -> Result<Survey, SurveyError> {
    let resource = Api::<EtcdCluster>::namespaced(client.clone(), namespace)
        .get(cluster)
        .await
        .map_err(|e| SurveyError::Cluster(cluster.into(), e.to_string()))?;
    let tls = crate::credentials::read(client, namespace, &resource).await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let member_pods =
        member_pods(&pods, cluster).await.map_err(|e| SurveyError::Api(cluster.into(), e.to_string()))?;
    let mut clients = Vec::new();
    let mut statuses = Vec::new();
    for pod in member_pods.iter().filter(|p| p.status.as_ref().and_then(|s| s.pod_ip.as_ref()).is_some()) {
        let name = pod.name_any();
        let Ok(forward) = forward(&pods, &name, names::CLIENT_PORT, tls.is_some()).await else { continue };
        let Ok(mut etcd) = connect(&forward, tls.as_ref()).await else { continue };
        if let Ok(Ok(status)) = tokio::time::timeout(CALL_TIMEOUT, etcd.status()).await {
            statuses.push((name.clone(), status));
            clients.push((name, etcd, forward));
        }
    }
    let unavailable = || SurveyError::Unavailable { cluster: cluster.into(), pods: member_pods.len() };
    let mut etcd = clients.first().map(|c| c.1.clone()).ok_or_else(unavailable)?;
    let etcd_error =
        |action| move |e: etcd_client::Error| SurveyError::Etcd { action, message: e.to_string() };
    let list = etcd.member_list().await.map_err(etcd_error("listing the members"))?;
    let alarms = etcd
        .alarm(AlarmAction::Get, AlarmType::None, None)
        .await
        .map_err(etcd_error("listing the alarms"))?;
    let name_of = |id: u64| {
        list.members()
            .iter()
            .find(|m| m.id() == id)
            .map_or_else(|| format!("{id:x}"), |m| m.name().to_string())
    };
    let alarms: Vec<Alarm> = alarms
        .alarms()
        .iter()
        .map(|a| Alarm {
            member: name_of(a.member_id()),
            member_id: format!("{:x}", a.member_id()),
            alarm: alarm_name(a.alarm()).to_string(),
            raw_id: a.member_id(),
            kind: a.alarm(),
        })
        .collect();
    let alarm_list: Vec<(u64, String)> = alarms.iter().map(|a| (a.raw_id, a.alarm.clone())).collect();
    let mut members: Vec<Member> = list
        .members()
        .iter()
        .map(|m| {
            let status = statuses.iter().find(|(name, _)| name == m.name()).map(|(_, s)| s);
            Member {
                name: m.name().to_string(),
                id: format!("{:x}", m.id()),
                learner: m.is_learner(),
                answered: status.is_some(),
                healthy: health::problems(m.id(), status.map(|s| (s.leader(), s.errors())), &alarm_list)
                    .is_empty(),
                leader: false,
                version: status.map(|s| s.version().to_string()),
                db_size: status.map(|s| s.db_size()),
                raft_index: status.map(|s| s.raft_index()),
                raft_term: status.map(|s| s.raft_term()),
                errors: status.map(|s| s.errors().to_vec()).unwrap_or_default(),
                raw_id: m.id(),
            }
        })
        .collect();
    let reports: Vec<u64> = statuses
        .iter()
        .filter(|(name, _)| members.iter().any(|m| m.name == *name && m.healthy))
        .map(|(_, s)| s.leader())
        .collect();
    if let Some(leader) = health::agreed_leader(&reports) {
        members.iter_mut().for_each(|m| m.leader = m.raw_id == leader);
    }
    members.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Survey { members, alarms, clients })
}

/// etcd's name of an alarm kind.
pub fn alarm_name(kind: AlarmType) -> &'static str {
    match kind {
        AlarmType::Nospace => "NOSPACE",
        AlarmType::Corrupt => "CORRUPT",
        AlarmType::None => "NONE",
    }
}

/// Deactivates `alarm` through `etcd`.
pub async fn disarm(etcd: &mut Client, alarm: &Alarm) -> Result<(), etcd_client::Error> {
    let mut options = etcd_client::AlarmOptions::new();
    options.with_member(alarm.raw_id);
    etcd.alarm(AlarmAction::Deactivate, alarm.kind, Some(options)).await.map(|_| ())
}

#[cfg(test)]
pub mod testing {
    //! Members for the unit tests of the commands.
    use super::Member;

    impl super::Alarm {
        /// An alarm of `kind` naming member `member` (ID 1).
        pub fn for_tests(member: &str, kind: etcd_client::AlarmType) -> super::Alarm {
            super::Alarm {
                member: member.into(),
                member_id: "1".into(),
                alarm: super::alarm_name(kind).into(),
                raw_id: 1,
                kind,
            }
        }
    }

    /// A healthy voter named `name` with ID `id` at raft index `index`.
    pub fn member(name: &str, id: u64, index: u64) -> Member {
        Member {
            name: name.into(),
            id: format!("{id:x}"),
            learner: false,
            answered: true,
            healthy: true,
            leader: false,
            version: Some("3.5.30".into()),
            db_size: Some(20480),
            raft_index: Some(index),
            raft_term: Some(2),
            errors: vec![],
            raw_id: id,
        }
    }
}
