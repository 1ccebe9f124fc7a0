//! Runs a container's command as a local process, optionally inside a Pod's network namespace and
//! with the container's volumes bind-mounted at their mount paths.
//!
//! The command line is built from small wrappers that each `exec` the next, so the PID we hold is
//! the container's main process itself:
//!
//! ```text
//! [ip netns exec NS] [unshare --mount --propagation private -- /bin/sh -c MOUNT_SCRIPT ...] PROGRAM ARGS
//! ```
//!
//! `ip netns exec` enters the network namespace and bind-mounts `/etc/netns/NS/hosts` over
//! `/etc/hosts` in a mount namespace of its own; `unshare` adds a private mount namespace in which
//! the volumes are bind-mounted, so the mounts never reach the host and vanish with the process.
//! The process leads its own process group, which is how termination reaches everything it
//! started.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::signal::unix::{SignalKind, signal};
use tracing::debug;

use super::isolation::{Isolation, ROOT_SCRIPT};
use super::netns::netns_path;

/// Directories searched after `PATH` for the tools we run (`ip`, `unshare`, `mount`).
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Fallback interval for noticing a process exit, should a SIGCHLD be missed.
const EXIT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The helper run by `/bin/sh -c` inside the private mount namespace. Positional parameters:
/// `MOUNT_BIN WORKDIR COUNT (SOURCE TARGET){COUNT} PROGRAM ARGS...`. Nothing user-supplied is
/// spliced into the script text, so no quoting is involved.
const MOUNT_SCRIPT: &str = r#"mount_bin=$1 workdir=$2 count=$3
shift 3
while [ "$count" -gt 0 ]; do
    "$mount_bin" --bind "$1" "$2" || { echo "etcd-sandbox: cannot bind-mount $1 on $2" >&2; exit 126; }
    shift 2
    count=$((count - 1))
done
if [ -n "$workdir" ]; then
    cd "$workdir" || { echo "etcd-sandbox: cannot enter working directory $workdir" >&2; exit 126; }
fi
exec "$@""#;

/// Errors of starting and controlling container processes.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// The spec cannot be run as given.
    #[error("invalid process spec: {0}")]
    InvalidSpec(String),
    /// A bare program name was not found in the process's `PATH`.
    #[error("program {program:?} not found in PATH {path:?}")]
    ProgramNotFound {
        /// The program as given.
        program: PathBuf,
        /// The `PATH` that was searched.
        path: String,
    },
    /// The network namespace to run in does not exist.
    #[error("network namespace {0:?} does not exist")]
    NetnsNotFound(String),
    /// A tool or a file on the machine failed.
    #[error(transparent)]
    Host(#[from] super::HostError),
    /// The process could not be started.
    #[error("could not start `{command}`: {source}")]
    Spawn {
        /// The command line (without environment).
        command: String,
        /// Why starting it failed.
        #[source]
        source: io::Error,
    },
    /// A signal could not be sent to the process group.
    #[error("could not send {signal} to process group {pgid}: {source}")]
    Signal {
        /// The process group (the main process's PID).
        pgid: u32,
        /// The signal.
        signal: Signal,
        /// The error from kill(2).
        #[source]
        source: Errno,
    },
    /// Waiting for the process failed.
    #[error("could not wait for process {pid}: {source}")]
    Wait {
        /// The process.
        pid: u32,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// What to run for a container, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The program: a path, or a bare name looked up in the process's `PATH`.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment variables. The process does not inherit the sandbox's environment apart from
    /// `PATH` and `HOME` (both can be overridden here).
    pub env: Vec<(String, String)>,
    /// Absolute working directory; `None` keeps the sandbox's.
    pub working_dir: Option<PathBuf>,
    /// Network namespace to run in; `None` is the host namespace.
    pub netns: Option<String>,
    /// File that stdout and stderr are appended to (created, with its directory, if missing).
    pub log_path: PathBuf,
    /// Directories put in front of `PATH` inside the process.
    pub extra_path_dirs: Vec<PathBuf>,
    /// Volumes: (host source directory or file, absolute target path), bind-mounted in a private
    /// mount namespace. A missing target is created on the host filesystem as an empty directory
    /// (or file, for a file source) to serve as mount point, and left there afterwards.
    pub bind_mounts: Vec<(PathBuf, PathBuf)>,
    /// A root of its own and a user (see [`super::isolation`]); then `bind_mounts` targets
    /// are paths inside that root and nothing is created on the machine for them.
    pub isolation: Option<Isolation>,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatusInfo {
    /// The exit code, if it exited normally.
    pub code: Option<i32>,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
}

impl ExitStatusInfo {
    /// Whether the process exited with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl From<ExitStatus> for ExitStatusInfo {
    fn from(status: ExitStatus) -> Self {
        ExitStatusInfo { code: status.code(), signal: status.signal() }
    }
}

impl fmt::Display for ExitStatusInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exited with code {code}"),
            (None, Some(number)) => match Signal::try_from(number) {
                Ok(signal) => write!(f, "killed by signal {number} ({signal})"),
                Err(_) => write!(f, "killed by signal {number}"),
            },
            (None, None) => f.write_str("ended without exit code or signal"),
        }
    }
}

