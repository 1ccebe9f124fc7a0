//! Readiness, liveness and startup probes, performed the way a kubelet does them.
//!
//! Exec probes run inside the Pod's network namespace; TCP and HTTP probes connect from the host
//! to the Pod's address. Probes only ever target loopback or sandbox addresses (see
//! [`is_sandbox_address`]); any other address fails without a packet being sent.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::debug;

use super::netns::is_sandbox_address;
use super::process::{ExitStatusInfo, Invocation, describe};

/// How much of an exec probe's output is kept for the failure message (the kubelet keeps 10 KiB).
const OUTPUT_LIMIT: usize = 10 * 1024;
/// Longest HTTP status line accepted.
const STATUS_LINE_LIMIT: usize = 8 * 1024;
/// The User-Agent header the kubelet sends, with our name in place of its version.
const USER_AGENT: &str = "kube-probe/etcd-sandbox";

/// A container probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Runs a command in the Pod; succeeds when it exits with code 0.
    Exec {
        /// Program and arguments (the program is looked up in the Pod's `PATH`).
        command: Vec<String>,
    },
    /// Succeeds when a TCP connection to the Pod's port can be opened.
    TcpSocket {
        /// The port.
        port: u16,
    },
    /// Sends `GET path` over HTTP/1.1; succeeds on a status from 200 to 399.
    HttpGet {
        /// The request path (an empty path means `/`).
        path: String,
        /// The port.
        port: u16,
    },
}

/// Where a probe runs: the Pod's namespace and address, and the environment for exec probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The Pod's network namespace for exec probes; `None` runs them in the host namespace.
    pub netns: Option<String>,
    /// The Pod's address, the destination of TCP and HTTP probes.
    pub pod_ip: Ipv4Addr,
    /// Directories put in front of `PATH` for exec probes.
    pub extra_path_dirs: Vec<PathBuf>,
    /// The container's environment, given to exec probes.
    pub env: Vec<(String, String)>,
}

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResult {
    /// The probe succeeded.
    Success,
    /// The probe failed; the message says why.
    Failure(String),
}

impl ProbeResult {
    /// Whether the probe succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, ProbeResult::Success)
    }
}

/// Runs `probe` against `target`, failing it if it takes longer than `timeout`.
pub async fn run_probe(probe: &Probe, target: &ProbeTarget, timeout: Duration) -> ProbeResult {
    let result = match probe {
        Probe::Exec { command } => exec_probe(command, target, timeout).await,
        Probe::TcpSocket { port } => match checked_address(target.pod_ip, *port) {
            Ok(address) => tcp_probe(address, timeout).await,
            Err(failure) => failure,
        },
        Probe::HttpGet { path, port } => match checked_address(target.pod_ip, *port) {
            Ok(address) => http_probe(address, path, timeout).await,
            Err(failure) => failure,
        },
    };
    debug!(?probe, pod_ip = %target.pod_ip, netns = target.netns.as_deref().unwrap_or("<host>"), ?result, "ran probe");
    result
}

/// The socket address to probe, unless it lies outside the sandbox.
fn checked_address(ip: Ipv4Addr, port: u16) -> Result<SocketAddrV4, ProbeResult> {
    if is_sandbox_address(ip) {
        Ok(SocketAddrV4::new(ip, port))
    } else {
        Err(ProbeResult::Failure(format!(
            "refusing to probe {ip}: only loopback and sandbox subnet addresses are probed"
        )))
    }
}

async fn exec_probe(command: &[String], target: &ProbeTarget, timeout: Duration) -> ProbeResult {
    let Some((program, args)) = command.split_first() else {
        return ProbeResult::Failure("exec probe has an empty command".to_owned());
    };
    let invocation = Invocation {
        netns: target.netns.as_deref(),
        program: Path::new(program),
        args,
        env: &target.env,
        extra_path_dirs: &target.extra_path_dirs,
        bind_mounts: &[],
        working_dir: None,
        isolation: None,
    };
    let mut cmd = match invocation.command() {
        Ok(cmd) => cmd,
        Err(error) => return ProbeResult::Failure(format!("exec probe {command:?}: {error}")),
    };
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(error) => return ProbeResult::Failure(format!("could not start `{}`: {error}", describe(&cmd))),
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let pid = child.id();
    let finished = tokio::time::timeout(timeout, async {
        let (status, mut output, errors) =
            tokio::join!(child.wait(), read_capped(stdout), read_capped(stderr));
        output.extend(errors);
        (status, output)
    })
    .await;
    match finished {
        Ok((Ok(status), _)) if status.success() => ProbeResult::Success,
        Ok((Ok(status), output)) => {
            let mut output = String::from_utf8_lossy(&output).trim().to_owned();
            if output.is_empty() {
                output.push_str("(no output)");
            }
            ProbeResult::Failure(format!("exec probe {command:?} {}: {output}", ExitStatusInfo::from(status)))
        }
        Ok((Err(error), _)) => {
            ProbeResult::Failure(format!("exec probe {command:?}: could not wait: {error}"))
        }
        Err(_) => {
            // The command leads its own process group; it has not been reaped, so the group ID is
            // still its own.
            if let Some(pgid) = pid.and_then(|pid| i32::try_from(pid).ok()) {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
            let _ = child.wait().await;
            ProbeResult::Failure(format!("exec probe {command:?} timed out after {timeout:?}"))
        }
    }
}

/// Reads a stream to its end, keeping the first [`OUTPUT_LIMIT`] bytes.
async fn read_capped(stream: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut stream) = stream else { return kept };
    let mut buffer = [0u8; 4096];
    while let Ok(read) = stream.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        let room = OUTPUT_LIMIT.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..read.min(room)]);
    }
    kept
}

