//! The node's side of `pods/exec` ([`crate::api::exec`]): a command runs where the
//! container's process runs, the way that process was started: in the Pod's network
//! namespace (and hosts file), with the container's environment, working directory,
//! volumes, and, for isolated containers, its root and user; the program is looked up in
//! the container's image ([`super::images`]), so `etcdctl` is the image's own etcdctl.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, Weak};

use tokio::process::Command;

use super::images;
use super::process::{Invocation, ProcessSpec};
use crate::api::exec::ExecError;

/// How a running container was started, kept while it runs.
#[derive(Clone, Debug)]
pub struct Started {
    /// The container's image.
    pub image: String,
    /// Its process, as started.
    pub spec: ProcessSpec,
}

/// The running containers of the node, by `(Pod UID, container)`: a Pod deleted and made
/// again under its name is another Pod.
#[derive(Debug, Default)]
pub struct RunningContainers(Mutex<HashMap<(String, String), Started>>);

impl RunningContainers {
    /// Container `container` of the Pod with UID `uid` started as `started`.
    pub fn started(&self, uid: &str, container: &str, started: Started) {
        self.lock().insert((uid.into(), container.into()), started);
    }

    /// Container `container` of the Pod with UID `uid` no longer runs.
    pub fn ended(&self, uid: &str, container: &str) {
        self.lock().remove(&(uid.into(), container.into()));
    }

    fn get(&self, uid: &str, container: &str) -> Option<Started> {
        self.lock().get(&(uid.into(), container.into())).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Started>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The command that runs `command` as `started` ran its container.
pub fn command_in(
    started: &Started,
    operator_binary: Option<&Path>,
    command: &[String],
) -> Result<Command, ExecError> {
    let not_found = || {
        let program = command.first().cloned().unwrap_or_default();
        ExecError::CannotRun(format!("exec: {program:?}: executable file not found in $PATH"))
    };
    let resolved = images::resolve(&started.image, command, &[], operator_binary).map_err(|_| not_found())?;
    // The operator's image runs nothing but the operator.
    let asked = command.first().and_then(|c| c.rsplit('/').next()).unwrap_or_default();
    if resolved.in_image.file_name().and_then(|n| n.to_str()) != Some(asked) {
        return Err(not_found());
    }
    let spec = &started.spec;
    let (program, path_dirs): (PathBuf, Vec<PathBuf>) = match spec.isolation {
        Some(_) => (resolved.in_image, spec.extra_path_dirs.clone()),
        None => (resolved.program, resolved.path_dirs),
    };
    Invocation {
        netns: spec.netns.as_deref(),
        program: &program,
        args: &resolved.args,
        env: &spec.env,
        extra_path_dirs: &path_dirs,
        bind_mounts: &spec.bind_mounts,
        working_dir: spec.working_dir.as_deref(),
        isolation: spec.isolation.as_ref(),
    }
    .command()
    .map_err(|e| ExecError::CannotRun(e.to_string()))
}

/// The node as the API's [`crate::api::exec::Executor`].
pub struct NodeExecutor {
    /// The node's running containers (gone when the node stops).
    pub running: Weak<RunningContainers>,
    /// The operator binary the operator's image runs.
    pub operator_binary: Option<PathBuf>,
}

impl crate::api::exec::Executor for NodeExecutor {
    fn command(
        &self,
        uid: &str,
        pod: &str,
        container: &str,
        command: &[String],
    ) -> Result<Command, ExecError> {
        let started = self
            .running
            .upgrade()
            .and_then(|running| running.get(uid, container))
            .ok_or_else(|| ExecError::NotRunning { container: container.into(), pod: pod.into() })?;
        command_in(&started, self.operator_binary.as_deref(), command)
    }
}
