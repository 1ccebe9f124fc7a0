//! Report: the cluster's status, computed from what was observed and the step taken. Pure;
//! the reconciler writes it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::ResourceExt;
use shared::conditions::{ConditionType, Reason};
use shared::crd::{ClusterPhase, EtcdCluster, EtcdClusterStatus, MemberRole, MemberStatus};
use shared::names;
use shared::plan::meaning::refusal_reason;
use shared::plan::membership::{Refusal, Step};
use shared::plan::transport;
use shared::version::EtcdVersion;

use super::observe::Observation;

/// The status to write after taking `step`.
pub fn status(cluster: &EtcdCluster, observation: &Observation, step: &Step, now: Time) -> EtcdClusterStatus {
    let previous = cluster.status.clone().unwrap_or_default();
    let name = cluster.name_any();
    let membership = observation.membership.as_ref();
    let members = membership.map(|m| m.members.as_slice()).unwrap_or_default();
    let voters = members.iter().filter(|m| !m.learner).count();
    let healthy_voters = members.iter().filter(|m| !m.learner && m.healthy).count();
    let desired = cluster.spec.size;
    let failures = pod_failures(observation);
    let member_statuses = member_statuses(cluster, observation, &failures);
    let versions: Vec<String> = member_statuses.iter().filter_map(|m| m.version.clone()).collect();
    let current_version = versions
        .iter()
        .filter_map(|v| v.parse::<shared::version::EtcdVersion>().ok())
        .min()
        .map(|v| v.to_string());
    let leader = member_statuses.iter().find(|m| m.role == Some(MemberRole::Leader)).map(|m| m.name.clone());
    let available = voters > 0 && healthy_voters >= shared::plan::membership::quorum(voters);
    let target: Option<EtcdVersion> = cluster.spec.version.parse().ok();
    let upgrading = member_statuses.iter().any(|m| m.version.as_ref().and_then(|v| v.parse().ok()) != target)
        || observation.pods.iter().map(super::observe::pod_version).any(|v| v.is_some() && v != target)
        || enabling_tls(cluster, observation).is_some();
    let phase = match step.phase(healthy_voters, voters, desired) {
        ClusterPhase::Scaling | ClusterPhase::Running | ClusterPhase::Degraded | ClusterPhase::Healing
            if !failures.is_empty() =>
        {
            ClusterPhase::Degraded
        }
        // A member restarting with its new version is part of the upgrade, not a failure.
        ClusterPhase::Scaling | ClusterPhase::Running | ClusterPhase::Degraded
            if upgrading && available && !matches!(step, Step::Refuse { .. }) =>
        {
            ClusterPhase::Upgrading
        }
        phase => phase,
    };
    let progressing = !matches!(step, Step::Idle | Step::Refuse { .. } | Step::Paused { .. });
    let (progressing_reason, progressing_message) = progressing_because(cluster, observation, step);
    let degraded =
        members.iter().any(|m| !m.healthy) || matches!(step, Step::Refuse { .. }) || !failures.is_empty();
    let current = current_version.clone().or(previous.current_version.clone()).unwrap_or_default();
    let alarms = super::maintenance::alarms(membership);
    let (degraded_reason, degraded_message) =
        degraded_because(step, degraded, &failures, observation, &current, &member_statuses);
    // An alarm is the cause to name first: NOSPACE on every member also reads as lost quorum.
    let (degraded_reason, degraded_message) =
        alarm_because(&alarms).unwrap_or((degraded_reason, degraded_message));
    let tls = observation.certificates.as_ref().map(|survey| {
        crate::tls::expiry::tls_status(
            previous.tls.as_ref(),
            survey,
            super::observe::certificates_pending(observation),
        )
    });
    // A certificate about to expire with nothing to renew it is named when nothing worse is.
    let expiring = tls.as_ref().and_then(|t| crate::tls::expiry::expiring(t, step, now.0));
    let (degraded, degraded_reason, degraded_message) = match expiring {
        Some(why) if !degraded => (true, Reason::CertificateExpiring, why),
        _ => (degraded, degraded_reason, degraded_message),
    };
    let (available_reason, available_message) =
        available_because(step, available, members.is_empty(), healthy_voters, voters);
    let conditions = vec![
        condition(
            &previous,
            ConditionType::Available,
            available,
            available_reason,
            &available_message,
            cluster,
            &now,
        ),
        condition(
            &previous,
            ConditionType::Progressing,
            progressing,
            progressing_reason,
            &progressing_message,
            cluster,
            &now,
        ),
        condition(
            &previous,
            ConditionType::Degraded,
            degraded,
            degraded_reason,
            &degraded_message,
            cluster,
            &now,
        ),
    ];
    let running =
        current_version.as_deref().or(previous.current_version.as_deref()).and_then(|v| v.parse().ok());
    let warnings = warnings(&name, desired, running);
    EtcdClusterStatus {
        phase: Some(phase),
        observed_generation: cluster.metadata.generation,
        desired_members: desired,
        ready_members: i32::try_from(healthy_voters).unwrap_or(i32::MAX),
        ready: Some(format!("{healthy_voters}/{desired}")),
        current_version: current_version.or(previous.current_version),
        target_version: Some(cluster.spec.version.trim_start_matches('v').to_string()),
        leader,
        // Recorded once the cluster has formed: it marks the cluster as bootstrapped for good.
        cluster_id: membership
            .filter(|m| super::observe::formed(m))
            .map(|m| format!("{:x}", m.cluster_id))
            .or(previous.cluster_id),
        members: member_statuses,
        conditions,
        warnings,
        // The backup controller writes lastBackup on its own; a reconcile working from a
        // cached object must not write an older value back, so the status leaves it out.
        last_backup: None,
        selector: Some(names::selector_string(&names::selector_labels(&name))),
        last_health_check: Some(now),
        alarms,
        defrag: previous.defrag,
        tls: tls.or(previous.tls),
    }
}

