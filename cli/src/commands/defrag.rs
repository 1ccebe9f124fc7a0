//! `kubectl etcd defrag NAME [--member M]`: asks the operator to defragment the cluster's
//! members (one at a time, followers first, the leader last, only while every member is
//! healthy). The plugin writes the request as an annotation on the EtcdCluster and, with
//! `--wait`, follows `status.defrag` until the operator reports the request done; it never
//! talks to the members itself.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use serde_json::json;
use shared::crd::{DEFRAG_MEMBER_ANNOTATION, DEFRAG_REQUEST_ANNOTATION, DefragRun, EtcdCluster};

use crate::client::{Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::table::human_bytes;
use crate::wait::{ChangeError, follow_request};

/// Defragment the members of a cluster, to give free space in their database files back.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd defrag demo --wait\n  \
    kubectl etcd defrag demo --member demo-2 --wait --timeout 10m\n\n\
    The operator defragments one member at a time, followers first and the leader last, and only \
    while every member is healthy; a member being defragmented serves no reads or writes. With --wait, \
    progress goes to stderr, the bytes reclaimed per member to stdout, and the command exits 6 if the \
    request is not done within --timeout.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Defragment only this member (e.g. demo-2); every member when left out.
    #[arg(long, value_name = "MEMBER")]
    member: Option<String>,

    /// Wait until the operator reports the defragmentation done.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 10m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Why `member` is refused for `cluster`; `None` when it is one of its members.
fn refuse_member(cluster: &EtcdCluster, member: &str) -> Option<String> {
    let members: Vec<&str> =
        cluster.status.iter().flat_map(|s| s.members.iter()).map(|m| m.name.as_str()).collect();
    (!members.contains(&member)).then(|| {
        format!(
            "{member} is not a member of etcdcluster {}: its members are {}",
            cluster.metadata.name.as_deref().unwrap_or_default(),
            if members.is_empty() { "not known yet".to_string() } else { members.join(", ") }
        )
    })
}

/// The finished run of request `id`, if the status shows it.
fn finished<'a>(cluster: &'a EtcdCluster, id: &str) -> Option<&'a DefragRun> {
    cluster.status.as_ref()?.defrag.as_ref()?.last.as_ref().filter(|run| run.id == id)
}

/// Where request `id` is at, in words.
fn progress(cluster: &EtcdCluster, id: &str) -> String {
    let running = cluster.status.as_ref().and_then(|s| s.defrag.as_ref()).and_then(|d| d.running.as_ref());
    match running {
        Some(run) if run.id == id => {
            let done: Vec<&str> = run.members.iter().map(|m| m.name.as_str()).collect();
            format!(
                "defragmenting: done {}",
                if done.is_empty() { "none yet".into() } else { done.join(", ") }
            )
        }
        Some(run) => format!("waiting for defragmentation {} to finish first", run.id),
        None => "waiting for the operator to start".to_string(),
    }
}

/// The report of a finished run: one line per member, then the total.
fn report(run: &DefragRun) -> String {
    let mut text = String::new();
    for m in &run.members {
        text.push_str(&format!(
            "{}\t{} -> {}\treclaimed {}\t{} ms\n",
            m.name,
            human_bytes(m.before_bytes),
            human_bytes(m.after_bytes),
            human_bytes(m.reclaimed_bytes),
            m.duration_ms
        ));
    }
    let total: i64 = run.members.iter().map(|m| m.reclaimed_bytes).sum();
    text.push_str(&format!(
        "reclaimed {} in total; {}\n",
        human_bytes(total),
        run.message.as_deref().unwrap_or("done")
    ));
    text
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, ChangeError> {
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    if let Some(reason) = args.member.as_deref().and_then(|m| refuse_member(&cluster, m)) {
        eprintln!("refused: {reason}; nothing was changed");
        return Ok(Outcome::Refused);
    }
    let id = Timestamp::now().to_string();
    let patch = json!({"metadata": {"annotations": {
        DEFRAG_REQUEST_ANNOTATION: id,
        DEFRAG_MEMBER_ANNOTATION: args.member,
    }}});
    connection.patch_cluster("request a defragmentation of", &args.name, patch).await?;
    println!("etcdcluster/{} defragmentation requested ({id})", args.name);
    if !args.wait {
        return Ok(Outcome::Success);
    }
    let followed = follow_request(
        &connection,
        &args.name,
        args.timeout,
        "defragmentation",
        |c| finished(c, &id).is_some(),
        |c| progress(c, &id),
    )
    .await?;
    Ok(match followed {
        Ok(cluster) => {
            if let Some(run) = finished(&cluster, &id) {
                print!("{}", report(run));
            }
            Outcome::Success
        }
        Err(outcome) => outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::crd::{DefragStatus, DefragTrigger, EtcdClusterStatus, MemberDefrag, MemberStatus};

    fn cluster() -> EtcdCluster {
        let mut cluster: EtcdCluster = serde_json::from_value(json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo"}, "spec": {"version": "3.5.30"}}))
        .expect("cluster");
        cluster.status = Some(EtcdClusterStatus {
            members: ["demo-0", "demo-1"]
                .iter()
                .map(|n| MemberStatus { name: n.to_string(), ..MemberStatus::default() })
                .collect(),
            ..EtcdClusterStatus::default()
        });
        cluster
    }

    #[test]
    fn only_members_of_the_cluster_may_be_named() {
        assert_eq!(refuse_member(&cluster(), "demo-1"), None);
        assert_eq!(
            refuse_member(&cluster(), "demo-7").as_deref(),
            Some("demo-7 is not a member of etcdcluster demo: its members are demo-0, demo-1")
        );
    }

    #[test]
    fn the_request_is_done_when_the_status_shows_it_finished() {
        let mut c = cluster();
        assert!(finished(&c, "r1").is_none());
        assert_eq!(progress(&c, "r1"), "waiting for the operator to start");
        let run = DefragRun {
            id: "r1".into(),
            trigger: DefragTrigger::Request,
            member: None,
            started_at: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::UNIX_EPOCH),
            completed_at: None,
            compacted_revision: None,
            members: vec![MemberDefrag {
                name: "demo-1".into(),
                before_bytes: 4 << 20,
                after_bytes: 1 << 20,
                reclaimed_bytes: 3 << 20,
                duration_ms: 12,
            }],
            message: Some("2 members defragmented".into()),
        };
        if let Some(status) = c.status.as_mut() {
            status.defrag = Some(DefragStatus { running: Some(run.clone()), ..DefragStatus::default() });
        }
        assert_eq!(progress(&c, "r1"), "defragmenting: done demo-1");
        if let Some(status) = c.status.as_mut() {
            status.defrag = Some(DefragStatus { last: Some(run), ..DefragStatus::default() });
        }
        let run = finished(&c, "r1").expect("finished");
        assert!(report(run).contains("reclaimed 3.1 MB"), "{}", report(run));
    }
}
