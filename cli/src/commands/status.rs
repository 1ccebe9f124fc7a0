//! `kubectl etcd status NAME`: how the cluster is doing, in a summary and a members table
//! with etcdctl's columns; the exit code says healthy (0), degraded (4) or unavailable (5).

use kube::ResourceExt;
use shared::conditions::ConditionType;
use shared::crd::{ClusterPhase, EtcdCluster, EtcdClusterStatus, MemberRole};

use crate::client::{ApiError, ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;
use crate::output::color::{Palette, Tone};
use crate::output::format::{self, ObjectFormat};
use crate::output::structured;
use crate::output::table::{self, NONE, human_bytes};

/// Show a cluster's health, members and conditions.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd status demo\n  \
    kubectl etcd status demo -n databases -o yaml\n  \
    kubectl etcd status demo -o name || echo \"demo needs attention\"\n\n\
    Exit code 0 when the cluster is available, not degraded, not changing and at full size; 4 when it \
    serves but is degraded, short of members or changing; 5 when it is unavailable; 1 when it cannot \
    be read (e.g. not found). -o json|yaml|name prints the EtcdCluster object (or etcdcluster/NAME) \
    with the same exit codes.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Print the EtcdCluster object (status included) as json or yaml, or etcdcluster/NAME,
    /// instead of the summary.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<ObjectFormat>,
}

/// Why the status could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The cluster could not be read.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The object could not be printed.
    #[error("cannot print the cluster: {0}")]
    Print(String),
}

/// Runs the command: the report on stdout, the health as the outcome.
pub async fn run(kube: &KubeArgs, args: &Args, palette: Palette) -> Result<Outcome, StatusError> {
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    let text = if args.output == Some(ObjectFormat::Name) {
        format::names("etcdcluster", [cluster.name_any()])
    } else if let Some(structured) = args.output.and_then(ObjectFormat::structured) {
        structured::render(&cluster, structured).map_err(StatusError::Print)?
    } else {
        render(&cluster, palette)
    };
    print!("{text}");
    Ok(health(cluster.spec.size, cluster.status.as_ref()))
}

/// The cluster's health as an exit outcome, from its desired size and status:
/// - Unavailable: no status yet, phase Unavailable, or Available is not True;
/// - Success: Available, neither Degraded nor Progressing, every member healthy and as many
///   ready voting members as the size;
/// - Degraded: anything in between (a member down, short of members, a change under way,
///   a spec the operator refuses).
pub fn health(size: i32, status: Option<&EtcdClusterStatus>) -> Outcome {
    let Some(status) = status else { return Outcome::Unavailable };
    let is_true = |kind| shared::conditions::is_true(&status.conditions, kind);
    if status.phase == Some(ClusterPhase::Unavailable) || !is_true(ConditionType::Available) {
        return Outcome::Unavailable;
    }
    let healthy = !is_true(ConditionType::Degraded)
        && !is_true(ConditionType::Progressing)
        && !matches!(status.phase, Some(ClusterPhase::Degraded | ClusterPhase::Failed))
        && status.ready_members == size
        && status.members.iter().all(|m| m.healthy);
    if healthy { Outcome::Success } else { Outcome::Degraded }
}

/// How a phase reads at a glance: Running is good; Unavailable and Failed are bad; the
/// rest (a change under way, paused, degraded) warn. No tone before the first status.
pub fn phase_tone(phase: Option<ClusterPhase>) -> Option<Tone> {
    Some(match phase? {
        ClusterPhase::Running => Tone::Good,
        ClusterPhase::Unavailable | ClusterPhase::Failed => Tone::Bad,
        ClusterPhase::Pending
        | ClusterPhase::Creating
        | ClusterPhase::Scaling
        | ClusterPhase::Upgrading
        | ClusterPhase::Healing
        | ClusterPhase::Degraded
        | ClusterPhase::Paused => Tone::Warning,
    })
}

