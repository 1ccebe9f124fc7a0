//! etcd's own health rule, in one place for the operator and the plugin. In etcd 3.5,
//! `server/etcdserver/api/etcdhttp/metrics.go` (`checkHealth`, then `checkV3Health`; since
//! 3.6 `health.go`: `checkAlarms`, `checkLeader`, `checkAPI`) answers unhealthy for an
//! alarm (`ALARM NOSPACE`, `ALARM CORRUPT`), for no leader (`RAFT NO LEADER`), and for a
//! failing read. So a member is healthy when its Status answers, reports a leader and no
//! error, and no alarm names it. etcd keeps one alarm list for the whole cluster and every
//! member's Status lists all of it in `errors` (`memberID:<id> alarm:NOSPACE`, seen on
//! 3.4.23 and 3.5.30): an alarm counts against the member it names, not against every
//! member that reports it.

/// Why member `id` is not healthy (empty: healthy), from what its Status reported
/// (`None`: it did not answer; else the leader it knows, 0 for none, and its errors) and
/// the cluster's alarms (member ID, alarm name). Alarm descriptions among the Status
/// errors are the cluster's alarm list, counted against the member they name.
pub fn problems(id: u64, reported: Option<(u64, &[String])>, alarms: &[(u64, String)]) -> Vec<String> {
    let Some((leader, errors)) = reported else {
        return vec!["does not answer a status request".to_string()];
    };
    let mut problems: Vec<String> = alarms
        .iter()
        .filter(|(member, _)| *member == id)
        .map(|(_, alarm)| format!("alarm {alarm}"))
        .collect();
    if leader == 0 {
        problems.push("knows no leader".to_string());
    }
    problems.extend(errors.iter().filter(|e| status_alarm(e).is_none()).cloned());
    problems
}

/// The leader all `reports` name, or `None` when there are none, one is 0 (no leader) or
/// they differ.
pub fn agreed_leader(reports: &[u64]) -> Option<u64> {
    let first = *reports.first()?;
    (first != 0 && reports.iter().all(|l| *l == first)).then_some(first)
}

/// The alarm a Status error describes: etcd writes each alarm of its list into the errors
/// as `memberID:<decimal id> alarm:<TYPE> `.
pub fn status_alarm(error: &str) -> Option<(u64, String)> {
    let rest = error.trim().strip_prefix("memberID:")?;
    let (id, alarm) = rest.split_once(' ')?;
    let alarm = alarm.trim().strip_prefix("alarm:")?;
    Some((id.parse().ok()?, alarm.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_what_etcds_health_endpoint_checks() {
        let alarm_error = "memberID:7 alarm:NOSPACE ".to_string();
        assert_eq!(status_alarm(&alarm_error), Some((7, "NOSPACE".to_string())));
        assert_eq!(status_alarm("etcdserver: no leader"), None);
        let alarms = [(7, "NOSPACE".to_string())];
        let with_alarm = [alarm_error.clone()];
        assert!(problems(1, Some((1, &[])), &[]).is_empty(), "answers, leader, no error");
        assert!(problems(1, Some((1, &with_alarm)), &alarms).is_empty(), "the alarm names 7");
        assert_eq!(problems(7, Some((1, &with_alarm)), &alarms), ["alarm NOSPACE"]);
        assert_eq!(problems(1, Some((0, &[])), &[]), ["knows no leader"]);
        let no_leader = ["etcdserver: no leader".to_string()];
        assert_eq!(problems(1, Some((1, &no_leader)), &[]), ["etcdserver: no leader"]);
        assert_eq!(problems(1, None, &[]), ["does not answer a status request"]);
    }

    #[test]
    fn the_leader_is_the_one_every_report_names() {
        assert_eq!(agreed_leader(&[3, 3, 3]), Some(3));
        assert_eq!(agreed_leader(&[3, 5, 3]), None, "an election under way");
        assert_eq!(agreed_leader(&[0]), None);
        assert_eq!(agreed_leader(&[]), None);
    }
}
