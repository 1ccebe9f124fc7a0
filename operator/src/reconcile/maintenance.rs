//! Maintenance of a settled cluster: defragmentation on request (the defrag-request
//! annotation), on a schedule (`spec.maintenance.defragSchedule`), and the recovery from a
//! NOSPACE alarm (compact, defragment every member, disarm), as observe -> plan -> act ->
//! report. What is planned comes from `shared::plan::defrag`; the run under way is kept in
//! `status.defrag.running`, written before any member is touched, so an operator that dies
//! mid-run carries on (defragmenting a member again is harmless).

use std::time::Instant;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::{Resource, ResourceExt};
use shared::crd::{
    AlarmStatus, DEFRAG_MEMBER_ANNOTATION, DEFRAG_REQUEST_ANNOTATION, DefragRun, DefragStatus, DefragTrigger,
    EtcdCluster, MemberDefrag,
};
use shared::plan::defrag::{self, DefragInput, DefragMember, DefragStep, RunView};

use super::Context;
use super::act::ActError;
use super::observe::{Observation, client_endpoints, voting_endpoints};
use crate::etcd::{self, Membership};
use crate::identity::Identity;
use crate::metrics::{ClusterLabels, DefragLabels};

/// etcd's backend quota when `--quota-backend-bytes` is not given: 2 GiB.
const ETCD_DEFAULT_QUOTA: i64 = 2 << 30;
/// A NOSPACE recovery that could not make room is not tried again for this long.
const NO_SPACE_RETRY_SECONDS: i64 = 300;

const NO_SPACE: &str = "NOSPACE";

/// A member whose database fills this share of the quota (in percent) is watched closely:
/// the cluster is looked at every second instead of every 30 s, so a NOSPACE alarm is
/// acted on at once (etcd's alarm does not change any Kubernetes object to wake a watch).
const CLOSE_WATCH_PERCENT: i64 = 75;

/// What maintenance leaves: the defragmentation status to report, and whether to look
/// again soon.
pub struct Maintained {
    /// `status.defrag`.
    pub defrag: Option<DefragStatus>,
    /// A run is under way, an alarm is raised, or a member is close to the quota.
    pub busy: bool,
}

/// The backend quota of the cluster in bytes: `spec.etcd.quotaBackendBytes`, or etcd's
/// default.
fn quota_bytes(cluster: &EtcdCluster) -> i64 {
    cluster
        .spec
        .etcd
        .quota_backend_bytes
        .as_deref()
        .and_then(shared::crd::quantity_bytes)
        .and_then(|b| i64::try_from(b).ok())
        .unwrap_or(ETCD_DEFAULT_QUOTA)
}

/// Whether the cluster needs a close look: an alarm is raised, or a member's database
/// fills [`CLOSE_WATCH_PERCENT`] of the quota. Pure.
pub fn close_to_full(membership: &Membership, quota: i64) -> bool {
    !membership.alarms.is_empty()
        || membership.states.iter().any(|(_, s)| s.db_size >= quota / 100 * CLOSE_WATCH_PERCENT)
}

/// The alarms of the cluster, by member name, for the status.
pub fn alarms(membership: Option<&Membership>) -> Vec<AlarmStatus> {
    let Some(membership) = membership else { return Vec::new() };
    let mut alarms: Vec<AlarmStatus> = membership
        .alarms
        .iter()
        .map(|(id, alarm)| AlarmStatus {
            member: membership
                .members
                .iter()
                .find(|m| m.id == *id)
                .map_or_else(|| format!("{id:x}"), |m| m.name.clone()),
            alarm: alarm.clone(),
        })
        .collect();
    alarms.sort_by(|a, b| (&a.member, &a.alarm).cmp(&(&b.member, &b.alarm)));
    alarms
}