/// A started container process, leader of its own process group.
///
/// Dropping it while the process runs SIGKILLs the group (and tokio reaps the process in the
/// background), so no process outlives its handle.
#[derive(Debug)]
pub struct RunningProcess {
    child: Child,
    pid: u32,
    /// The process group, led by the main process.
    pgid: Pid,
    status: Option<ExitStatusInfo>,
}

impl RunningProcess {
    /// Starts the process described by `spec`.
    ///
    /// The spec is checked before anything runs: bare program names are resolved in the process's
    /// `PATH`, the network namespace must exist, and bind-mount paths must be absolute with
    /// existing sources. Failures after the start (e.g. a bind mount the kernel refuses) make the
    /// process exit with code 126, with the reason in the log.
    pub async fn spawn(spec: &ProcessSpec) -> Result<RunningProcess, ProcError> {
        let invocation = Invocation {
            netns: spec.netns.as_deref(),
            program: &spec.program,
            args: &spec.args,
            env: &spec.env,
            extra_path_dirs: &spec.extra_path_dirs,
            bind_mounts: &spec.bind_mounts,
            working_dir: spec.working_dir.as_deref(),
            isolation: spec.isolation.as_ref(),
        };
        let mut command = invocation.command()?;
        if spec.isolation.is_none() {
            prepare_mount_points(&spec.bind_mounts)?;
        }
        let log = open_log(&spec.log_path)?;
        let log_err = log
            .try_clone()
            .map_err(|source| proc_io_error("duplicate log file handle", &spec.log_path, source))?;
        command.stdout(log).stderr(log_err);
        let command_line = describe(&command);
        let child =
            command.spawn().map_err(|source| ProcError::Spawn { command: command_line.clone(), source })?;
        let pid = child.id().ok_or_else(|| ProcError::Spawn {
            command: command_line.clone(),
            source: io::Error::other("the process was reaped before its PID was read"),
        })?;
        let pgid = i32::try_from(pid).map(Pid::from_raw).map_err(|_| ProcError::Spawn {
            command: command_line.clone(),
            source: io::Error::other(format!("PID {pid} does not fit in pid_t")),
        })?;
        debug!(pid, command = %command_line, netns = spec.netns.as_deref().unwrap_or("<host>"),
            log = %spec.log_path.display(), mounts = spec.bind_mounts.len(), "started container process");
        Ok(RunningProcess { child, pid, pgid, status: None })
    }

