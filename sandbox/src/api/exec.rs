//! `pods/exec`: runs a command in a running container, as `kubectl exec` and kube-rs's
//! `Api::<Pod>::exec` use it, over a WebSocket with the Kubernetes channel framing
//! (`v5.channel.k8s.io`, else `v4.channel.k8s.io`): each binary message is a channel byte
//! then payload; stdin 0, stdout 1, stderr 2, and 3 for the final `Status` (its
//! `NonZeroExitCode` cause carries the exit code). v5 adds `[255, 0]` from the client: stdin
//! ended. The node decides how the command runs ([`Executor`]): in the Pod's network
//! namespace, with the container's image's programs, volumes and user. There is no
//! terminal: `tty=true` is served as plain pipes (no resize).

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::error::ApiError;
use super::server::ApiServer;

/// The subprotocols served, preferred first.
pub const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const STATUS: u8 = 3;
/// v5: the client closes a channel (`[255, channel]`).
const CLOSE: u8 = 255;

/// Starts commands in containers: the node's side of `pods/exec`.
pub trait Executor: Send + Sync {
    /// The command that runs `command` in container `container` of the Pod with UID `uid`
    /// (`pod` names it in messages), its standard streams left to the caller.
    fn command(
        &self,
        uid: &str,
        pod: &str,
        container: &str,
        command: &[String],
    ) -> Result<Command, ExecError>;
}

/// Why a command cannot run in a container.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The container does not run (refused before the upgrade, as the kubelet does).
    #[error("container {container} is not running in pod {pod}")]
    NotRunning {
        /// The container.
        container: String,
        /// The Pod.
        pod: String,
    },
    /// The program cannot be started in it (reported on the error channel).
    #[error("error executing command in container: {0}")]
    CannotRun(String),
}

/// What an exec request asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExecQuery {
    /// The program and its arguments (`command=` repeated).
    pub command: Vec<String>,
    /// `container=`.
    pub container: Option<String>,
    /// `stdin=true`.
    pub stdin: bool,
    /// `stdout=true`.
    pub stdout: bool,
    /// `stderr=true`.
    pub stderr: bool,
}

/// Parses the query of an exec request.
pub fn parse_query(query: &str) -> ExecQuery {
    let mut parsed = ExecQuery::default();
    for (key, value) in url_pairs(query) {
        let on = value == "true" || value == "1";
        match key.as_str() {
            "command" => parsed.command.push(value),
            "container" => parsed.container = Some(value),
            "stdin" => parsed.stdin = on,
            "stdout" => parsed.stdout = on,
            "stderr" => parsed.stderr = on,
            _ => {}
        }
    }
    parsed
}

/// `a=b&c=d%20e` decoded.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The container an exec without `container=` runs in: the one the
/// `kubectl.kubernetes.io/default-container` annotation names, else the only one.
fn container_of(pod: &Value, asked: Option<&str>) -> Result<String, ApiError> {
    let names: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let chosen = asked
        .or_else(|| pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"].as_str())
        .or_else(|| (names.len() == 1).then(|| names[0]));
    match chosen {
        Some(name) if names.contains(&name) => Ok(name.to_string()),
        Some(name) => Err(ApiError::bad_request(format!(
            "container {name} is not valid for pod {}",
            pod["metadata"]["name"].as_str().unwrap_or_default()
        ))),
        None => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {}, choose one of: [{}]",
            pod["metadata"]["name"].as_str().unwrap_or_default(),
            names.join(" ")
        ))),
    }
}

/// `GET /api/v1/namespaces/{namespace}/pods/{name}/exec?command=...` with a WebSocket upgrade.
pub async fn exec(
    State(server): State<Arc<ApiServer>>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    let query = parse_query(query.as_deref().unwrap_or_default());
    match start(&server, &namespace, &name, &query) {
        Ok(command) => {
            let upgrade = upgrade.protocols(PROTOCOLS);
            let v5 = upgrade.selected_protocol().is_some_and(|p| p.as_bytes() == PROTOCOLS[0].as_bytes());
            upgrade.on_upgrade(move |socket| serve(socket, command, query, v5))
        }
        Err(error) => error.into_response(),
    }
}

/// `POST .../exec`: the SPDY upgrade kubectl falls back to when a WebSocket upgrade is
/// refused. The sandbox serves WebSockets only, so this answers the refusal (the reason
/// the WebSocket upgrade was refused), else says that SPDY is not served.
pub async fn exec_spdy(
    State(server): State<Arc<ApiServer>>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = parse_query(query.as_deref().unwrap_or_default());
    match start(&server, &namespace, &name, &query) {
        Ok(_) => ApiError::bad_request("the sandbox serves exec over WebSocket only (v5/v4.channel.k8s.io)")
            .into_response(),
        Err(error) => error.into_response(),
    }
}

/// The command of an exec request, checked: the Pod and container exist and run. A
/// program that cannot run is reported in the stream, as a kubelet reports it.
fn start(
    server: &ApiServer,
    namespace: &str,
    name: &str,
    query: &ExecQuery,
) -> Result<Result<Command, String>, ApiError> {
    if query.command.is_empty() {
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    if !(query.stdin || query.stdout || query.stderr) {
        return Err(ApiError::bad_request(
            "you must specify at least 1 of stdin, stdout, stderr".to_string(),
        ));
    }
    let pods = server.builtin("pods")?;
    let pod = server.store.get(&pods, namespace, name)?;
    let container = container_of(&pod, query.container.as_deref())?;
    let executor = server
        .executor()
        .ok_or_else(|| ApiError::bad_request(format!("pod {name} does not run: this sandbox has no node")))?;
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    match executor.command(uid, name, &container, &query.command) {
        Ok(command) => Ok(Ok(command)),
        Err(error @ ExecError::CannotRun(_)) => Ok(Err(error.to_string())),
        Err(error @ ExecError::NotRunning { .. }) => Err(ApiError::bad_request(error.to_string())),
    }
}

/// A `Status` as the kubelet sends it on the error channel when the command ended.
pub fn exit_status(command: &[String], code: Option<i32>) -> Value {
    match code {
        Some(0) => json!({"metadata": {}, "status": "Success"}),
        Some(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
                command.join(" ")
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        None => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!("command [{}] was killed by a signal", command.join(" ")),
            "reason": "InternalError",
            "code": 500,
        }),
    }
}

