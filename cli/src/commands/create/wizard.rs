//! The questions `kubectl etcd create` asks on a terminal for the values its command line
//! left out (size, version, storage), and the confirmation it shows before creating.
//! Which values are missing, their defaults, how an answer fills in the flags and what the
//! summary says are pure; only [`ask`] and [`confirm`] talk to the terminal, on stderr.

use shared::crd::{DEFAULT_SIZE, EtcdCluster, MAX_SIZE, MIN_SIZE, StorageKind, StorageSpec};
use shared::version::{default_version, recommended_versions};

use super::{Args, BuildError, DEFAULT_STORAGE, build};
use crate::prompt::{self, PromptError};

/// A value the wizard asks for when the command line did not give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Question {
    /// `--size`
    Size,
    /// `--version`
    Version,
    /// `--storage`
    Storage,
}

impl Question {
    /// What the prompt says.
    fn prompt(self) -> String {
        match self {
            Question::Size => format!("Members, {MIN_SIZE} to {MAX_SIZE} (odd sizes are recommended)"),
            Question::Version => {
                let offered: Vec<String> = recommended_versions().iter().map(ToString::to_string).collect();
                format!("etcd version (tested: {})", offered.join(", "))
            }
            Question::Storage => {
                "Storage of each member: a volume size such as 8Gi, or ephemeral".to_string()
            }
        }
    }

    /// The answer taken when Enter is pressed: what the command uses without a terminal.
    pub(super) fn default_answer(self) -> String {
        match self {
            Question::Size => DEFAULT_SIZE.to_string(),
            Question::Version => default_version().to_string(),
            Question::Storage => DEFAULT_STORAGE.to_string(),
        }
    }
}

/// Whether to ask at all: on a terminal, without `--yes` or `--dry-run`, when a value is
/// missing. Scripts and CI, which have no terminal, are never asked.
pub(super) fn should_ask(args: &Args, on_terminal: bool) -> bool {
    on_terminal && !args.yes && !args.dry_run && !missing(args).is_empty()
}

/// The values the command line did not give, in the order they are asked.
pub(super) fn missing(args: &Args) -> Vec<Question> {
    [
        (Question::Size, args.size.is_none()),
        (Question::Version, args.version.is_none()),
        (Question::Storage, args.storage.is_none()),
    ]
    .into_iter()
    .filter_map(|(question, missing)| missing.then_some(question))
    .collect()
}

/// The flags with `answer` filled in for `question`; an error says what to type instead.
pub(super) fn answered(args: &Args, question: Question, answer: &str) -> Result<Args, String> {
    let answer = answer.trim();
    let mut args = args.clone();
    match question {
        Question::Size => {
            let size = answer.parse().map_err(|_| format!("{answer:?} is not a number of members"))?;
            args.size = Some(size);
        }
        Question::Version => args.version = Some(answer.to_string()),
        Question::Storage => args.storage = Some(answer.to_string()),
    }
    Ok(args)
}

/// Checks an answer as the API server would check the cluster it makes; the error lists
/// every reason, for the prompt to show before asking again.
pub(super) fn check(args: &Args, question: Question, answer: &str) -> Result<Args, String> {
    let args = answered(args, question, answer)?;
    match build(&args, None) {
        Ok(_) => Ok(args),
        Err(BuildError::Refused(reasons)) => Err(reasons.join("; ")),
        Err(BuildError::Schema(message)) => Err(message),
    }
}

/// The confirmation's question: what will be created, and where.
pub(super) fn summary(cluster: &EtcdCluster, namespace: &str) -> String {
    format!(
        "Create etcdcluster {} in namespace {namespace}: {}?",
        cluster.metadata.name.as_deref().unwrap_or_default(),
        members_and_storage(cluster.spec.size, &cluster.spec.version, &cluster.spec.storage)
    )
}

/// A new cluster in words: its members, version and storage (create's summary, restore's
/// preview).
pub(crate) fn members_and_storage(size: i32, version: &str, storage: &StorageSpec) -> String {
    let (members, each) =
        if size == 1 { ("1 member".to_string(), "") } else { (format!("{size} members"), "each ") };
    let storage = match (storage.kind, &storage.size, &storage.storage_class_name) {
        (StorageKind::Ephemeral, ..) => "ephemeral storage (data is lost with its Pod)".to_string(),
        (StorageKind::Persistent, size, class) => format!(
            "a persistent {} volume ({})",
            size.as_deref().unwrap_or(DEFAULT_STORAGE),
            class
                .as_deref()
                .map_or("the default storage class".to_string(), |c| format!("storage class {c}"))
        ),
    };
    format!("{members} of etcd {version}, {each}with {storage}")
}