    /// The PID of the main process, which is also its process group ID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the main process to exit, then kills what is left of its process group (as a
    /// container's processes die with its main process) and reaps it.
    pub async fn wait(&mut self) -> Result<ExitStatusInfo, ProcError> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        self.wait_exited().await?;
        self.reap().await
    }

    /// Returns the exit status if the main process has exited (reaping it and killing what is
    /// left of its group), `None` while it runs.
    pub fn try_status(&mut self) -> Result<Option<ExitStatusInfo>, ProcError> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        if !self.has_exited()? {
            return Ok(None);
        }
        self.signal_group(Signal::SIGKILL)?;
        match self.child.try_wait() {
            Ok(Some(status)) => Ok(Some(self.record(status))),
            Ok(None) => Ok(None),
            Err(source) => Err(ProcError::Wait { pid: self.pid, source }),
        }
    }

    /// Sends SIGTERM to the process group and waits for the main process; after `grace`, sends
    /// SIGKILL to the group. Returns how the main process ended.
    pub async fn terminate(&mut self, grace: Duration) -> Result<ExitStatusInfo, ProcError> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        self.signal_group(Signal::SIGTERM)?;
        debug!(pid = self.pid, grace_ms = grace.as_millis(), "sent SIGTERM to container process group");
        match tokio::time::timeout(grace, self.wait_exited()).await {
            Ok(result) => result?,
            Err(_) => {
                self.signal_group(Signal::SIGKILL)?;
                debug!(pid = self.pid, "grace period over, sent SIGKILL to container process group");
                self.wait_exited().await?;
            }
        }
        self.reap().await
    }

    /// Fault injection: SIGKILLs the process group now, like a crashing container. Use
    /// [`RunningProcess::wait`] to collect the exit status.
    pub fn kill_now(&mut self) -> Result<(), ProcError> {
        if self.status.is_some() {
            return Ok(());
        }
        self.signal_group(Signal::SIGKILL)?;
        debug!(pid = self.pid, "sent SIGKILL to container process group");
        Ok(())
    }

    /// Resolves once the main process has exited, without reaping it: while it is a zombie its
    /// PID, and so its process group ID, cannot be reused.
    async fn wait_exited(&self) -> Result<(), ProcError> {
        let mut sigchld =
            signal(SignalKind::child()).map_err(|source| ProcError::Wait { pid: self.pid, source })?;
        while !self.has_exited()? {
            tokio::select! {
                _ = sigchld.recv() => {}
                () = tokio::time::sleep(EXIT_POLL_INTERVAL) => {}
            }
        }
        Ok(())
    }

    /// Whether the main process has exited (it is not reaped by this check).
    fn has_exited(&self) -> Result<bool, ProcError> {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        loop {
            match waitid(Id::Pid(self.pgid), flags) {
                Err(Errno::EINTR) => {}
                Ok(WaitStatus::StillAlive) => return Ok(false),
                // EINVAL: exited by a signal nix has no name for; ECHILD: already reaped. Either
                // way the reaping wait reports the truth.
                Ok(_) | Err(Errno::EINVAL | Errno::ECHILD) => return Ok(true),
                Err(errno) => return Err(ProcError::Wait { pid: self.pid, source: errno.into() }),
            }
        }
    }

    /// Kills what is left of the group of an exited (not yet reaped) main process, then reaps it.
    async fn reap(&mut self) -> Result<ExitStatusInfo, ProcError> {
        self.signal_group(Signal::SIGKILL)?;
        let status = self.child.wait().await.map_err(|source| ProcError::Wait { pid: self.pid, source })?;
        Ok(self.record(status))
    }

    fn record(&mut self, status: ExitStatus) -> ExitStatusInfo {
        let info = ExitStatusInfo::from(status);
        self.status = Some(info);
        debug!(pid = self.pid, status = %info, "container process ended");
        info
    }

    /// Signals the process group; a group that no longer exists is not an error.
    fn signal_group(&self, signal: Signal) -> Result<(), ProcError> {
        match killpg(self.pgid, signal) {
            Ok(()) | Err(Errno::ESRCH) => Ok(()),
            Err(source) => Err(ProcError::Signal { pgid: self.pid, signal, source }),
        }
    }
}