/// The run to start now, if any: a NOSPACE recovery first (unless turned off, or one that
/// could not make room ended less than [`NO_SPACE_RETRY_SECONDS`] ago), then a request not
/// handled yet, then the schedule when it is due. Pure.
pub fn due(
    cluster: &EtcdCluster,
    no_space: bool,
    previous: &DefragStatus,
    now: Timestamp,
) -> Option<DefragRun> {
    if previous.running.is_some() {
        return None;
    }
    let start = |id: String, trigger, member| DefragRun {
        id,
        trigger,
        member,
        started_at: Time(now),
        completed_at: None,
        compacted_revision: None,
        members: Vec::new(),
        message: None,
    };
    let last = previous.last.as_ref();
    let retry_after = last
        .filter(|l| l.trigger == DefragTrigger::NoSpace)
        .and_then(|l| l.completed_at.as_ref())
        .map(|t| t.0.as_second() + NO_SPACE_RETRY_SECONDS);
    if no_space
        && cluster.spec.maintenance.recover_no_space
        && retry_after.is_none_or(|t| now.as_second() >= t)
    {
        return Some(start(format!("nospace-{}", now.as_second()), DefragTrigger::NoSpace, None));
    }
    let annotations = cluster.annotations();
    if let Some(request) = annotations.get(DEFRAG_REQUEST_ANNOTATION).filter(|r| !r.is_empty())
        && previous.last_request.as_ref() != Some(request)
    {
        let member = annotations.get(DEFRAG_MEMBER_ANNOTATION).filter(|m| !m.is_empty()).cloned();
        return Some(start(request.clone(), DefragTrigger::Request, member));
    }
    let schedule = cluster.spec.maintenance.defrag_schedule.as_deref()?;
    let since = previous
        .last_scheduled
        .as_ref()
        .or(cluster.metadata.creation_timestamp.as_ref())
        .map_or(now, |t| t.0);
    let next = crate::backup::plan::next_run(schedule, since).ok()?;
    (next <= now).then(|| start(format!("schedule-{}", now.as_second()), DefragTrigger::Schedule, None))
}

/// The members as the defragmentation planner sees them: healthy means answering, knowing
/// the leader the answering members agree on, and no problem but a NOSPACE alarm.
pub fn defrag_members(membership: &Membership) -> Vec<DefragMember> {
    let other_alarms: Vec<(u64, String)> =
        membership.alarms.iter().filter(|(_, alarm)| alarm != NO_SPACE).cloned().collect();
    let leaders: Vec<u64> = membership.states.iter().map(|(_, s)| s.leader).collect();
    let leader = leaders.first().copied().filter(|l| *l != 0 && leaders.iter().all(|x| x == l));
    membership
        .members
        .iter()
        .map(|m| {
            let state = membership.states.iter().find(|(id, _)| *id == m.id).map(|(_, s)| s);
            DefragMember {
                name: m.name.clone(),
                id: m.id,
                leader: Some(m.id) == leader,
                healthy: leader.is_some()
                    && !m.name.is_empty()
                    && etcd::health_problems(m.id, state, &other_alarms).is_empty(),
                db_size: state.map_or(0, |s| s.db_size),
                db_in_use: state.map_or(0, |s| s.db_in_use),
            }
        })
        .collect()
}