/// Asks for every missing value, each checked before the next question, and returns the
/// flags with the answers filled in.
pub(super) async fn ask(args: &Args) -> Result<Args, PromptError> {
    let mut args = args.clone();
    for question in missing(&args) {
        let current = args.clone();
        args = prompt::text(question.prompt(), Some(question.default_answer()), move |answer: &str| {
            check(&current, question, answer)
        })
        .await?;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::super::tests::args;
    use super::*;

    #[test]
    fn only_values_missing_from_the_command_line_are_asked() {
        use Question::{Size, Storage, Version};
        assert_eq!(missing(&args(&["demo"])), [Size, Version, Storage]);
        assert_eq!(missing(&args(&["demo", "--size", "5", "--storage", "ephemeral"])), [Version]);
        assert!(
            missing(&args(&["demo", "--size", "1", "--version", "3.5.30", "--storage", "2Gi"])).is_empty()
        );
    }

    #[test]
    fn only_a_terminal_is_asked_and_never_with_yes_or_dry_run() {
        assert!(should_ask(&args(&["demo"]), true));
        assert!(!should_ask(&args(&["demo"]), false), "no terminal, no questions");
        assert!(!should_ask(&args(&["demo", "--yes"]), true));
        assert!(!should_ask(&args(&["demo", "-y"]), true));
        assert!(!should_ask(&args(&["demo", "--dry-run"]), true));
        let complete = args(&["demo", "--size", "3", "--version", "3.5.30", "--storage", "1Gi"]);
        assert!(!should_ask(&complete, true), "nothing missing, nothing asked");
    }

    #[test]
    fn defaults_are_what_the_command_uses_without_a_terminal() {
        let without = build(&args(&["demo"]), None).expect("valid");
        let mut with = args(&["demo"]);
        for question in missing(&with) {
            with = check(&with, question, &question.default_answer()).expect("the default is valid");
        }
        assert_eq!(build(&with, None).expect("valid"), without);
        assert_eq!(Question::Size.default_answer(), "3");
        assert_eq!(Question::Version.default_answer(), default_version().to_string());
        assert_eq!(Question::Storage.default_answer(), "1Gi");
    }

    #[test]
    fn answers_become_the_spec() {
        let mut args = args(&["demo", "--storage-class", "fast"]);
        args = check(&args, Question::Size, " 5 ").expect("valid size");
        args = check(&args, Question::Version, "3.4.23").expect("valid version");
        args = check(&args, Question::Storage, "8Gi").expect("valid storage");
        let cluster = build(&args, None).expect("valid");
        assert_eq!((cluster.spec.size, cluster.spec.version.as_str()), (5, "3.4.23"));
        assert_eq!(
            (cluster.spec.storage.kind, cluster.spec.storage.size.as_deref()),
            (StorageKind::Persistent, Some("8Gi"))
        );
        assert_eq!(cluster.spec.storage.storage_class_name.as_deref(), Some("fast"));
    }

    #[test]
    fn wrong_answers_say_why_and_change_nothing() {
        let given = args(&["demo", "--storage-class", "fast"]);
        assert_eq!(
            check(&given, Question::Size, "three").expect_err("no number"),
            "\"three\" is not a number of members"
        );
        let too_big = check(&given, Question::Size, "10").expect_err("too big");
        assert!(too_big.contains("less than or equal to 9"), "{too_big}");
        let version = check(&given, Question::Version, "3.9.9").expect_err("unsupported");
        assert!(version.contains("does not support etcd 3.9"), "{version}");
        let advised = check(&given, Question::Version, "3.5.1").expect_err("under an advisory");
        assert!(
            advised.contains("etcd 3.5.1 must not hold data") && advised.contains("Choose 3.5.30"),
            "{advised}"
        );
        let storage = check(&given, Question::Storage, "ephemeral").expect_err("a class needs a volume");
        assert!(storage.contains("apply only to Persistent storage"), "{storage}");
        assert_eq!(missing(&given).len(), 3, "the flags given are untouched");
    }

    #[test]
    fn the_summary_says_what_will_be_created_and_where() {
        let cluster = build(&args(&["demo", "--version", "3.5.30"]), None).expect("valid");
        assert_eq!(
            summary(&cluster, "prod"),
            "Create etcdcluster demo in namespace prod: 3 members of etcd 3.5.30, each with a persistent 1Gi \
             volume (the default storage class)?"
        );
        let flags = ["demo", "--size", "1", "--version", "3.4.23", "--storage", "ephemeral"];
        let cluster = build(&args(&flags), None).expect("valid");
        assert_eq!(
            summary(&cluster, "dev"),
            "Create etcdcluster demo in namespace dev: 1 member of etcd 3.4.23, with ephemeral storage (data \
             is lost with its Pod)?"
        );
        let cluster =
            build(&args(&["demo", "--storage", "8Gi", "--storage-class", "fast"]), None).expect("valid");
        assert!(summary(&cluster, "ns").ends_with("a persistent 8Gi volume (storage class fast)?"));
    }
}