/// The summary block and the members table; the phase, warnings and unhealthy members
/// painted.
fn render(cluster: &EtcdCluster, palette: Palette) -> String {
    let status = cluster.status.clone().unwrap_or_default();
    let or_none = |value: &Option<String>| value.clone().unwrap_or_else(|| NONE.to_string());
    let version = match (&status.current_version, &status.target_version) {
        (Some(current), Some(target)) if current != target => format!("{current} → {target}"),
        (Some(current), _) => current.clone(),
        (None, Some(target)) => format!("{NONE} → {target}"),
        (None, None) => format!("{NONE} → {}", cluster.spec.version.trim_start_matches('v')),
    };
    let mut fields = vec![
        ("Name", cluster.name_any()),
        ("Namespace", cluster.namespace().unwrap_or_default()),
        (
            "Phase",
            palette.paint_if(
                &status.phase.map_or_else(|| "Pending".to_string(), |p| format!("{p:?}")),
                phase_tone(status.phase),
            ),
        ),
        ("Size", cluster.spec.size.to_string()),
        (
            "Ready",
            status.ready.clone().unwrap_or_else(|| format!("{}/{}", status.ready_members, cluster.spec.size)),
        ),
        ("Version", version),
        ("Leader", or_none(&status.leader)),
        ("Cluster ID", or_none(&status.cluster_id)),
    ];
    if cluster.spec.paused {
        fields.push(("Paused", "true: the operator changes nothing until `kubectl etcd resume`".to_string()));
    }
    if !status.alarms.is_empty() {
        let alarms: Vec<String> =
            status.alarms.iter().map(|a| format!("{} on {}", a.alarm, a.member)).collect();
        fields.push(("Alarms", palette.paint(&alarms.join(", "), Tone::Bad)));
    }
    if let Some(run) = status.defrag.as_ref().and_then(|d| d.running.as_ref()) {
        let done: Vec<&str> = run.members.iter().map(|m| m.name.as_str()).collect();
        fields.push(("Defragmenting", format!("{} ({:?}), done: {}", run.id, run.trigger, done.join(", "))));
    }
    if let Some(run) = status.defrag.as_ref().and_then(|d| d.last.as_ref()) {
        let when = run.completed_at.as_ref().map_or_else(|| NONE.to_string(), |t| t.0.to_string());
        let reclaimed: i64 = run.members.iter().map(|m| m.reclaimed_bytes).sum();
        fields.push((
            "Last defrag",
            format!(
                "{when} ({:?}, {} members, {} reclaimed)",
                run.trigger,
                run.members.len(),
                human_bytes(reclaimed)
            ),
        ));
    }
    if let Some(tls) = &status.tls {
        fields.push(("Certificates", certificates_line(tls)));
    }
    if let Some(backup) = &status.last_backup {
        let when = backup.completed_at.as_ref().map(|t| t.0.to_string()).unwrap_or_else(|| NONE.into());
        fields.push(("Last backup", format!("{when} ({})", backup.location)));
    }
    let width = fields.iter().map(|(label, _)| label.len()).max().unwrap_or(0) + 2;
    let mut out: String =
        fields.iter().map(|(label, value)| format!("{:width$} {value}\n", format!("{label}:"))).collect();
    if !status.conditions.is_empty() {
        out.push_str("Conditions:\n");
        let rows: Vec<Vec<String>> = status
            .conditions
            .iter()
            .map(|c| vec![c.type_.clone(), c.status.clone(), c.reason.clone(), c.message.clone()])
            .collect();
        out.push_str(&table::indent(
            &table::render(Some(&["TYPE", "STATUS", "REASON", "MESSAGE"]), &rows),
            2,
        ));
    }
    if !status.warnings.is_empty() {
        out.push_str("Warnings:\n");
        out.extend(status.warnings.iter().map(|w| format!("  {}\n", palette.paint(w, Tone::Warning))));
    }
    out.push('\n');
    if status.members.is_empty() {
        out.push_str("No members yet.\n");
    } else {
        out.push_str(&members_table(&status, palette));
    }
    out
}