/// Starts, carries on or finishes a defragmentation, one step per reconcile; publishes an
/// Event for each alarm newly raised. Runs only on a settled cluster (`settled`: the
/// membership step changes nothing) that is not paused.
pub async fn maintain(
    ctx: &Context,
    cluster: &EtcdCluster,
    id: &Identity,
    observation: &Observation,
    settled: bool,
) -> Result<Maintained, ActError> {
    let previous = cluster.status.as_ref().and_then(|s| s.defrag.clone()).unwrap_or_default();
    let unchanged =
        |busy| Maintained { defrag: Some(previous.clone()).filter(|d| *d != DefragStatus::default()), busy };
    let Some(membership) = observation.membership.as_ref() else { return Ok(unchanged(false)) };
    publish_new_alarms(ctx, cluster, membership).await;
    let close = close_to_full(membership, quota_bytes(cluster));
    if cluster.spec.paused || !settled {
        return Ok(unchanged(close || previous.running.is_some()));
    }
    let now = Timestamp::now();
    let no_space = membership.alarms.iter().any(|(_, alarm)| alarm == NO_SPACE);
    if let Some(run) = due(cluster, no_space, &previous, now) {
        tracing::info!(cluster = %id.name, run = %run.id, trigger = ?run.trigger, "defragmentation starts");
        let note = format!(
            "defragmentation {} ({:?}) starts: followers first, the leader last",
            run.id, run.trigger
        );
        publish(ctx, cluster, false, "DefragmentationStarted", note).await;
        let mut next = previous.clone();
        match run.trigger {
            DefragTrigger::Schedule => next.last_scheduled = Some(run.started_at.clone()),
            DefragTrigger::Request => next.last_request = Some(run.id.clone()),
            DefragTrigger::NoSpace => {}
        }
        next.running = Some(run);
        return Ok(Maintained { defrag: Some(next), busy: true });
    }
    let Some(mut run) = previous.running.clone() else { return Ok(unchanged(close)) };
    let input = DefragInput {
        members: defrag_members(membership),
        run: RunView {
            trigger: run.trigger,
            only: run.member.clone(),
            done: run.members.iter().map(|m| m.name.clone()).collect(),
            compacted: run.compacted_revision.is_some(),
        },
        min_free_percent: i64::from(cluster.spec.maintenance.defrag_min_free_percent),
        quota_bytes: quota_bytes(cluster),
    };
    let step = defrag::next(&input);
    tracing::info!(cluster = %id.name, run = %run.id, ?step, "defragmentation planned");
    let labels = ClusterLabels { namespace: id.namespace.clone(), cluster: id.name.clone() };
    let finished = match step {
        DefragStep::Wait { .. } => None,
        DefragStep::Compact => {
            let revision =
                etcd::compact_to_current(&voting_endpoints(observation), observation.tls.as_ref()).await?;
            let note = format!("compacted the history to revision {revision} to make room after NOSPACE");
            publish(ctx, cluster, false, "Compacted", note).await;
            run.compacted_revision = Some(revision);
            None
        }
        DefragStep::Defragment { member, .. } => {
            let url = client_endpoints(&observation.pods, observation.tls.is_some())
                .into_iter()
                .find(|(name, _)| *name == member)
                .map(|(_, url)| url)
                .ok_or_else(|| ActError::NoEndpoint(member.clone()))?;
            let before = input.members.iter().find(|m| m.name == member).map_or(0, |m| m.db_size);
            let started = Instant::now();
            let outcome = etcd::defragment(&url, observation.tls.as_ref()).await;
            let outcome_label = if outcome.is_ok() { "ok" } else { "error" };
            let defrag_labels = DefragLabels {
                namespace: id.namespace.clone(),
                cluster: id.name.clone(),
                outcome: outcome_label.into(),
            };
            ctx.metrics.defragmentations.get_or_create(&defrag_labels).inc();
            let after = outcome?;
            let reclaimed = (before - after).max(0);
            ctx.metrics.defrag_reclaimed_bytes.get_or_create(&labels).inc_by(reclaimed.unsigned_abs());
            let took = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            tracing::info!(cluster = %id.name, %member, before, after, reclaimed, took_ms = took, "member defragmented");
            let note = format!(
                "{member} defragmented in {took} ms: {before} -> {after} bytes ({reclaimed} reclaimed)"
            );
            publish(ctx, cluster, false, "MemberDefragmented", note).await;
            run.members.push(MemberDefrag {
                name: member,
                before_bytes: before,
                after_bytes: after,
                reclaimed_bytes: reclaimed,
                duration_ms: took,
            });
            None
        }
        DefragStep::Disarm => {
            let full: Vec<u64> =
                membership.alarms.iter().filter(|(_, a)| a == NO_SPACE).map(|(member, _)| *member).collect();
            etcd::disarm_no_space(&voting_endpoints(observation), &full, observation.tls.as_ref()).await?;
            let reclaimed: i64 = run.members.iter().map(|m| m.reclaimed_bytes).sum();
            let note = format!(
                "NOSPACE alarm disarmed: the history was compacted and every member defragmented ({reclaimed} \
                 bytes reclaimed); writes are accepted again"
            );
            publish(ctx, cluster, false, "NoSpaceRecovered", note.clone()).await;
            Some(note)
        }
        DefragStep::Finish { message } => {
            let warning = run.trigger == DefragTrigger::NoSpace;
            let reason = if warning { "NoSpaceNotRecovered" } else { "DefragmentationFinished" };
            publish(ctx, cluster, warning, reason, format!("defragmentation {}: {message}", run.id)).await;
            Some(message)
        }
    };
    let mut next = previous;
    match finished {
        Some(message) => {
            run.completed_at = Some(Time(Timestamp::now()));
            run.message = Some(message);
            next.running = None;
            next.last = Some(run);
        }
        None => next.running = Some(run),
    }
    let busy = close || next.running.is_some();
    Ok(Maintained { defrag: Some(next), busy })
}

