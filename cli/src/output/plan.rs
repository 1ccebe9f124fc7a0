//! An upgrade plan as people read it: a headline, then one row per step with the member,
//! the versions, how the member changes and the gate that must hold before the next step.

use shared::plan::upgrade::{PlanStep, ReplaceHow, UpgradePlan};
use shared::version::{self, StepKind};

use super::table::{self, NONE};

/// The plan of cluster `name` as a headline and a table, plus the refusal when there is one.
pub fn render(name: &str, plan: &UpgradePlan) -> String {
    let mut out = format!("Upgrade plan for etcdcluster {name}: etcd {} -> {}", plan.from, plan.to);
    out.push_str(&match plan.path.len() {
        0 if plan.changes_members() => {
            " (members return to it: etcd allows this while a minor upgrade is still under way)\n".to_string()
        }
        0 => " (nothing to change)\n".to_string(),
        1 => format!(" ({})\n", step_kind(plan)),
        _ => format!(
            " through {}\n",
            plan.path.iter().map(ToString::to_string).collect::<Vec<_>>().join(" -> ")
        ),
    });
    let rows: Vec<Vec<String>> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut row = vec![(i + 1).to_string()];
            row.extend(cells(step));
            row
        })
        .collect();
    out.push_str(&table::render(
        Some(&["STEP", "ACTION", "MEMBER", "FROM", "TO", "HOW", "THEN WAIT FOR"]),
        &rows,
    ));
    if let Some(refused) = &plan.refused {
        out.push_str(&format!("Not carried out now: {refused}\n"));
    }
    out
}

/// How the cluster's version changes: a patch change or one minor step.
fn step_kind(plan: &UpgradePlan) -> &'static str {
    match version::check_step(plan.from, plan.to, true) {
        Ok(StepKind::Patch) if plan.to < plan.from => "a patch downgrade",
        Ok(StepKind::Patch) => "a patch upgrade",
        Ok(StepKind::Minor) => "one minor step",
        Ok(StepKind::Rollback) => "a rollback of a minor upgrade under way",
        Ok(StepKind::None) | Err(_) => "one step",
    }
}

/// ACTION, MEMBER, FROM, TO, HOW, THEN WAIT FOR of one step.
fn cells(step: &PlanStep) -> Vec<String> {
    let none = || NONE.to_string();
    match step {
        PlanStep::CheckPath { from, to } => {
            vec![
                "check path".into(),
                none(),
                from.to_string(),
                to.to_string(),
                none(),
                "allowed by etcd".into(),
            ]
        }
        PlanStep::Snapshot { .. } => {
            vec!["snapshot".into(), none(), none(), none(), "spec.backup".into(), "snapshot stored".into()]
        }
        PlanStep::MoveLeader { from, to } => vec![
            "move leader".into(),
            from.clone(),
            none(),
            none(),
            format!("to {to}"),
            format!("{to} leads"),
        ],
        PlanStep::UpgradeMember { member, from, to, replace, gate } => vec![
            "change version".into(),
            member.clone(),
            from.to_string(),
            to.to_string(),
            match replace {
                ReplaceHow::InPlace => "in place".into(),
                ReplaceHow::ReplaceWithLearner => "new learner".into(),
            },
            gate.description.clone(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use shared::crd::{MemberRole, StorageKind};
    use shared::plan::upgrade::{ObservedMember, UpgradeInput, preview_upgrade};

    use super::*;

    fn input(storage: StorageKind, target: &str) -> UpgradeInput {
        let member = |i: usize, role| ObservedMember {
            name: format!("demo-{i}"),
            id: Some(format!("{i:x}")),
            version: "3.4.23".parse().ok(),
            role,
            healthy: true,
        };
        UpgradeInput {
            members: vec![
                member(0, MemberRole::Leader),
                member(1, MemberRole::Follower),
                member(2, MemberRole::Follower),
            ],
            target: target.parse().expect("version"),
            force: false,
            backup_configured: false,
            snapshot_taken: false,
            storage,
        }
    }

    #[test]
    fn a_three_member_plan_reads_followers_first_leader_last() {
        let plan = preview_upgrade(&input(StorageKind::Persistent, "3.5.30")).expect("plan");
        let text = render("demo", &plan);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Upgrade plan for etcdcluster demo: etcd 3.4.23 -> 3.5.30 (one minor step)");
        assert!(lines[1].starts_with("STEP   ACTION"), "{text}");
        assert!(lines[2].starts_with("1      check path"), "{text}");
        let words = |line: &str| line.split_whitespace().take(7).collect::<Vec<_>>().join(" ");
        assert_eq!(words(lines[3]), "2 change version demo-1 3.4.23 3.5.30 in", "{text}");
        assert!(lines[4].contains("demo-2"), "{text}");
        assert!(lines[5].contains("move leader") && lines[5].contains("to demo-1"), "{text}");
        assert!(lines[6].contains("demo-0") && lines[6].contains("reporting 3.5.30"), "{text}");
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn ephemeral_members_are_shown_as_new_learners_and_refusals_are_said() {
        let mut unhealthy = input(StorageKind::Ephemeral, "3.5.16");
        unhealthy.members[2].healthy = false;
        let plan = preview_upgrade(&unhealthy).expect("plan");
        let text = render("demo", &plan);
        assert!(text.contains("new learner"), "{text}");
        assert!(text.ends_with("Not carried out now: the upgrade is refused while members are unhealthy (demo-2): fix or replace the unhealthy member first, then upgrade\n"), "{text}");
    }
}