/// The certificates in one line: the first to expire and when it is renewed, a CA rotation
/// under way, members waiting for a restart with renewed certificates.
fn certificates_line(tls: &shared::crd::TlsStatus) -> String {
    let mut parts = Vec::new();
    if let Some(first) = tls.certificates.iter().min_by_key(|c| c.expires.0) {
        let who = if first.issued_by_operator { "renewed" } else { "renew it by" };
        parts.push(format!(
            "first to expire {} at {} ({who} {})",
            first.secret, first.expires.0, first.renew_at.0
        ));
    }
    if let Some(phase) = tls.ca_rotation {
        parts.push(format!("CA rotation phase {}", phase.as_str()));
    }
    if !tls.pending_members.is_empty() {
        parts.push(format!("restarting with renewed certificates: {}", tls.pending_members.join(", ")));
    }
    if parts.is_empty() { NONE.to_string() } else { parts.join("; ") }
}

/// The members as `etcdctl endpoint status -w table` names the columns, plus MESSAGE when a
/// member has one; unhealthy members painted bad.
fn members_table(status: &EtcdClusterStatus, palette: Palette) -> String {
    let with_messages = status.members.iter().any(|m| m.message.is_some());
    let mut headers = vec!["ID", "NAME", "VERSION", "ROLE", "HEALTH", "DB SIZE", "RAFT APPLIED INDEX"];
    if with_messages {
        headers.push("MESSAGE");
    }
    let rows: Vec<Vec<String>> = status
        .members
        .iter()
        .map(|m| {
            let mut row = vec![
                m.id.clone().unwrap_or_else(|| NONE.into()),
                m.name.clone(),
                m.version.clone().unwrap_or_else(|| NONE.into()),
                match m.role {
                    Some(MemberRole::Leader) => "leader",
                    Some(MemberRole::Follower) => "follower",
                    Some(MemberRole::Learner) => "learner",
                    None => NONE,
                }
                .to_string(),
                m.healthy.to_string(),
                m.db_size_bytes.map_or_else(|| NONE.into(), human_bytes),
                m.raft_applied_index.map_or_else(|| NONE.into(), |i| i.to_string()),
            ];
            if with_messages {
                row.push(m.message.clone().unwrap_or_default());
            }
            row
        })
        .collect();
    let unhealthy = |at: usize| status.members.get(at).filter(|m| !m.healthy).map(|_| Tone::Bad);
    table::render_toned(Some(&headers), &rows, unhealthy, palette)
}

