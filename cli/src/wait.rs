//! Waiting for a resource to be done: one loop for every `--wait`. It follows one object,
//! by polling it or by watching it, shows on stderr what the object is at, and stops when
//! the caller's look at the object says done (succeeded or failed), when the object is
//! deleted, or at the deadline.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use kube::{Api, Resource};
use serde::de::DeserializeOwned;

use shared::crd::{BackupPhase, EtcdBackup, EtcdCluster, EtcdRestore, RestorePhase};

use crate::client::{ApiError, ConnectError, Connection, describe};
use crate::exit::Outcome;
use crate::output::progress::{Progress, WaitError};
use crate::prompt::PromptError;

/// Why a command that changes a cluster (`scale`, `defrag`, `rotate-certificates`) could
/// not make the change or follow it.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Reading or patching the cluster failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The wait could not go on.
    #[error(transparent)]
    Wait(#[from] WaitError),
    /// A question could not be asked.
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

/// How often a polled object is read.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How the object is followed.
#[derive(Clone, Copy)]
pub enum How {
    /// Read every half second; a failed read (even 404) ends the wait with its error.
    Poll,
    /// Watched; an object deleted after it was seen ends the wait as [`Waited::Gone`].
    Watch,
}

/// What a look at the object says.
pub enum Seen {
    /// Not done: show this on stderr.
    Waiting(String),
    /// Done (succeeded or failed); show this first, if anything.
    Done(Option<String>),
}

/// How a wait ended.
pub enum Waited<K> {
    /// The look said done; the object as it was then.
    Done(K),
    /// The deadline passed; the last object seen, if any.
    TimedOut(Option<K>),
    /// The object was deleted after it was seen (watching only).
    Gone,
}

/// Follows a request made on EtcdCluster `name` (an annotation the operator carries out)
/// until `done` says it is, with `progress` on stderr, for at most `timeout`. The cluster as
/// it was when done, or the outcome to exit with: a deadline passed says so on stderr with
/// the last progress; a deleted cluster is an error.
pub async fn follow_request(
    connection: &Connection,
    name: &str,
    timeout: Duration,
    what: &str,
    done: impl Fn(&EtcdCluster) -> bool,
    progress: impl Fn(&EtcdCluster) -> String,
) -> Result<Result<EtcdCluster, Outcome>, WaitError> {
    let deadline = Instant::now() + timeout;
    let start = format!("waiting for the {what} of etcdcluster {name}");
    let look = |c: &EtcdCluster| if done(c) { Seen::Done(None) } else { Seen::Waiting(progress(c)) };
    let waited = wait_for(connection, connection.clusters(), name, How::Watch, deadline, start, look)
        .await
        .map_err(|e| WaitError::Watch(describe(&e)))?;
    match waited {
        Waited::Done(cluster) => Ok(Ok(cluster)),
        Waited::Gone => Err(WaitError::Deleted(connection.not_found(name))),
        Waited::TimedOut(last) => {
            let at = last.as_ref().map_or_else(|| "never seen".to_string(), &progress);
            eprintln!("timed out waiting for the {what} of etcdcluster {name}: {at}");
            Ok(Err(Outcome::TimedOut))
        }
    }
}

/// Follows the object `name` of `api` as `how` says until `look` says it is done, it is
/// deleted, or `deadline` passes, showing `start` and then what `look` says on stderr.
pub async fn wait_for<K>(
    connection: &Connection,
    api: Api<K>,
    name: &str,
    how: How,
    deadline: Instant,
    start: String,
    mut look: impl FnMut(&K) -> Seen,
) -> Result<Waited<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let mut progress = Progress::start(start);
    let mut last: Option<K> = None;
    let mut gone = false;
    let observe = |object: Option<&K>| {
        let Some(object) = object else {
            gone = last.is_some();
            return gone;
        };
        last = Some(object.clone());
        match look(object) {
            Seen::Waiting(message) => {
                progress.update(message);
                false
            }
            Seen::Done(message) => {
                if let Some(message) = message {
                    progress.update(message);
                }
                true
            }
        }
    };
    let reached = match how {
        How::Poll => poll(&api, name, deadline, observe).await,
        How::Watch => {
            let timeout = deadline.saturating_duration_since(Instant::now());
            connection.follow(api, name, timeout, observe).await
        }
    };
    progress.finish();
    Ok(match (reached?, gone, last) {
        (_, true, _) => Waited::Gone,
        (true, false, Some(object)) => Waited::Done(object),
        (_, false, last) => Waited::TimedOut(last),
    })
}

/// Reads the object `name` until `observe` says done, or `deadline` passes (checked after
/// each read). Returns whether it was done.
async fn poll<K>(
    api: &Api<K>,
    name: &str,
    deadline: Instant,
    mut observe: impl FnMut(Option<&K>) -> bool,
) -> Result<bool, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    loop {
        let current = api.get(name).await?;
        if observe(Some(&current)) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// A resource whose status has a phase that ends (succeeded or failed) and a message.
pub trait Phased: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static {
    /// Whether its phase is final.
    fn is_final(&self) -> bool;
    /// What its status says it is doing.
    fn message(&self) -> Option<&str>;
}

/// [`Phased`] for a resource whose status has a `phase` of the type `$phase`, final at
/// Succeeded or Failed, and a `message`.
macro_rules! phased {
    ($kind:ty, $phase:ident) => {
        impl Phased for $kind {
            fn is_final(&self) -> bool {
                matches!(self.status.as_ref().and_then(|s| s.phase), Some($phase::Succeeded | $phase::Failed))
            }
            fn message(&self) -> Option<&str> {
                self.status.as_ref().and_then(|s| s.message.as_deref())
            }
        }
    };
}

phased!(EtcdBackup, BackupPhase);
phased!(EtcdRestore, RestorePhase);

/// Polls the object `name` until its phase is final, showing `<kind> <name>: <message>`
/// (`pending` without one), for `timeout` after `started`. Returns the object, or `None`
/// when the time ran out (said on stderr); a failed read is an error in words.
pub async fn until_final<K: Phased>(
    connection: &Connection,
    api: Api<K>,
    name: &str,
    started: Instant,
    timeout: Duration,
) -> Result<Option<K>, String> {
    let kind = K::kind(&()).to_lowercase();
    let waited = wait_for(
        connection,
        api,
        name,
        How::Poll,
        started + timeout,
        format!("waiting for {kind} {name}"),
        |current: &K| {
            if current.is_final() {
                Seen::Done(None)
            } else {
                Seen::Waiting(format!("{kind} {name}: {}", current.message().unwrap_or("pending")))
            }
        },
    )
    .await
    .map_err(|e| format!("reading {kind} {name}: {}", describe(&e)))?;
    match waited {
        Waited::Done(object) => Ok(Some(object)),
        Waited::TimedOut(_) => {
            eprintln!("timed out after {:.0}s waiting for {kind} {name}", timeout.as_secs_f64());
            Ok(None)
        }
        Waited::Gone => Err(format!("{kind} {name} was deleted while waiting")),
    }
}
