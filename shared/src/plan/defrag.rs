//! The defragmentation planner: which member is defragmented next, and whether any may be
//! now. Pure: the operator observes, asks, carries the step out and observes again.
//!
//! The rules:
//! - One member at a time (a member defragmenting serves no reads or writes), followers
//!   and learners first in name order, the leader last: defragmenting the leader stalls
//!   every write, so it happens once, at the end.
//! - Only while every member answers, knows the leader and has no problem other than a
//!   NOSPACE alarm (the alarm is what a NOSPACE run is there to clear).
//! - A scheduled run skips members whose free share (`dbSize - dbSizeInUse` over `dbSize`)
//!   is below `spec.maintenance.defragMinFreePercent`; a request or a NOSPACE run does not.
//! - A NOSPACE run compacts the history to the current revision first, and after the last
//!   member disarms the alarm, if every member's database is then below the quota
//!   ([`ROOM_PERCENT`] of it): otherwise the alarm would be raised again at once.

use serde::{Deserialize, Serialize};

use super::upgrade::name_order;
use crate::crd::DefragTrigger;

/// A NOSPACE alarm is disarmed only when every member's database is below this share of
/// the quota.
pub const ROOM_PERCENT: i64 = 90;

/// A member as the defragmentation planner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefragMember {
    /// Member name.
    pub name: String,
    /// etcd member ID.
    pub id: u64,
    /// It is the raft leader.
    pub leader: bool,
    /// It answers, knows the leader, and has no problem besides a NOSPACE alarm.
    pub healthy: bool,
    /// Its database file, in bytes.
    pub db_size: i64,
    /// The bytes of it in use.
    pub db_in_use: i64,
}

impl DefragMember {
    /// The free share of its database file, in percent.
    pub fn free_percent(&self) -> i64 {
        if self.db_size <= 0 {
            return 0;
        }
        (self.db_size - self.db_in_use.clamp(0, self.db_size)) * 100 / self.db_size
    }
}

/// The run under way, as far as it got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    /// What set it off.
    pub trigger: DefragTrigger,
    /// The one member it is for; `None`: every member.
    pub only: Option<String>,
    /// Members already defragmented in this run.
    pub done: Vec<String>,
    /// The history was compacted (NOSPACE runs).
    pub compacted: bool,
}

/// Everything the planner looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefragInput {
    /// Every member in etcd's member list.
    pub members: Vec<DefragMember>,
    /// The run under way.
    pub run: RunView,
    /// `spec.maintenance.defragMinFreePercent`.
    pub min_free_percent: i64,
    /// The backend quota in bytes (`spec.etcd.quotaBackendBytes`, or etcd's default).
    pub quota_bytes: i64,
}

/// The one next step of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefragStep {
    /// Not now; look again soon.
    Wait {
        /// Why.
        reason: String,
    },
    /// Compact the history to the current revision (NOSPACE runs, before any member).
    Compact,
    /// Defragment this member.
    Defragment {
        /// Its name.
        member: String,
        /// Its ID.
        id: u64,
    },
    /// Disarm the NOSPACE alarm: there is room again. The run is finished after it.
    Disarm,
    /// The run is finished.
    Finish {
        /// How it ended, in words.
        message: String,
    },
}