#[cfg(test)]
pub(crate) mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
    use k8s_openapi::jiff::Timestamp;
    use shared::crd::{EtcdClusterSpec, MemberStatus};

    use super::*;

    fn condition(kind: &str, ok: bool, reason: &str, message: &str) -> Condition {
        Condition {
            type_: kind.into(),
            status: if ok { "True" } else { "False" }.into(),
            reason: reason.into(),
            message: message.into(),
            last_transition_time: Time(Timestamp::UNIX_EPOCH),
            observed_generation: Some(1),
        }
    }

    fn member(n: usize, role: MemberRole, healthy: bool) -> MemberStatus {
        MemberStatus {
            name: format!("demo-{n}"),
            id: Some(format!("8e9e05c52164694{n}")),
            version: Some("3.5.30".into()),
            role: Some(role),
            healthy,
            db_size_bytes: Some(20480),
            db_size_in_use_bytes: Some(16384),
            raft_applied_index: Some(12),
            message: (!healthy).then(|| "does not answer a status request".into()),
        }
    }

    /// A healthy 3-member cluster `demo` in `default`.
    pub(crate) fn sample() -> EtcdCluster {
        let spec: EtcdClusterSpec =
            serde_json::from_value(serde_json::json!({"size": 3, "version": "3.5.30"})).expect("spec");
        let mut cluster = EtcdCluster::new("demo", spec);
        cluster.metadata.namespace = Some("default".into());
        cluster.status = Some(EtcdClusterStatus {
            phase: Some(ClusterPhase::Running),
            observed_generation: Some(1),
            desired_members: 3,
            ready_members: 3,
            ready: Some("3/3".into()),
            current_version: Some("3.5.30".into()),
            target_version: Some("3.5.30".into()),
            leader: Some("demo-0".into()),
            cluster_id: Some("cdf818194e3a8c32".into()),
            members: vec![
                member(0, MemberRole::Leader, true),
                member(1, MemberRole::Follower, true),
                member(2, MemberRole::Follower, true),
            ],
            conditions: vec![
                condition("Available", true, "QuorumHealthy", "3 of 3 voting members healthy"),
                condition("Progressing", false, "Stable", "the cluster has its size and every member runs"),
                condition("Degraded", false, "AllMembersHealthy", "every member answers"),
            ],
            ..EtcdClusterStatus::default()
        });
        cluster
    }

    fn status_of(cluster: &EtcdCluster) -> EtcdClusterStatus {
        cluster.status.clone().expect("sample has a status")
    }

    #[test]
    fn alarms_and_the_last_defragmentation_are_shown() {
        let mut cluster = sample();
        if let Some(status) = cluster.status.as_mut() {
            status.alarms =
                vec![shared::crd::AlarmStatus { member: "demo-1".into(), alarm: "NOSPACE".into() }];
        }
        let text = render(&cluster, Palette::PLAIN);
        assert!(text.contains("Alarms:") && text.contains("NOSPACE on demo-1"), "{text}");
    }

    #[test]
    fn certificates_show_the_first_to_expire_and_a_rotation_under_way() {
        let mut cluster = sample();
        let at = |t: &str| k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.parse().expect("time"));
        if let Some(status) = cluster.status.as_mut() {
            status.tls = Some(shared::crd::TlsStatus {
                certificates: vec![
                    shared::crd::CertificateStatus {
                        secret: "demo-ca-tls".into(),
                        expires: at("2031-01-01T00:00:00Z"),
                        renew_at: at("2029-09-01T00:00:00Z"),
                        issued_by_operator: true,
                    },
                    shared::crd::CertificateStatus {
                        secret: "demo-0-server-tls".into(),
                        expires: at("2027-01-01T00:00:00Z"),
                        renew_at: at("2026-09-01T00:00:00Z"),
                        issued_by_operator: true,
                    },
                ],
                ca_rotation: Some(shared::crd::CaRotationPhase::TrustBoth),
                pending_members: vec!["demo-2".into()],
                last_request: None,
            });
        }
        let text = render(&cluster, Palette::PLAIN);
        assert!(
            text.contains(
                "first to expire demo-0-server-tls at 2027-01-01T00:00:00Z (renewed 2026-09-01T00:00:00Z); \
                 CA rotation phase TrustBoth; restarting with renewed certificates: demo-2"
            ),
            "{text}"
        );
    }

    #[test]
    fn healthy_at_size_is_success() {
        let cluster = sample();
        assert_eq!(health(3, cluster.status.as_ref()), Outcome::Success);
    }

    #[test]
    fn short_of_size_unhealthy_or_changing_is_degraded() {
        let cluster = sample();
        assert_eq!(health(5, cluster.status.as_ref()), Outcome::Degraded, "scaled, not there yet");

        let mut down = status_of(&cluster);
        down.members[1] = member(1, MemberRole::Follower, false);
        down.ready_members = 2;
        down.phase = Some(ClusterPhase::Paused);
        down.conditions[2] = condition("Degraded", true, "MembersUnhealthy", "unhealthy: demo-1");
        assert_eq!(health(3, Some(&down)), Outcome::Degraded);

        let mut changing = status_of(&cluster);
        changing.phase = Some(ClusterPhase::Scaling);
        changing.conditions[1] =
            condition("Progressing", true, "AddingLearner", "adding demo-3 as a learner");
        assert_eq!(health(3, Some(&changing)), Outcome::Degraded);
    }

    #[test]
    fn lost_quorum_or_no_status_is_unavailable() {
        let cluster = sample();
        let mut lost = status_of(&cluster);
        lost.phase = Some(ClusterPhase::Unavailable);
        lost.conditions[0] = condition("Available", false, "QuorumLost", "1 of 3 voting members healthy");
        assert_eq!(health(3, Some(&lost)), Outcome::Unavailable);

        let mut phase_only = status_of(&cluster);
        phase_only.phase = Some(ClusterPhase::Unavailable);
        assert_eq!(health(3, Some(&phase_only)), Outcome::Unavailable);

        assert_eq!(health(3, None), Outcome::Unavailable);
        assert_eq!(health(3, Some(&EtcdClusterStatus::default())), Outcome::Unavailable);
    }

    #[test]
    fn status_report_golden() {
        let mut cluster = sample();
        if let Some(status) = cluster.status.as_mut() {
            status.target_version = Some("3.5.2".into());
            status.warnings = vec!["size 4 is even".into()];
        }
        assert_eq!(
            render(&cluster, Palette::PLAIN),
            "\
Name:        demo
Namespace:   default
Phase:       Running
Size:        3
Ready:       3/3
Version:     3.5.30 → 3.5.2
Leader:      demo-0
Cluster ID:  cdf818194e3a8c32
Conditions:
  TYPE          STATUS   REASON              MESSAGE
  Available     True     QuorumHealthy       3 of 3 voting members healthy
  Progressing   False    Stable              the cluster has its size and every member runs
  Degraded      False    AllMembersHealthy   every member answers
Warnings:
  size 4 is even

ID                 NAME     VERSION   ROLE       HEALTH   DB SIZE   RAFT APPLIED INDEX
8e9e05c521646940   demo-0   3.5.30    leader     true     20 kB     12
8e9e05c521646941   demo-1   3.5.30    follower   true     20 kB     12
8e9e05c521646942   demo-2   3.5.30    follower   true     20 kB     12
"
        );
    }

    #[test]
    fn unhealthy_members_show_why() {
        let mut cluster = sample();
        if let Some(status) = cluster.status.as_mut() {
            status.members[2] = member(2, MemberRole::Follower, false);
        }
        let text = members_table(&status_of(&cluster), Palette::PLAIN);
        assert!(text.starts_with("ID  "), "{text}");
        assert!(text.lines().next().is_some_and(|h| h.ends_with("RAFT APPLIED INDEX   MESSAGE")), "{text}");
        assert!(
            text.contains("follower   false    20 kB     12                   does not answer"),
            "{text}"
        );
    }

    #[test]
    fn colour_marks_the_phase_warnings_and_unhealthy_members() {
        use crate::output::color::{ColorChoice, Surroundings};
        let palette = Palette::new(
            ColorChoice::Always,
            Surroundings { terminal: false, no_color: false, dumb_terminal: false },
        );
        let mut cluster = sample();
        if let Some(status) = cluster.status.as_mut() {
            status.phase = Some(ClusterPhase::Degraded);
            status.members[2] = member(2, MemberRole::Follower, false);
            status.warnings = vec!["size 4 is even".into()];
        }
        let text = render(&cluster, palette);
        assert!(text.contains("Phase:       \x1b[33mDegraded\x1b[0m\n"), "{text}");
        assert!(text.contains("  \x1b[33msize 4 is even\x1b[0m\n"), "{text}");
        let painted: Vec<&str> = text.lines().filter(|l| l.starts_with("\x1b[31m")).collect();
        assert_eq!(painted.len(), 1, "{text}");
        assert!(painted[0].contains("demo-2") && painted[0].ends_with("\x1b[0m"), "{text}");
        assert_eq!(phase_tone(Some(ClusterPhase::Running)), Some(Tone::Good));
        assert_eq!(phase_tone(Some(ClusterPhase::Failed)), Some(Tone::Bad));
        assert_eq!(phase_tone(None), None);
    }
}
