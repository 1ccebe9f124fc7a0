//! `pods/portforward`: the WebSocket port-forward subresource, as kubectl port-forward and
//! kube-rs's `Api::<Pod>::portforward` use it, with the `v4.channel.k8s.io` framing.
//!
//! Each requested port has two channels, data `2i` and error `2i+1`. The server first sends
//! every channel's number followed by its port (little endian); after that each binary
//! message is a channel byte followed by payload. A real kubelet connects to the port inside
//! the Pod's network namespace; the sandbox connects to the Pod's IP, which reaches the same
//! socket.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::ApiError;
use super::server::ApiServer;

/// The only subprotocol served (v4 needs no half-close frames).
pub const PROTOCOL: &str = "v4.channel.k8s.io";

/// The query of a port-forward request.
#[derive(Debug, Deserialize)]
pub struct PortsQuery {
    /// `ports=2379` or `ports=2379,2380`.
    #[serde(default)]
    ports: String,
}

/// Parses `2379,2380`.
pub fn parse_ports(text: &str) -> Result<Vec<u16>, String> {
    let ports: Result<Vec<u16>, _> =
        text.split(',').filter(|p| !p.is_empty()).map(|p| p.trim().parse::<u16>()).collect();
    match ports {
        Ok(ports) if !ports.is_empty() && !ports.contains(&0) => Ok(ports),
        _ => Err(format!("invalid ports {text:?}: give ports=PORT[,PORT...], each 1..=65535")),
    }
}

/// `GET /api/v1/namespaces/{namespace}/pods/{name}/portforward?ports=...` with a WebSocket
/// upgrade.
pub async fn portforward(
    State(server): State<Arc<ApiServer>>,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<PortsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let ports = match parse_ports(&query.ports) {
        Ok(ports) => ports,
        Err(message) => return ApiError::bad_request(message).into_response(),
    };
    let pod = match server.builtin("pods").and_then(|rt| server.store.get(&rt, &namespace, &name)) {
        Ok(pod) => pod,
        Err(error) => return error.into_response(),
    };
    let Some(ip) = pod["status"]["podIP"].as_str().map(String::from) else {
        return ApiError::bad_request(format!("pod {name} has no IP yet: it is not running")).into_response();
    };
    upgrade.protocols([PROTOCOL]).on_upgrade(move |socket| bridge(socket, ip, ports))
}

/// The first message of a channel: its number and its port.
fn announce(channel: u8, port: u16) -> Message {
    let [lo, hi] = port.to_le_bytes();
    Message::Binary(vec![channel, lo, hi].into())
}

async fn bridge(socket: WebSocket, ip: String, ports: Vec<u16>) {
    let (mut sink, mut from_client) = socket.split();
    let (to_client, mut outgoing) = tokio::sync::mpsc::channel::<Message>(16);
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for (index, port) in ports.iter().enumerate() {
        let channel = u8::try_from(index * 2).unwrap_or(u8::MAX - 1);
        for message in [announce(channel, *port), announce(channel + 1, *port)] {
            if sink.send(message).await.is_err() {
                return;
            }
        }
        match tokio::net::TcpStream::connect((ip.as_str(), *port)).await {
            Ok(stream) => {
                let (read, write) = stream.into_split();
                writers.push(Some(write));
                readers.push((channel, read));
            }
            Err(error) => {
                let text = format!("error forwarding port {port} to pod at {ip}: {error}");
                let mut message = vec![channel + 1];
                message.extend_from_slice(text.as_bytes());
                let _ = sink.send(Message::Binary(message.into())).await;
                writers.push(None);
            }
        }
    }
    // One task sends everything to the client; one per port reads from the Pod.
    let sender = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut pumps = Vec::new();
    for (channel, mut read) in readers {
        let to_client = to_client.clone();
        pumps.push(tokio::spawn(async move {
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                match read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut message = Vec::with_capacity(n + 1);
                        message.push(channel);
                        message.extend_from_slice(&buffer[..n]);
                        if to_client.send(Message::Binary(message.into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }));
    }
    drop(to_client);
    let stops: Vec<tokio::task::AbortHandle> =
        pumps.iter().map(tokio::task::JoinHandle::abort_handle).collect();
    let all_read = futures::future::join_all(pumps);
    tokio::pin!(all_read);
    loop {
        tokio::select! {
            _ = &mut all_read => break,
            message = from_client.next() => match message {
                Some(Ok(Message::Binary(data))) => {
                    let Some((&channel, payload)) = data.split_first() else { continue };
                    let index = usize::from(channel / 2);
                    if channel % 2 == 0
                        && let Some(Some(writer)) = writers.get_mut(index)
                        && writer.write_all(payload).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    for writer in writers.iter_mut().flatten() {
        let _ = writer.shutdown().await;
    }
    for stop in stops {
        stop.abort();
    }
    let _ = sender.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_like_the_api_server() {
        assert_eq!(parse_ports("2379"), Ok(vec![2379]));
        assert_eq!(parse_ports("2379,2380"), Ok(vec![2379, 2380]));
        assert!(parse_ports("").is_err());
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("http").is_err());
        assert!(parse_ports("70000").is_err());
    }

    #[test]
    fn channels_are_announced_with_their_port() {
        assert_eq!(announce(1, 2379), Message::Binary(vec![1, 0x4b, 0x09].into()));
    }
}