/// The next step of the run in `input`.
pub fn next(input: &DefragInput) -> DefragStep {
    let run = &input.run;
    if let Some(only) = &run.only
        && !input.members.iter().any(|m| m.name == *only)
    {
        return DefragStep::Finish {
            message: format!("{only} is not a member of the cluster; nothing was done"),
        };
    }
    let unhealthy: Vec<&str> = input.members.iter().filter(|m| !m.healthy).map(|m| m.name.as_str()).collect();
    if !unhealthy.is_empty() {
        return DefragStep::Wait {
            reason: format!("defragmentation waits until every member is healthy ({})", unhealthy.join(", ")),
        };
    }
    if input.members.iter().filter(|m| m.leader).count() != 1 {
        return DefragStep::Wait { reason: "defragmentation waits for one agreed raft leader".into() };
    }
    if run.trigger == DefragTrigger::NoSpace && !run.compacted {
        return DefragStep::Compact;
    }
    let mut pending: Vec<&DefragMember> = input
        .members
        .iter()
        .filter(|m| !run.done.contains(&m.name))
        .filter(|m| run.only.as_ref().is_none_or(|only| *only == m.name))
        .filter(|m| run.trigger != DefragTrigger::Schedule || m.free_percent() >= input.min_free_percent)
        .collect();
    pending.sort_by(|a, b| a.leader.cmp(&b.leader).then_with(|| name_order(&a.name, &b.name)));
    if let Some(member) = pending.first() {
        return DefragStep::Defragment { member: member.name.clone(), id: member.id };
    }
    if run.trigger != DefragTrigger::NoSpace {
        let skipped = input.members.len() - run.done.len().min(input.members.len());
        return DefragStep::Finish {
            message: match (run.only.is_some(), skipped) {
                (false, skipped) if skipped > 0 => format!(
                    "{} members defragmented; {skipped} skipped with less than {}% free space",
                    run.done.len(),
                    input.min_free_percent
                ),
                _ => format!("{} members defragmented", run.done.len()),
            },
        };
    }
    let limit = input.quota_bytes / 100 * ROOM_PERCENT;
    match input.members.iter().filter(|m| m.db_size >= limit).map(|m| m.name.as_str()).collect::<Vec<_>>() {
        full if full.is_empty() => DefragStep::Disarm,
        full => DefragStep::Finish {
            message: format!(
                "after compaction and defragmentation the database of {} still fills more than {ROOM_PERCENT}% of \
                 the quota, so the NOSPACE alarm stays: delete keys, or raise spec.etcd.quotaBackendBytes",
                full.join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MI: i64 = 1 << 20;

    fn member(i: usize, leader: bool, size: i64, in_use: i64) -> DefragMember {
        DefragMember {
            name: format!("demo-{i}"),
            id: 100 + i as u64,
            leader,
            healthy: true,
            db_size: size,
            db_in_use: in_use,
        }
    }

    fn input(trigger: DefragTrigger, leader: usize) -> DefragInput {
        DefragInput {
            members: (0..3).map(|i| member(i, i == leader, 10 * MI, 2 * MI)).collect(),
            run: RunView { trigger, only: None, done: vec![], compacted: false },
            min_free_percent: 10,
            quota_bytes: 16 * MI,
        }
    }

    /// Plans and carries out steps until the run finishes; the steps in order.
    fn run(mut i: DefragInput) -> Vec<DefragStep> {
        let mut steps = Vec::new();
        loop {
            let step = next(&i);
            steps.push(step.clone());
            match step {
                DefragStep::Compact => i.run.compacted = true,
                DefragStep::Defragment { member, .. } => {
                    i.run.done.push(member.clone());
                    let m = i.members.iter_mut().find(|m| m.name == member).expect("member");
                    m.db_size = m.db_in_use;
                }
                DefragStep::Wait { .. } | DefragStep::Disarm | DefragStep::Finish { .. } => return steps,
            }
            assert!(steps.len() < 20, "the run does not end: {steps:?}");
        }
    }

    fn order(steps: &[DefragStep]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                DefragStep::Defragment { member, .. } => member.clone(),
                DefragStep::Compact => "compact".into(),
                DefragStep::Disarm => "disarm".into(),
                DefragStep::Finish { .. } => "finish".into(),
                DefragStep::Wait { .. } => "wait".into(),
            })
            .collect()
    }

    #[test]
    fn followers_first_in_name_order_then_the_leader() {
        assert_eq!(order(&run(input(DefragTrigger::Request, 1))), ["demo-0", "demo-2", "demo-1", "finish"]);
        assert_eq!(order(&run(input(DefragTrigger::Schedule, 0))), ["demo-1", "demo-2", "demo-0", "finish"]);
    }

    #[test]
    fn no_space_compacts_first_and_disarms_when_there_is_room() {
        assert_eq!(
            order(&run(input(DefragTrigger::NoSpace, 2))),
            ["compact", "demo-0", "demo-1", "demo-2", "disarm"]
        );
        let mut full = input(DefragTrigger::NoSpace, 2);
        full.members.iter_mut().for_each(|m| m.db_in_use = 15 * MI);
        let steps = run(full);
        assert_eq!(order(&steps), ["compact", "demo-0", "demo-1", "demo-2", "finish"]);
        assert!(
            matches!(steps.last(), Some(DefragStep::Finish { message }) if message.contains("quotaBackendBytes"))
        );
    }

    #[test]
    fn nothing_while_a_member_is_unhealthy_or_the_leader_is_unknown() {
        let mut i = input(DefragTrigger::Request, 0);
        i.members[2].healthy = false;
        assert!(matches!(next(&i), DefragStep::Wait { reason } if reason.contains("demo-2")));
        let mut i = input(DefragTrigger::Request, 0);
        i.members[0].leader = false;
        assert!(matches!(next(&i), DefragStep::Wait { .. }));
    }

    #[test]
    fn a_schedule_skips_members_with_little_free_space_a_request_does_not() {
        let mut i = input(DefragTrigger::Schedule, 0);
        i.members[1].db_in_use = 95 * MI / 10;
        let steps = run(i.clone());
        assert_eq!(order(&steps), ["demo-2", "demo-0", "finish"]);
        assert!(
            matches!(steps.last(), Some(DefragStep::Finish { message }) if message.contains("1 skipped"))
        );
        i.run.trigger = DefragTrigger::Request;
        assert_eq!(order(&run(i)), ["demo-1", "demo-2", "demo-0", "finish"]);
    }

    #[test]
    fn a_request_for_one_member_defragments_only_it() {
        let mut i = input(DefragTrigger::Request, 0);
        i.run.only = Some("demo-0".into());
        assert_eq!(order(&run(i.clone())), ["demo-0", "finish"]);
        i.run.only = Some("demo-7".into());
        assert!(matches!(next(&i), DefragStep::Finish { message } if message.contains("not a member")));
    }

    proptest! {
        /// Whatever the members, a run defragments each member at most once, the leader
        /// after every other member it defragments, and only when all are healthy.
        #[test]
        fn one_member_at_a_time_leader_last(
            n in 1usize..=7,
            leader in 0usize..7,
            sizes in proptest::collection::vec((1i64..100, 0i64..100), 7),
            healthy in proptest::collection::vec(any::<bool>(), 7),
            trigger in prop_oneof![Just(DefragTrigger::Request), Just(DefragTrigger::Schedule), Just(DefragTrigger::NoSpace)],
        ) {
            let members: Vec<DefragMember> = (0..n)
                .map(|k| DefragMember {
                    healthy: healthy[k],
                    ..member(k, k == leader % n, sizes[k].0 * MI, sizes[k].1.min(sizes[k].0) * MI)
                })
                .collect();
            let all_healthy = members.iter().all(|m| m.healthy);
            let i = DefragInput {
                members,
                run: RunView { trigger, only: None, done: vec![], compacted: false },
                min_free_percent: 25,
                quota_bytes: 64 * MI,
            };
            let steps = order(&run(i));
            if !all_healthy {
                prop_assert_eq!(steps, vec!["wait".to_string()]);
            } else {
                let members: Vec<&String> = steps.iter().filter(|s| s.starts_with("demo-")).collect();
                let mut unique = members.clone();
                unique.dedup();
                prop_assert_eq!(&unique, &members);
                let leader_name = format!("demo-{}", leader % n);
                if let Some(at) = members.iter().position(|m| **m == leader_name) {
                    prop_assert_eq!(at, members.len() - 1, "the leader last: {:?}", steps);
                }
                prop_assert!(matches!(steps.last().map(String::as_str), Some("finish" | "disarm")));
            }
        }
    }
}