impl Drop for RunningProcess {
    fn drop(&mut self) {
        if self.status.is_none() {
            // Not reaped yet, so the group ID still belongs to this process.
            let _ = killpg(self.pgid, Signal::SIGKILL);
            debug!(pid = self.pid, "dropped running container process; killed its process group");
        }
    }
}

/// A program to run inside a Pod: everything [`ProcessSpec`] says except where output goes.
/// Shared with exec probes.
pub(super) struct Invocation<'a> {
    /// Network namespace to run in; `None` is the host namespace.
    pub(super) netns: Option<&'a str>,
    /// Program path or bare name (looked up in the invocation's `PATH`).
    pub(super) program: &'a Path,
    /// Arguments.
    pub(super) args: &'a [String],
    /// Environment on top of the sandbox's `HOME` (and `PATH`).
    pub(super) env: &'a [(String, String)],
    /// Directories put in front of `PATH`.
    pub(super) extra_path_dirs: &'a [PathBuf],
    /// Bind mounts (absolute source, absolute target) in a private mount namespace.
    pub(super) bind_mounts: &'a [(PathBuf, PathBuf)],
    /// Absolute working directory; `None` keeps the sandbox's.
    pub(super) working_dir: Option<&'a Path>,
    /// A root of its own and a user, for a container's process.
    pub(super) isolation: Option<&'a Isolation>,
}

impl Invocation<'_> {
    /// Validates the invocation and builds its command: namespace wrappers, a clean environment,
    /// stdin from /dev/null and a process group of its own. Output is left to the caller.
    pub(super) fn command(&self) -> Result<Command, ProcError> {
        let mut wrapper: Vec<OsString> = Vec::new();
        if let Some(netns) = self.netns {
            if netns.is_empty() || netns.contains('/') || netns == "." || netns == ".." {
                return Err(ProcError::InvalidSpec(format!("invalid network namespace name {netns:?}")));
            }
            if !netns_path(netns).exists() {
                return Err(ProcError::NetnsNotFound(netns.to_owned()));
            }
            let ip = find_tool("ip").ok_or(super::HostError::ToolMissing("ip"))?;
            wrapper.extend([ip.into_os_string(), "netns".into(), "exec".into(), netns.into()]);
        }
        if let Some(dir) = self.working_dir.filter(|dir| !dir.is_absolute()) {
            return Err(ProcError::InvalidSpec(format!(
                "working directory {} is not absolute",
                dir.display()
            )));
        }
        if let Some((source, target)) =
            self.bind_mounts.iter().find(|(source, target)| !source.is_absolute() || !target.is_absolute())
        {
            return Err(ProcError::InvalidSpec(format!(
                "bind mount {} -> {} needs absolute paths",
                source.display(),
                target.display()
            )));
        }
        if let Some(isolation) = self.isolation {
            wrapper.extend(isolated_wrapper(isolation, self.bind_mounts, self.working_dir)?);
        } else if !self.bind_mounts.is_empty() {
            let mount = find_tool("mount").ok_or(super::HostError::ToolMissing("mount"))?;
            let workdir = self.working_dir.map_or_else(OsString::new, |dir| dir.as_os_str().to_owned());
            wrapper.extend(in_private_mounts(MOUNT_SCRIPT, "etcd-sandbox-mount")?);
            wrapper.extend([mount.into_os_string(), workdir, self.bind_mounts.len().to_string().into()]);
            for (source, target) in self.bind_mounts {
                wrapper.extend([source.as_os_str().to_owned(), target.as_os_str().to_owned()]);
            }
        }

        let path = self.path_var();
        let program = resolve_program(self.program, &path)?;
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut command = Command::new(first);
                command.args(rest).arg(program);
                command
            }
            None => Command::new(program),
        };
        command.args(self.args);
        // With bind mounts the helper changes directory after mounting, so that a working
        // directory inside a volume is the mounted one.
        if let Some(dir) =
            self.working_dir.filter(|_| self.bind_mounts.is_empty() && self.isolation.is_none())
        {
            command.current_dir(dir);
        }
        command.env_clear();
        if self.isolation.is_some() {
            // The machine's home is not in the container.
            command.env("HOME", "/");
        } else if let Some(home) = std::env::var_os("HOME") {
            command.env("HOME", home);
        }
        command.envs(self.env.iter().map(|(name, value)| (name, value)));
        command.env("PATH", path).stdin(Stdio::null()).process_group(0);
        Ok(command)
    }

    /// `extra_path_dirs` followed by the spec's `PATH`, or else the sandbox's, or else the system
    /// default.
    fn path_var(&self) -> OsString {
        let base = self
            .env
            .iter()
            .rev()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| OsString::from(value))
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_else(|| SYSTEM_PATH.into());
        let mut path = OsString::new();
        for dir in self.extra_path_dirs {
            path.push(dir);
            path.push(":");
        }
        path.push(base);
        path
    }
}