async fn tcp_probe(address: SocketAddrV4, timeout: Duration) -> ProbeResult {
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(_stream)) => ProbeResult::Success,
        Ok(Err(error)) => ProbeResult::Failure(format!("dial tcp {address}: {error}")),
        Err(_) => ProbeResult::Failure(format!("dial tcp {address}: timed out after {timeout:?}")),
    }
}

async fn http_probe(address: SocketAddrV4, path: &str, timeout: Duration) -> ProbeResult {
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/')
        || path.bytes().any(|byte| byte.is_ascii_whitespace() || byte.is_ascii_control())
    {
        return ProbeResult::Failure(format!("invalid HTTP probe path {path:?}"));
    }
    let url = format!("http://{address}{path}");
    match tokio::time::timeout(timeout, http_status(address, path)).await {
        Ok(Ok(status)) if (200..=399).contains(&status) => ProbeResult::Success,
        Ok(Ok(status)) => {
            ProbeResult::Failure(format!("HTTP probe failed with statuscode: {status} (GET {url})"))
        }
        Ok(Err(error)) => ProbeResult::Failure(format!("GET {url}: {error}")),
        Err(_) => ProbeResult::Failure(format!("GET {url}: timed out after {timeout:?}")),
    }
}

/// Sends `GET path` and returns the response's status code.
async fn http_status(address: SocketAddrV4, path: &str) -> Result<u16, String> {
    let mut stream =
        TcpStream::connect(address).await.map_err(|error| format!("dial tcp {address}: {error}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(|error| format!("sending request: {error}"))?;
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    let line_end = loop {
        if let Some(end) = response.windows(2).position(|pair| pair == b"\r\n") {
            break end;
        }
        if response.len() > STATUS_LINE_LIMIT {
            return Err("status line too long".to_owned());
        }
        let read = stream.read(&mut buffer).await.map_err(|error| format!("reading response: {error}"))?;
        if read == 0 {
            return Err("connection closed before a status line was received".to_owned());
        }
        response.extend_from_slice(&buffer[..read]);
    };
    let line = String::from_utf8_lossy(&response[..line_end]);
    let mut parts = line.split(' ');
    match (parts.next(), parts.next().and_then(|code| code.parse::<u16>().ok())) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => Ok(code),
        _ => Err(format!("malformed status line {line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::netns::testing::{NetworkGuard, TempDir, python3, spawn_listener, spec, wait_for_log};
    use super::super::process::{ProcessSpec, RunningProcess};
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(2);
    const GRACE: Duration = Duration::from_secs(5);

    fn target(netns: Option<&str>, pod_ip: Ipv4Addr) -> ProbeTarget {
        ProbeTarget { netns: netns.map(str::to_owned), pod_ip, extra_path_dirs: Vec::new(), env: Vec::new() }
    }

    fn exec(command: &[&str]) -> Probe {
        Probe::Exec { command: command.iter().map(|arg| (*arg).to_owned()).collect() }
    }

    fn failure(result: ProbeResult) -> String {
        match result {
            ProbeResult::Failure(message) => message,
            ProbeResult::Success => panic!("the probe should have failed"),
        }
    }

    #[test]
    fn run_probe_future_is_send() {
        fn send<T: Send>(_: T) {}
        let _ = |probe: &Probe, target: &ProbeTarget| send(run_probe(probe, target, TIMEOUT));
    }

    #[tokio::test]
    async fn exec_probe_runs_in_pod_namespace() {
        let network = NetworkGuard::create().await;
        let pod = network.add_pod("default/etcd-0").await.expect("add pod");
        let in_pod = target(Some(&pod.netns), pod.ip);
        let has_pod_address = format!("ip -4 -o addr show dev eth0 | grep -q 'inet {}/24'", pod.ip);
        let probe = exec(&["sh", "-c", &has_pod_address]);
        assert_eq!(run_probe(&probe, &in_pod, TIMEOUT).await, ProbeResult::Success);
        assert!(
            !run_probe(&probe, &target(None, pod.ip), TIMEOUT).await.is_success(),
            "host has no Pod address"
        );

        let message =
            failure(run_probe(&exec(&["sh", "-c", "echo boom >&2; exit 2"]), &in_pod, TIMEOUT).await);
        assert!(message.contains("exited with code 2") && message.contains("boom"), "{message}");
        let with_env = ProbeTarget { env: vec![("ROLE".to_owned(), "etcd".to_owned())], ..in_pod.clone() };
        let check_env = exec(&["sh", "-c", "test \"$ROLE\" = etcd"]);
        assert_eq!(run_probe(&check_env, &with_env, TIMEOUT).await, ProbeResult::Success);
        assert!(failure(run_probe(&exec(&[]), &in_pod, TIMEOUT).await).contains("empty command"));
        assert!(
            failure(run_probe(&exec(&["esb-no-such-tool"]), &in_pod, TIMEOUT).await).contains("not found")
        );

        let started = Instant::now();
        let timeout = Duration::from_millis(300);
        let message = failure(run_probe(&exec(&["sh", "-c", "sleep 30"]), &in_pod, timeout).await);
        assert!(message.contains("timed out"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
        network.destroy().await;
    }

    #[tokio::test]
    async fn tcp_probe_detects_listener() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("tcp-probe");
        let pod = network.add_pod("default/etcd-0").await.expect("add pod");
        let mut listener = spawn_listener(&pod.netns, 2379, "hi", &dir).await;
        let at_pod = target(Some(&pod.netns), pod.ip);
        assert_eq!(run_probe(&Probe::TcpSocket { port: 2379 }, &at_pod, TIMEOUT).await, ProbeResult::Success);
        let message = failure(run_probe(&Probe::TcpSocket { port: 2380 }, &at_pod, TIMEOUT).await);
        assert!(message.contains(&format!("{}:2380", pod.ip)), "{message}");
        // An answer that is not HTTP fails an HTTP probe.
        let message =
            failure(run_probe(&Probe::HttpGet { path: "/".into(), port: 2379 }, &at_pod, TIMEOUT).await);
        assert!(message.starts_with(&format!("GET http://{}:2379/: ", pod.ip)), "{message}");
        listener.terminate(GRACE).await.expect("stop listener");
        network.destroy().await;
    }

    #[tokio::test]
    async fn http_probe_checks_status_code() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("http-probe");
        let pod = network.add_pod("default/etcd-0").await.expect("add pod");
        let root = dir.path().join("www");
        std::fs::create_dir_all(root.join("sub")).expect("create web root");
        std::fs::write(root.join("health"), "ok").expect("write health");
        let log = dir.path().join("http.log");
        let spec = ProcessSpec {
            working_dir: Some(root),
            ..spec(Some(&pod.netns), python3(), &["-u", "-m", "http.server", "8080"], log.clone())
        };
        let mut server = RunningProcess::spawn(&spec).await.expect("spawn http server");
        wait_for_log(&log, "Serving HTTP").await;

        let at_pod = target(Some(&pod.netns), pod.ip);
        let get = |path: &str| Probe::HttpGet { path: path.to_owned(), port: 8080 };
        assert_eq!(run_probe(&get("/health"), &at_pod, TIMEOUT).await, ProbeResult::Success);
        assert_eq!(run_probe(&get(""), &at_pod, TIMEOUT).await, ProbeResult::Success);
        assert_eq!(run_probe(&get("/sub"), &at_pod, TIMEOUT).await, ProbeResult::Success, "a 301 counts");
        let message = failure(run_probe(&get("/missing"), &at_pod, TIMEOUT).await);
        assert!(message.contains("statuscode: 404"), "{message}");
        assert!(failure(run_probe(&get("no-slash"), &at_pod, TIMEOUT).await).contains("invalid"));
        server.terminate(GRACE).await.expect("stop http server");
        assert!(!run_probe(&get("/health"), &at_pod, TIMEOUT).await.is_success(), "the server is gone");
        network.destroy().await;
    }

    #[tokio::test]
    async fn probes_refuse_addresses_outside_the_sandbox() {
        // 0.0.0.0 is outside the sandbox ranges, yet would only reach this host if it were dialled.
        let elsewhere = target(None, Ipv4Addr::UNSPECIFIED);
        for probe in [Probe::TcpSocket { port: 2379 }, Probe::HttpGet { path: "/".into(), port: 2379 }] {
            let message = failure(run_probe(&probe, &elsewhere, TIMEOUT).await);
            assert!(message.contains("refusing"), "{message}");
        }
    }
}