/// The Degraded message when the status newly says `CertificateExpiring` (it did not
/// before): the note of the Warning Event.
pub fn newly_expiring(previous: Option<&EtcdClusterStatus>, status: &EtcdClusterStatus) -> Option<String> {
    let expiring = |s: &EtcdClusterStatus| {
        s.conditions
            .iter()
            .find(|c| {
                c.type_ == ConditionType::Degraded.as_str()
                    && c.reason == Reason::CertificateExpiring.as_str()
            })
            .map(|c| c.message.clone())
    };
    expiring(status).filter(|_| previous.and_then(expiring).is_none())
}

/// How far turning TLS on has got (`shared::plan::transport::progress`), while it is under
/// way.
fn enabling_tls(cluster: &EtcdCluster, observation: &Observation) -> Option<String> {
    // Pods being deleted count with what they served: a member restarting is on its way.
    let transports: Vec<_> = observation.pods.iter().filter_map(super::observe::pod_transport).collect();
    transport::progress(cluster.spec.tls.is_some(), &transports)
}

/// The Progressing condition's reason and message: the step's, or while TLS is turned on,
/// `EnablingTls` with how far it has got and the step under way.
fn progressing_because(cluster: &EtcdCluster, observation: &Observation, step: &Step) -> (Reason, String) {
    match enabling_tls(cluster, observation) {
        Some(progress) if !matches!(step, Step::Refuse { .. } | Step::Paused { .. }) => {
            (Reason::EnablingTls, format!("{progress}; now: {}", step.describe()))
        }
        _ => (step.reason(), step.describe()),
    }
}

/// The Degraded condition's reason and message for raised alarms: CORRUPT before NOSPACE.
fn alarm_because(alarms: &[shared::crd::AlarmStatus]) -> Option<(Reason, String)> {
    let on = |kind: &str| {
        alarms.iter().filter(|a| a.alarm == kind).map(|a| a.member.as_str()).collect::<Vec<_>>().join(", ")
    };
    let corrupt = on("CORRUPT");
    if !corrupt.is_empty() {
        return Some((
            Reason::CorruptAlarm,
            format!(
                "CORRUPT alarm on {corrupt}: members' data differ. The operator never disarms it: restore the                  newest backup into a new cluster"
            ),
        ));
    }
    let full = on("NOSPACE");
    (!full.is_empty()).then(|| {
        (
            Reason::NoSpaceAlarm,
            format!(
                "NOSPACE alarm on {full}: the backend reached its quota and only reads and deletes are served                  (spec.maintenance.recoverNoSpace compacts, defragments and disarms it)"
            ),
        )
    })
}