/// A Warning Event for each alarm the status did not show yet.
async fn publish_new_alarms(ctx: &Context, cluster: &EtcdCluster, membership: &Membership) {
    let known = cluster.status.as_ref().map(|s| s.alarms.clone()).unwrap_or_default();
    for alarm in alarms(Some(membership)).into_iter().filter(|a| !known.contains(a)) {
        let (reason, what) = if alarm.alarm == NO_SPACE {
            (
                "NoSpaceAlarm",
                if cluster.spec.maintenance.recover_no_space {
                    "the backend reached its quota; only reads and deletes are served. The operator compacts, \
                     defragments and disarms it"
                } else {
                    "the backend reached its quota; only reads and deletes are served. spec.maintenance.\
                     recoverNoSpace is off: delete keys, compact, defragment and disarm by hand"
                },
            )
        } else {
            (
                "CorruptAlarm",
                "members' data differ; the operator never disarms it: restore a backup into a new cluster",
            )
        };
        publish(ctx, cluster, true, reason, format!("{} alarm on {}: {what}", alarm.alarm, alarm.member))
            .await;
    }
}

async fn publish(ctx: &Context, cluster: &EtcdCluster, warning: bool, reason: &str, note: String) {
    let event = crate::events::event(warning, reason, "Maintain", note);
    crate::events::publish(&ctx.recorder, &event, &cluster.object_ref(&())).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(annotations: &[(&str, &str)], schedule: Option<&str>) -> EtcdCluster {
        let mut cluster: EtcdCluster = serde_json::from_value(serde_json::json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"version": "3.5.30"}}))
        .expect("cluster");
        cluster.metadata.annotations =
            Some(annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        cluster.spec.maintenance.defrag_schedule = schedule.map(String::from);
        cluster
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn no_space_comes_first_then_requests_then_the_schedule() {
        let now = at("2026-01-01T03:00:30Z");
        let c = cluster(&[(DEFRAG_REQUEST_ANNOTATION, "r1")], Some("0 3 * * *"));
        let none = DefragStatus::default();
        assert_eq!(due(&c, true, &none, now).map(|r| r.trigger), Some(DefragTrigger::NoSpace));
        let request = due(&c, false, &none, now).expect("the request");
        assert_eq!((request.id.as_str(), request.trigger), ("r1", DefragTrigger::Request));
        let handled = DefragStatus { last_request: Some("r1".into()), ..DefragStatus::default() };
        let scheduled = due(&c, false, &handled, now).expect("the schedule");
        assert_eq!(scheduled.trigger, DefragTrigger::Schedule);
        let after = DefragStatus {
            last_scheduled: Some(Time(at("2026-01-01T03:00:00Z"))),
            last: Some(scheduled),
            ..handled
        };
        assert_eq!(
            due(&c, false, &after, now),
            None,
            "the schedule ran at 03:00 and r1 was handled before it"
        );
    }

    #[test]
    fn a_cluster_near_its_quota_or_with_an_alarm_is_watched_closely() {
        let state = |db_size| crate::etcd::MemberState { db_size, leader: 1, ..Default::default() };
        let mut membership =
            Membership { cluster_id: 1, members: vec![], states: vec![(1, state(10 << 20))], alarms: vec![] };
        assert!(!close_to_full(&membership, 16 << 20), "10 MiB of 16 MiB");
        membership.states.push((2, state(13 << 20)));
        assert!(close_to_full(&membership, 16 << 20), "13 MiB of 16 MiB");
        membership.states.truncate(1);
        membership.alarms.push((1, "CORRUPT".into()));
        assert!(close_to_full(&membership, 16 << 20), "an alarm");
    }

    #[test]
    fn a_no_space_recovery_that_made_no_room_waits_before_trying_again() {
        let c = cluster(&[], None);
        let mut run = due(&c, true, &DefragStatus::default(), at("2026-01-01T03:00:00Z")).expect("run");
        run.completed_at = Some(Time(at("2026-01-01T03:01:00Z")));
        let after = DefragStatus { last: Some(run), ..DefragStatus::default() };
        assert_eq!(due(&c, true, &after, at("2026-01-01T03:02:00Z")), None);
        assert!(due(&c, true, &after, at("2026-01-01T03:06:00Z")).is_some());
        let mut off = c.clone();
        off.spec.maintenance.recover_no_space = false;
        assert_eq!(due(&off, true, &DefragStatus::default(), at("2026-01-01T03:06:00Z")), None);
    }
}