/// `unshare --mount --propagation private -- /bin/sh -c SCRIPT NAME`: runs `script` in a
/// private mount namespace; its parameters follow.
fn in_private_mounts(script: &str, name: &str) -> Result<Vec<OsString>, ProcError> {
    let unshare = find_tool("unshare").ok_or(super::HostError::ToolMissing("unshare"))?;
    Ok(vec![
        unshare.into_os_string(),
        "--mount".into(),
        "--propagation".into(),
        "private".into(),
        "--".into(),
        "/bin/sh".into(),
        "-c".into(),
        script.into(),
        name.into(),
    ])
}

/// `unshare --mount ... /bin/sh -c ROOT_SCRIPT ...`: the wrapper that builds a container's
/// own root, mounts its image files and volumes there, and enters it as its user.
fn isolated_wrapper(
    isolation: &Isolation,
    volumes: &[(PathBuf, PathBuf)],
    working_dir: Option<&Path>,
) -> Result<Vec<OsString>, ProcError> {
    let mount = find_tool("mount").ok_or(super::HostError::ToolMissing("mount"))?;
    find_tool("chroot").ok_or(super::HostError::ToolMissing("chroot"))?;
    fs::create_dir_all(&isolation.root)
        .map_err(|source| proc_io_error("create the container's root", &isolation.root, source))?;
    let user = isolation.user.as_ref();
    let mut words = in_private_mounts(ROOT_SCRIPT, "etcd-sandbox-root")?;
    words.extend([
        mount.into_os_string(),
        isolation.root.clone().into_os_string(),
        working_dir.map_or_else(OsString::new, |dir| dir.as_os_str().to_owned()),
        user.map_or_else(OsString::new, |u| u.userspec().into()),
        user.map_or_else(OsString::new, |u| u.groups_list().into()),
    ]);
    for list in [&isolation.image_files[..], volumes] {
        words.push(list.len().to_string().into());
        for (source, target) in list {
            fs::metadata(source)
                .map_err(|error| proc_io_error("inspect bind mount source", source, error))?;
            words.extend([source.as_os_str().to_owned(), target.as_os_str().to_owned()]);
        }
    }
    Ok(words)
}