/// What the Degraded condition says of members whose Pod cannot run: which, why, and how
/// to go on.
fn failing_message(failures: &[(String, String)], observation: &Observation, current: &str) -> String {
    failures
        .iter()
        .map(|(pod, failure)| {
            let version = observation
                .pods
                .iter()
                .find(|p| p.name_any() == *pod)
                .and_then(super::observe::pod_version)
                .map_or_else(|| "(unknown version)".to_string(), |v| v.to_string());
            format!(
                "{pod} cannot run etcd {version}: {failure}. Nothing else changes while it is down and \
                 quorum is kept; if this follows a version change, set spec.version to a version that \
                 starts (the cluster runs {current}) and the upgrade goes on from there"
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The status of a cluster whose spec asks for something the operator cannot do yet: phase
/// Failed, and a Degraded condition that says what and how to go on.
pub fn unsupported(cluster: &EtcdCluster, reason: Reason, message: &str, now: Time) -> EtcdClusterStatus {
    let previous = cluster.status.clone().unwrap_or_default();
    EtcdClusterStatus {
        phase: Some(ClusterPhase::Failed),
        observed_generation: cluster.metadata.generation,
        desired_members: cluster.spec.size,
        target_version: Some(cluster.spec.version.trim_start_matches('v').to_string()),
        conditions: vec![
            condition(&previous, ConditionType::Available, false, reason, message, cluster, &now),
            condition(&previous, ConditionType::Progressing, false, reason, message, cluster, &now),
            condition(&previous, ConditionType::Degraded, true, reason, message, cluster, &now),
        ],
        selector: Some(names::selector_string(&names::selector_labels(&cluster.name_any()))),
        last_backup: None,
        ..previous
    }
}

/// `base` for a cluster that waits for certificates cert-manager issues: Progressing with
/// [`Reason::WaitingForCertificates`] and `message` (which names the Certificates), the
/// other conditions as they were unless they were a TLS refusal, which the wait replaces
/// (cert-manager was installed since). A cluster that had not started yet is Pending.
pub fn waiting_for_certificates(
    cluster: &EtcdCluster,
    base: EtcdClusterStatus,
    message: &str,
    now: Time,
) -> EtcdClusterStatus {
    let reason = Reason::WaitingForCertificates;
    let refusals = [Reason::CertManagerMissing.as_str(), Reason::TlsCertificatesMissing.as_str()];
    let conditions = ConditionType::ALL
        .into_iter()
        .map(|kind| {
            let kept = base.conditions.iter().find(|c| c.type_ == kind.as_str());
            match kept {
                _ if kind == ConditionType::Progressing => {
                    condition(&base, kind, true, reason, message, cluster, &now)
                }
                Some(c) if !refusals.contains(&c.reason.as_str()) => c.clone(),
                _ => condition(&base, kind, false, reason, message, cluster, &now),
            }
        })
        .collect();
    let phase = match base.phase {
        None | Some(ClusterPhase::Failed) => Some(ClusterPhase::Pending),
        phase => phase,
    };
    EtcdClusterStatus {
        phase,
        observed_generation: cluster.metadata.generation,
        desired_members: cluster.spec.size,
        conditions,
        ..base
    }
}

/// The reason and message of the Degraded condition.
fn degraded_because(
    step: &Step,
    degraded: bool,
    failures: &[(String, String)],
    observation: &Observation,
    current: &str,
    member_statuses: &[MemberStatus],
) -> (Reason, String) {
    match step {
        Step::Refuse { reason, message } => (refusal_reason(*reason), message.clone()),
        _ if !failures.is_empty() => (Reason::MemberFailing, failing_message(failures, observation, current)),
        _ if degraded => {
            let down: Vec<&str> =
                member_statuses.iter().filter(|m| !m.healthy).map(|m| m.name.as_str()).collect();
            (Reason::MembersUnhealthy, format!("unhealthy: {}", down.join(", ")))
        }
        _ => (Reason::AllMembersHealthy, "every member answers".to_string()),
    }
}

/// The reason and message of the Available condition.
fn available_because(
    step: &Step,
    available: bool,
    no_members: bool,
    healthy_voters: usize,
    voters: usize,
) -> (Reason, String) {
    match step {
        Step::Refuse { reason: Refusal::QuorumLost, message } => (Reason::QuorumLost, message.clone()),
        _ if available => {
            (Reason::QuorumHealthy, format!("{healthy_voters} of {voters} voting members healthy"))
        }
        _ if no_members => (Reason::NoMembers, "no member answers yet".to_string()),
        _ => (Reason::QuorumLost, format!("{healthy_voters} of {voters} voting members healthy")),
    }
}

/// Each member as the status shows it, in name order: etcd's view, and why its Pod cannot
/// run when it cannot.
fn member_statuses(
    cluster: &EtcdCluster,
    observation: &Observation,
    failures: &[(String, String)],
) -> Vec<MemberStatus> {
    let name = cluster.name_any();
    let membership = observation.membership.as_ref();
    let members = membership.map(|m| m.members.as_slice()).unwrap_or_default();
    let state_of =
        |id: u64| membership.and_then(|m| m.states.iter().find(|(i, _)| *i == id).map(|(_, s)| s.clone()));
    let mut member_statuses: Vec<MemberStatus> = members
        .iter()
        .map(|m| {
            let state = state_of(m.id);
            let member_name = if m.name.is_empty() {
                cluster
                    .namespace()
                    .and_then(|namespace| names::member_of_peer_url(&m.peer_url, &name, &namespace))
                    .unwrap_or_default()
            } else {
                m.name.clone()
            };
            MemberStatus {
                name: member_name,
                id: Some(format!("{:x}", m.id)),
                version: state.as_ref().map(|s| s.version.clone()),
                role: Some(m.role()),
                healthy: m.healthy,
                db_size_bytes: state.as_ref().map(|s| s.db_size),
                db_size_in_use_bytes: state.as_ref().map(|s| s.db_in_use),
                raft_applied_index: state.as_ref().and_then(|s| i64::try_from(s.raft_applied_index).ok()),
                message: (!m.healthy).then(|| {
                    let alarms = membership.map(|m| m.alarms.as_slice()).unwrap_or_default();
                    let problems = crate::etcd::health_problems(m.id, state.as_ref(), alarms);
                    if problems.is_empty() { "unhealthy".to_string() } else { problems.join("; ") }
                }),
            }
        })
        .collect();
    // Members whose Pod cannot run say why (e.g. an image that cannot be pulled).
    for member in &mut member_statuses {
        if let Some((_, failure)) = failures.iter().find(|(pod, _)| *pod == member.name) {
            member.message = Some(failure.clone());
        }
    }
    member_statuses.sort_by_key(|m| names::member_index(&name, &m.name).unwrap_or(usize::MAX));
    member_statuses.sort_by_key(|m| names::member_index(&name, &m.name).unwrap_or(usize::MAX));
    member_statuses
}

/// The member Pods that cannot run, and why (`ErrImagePull`, `CrashLoopBackOff`, ...). The
/// Pod of a member etcd has already removed is on its way out (its etcd stops once removed,
/// and the next step deletes the Pod): that is no failure to report.
fn pod_failures(observation: &Observation) -> Vec<(String, String)> {
    // A member not started yet has no name in etcd's list, only its peer URL, whose host
    // starts with the member's (and Pod's) name.
    let removed = |pod: &str| {
        observation.membership.as_ref().is_some_and(|m| {
            !m.members
                .iter()
                .any(|member| member.name == pod || member.peer_url.contains(&format!("//{pod}.")))
        })
    };
    observation
        .pods
        .iter()
        .filter(|p| !removed(&p.name_any()))
        .filter_map(|p| super::observe::pod_failure(p).map(|f| (p.name_any(), f)))
        .collect()
}

/// Warnings about the spec and the version the cluster runs.
fn warnings(cluster: &str, desired: i32, running: Option<EtcdVersion>) -> Vec<String> {
    let mut warnings = Vec::new();
    if desired % 2 == 0 {
        warnings.push(format!(
            "size {desired} is even: it tolerates no more failed members than size {} and makes every write wait for one more member",
            desired - 1
        ));
    }
    warnings.extend(advisory_warning(cluster, running));
    warnings
}

/// How often the members' figures that move with every write (raft index, database sizes)
/// are written when nothing else changed: the operator looks at a cluster every 50 ms while
/// it waits for a member, and a busy cluster's raft index changes at every look.
const FIGURES_EVERY_SECONDS: i64 = 5;

/// Whether `next` says something `previous` did not (the health-check time aside). A change of
/// the members' raft indexes or database sizes alone counts only when the status was last
/// written [`FIGURES_EVERY_SECONDS`] or more ago.
pub fn changed(previous: Option<&EtcdClusterStatus>, next: &EtcdClusterStatus) -> bool {
    let figures_due = written_at_least_ago(previous, next, FIGURES_EVERY_SECONDS);
    let Some(previous) = previous else { return true };
    let mut previous = previous.clone();
    previous.last_health_check = next.last_health_check.clone();
    previous.last_backup = next.last_backup.clone();
    if !figures_due && previous.members.len() == next.members.len() {
        for (was, now) in
            previous.members.iter_mut().zip(&next.members).filter(|(was, now)| was.name == now.name)
        {
            was.raft_applied_index = now.raft_applied_index;
            was.db_size_bytes = now.db_size_bytes;
            was.db_size_in_use_bytes = now.db_size_in_use_bytes;
        }
    }
    previous != *next
}

/// Whether `lastHealthCheck` is old enough to be written again (a little under the
/// periodic check's interval, so every periodic check writes it and nothing else does).
pub fn health_check_due(previous: Option<&EtcdClusterStatus>, next: &EtcdClusterStatus) -> bool {
    written_at_least_ago(previous, next, 25)
}

/// Whether `previous` was written `seconds` or more before `next` was made (by their
/// `lastHealthCheck`, which every status write sets); true when either time is missing.
fn written_at_least_ago(
    previous: Option<&EtcdClusterStatus>,
    next: &EtcdClusterStatus,
    seconds: i64,
) -> bool {
    let last = previous.and_then(|p| p.last_health_check.as_ref());
    match (last, next.last_health_check.as_ref()) {
        (Some(last), Some(now)) => now.0.duration_since(last.0).as_secs() >= seconds,
        _ => true,
    }
}

/// A condition that keeps its transition time while its status does not change.
fn condition(
    previous: &EtcdClusterStatus,
    kind: ConditionType,
    ok: bool,
    reason: Reason,
    message: &str,
    cluster: &EtcdCluster,
    now: &Time,
) -> Condition {
    let status = if ok { "True" } else { "False" };
    let since = previous
        .conditions
        .iter()
        .find(|c| c.type_ == kind.as_str() && c.status == status)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| now.clone());
    Condition {
        type_: kind.as_str().to_string(),
        status: status.to_string(),
        reason: reason.as_str().to_string(),
        message: message.to_string(),
        last_transition_time: since,
        observed_generation: cluster.metadata.generation,
    }
}

/// The warning for a cluster that runs a release under one of etcd's advisories, with the
/// patch upgrade that leaves it.
fn advisory_warning(cluster: &str, running: Option<EtcdVersion>) -> Option<String> {
    let running = running?;
    let found = shared::advisory::advisory(running)?;
    let instead = shared::version::suggested_instead(running);
    Some(format!(
        "etcd {running} must not hold data: {} (etcd's advisory: {}); upgrade to {instead}: kubectl etcd \
         upgrade {cluster} --to {instead}",
        found.defect, found.source
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_figures_alone_are_written_at_most_every_five_seconds() {
        let at = |seconds: i64| {
            Time(k8s_openapi::jiff::Timestamp::from_second(1_800_000_000 + seconds).expect("a time"))
        };
        let status = |seconds: i64, index: i64, healthy: bool| EtcdClusterStatus {
            last_health_check: Some(at(seconds)),
            members: vec![shared::crd::MemberStatus {
                name: "demo-0".into(),
                healthy,
                raft_applied_index: Some(index),
                db_size_bytes: Some(index * 10),
                ..Default::default()
            }],
            ..Default::default()
        };
        let written = status(0, 100, true);
        assert!(!changed(Some(&written), &status(1, 100, true)), "nothing new");
        assert!(
            !changed(Some(&written), &status(1, 250, true)),
            "only the figures, 1 s after the last write"
        );
        assert!(changed(Some(&written), &status(5, 250, true)), "only the figures, 5 s after the last write");
        assert!(changed(Some(&written), &status(1, 250, false)), "health changes are written at once");
        assert!(changed(None, &status(1, 100, true)), "a first status");
    }

    #[test]
    fn a_cluster_running_an_advised_against_release_is_warned_with_the_patch_to_take() {
        let warning = advisory_warning("demo", "3.5.1".parse().ok()).expect("a warning");
        assert!(warning.starts_with("etcd 3.5.1 must not hold data: after a crash"), "{warning}");
        assert!(warning.ends_with("upgrade to 3.5.30: kubectl etcd upgrade demo --to 3.5.30"), "{warning}");
        assert_eq!(advisory_warning("demo", "3.5.30".parse().ok()), None);
        assert_eq!(advisory_warning("demo", None), None);
    }

    #[test]
    fn the_stopped_pod_of_a_removed_member_is_no_failure() {
        let crashing = |name: &str| -> k8s_openapi::api::core::v1::Pod {
            serde_json::from_value(json!({
                "metadata": {"name": name},
                "status": {"containerStatuses": [{"name": "etcd", "ready": false, "restartCount": 1, "image": "etcd",
                    "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}]}
            }))
            .expect("a Pod")
        };
        let member = |name: &str| {
            shared::plan::membership::MemberView::added_learner(
                1,
                &names::peer_url(name, "demo", "db", names::CLUSTER_DOMAIN),
                None,
            )
        };
        let mut observation = Observation {
            pods: vec![crashing("demo-1"), crashing("demo-3")],
            claims: vec![],
            services: vec![],
            membership: None,
            pre_upgrade_backup: None,
            cut_off: vec![],
            tls: None,
            certificates: None,
        };
        assert_eq!(pod_failures(&observation).len(), 2, "membership unknown: both count");
        observation.membership = Some(crate::etcd::Membership {
            cluster_id: 1,
            members: vec![member("demo-0"), member("demo-1"), member("demo-2")],
            states: vec![],
            alarms: vec![],
        });
        let failures = pod_failures(&observation);
        assert_eq!(failures.len(), 1, "demo-3 was removed from etcd: {failures:?}");
        assert_eq!(failures[0].0, "demo-1");
        assert!(failures[0].1.starts_with("CrashLoopBackOff"), "{failures:?}");
    }

    #[test]
    fn a_users_certificate_past_its_renewal_time_degrades_the_cluster_once_with_an_event() {
        let spec = serde_json::from_value(
            json!({"version": "3.5.30", "size": 0, "tls": {"secrets": {"server": "s", "peer": "p", "client": "c"}}}),
        )
        .expect("spec");
        let mut cluster = EtcdCluster::new("demo", spec);
        cluster.metadata.namespace = Some("db".into());
        let at = |t: &str| Time(t.parse().expect("time"));
        let certificate = shared::crd::CertificateStatus {
            secret: "s".into(),
            expires: at("2027-01-01T00:00:00Z"),
            renew_at: at("2026-09-01T00:00:00Z"),
            issued_by_operator: false,
        };
        let observation = Observation {
            pods: vec![],
            claims: vec![],
            services: vec![],
            membership: None,
            pre_upgrade_backup: None,
            cut_off: Vec::new(),
            tls: None,
            certificates: Some(crate::tls::rotation::Survey {
                certificates: vec![certificate],
                ..Default::default()
            }),
        };
        let before = status(&cluster, &observation, &Step::Idle, at("2026-08-01T00:00:00Z"));
        assert_eq!(before.tls.as_ref().map(|t| t.certificates.len()), Some(1), "status.tls lists it");
        assert_eq!(newly_expiring(None, &before), None, "not in its renewal window yet");
        let after = status(&cluster, &observation, &Step::Idle, at("2026-10-01T00:00:00Z"));
        let degraded = after.conditions.iter().find(|c| c.type_ == "Degraded").expect("Degraded");
        assert_eq!((degraded.status.as_str(), degraded.reason.as_str()), ("True", "CertificateExpiring"));
        let note = newly_expiring(Some(&before), &after).expect("a Warning Event");
        assert!(note.contains("Secret s (brought by the user)"), "{note}");
        assert_eq!(newly_expiring(Some(&after), &after), None, "once, not at every reconcile");
    }

    #[test]
    fn an_unsupported_spec_fails_with_a_reason() {
        let spec = serde_json::from_value(
            json!({"version": "3.5.30", "tls": {"secrets": {"server": "s", "peer": "p", "client": "c"}}}),
        )
        .expect("spec");
        let cluster = EtcdCluster::new("demo", spec);
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let status = unsupported(&cluster, Reason::TlsCertificatesMissing, "Secret s does not exist", now);
        assert_eq!(status.phase, Some(ClusterPhase::Failed));
        let degraded = status.conditions.iter().find(|c| c.type_ == "Degraded").expect("Degraded");
        assert_eq!((degraded.status.as_str(), degraded.reason.as_str()), ("True", "TlsCertificatesMissing"));
        assert!(status.conditions.iter().any(|c| c.type_ == "Available" && c.status == "False"));
    }

    #[test]
    fn a_cluster_waiting_for_cert_manager_progresses_and_names_the_certificates() {
        let spec = serde_json::from_value(
            json!({"version": "3.5.30", "tls": {"certManager": {"issuerRef": {"name": "ca"}}}}),
        )
        .expect("spec");
        let cluster = EtcdCluster::new("demo", spec);
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let refused = unsupported(&cluster, Reason::CertManagerMissing, "install cert-manager", now.clone());
        let message = "waiting for cert-manager to issue Certificate demo-client-tls";
        let status = waiting_for_certificates(&cluster, refused, message, now.clone());
        assert_eq!(status.phase, Some(ClusterPhase::Pending), "no longer refused: cert-manager came");
        let find = |status: &EtcdClusterStatus, kind: &str| {
            let c = status.conditions.iter().find(|c| c.type_ == kind).expect("condition").clone();
            (c.status, c.reason, c.message)
        };
        let (state, reason, text) = find(&status, "Progressing");
        assert_eq!(
            (state.as_str(), reason.as_str(), text.as_str()),
            ("True", "WaitingForCertificates", message)
        );
        assert_eq!(find(&status, "Degraded").0, "False", "the refusal is gone");

        let mut running = status.clone();
        running.phase = Some(ClusterPhase::Running);
        running.conditions = vec![condition(
            &running,
            ConditionType::Available,
            true,
            Reason::QuorumHealthy,
            "3 of 3",
            &cluster,
            &now,
        )];
        let scaling = waiting_for_certificates(&cluster, running, "waiting for demo-3-server-tls", now);
        assert_eq!(scaling.phase, Some(ClusterPhase::Running), "a running cluster keeps its phase");
        assert_eq!(find(&scaling, "Available").1, "QuorumHealthy", "what was true stays true");
        assert_eq!(find(&scaling, "Progressing").1, "WaitingForCertificates");
    }
}