fn framed(channel: u8, payload: &[u8]) -> Message {
    let mut message = Vec::with_capacity(payload.len() + 1);
    message.push(channel);
    message.extend_from_slice(payload);
    Message::Binary(message.into())
}

/// Sends what `reader` reads on `channel` until it ends.
async fn pump(
    mut reader: impl AsyncRead + Unpin,
    channel: u8,
    to_client: tokio::sync::mpsc::Sender<Message>,
) {
    let mut buffer = vec![0u8; 32 * 1024];
    while let Ok(n) = reader.read(&mut buffer).await {
        if n == 0 || to_client.send(framed(channel, &buffer[..n])).await.is_err() {
            break;
        }
    }
}

async fn serve(socket: WebSocket, command: Result<Command, String>, query: ExecQuery, v5: bool) {
    use std::process::Stdio;
    let piped = |on: bool| if on { Stdio::piped() } else { Stdio::null() };
    let (mut sink, mut from_client) = socket.split();
    let spawned = command.and_then(|mut command| {
        command
            .stdin(piped(query.stdin))
            .stdout(piped(query.stdout))
            .stderr(piped(query.stderr))
            .kill_on_drop(true);
        command.spawn().map_err(|e| format!("error executing command in container: {e}"))
    });
    let mut child = match spawned {
        Ok(child) => child,
        Err(message) => {
            let status = json!({"metadata": {}, "status": "Failure", "reason": "InternalError", "code": 500, "message": message});
            let _ = sink.send(framed(STATUS, status.to_string().as_bytes())).await;
            let _ = sink.send(normal_close()).await;
            return;
        }
    };
    let (to_client, mut outgoing) = tokio::sync::mpsc::channel::<Message>(16);
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        pumps.push(tokio::spawn(pump(out, STDOUT, to_client.clone())));
    }
    if let Some(err) = child.stderr.take() {
        pumps.push(tokio::spawn(pump(err, STDERR, to_client.clone())));
    }
    drop(to_client);
    let mut stdin = child.stdin.take();
    let output_done = futures::future::join_all(pumps);
    tokio::pin!(output_done);
    let mut output_open = true;
    let status = loop {
        tokio::select! {
            Some(message) = outgoing.recv() => {
                if sink.send(message).await.is_err() {
                    break None;
                }
            }
            _ = &mut output_done, if output_open => output_open = false,
            status = child.wait(), if !output_open => break status.ok(),
            message = from_client.next() => match message {
                Some(Ok(Message::Binary(data))) => match data.split_first() {
                    Some((0, payload)) => {
                        if let Some(writer) = stdin.as_mut()
                            && writer.write_all(payload).await.is_err()
                        {
                            stdin = None;
                        }
                    }
                    Some((&CLOSE, [0])) if v5 => stdin = None,
                    _ => {}
                },
                // A v4 client that ends its stdin can only close the connection.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                Some(Ok(_)) => {}
            },
        }
    };
    while let Ok(message) = outgoing.try_recv() {
        let _ = sink.send(message).await;
    }
    if let Some(status) = status {
        let status = exit_status(&query.command, status.code());
        let _ = sink.send(framed(STATUS, status.to_string().as_bytes())).await;
    }
    let _ = sink.send(normal_close()).await;
}

/// A close frame with code 1000: kubectl reads the end of the error channel only from a
/// normal closure (an empty close frame is an error to it).
fn normal_close() -> Message {
    Message::Close(Some(axum::extract::ws::CloseFrame { code: 1000, reason: "".into() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_read_as_kubectl_sends_it() {
        let query = parse_query(
            "command=etcdctl&command=get&command=--prefix&command=%2Fx&container=etcd&stdin=true&stdout=true&stderr=true&tty=false",
        );
        assert_eq!(query.command, ["etcdctl", "get", "--prefix", "/x"]);
        assert_eq!(query.container.as_deref(), Some("etcd"));
        assert!(query.stdin && query.stdout && query.stderr);
        assert_eq!(parse_query("command=sh&command=-c&command=echo+a%20b").command, ["sh", "-c", "echo a b"]);
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn the_status_carries_the_exit_code() {
        assert_eq!(exit_status(&[], Some(0))["status"], "Success");
        let failed = exit_status(&["sh".into(), "-c".into(), "exit 3".into()], Some(3));
        assert_eq!(failed["reason"], "NonZeroExitCode");
        assert_eq!(failed["details"]["causes"][0], json!({"reason": "ExitCode", "message": "3"}));
        assert_eq!(exit_status(&[], None)["reason"], "InternalError");
    }

    #[test]
    fn the_container_is_the_asked_one_the_default_or_the_only_one() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        assert_eq!(container_of(&pod, Some("b")).expect("asked"), "b");
        assert!(container_of(&pod, None).is_err());
        assert!(container_of(&pod, Some("c")).is_err());
        let mut annotated = pod.clone();
        annotated["metadata"]["annotations"] = json!({"kubectl.kubernetes.io/default-container": "b"});
        assert_eq!(container_of(&annotated, None).expect("default"), "b");
        let single = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "etcd"}]}});
        assert_eq!(container_of(&single, None).expect("only"), "etcd");
    }
}
