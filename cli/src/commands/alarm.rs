//! `kubectl etcd alarm list NAME` and `kubectl etcd alarm disarm NAME`: etcd's alarms
//! (NOSPACE: the database reached its quota and the cluster takes no writes; CORRUPT: a
//! member's data differs from the others'), read and deactivated through etcd's Alarm API
//! on a member reached through the API server ([`crate::members`]).

use crate::client::{ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;
use crate::members::{self, Alarm, SurveyError};
use crate::output::structured::{self, Structured};
use crate::output::table;

/// List or deactivate etcd's alarms.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd alarm list demo\n  \
    kubectl etcd alarm disarm demo --yes")]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    List(ListArgs),
    Disarm(DisarmArgs),
}

/// List the cluster's alarms (NOSPACE, CORRUPT).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd alarm list demo\n  \
    kubectl etcd alarm list demo -o json\n\n\
    A NOSPACE alarm means the database reached its quota: the cluster serves reads and deletes \
    but no writes until space is freed (compact, defragment) and the alarm is disarmed.")]
pub struct ListArgs {
    /// Name of the EtcdCluster.
    name: String,

    /// Output format: the alarms as JSON or YAML instead of a table.
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT")]
    output: Option<Structured>,
}

/// Deactivate the cluster's NOSPACE alarms (CORRUPT only with --corrupt).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd alarm disarm demo\n  \
    kubectl etcd alarm disarm demo --yes\n\n\
    Free space first (compact, then defragment every member): etcd raises NOSPACE again at the \
    next write while the database is over its quota. A CORRUPT alarm is refused (exit 3) unless \
    --corrupt is given: the member it names holds data that differs from the others'.")]
pub struct DisarmArgs {
    /// Name of the EtcdCluster.
    name: String,

    /// Disarm only the alarms of this member (its Pod's name).
    #[arg(long, value_name = "MEMBER")]
    member: Option<String>,

    /// Disarm CORRUPT alarms too. A corrupt member serves data that differs from the other
    /// members'; replace it or restore from a backup rather than disarm.
    #[arg(long)]
    corrupt: bool,

    /// Disarm without asking (questions are asked only on a terminal).
    #[arg(short = 'y', long)]
    yes: bool,
}

/// Why the alarms could not be read or deactivated.
#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The members could not be reached.
    #[error(transparent)]
    Survey(#[from] SurveyError),
    /// The output could not be rendered.
    #[error("cannot render the alarms: {0}")]
    Render(String),
    /// The question could not be asked.
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    /// etcd refused to deactivate an alarm.
    #[error("disarming {alarm} of {member}: {message}")]
    Disarm {
        /// The alarm.
        alarm: String,
        /// The member.
        member: String,
        /// etcd's answer.
        message: String,
    },
}

/// Runs `alarm list` or `alarm disarm`.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, AlarmError> {
    match &args.action {
        Action::List(args) => list(kube, args).await,
        Action::Disarm(args) => disarm(kube, args).await,
    }
}

async fn list(kube: &KubeArgs, args: &ListArgs) -> Result<Outcome, AlarmError> {
    let connection = Connection::open(kube).await?;
    let survey = members::survey(&connection.client, &connection.namespace, &args.name).await?;
    match args.output {
        Some(format) => print!("{}", structured::render(&survey.alarms, format).map_err(AlarmError::Render)?),
        None if survey.alarms.is_empty() => eprintln!("no alarms in {}", args.name),
        None => print!("{}", render(&survey.alarms)),
    }
    Ok(Outcome::Success)
}

/// The alarms as a table.
fn render(alarms: &[Alarm]) -> String {
    let rows: Vec<Vec<String>> =
        alarms.iter().map(|a| vec![a.member.clone(), a.member_id.clone(), a.alarm.clone()]).collect();
    table::render(Some(&["MEMBER", "ID", "ALARM"]), &rows)
}