/// Finds a system tool in the sandbox's `PATH` or the standard system directories.
pub(super) fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(std::env::split_paths(SYSTEM_PATH))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// A command line for messages and logs (without the environment).
pub(super) fn describe(command: &Command) -> String {
    let command = command.as_std();
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Resolves a bare program name in `path`; paths are returned as given.
fn resolve_program(program: &Path, path: &OsStr) -> Result<PathBuf, ProcError> {
    if program.as_os_str().is_empty() {
        return Err(ProcError::InvalidSpec("empty program".to_owned()));
    }
    if program.components().count() > 1 || program.is_absolute() {
        return Ok(program.to_owned());
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| ProcError::ProgramNotFound {
            program: program.to_owned(),
            path: path.to_string_lossy().into_owned(),
        })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Makes sure every bind-mount source exists and every target exists with the same kind (directory
/// or file), creating missing targets.
fn prepare_mount_points(mounts: &[(PathBuf, PathBuf)]) -> Result<(), ProcError> {
    for (source, target) in mounts {
        let source_meta = fs::metadata(source)
            .map_err(|error| proc_io_error("inspect bind mount source", source, error))?;
        match fs::metadata(target) {
            Ok(target_meta) if target_meta.is_dir() == source_meta.is_dir() => {}
            Ok(_) => {
                return Err(ProcError::InvalidSpec(format!(
                    "bind mount target {} is not the same kind (file or directory) as source {}",
                    target.display(),
                    source.display()
                )));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let dir = if source_meta.is_dir() { Some(target.as_path()) } else { target.parent() };
                if let Some(dir) = dir {
                    fs::create_dir_all(dir)
                        .map_err(|error| proc_io_error("create mount point", dir, error))?;
                }
                if !source_meta.is_dir() {
                    OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(target)
                        .map_err(|error| proc_io_error("create mount point", target, error))?;
                }
                debug!(target = %target.display(), "created bind mount point on the host filesystem");
            }
            Err(error) => return Err(proc_io_error("inspect bind mount target", target, error)),
        }
    }
    Ok(())
}

fn open_log(path: &Path) -> Result<File, ProcError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| proc_io_error("create log directory", dir, source))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| proc_io_error("open log file", path, source))
}

