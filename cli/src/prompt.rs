//! Questions on a terminal, one set for every command: a typed answer checked before it is
//! taken, a choice from a list, a confirmation. The plugin asks only when both stdin and
//! stderr are terminals and `--yes` was not given: scripts and CI never see a prompt.
//!
//! Questions run on a blocking thread, so the runtime stays free to see Ctrl-C: main
//! watches for it, and an interrupted question ends the command with
//! [`Outcome::Declined`](crate::exit::Outcome::Declined) and "nothing was changed".

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::exit::Outcome;

/// Set while a question is on the screen (and after one was interrupted).
static ASKING: AtomicBool = AtomicBool::new(false);

/// Whether a person can be asked: stdin and stderr are terminals.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Whether to ask: on a terminal, without `--yes`.
pub fn may_ask(yes: bool) -> bool {
    !yes && on_terminal()
}

/// Whether a question was on the screen when Ctrl-C came.
pub fn interrupted_a_question() -> bool {
    ASKING.load(Ordering::SeqCst)
}

/// Puts the terminal's cursor back (a list hides it while it is shown).
pub fn restore_terminal() {
    // Best effort: a terminal that cannot show its cursor has nothing to restore.
    let _ = console::Term::stderr().show_cursor();
}

/// Why no answer came.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// Ctrl-C at the question.
    #[error("interrupted")]
    Interrupted,
    /// The terminal could not be read or written.
    #[error("cannot ask on the terminal: {0}")]
    Terminal(String),
}

/// Asks on a blocking thread; an interrupted question is [`PromptError::Interrupted`].
async fn ask<T: Send + 'static>(
    question: impl FnOnce() -> Result<T, dialoguer::Error> + Send + 'static,
) -> Result<T, PromptError> {
    ASKING.store(true, Ordering::SeqCst);
    let answer = tokio::task::spawn_blocking(question).await;
    let answer = match answer {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(dialoguer::Error::IO(e))) if e.kind() == std::io::ErrorKind::Interrupted => {
            restore_terminal();
            return Err(PromptError::Interrupted);
        }
        Ok(Err(e)) => Err(PromptError::Terminal(e.to_string())),
        Err(e) => Err(PromptError::Terminal(e.to_string())),
    };
    ASKING.store(false, Ordering::SeqCst);
    answer
}

/// Asks for a typed answer, `default` on Enter. `check` turns the text into the value or
/// says what is wrong; a wrong answer is shown and asked again.
pub async fn text<T, F>(prompt: String, default: Option<String>, check: F) -> Result<T, PromptError>
where
    T: Send + 'static,
    F: Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static,
{
    let validate = check.clone();
    let answer: String = ask(move || {
        let mut input = dialoguer::Input::<String>::new().with_prompt(prompt);
        if let Some(default) = default {
            input = input.default(default);
        }
        input.validate_with(move |answer: &String| validate(answer).map(drop)).interact_text()
    })
    .await?;
    check(&answer).map_err(PromptError::Terminal)
}

/// Asks for one of `items` (arrow keys, Enter), `default` preselected; its index.
pub async fn choose(prompt: String, items: Vec<String>, default: usize) -> Result<usize, PromptError> {
    ask(move || dialoguer::Select::new().with_prompt(prompt).items(&items).default(default).interact()).await
}

/// Asks a yes/no question; `default` on Enter. Anything that removes members or replaces
/// data asks with `false`.
pub async fn confirm(question: String, default: bool) -> Result<bool, PromptError> {
    ask(move || dialoguer::Confirm::new().with_prompt(question).default(default).interact()).await
}

/// What a command says and returns when the person did not go ahead.
pub fn declined(what: &str, error: Option<&PromptError>) -> Outcome {
    match error {
        Some(PromptError::Interrupted) => eprintln!("interrupted: {what}; nothing was changed"),
        _ => eprintln!("{what}: nothing was changed"),
    }
    Outcome::Declined
}

/// An answer, or the outcome the command ends with because the person declined or pressed
/// Ctrl-C (and was told that nothing was changed); an error when the terminal failed.
pub type Answer<T> = Result<ControlFlow<Outcome, T>, PromptError>;

/// The answer to a question; Ctrl-C ends the command with "`what`; nothing was changed".
/// `what` says what did not happen, e.g. "not upgraded".
pub fn answer<T>(asked: Result<T, PromptError>, what: &str) -> Answer<T> {
    match asked {
        Ok(answer) => Ok(ControlFlow::Continue(answer)),
        Err(PromptError::Interrupted) => {
            Ok(ControlFlow::Break(declined(what, Some(&PromptError::Interrupted))))
        }
        Err(error) => Err(error),
    }
}

/// Asks `question` after a preview; No (or Ctrl-C) ends the command with "`what`:
/// nothing was changed". `default` is what Enter answers: `false` for anything that
/// removes members or replaces data.
pub async fn go_ahead(question: String, default: bool, what: &str) -> Answer<()> {
    Ok(match answer(confirm(question, default).await, what)? {
        ControlFlow::Continue(true) => ControlFlow::Continue(()),
        ControlFlow::Continue(false) => ControlFlow::Break(declined(what, None)),
        ControlFlow::Break(outcome) => ControlFlow::Break(outcome),
    })
}

/// The value of an [`Answer`], or returns `Ok(outcome)` from the command when the person
/// stopped it; a terminal error goes up through `?` as the command's error.
macro_rules! answered {
    ($answer:expr) => {
        match $answer? {
            std::ops::ControlFlow::Continue(answer) => answer,
            std::ops::ControlFlow::Break(outcome) => return Ok(outcome),
        }
    };
}
pub(crate) use answered;

/// What a command says without a terminal when an argument it would have asked for is
/// missing: clap's error for a missing argument, and its exit code.
pub fn missing_argument(flag: &str) -> Outcome {
    eprintln!(
        "error: the following required arguments were not provided:\n  {flag}\n\n(on a terminal, without \
         --yes, it is asked for)"
    );
    Outcome::Usage
}