/// The alarms `disarm` deactivates, or why it refuses: a CORRUPT alarm without
/// `--corrupt`. `member` limits them to one member's.
fn to_disarm<'a>(alarms: &'a [Alarm], member: Option<&str>, corrupt: bool) -> Result<Vec<&'a Alarm>, String> {
    let chosen: Vec<&Alarm> = alarms.iter().filter(|a| member.is_none_or(|m| a.member == m)).collect();
    if let Some(refused) = chosen.iter().find(|a| a.is_corrupt() && !corrupt) {
        return Err(format!(
            "refusing to disarm the CORRUPT alarm of {}: its data differs from the other members' (a hash \
             check failed), so clients could read wrong data from it. Replace the member (delete its Pod, \
             and its PVC when persistent; the operator adds a new member) or restore from a backup; to \
             disarm anyway, add --corrupt. Nothing was changed",
            refused.member
        ));
    }
    Ok(chosen)
}

async fn disarm(kube: &KubeArgs, args: &DisarmArgs) -> Result<Outcome, AlarmError> {
    let connection = Connection::open(kube).await?;
    let survey = members::survey(&connection.client, &connection.namespace, &args.name).await?;
    if let Some(member) = args.member.as_deref().filter(|m| !survey.members.iter().any(|s| s.name == *m)) {
        let known: Vec<&str> = survey.members.iter().map(|m| m.name.as_str()).collect();
        eprintln!("error: {member} is not a member of {}; its members: {}", args.name, known.join(", "));
        return Ok(Outcome::Refused);
    }
    let chosen = match to_disarm(&survey.alarms, args.member.as_deref(), args.corrupt) {
        Ok(chosen) => chosen,
        Err(refusal) => {
            eprintln!("error: {refusal}");
            return Ok(Outcome::Refused);
        }
    };
    if chosen.is_empty() {
        eprintln!("no alarms to disarm in {}", args.name);
        return Ok(Outcome::Success);
    }
    if crate::prompt::may_ask(args.yes) {
        let listed: Vec<String> = chosen.iter().map(|a| format!("{} of {}", a.alarm, a.member)).collect();
        let question = format!("Disarm {} in {}?", listed.join(", "), args.name);
        let corrupt = chosen.iter().any(|a| a.is_corrupt());
        crate::prompt::answered!(crate::prompt::go_ahead(question, !corrupt, "not disarmed").await);
    }
    let mut etcd = survey
        .any_client()
        .ok_or_else(|| SurveyError::Unavailable { cluster: args.name.clone(), pods: survey.members.len() })?;
    for alarm in chosen {
        members::disarm(&mut etcd, alarm).await.map_err(|e| AlarmError::Disarm {
            alarm: alarm.alarm.clone(),
            member: alarm.member.clone(),
            message: e.to_string(),
        })?;
        println!("{} of {} disarmed", alarm.alarm, alarm.member);
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use etcd_client::AlarmType;

    use super::*;

    fn alarm(member: &str, kind: AlarmType) -> Alarm {
        Alarm::for_tests(member, kind)
    }

    #[test]
    fn nospace_alarms_are_disarmed_and_corrupt_ones_only_when_asked() {
        let alarms = [alarm("demo-0", AlarmType::Nospace), alarm("demo-1", AlarmType::Corrupt)];
        let refusal = to_disarm(&alarms, None, false).expect_err("CORRUPT is refused");
        assert!(refusal.contains("CORRUPT alarm of demo-1") && refusal.contains("--corrupt"), "{refusal}");
        assert_eq!(to_disarm(&alarms, None, true).expect("asked for").len(), 2);
        let only = to_disarm(&alarms, Some("demo-0"), false).expect("the NOSPACE one");
        assert_eq!(only.iter().map(|a| a.member.as_str()).collect::<Vec<_>>(), ["demo-0"]);
        assert!(to_disarm(&alarms, Some("demo-2"), false).expect("none").is_empty());
    }

    #[test]
    fn the_table_names_member_id_and_alarm() {
        let text = render(&[alarm("demo-0", AlarmType::Nospace)]);
        assert!(text.starts_with("MEMBER"), "{text}");
        assert!(text.contains("demo-0") && text.contains("NOSPACE"), "{text}");
    }
}