fn proc_io_error(action: &'static str, path: &Path, source: io::Error) -> ProcError {
    ProcError::Host(super::HostError::io(action, path, source))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::netns::testing::{NetworkGuard, TempDir, host_mount_points, spec, wait_for_log};
    use super::*;

    const GRACE: Duration = Duration::from_secs(5);

    /// Whether `pid` is gone (or a zombie that nobody runs any more).
    fn is_dead(pid: u32) -> bool {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat.rsplit(") ").next().is_some_and(|rest| rest.starts_with('Z')),
        }
    }

    async fn wait_dead(pid: u32) {
        let deadline = Instant::now() + GRACE;
        while !is_dead(pid) {
            assert!(Instant::now() < deadline, "process {pid} is still alive");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn futures_are_send() {
        fn send<T: Send>(_: T) {}
        let _ = |process: &mut RunningProcess, spec: &ProcessSpec| {
            send(RunningProcess::spawn(spec));
            send(process.wait());
            send(process.terminate(GRACE));
        };
    }

    #[tokio::test]
    async fn terminate_kills_group_ignoring_sigterm_after_grace() {
        let network = NetworkGuard::create().await;
        let pod = network.add_pod("default/stubborn").await.expect("add pod");
        let dir = TempDir::new("terminate");
        let log = dir.path().join("stubborn.log");
        // Both the shell and its background child ignore SIGTERM.
        let script = "trap '' TERM; sleep 600 & echo \"child $!\"; wait";
        let mut process = RunningProcess::spawn(&spec(Some(&pod.netns), "sh", &["-c", script], log.clone()))
            .await
            .expect("spawn");
        let output = wait_for_log(&log, "child ").await;
        let child: u32 = output.trim().trim_start_matches("child ").parse().expect("child pid");

        let grace = Duration::from_millis(500);
        let started = Instant::now();
        let status = process.terminate(grace).await.expect("terminate");
        let elapsed = started.elapsed();
        assert_eq!(status, ExitStatusInfo { code: None, signal: Some(9) });
        assert!(elapsed >= grace && elapsed < grace + Duration::from_secs(3), "took {elapsed:?}");
        wait_dead(child).await;
        assert_eq!(process.try_status().expect("status"), Some(status));
        assert_eq!(process.terminate(grace).await.expect("terminate again"), status);
        network.destroy().await;
    }

    #[tokio::test]
    async fn terminate_stops_cooperative_process_without_waiting_for_grace() {
        let dir = TempDir::new("sigterm");
        let mut process = RunningProcess::spawn(&spec(None, "sleep", &["600"], dir.path().join("sleep.log")))
            .await
            .expect("spawn");
        let started = Instant::now();
        let status = process.terminate(Duration::from_secs(30)).await.expect("terminate");
        assert_eq!(status.signal, Some(15));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(status.to_string(), "killed by signal 15 (SIGTERM)");
    }

    #[tokio::test]
    async fn kill_now_reports_sigkill() {
        let network = NetworkGuard::create().await;
        let pod = network.add_pod("default/victim").await.expect("add pod");
        let dir = TempDir::new("kill");
        let mut process =
            RunningProcess::spawn(&spec(Some(&pod.netns), "sleep", &["600"], dir.path().join("s.log")))
                .await
                .expect("spawn");
        assert_eq!(process.try_status().expect("status"), None);
        process.kill_now().expect("kill");
        let status =
            tokio::time::timeout(GRACE, process.wait()).await.expect("exited in time").expect("wait");
        assert_eq!(status, ExitStatusInfo { code: None, signal: Some(9) });
        assert!(!status.success());
        process.kill_now().expect("killing an ended process is a no-op");
        network.destroy().await;
    }

    #[tokio::test]
    async fn environment_path_and_exit_code() {
        let dir = TempDir::new("env");
        let bin = dir.path().join("bin");
        fs::create_dir_all(&bin).expect("create bin");
        let script = bin.join("esb-hello");
        fs::write(&script, "#!/bin/sh\necho \"foo=$FOO path=$PATH pwd=$(pwd)\"\nenv\nexit 3\n")
            .expect("write script");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        let log = dir.path().join("logs/hello.log");
        let spec = ProcessSpec {
            env: vec![("FOO".to_owned(), "bar".to_owned())],
            extra_path_dirs: vec![bin.clone()],
            working_dir: Some(dir.path().to_owned()),
            ..spec(None, "esb-hello", &[], log.clone())
        };
        let mut process = RunningProcess::spawn(&spec).await.expect("spawn");
        let status = process.wait().await.expect("wait");
        assert_eq!(status, ExitStatusInfo { code: Some(3), signal: None });
        assert_eq!(status.to_string(), "exited with code 3");
        let output = fs::read_to_string(&log).expect("read log");
        assert!(output.contains("foo=bar "), "{output}");
        // The sandbox's own environment does not leak in, apart from PATH and HOME (PWD is the shell's).
        let mut names: Vec<&str> =
            output.lines().skip(1).filter_map(|line| line.split_once('=')).map(|(n, _)| n).collect();
        names.sort_unstable();
        assert_eq!(names, ["FOO", "HOME", "PATH", "PWD"], "{output}");
        assert!(output.contains(&format!("path={}:", bin.display())), "{output}");
        assert!(output.contains(&format!("pwd={}", dir.path().display())), "{output}");
    }

    #[tokio::test]
    async fn bind_mounts_are_visible_inside_and_absent_on_host() {
        let network = NetworkGuard::create().await;
        let pod = network.add_pod("default/etcd-0").await.expect("add pod");
        let dir = TempDir::new("mounts");
        let volume = dir.path().join("volume");
        fs::create_dir_all(&volume).expect("create volume");
        fs::write(volume.join("marker"), "volume-data").expect("write marker");
        let token = dir.path().join("token");
        fs::write(&token, "token-data").expect("write token");
        let data_dir = dir.path().join("root/var/lib/etcd");
        let token_target = dir.path().join("root/var/run/secrets/token");

        let log = dir.path().join("mounts.log");
        let script =
            format!("cat marker; echo; cat {}; echo; echo ready; exec sleep 600", token_target.display());
        let spec = ProcessSpec {
            working_dir: Some(data_dir.clone()),
            bind_mounts: vec![(volume.clone(), data_dir.clone()), (token.clone(), token_target.clone())],
            ..spec(Some(&pod.netns), "sh", &["-c", &script], log.clone())
        };
        let mut process = RunningProcess::spawn(&spec).await.expect("spawn");
        let output = wait_for_log(&log, "ready").await;
        assert!(output.contains("volume-data\ntoken-data\n"), "{output}");
        let targets = [data_dir.display().to_string(), token_target.display().to_string()];
        let mounted = |mounts: &[String]| targets.iter().any(|target| mounts.contains(target));
        assert!(!mounted(&host_mount_points()), "bind mounts leaked into the host while running");

        process.terminate(GRACE).await.expect("terminate");
        assert!(!mounted(&host_mount_points()), "bind mounts left on the host");
        assert!(!data_dir.join("marker").exists(), "the mount point on the host stays empty");
        assert_eq!(fs::read_to_string(&token_target).expect("read mount point"), "");
        network.destroy().await;
    }

    #[tokio::test]
    async fn bind_mounts_work_in_host_namespace() {
        let dir = TempDir::new("host-mounts");
        let volume = dir.path().join("volume");
        fs::create_dir_all(&volume).expect("create volume");
        fs::write(volume.join("marker"), "host-volume").expect("write marker");
        let target = dir.path().join("target");
        let log = dir.path().join("host-mounts.log");
        let marker = target.join("marker").display().to_string();
        let spec = ProcessSpec {
            bind_mounts: vec![(volume, target.clone())],
            ..spec(None, "cat", &[&marker], log.clone())
        };
        let mut process = RunningProcess::spawn(&spec).await.expect("spawn");
        assert!(process.wait().await.expect("wait").success());
        assert_eq!(fs::read_to_string(&log).expect("read log"), "host-volume");
        assert!(!host_mount_points().contains(&target.display().to_string()));
        assert!(!target.join("marker").exists());
    }

    #[tokio::test]
    async fn spawn_rejects_invalid_specs() {
        let dir = TempDir::new("invalid");
        let log = dir.path().join("never.log");
        let missing_program = spec(None, "esb-no-such-program", &[], log.clone());
        assert!(matches!(
            RunningProcess::spawn(&missing_program).await,
            Err(ProcError::ProgramNotFound { .. })
        ));
        let missing_netns = spec(Some("esb-no-such-netns"), "true", &[], log.clone());
        assert!(matches!(RunningProcess::spawn(&missing_netns).await, Err(ProcError::NetnsNotFound(_))));
        let relative_mount = ProcessSpec {
            bind_mounts: vec![(dir.path().to_owned(), "relative/target".into())],
            ..spec(None, "true", &[], log.clone())
        };
        assert!(matches!(RunningProcess::spawn(&relative_mount).await, Err(ProcError::InvalidSpec(_))));
        let missing_source = ProcessSpec {
            bind_mounts: vec![(dir.path().join("absent"), dir.path().join("target"))],
            ..spec(None, "true", &[], log.clone())
        };
        let error = RunningProcess::spawn(&missing_source).await.expect_err("missing source");
        assert!(error.to_string().contains("inspect bind mount source"), "{error}");
        assert!(!log.exists(), "nothing was started");
    }

    #[tokio::test]
    async fn dropping_a_running_process_kills_its_group() {
        let dir = TempDir::new("drop");
        let log = dir.path().join("drop.log");
        let process = RunningProcess::spawn(&spec(
            None,
            "sh",
            &["-c", "sleep 600 & echo \"child $!\"; wait"],
            log.clone(),
        ))
        .await
        .expect("spawn");
        let output = wait_for_log(&log, "child ").await;
        let child: u32 = output.trim().trim_start_matches("child ").parse().expect("child pid");
        let leader = process.pid();
        drop(process);
        wait_dead(leader).await;
        wait_dead(child).await;
    }
}
