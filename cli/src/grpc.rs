//! The plugin's gRPC connections to members: etcd-client's balanced tonic channel, with
//! HTTP/2 flow-control windows sized for a member reached through the API server's
//! port-forward.
//!
//! Through a port-forward a snapshot crosses several buffers (the local bridge, the API
//! server's tunnel, the kubelet's stream) before the plugin reads it, and the member may only
//! have as much in flight as the receiver's HTTP/2 window allows: hyper's default 2 MiB per
//! stream kept a snapshot download at about 0.6x of `etcdctl snapshot save`, whose grpc-go
//! client grows its window by bandwidth-delay estimation. etcd-client builds each endpoint
//! itself, so the windows are set on the way into tonic's balanced channel.

use etcd_client::{BalancedChannelBuilder, Channel, Client, ConnectOptions};
use http::Uri;
use tokio::sync::mpsc::Sender;
use tonic::transport::Endpoint;
use tonic::transport::channel::Change;

/// The receive window of one gRPC stream (a snapshot is one stream).
const STREAM_WINDOW: u32 = 16 * 1024 * 1024;
/// The receive window of the whole connection.
const CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;

/// Connects to the members at `urls` with `options`, through channels with wide windows.
pub async fn connect(urls: &[&str], options: ConnectOptions) -> Result<Client, etcd_client::Error> {
    Client::connect_with_balanced_channel(urls, Some(options), WideWindows).await
}

/// Makes tonic's balanced channel and sets every endpoint's windows as it is inserted.
struct WideWindows;

impl BalancedChannelBuilder for WideWindows {
    type Error = etcd_client::Error;

    fn balanced_channel(
        self,
        buffer_size: usize,
    ) -> Result<(Channel, Sender<Change<Uri, Endpoint>>), Self::Error> {
        let (channel, tonic_changes) = tonic::transport::Channel::balance_channel(buffer_size);
        let (changes, mut received) = tokio::sync::mpsc::channel(buffer_size);
        tokio::spawn(async move {
            while let Some(change) = received.recv().await {
                if tonic_changes.send(widened(change)).await.is_err() {
                    return;
                }
            }
        });
        Ok((Channel::Tonic(channel), changes))
    }
}

/// An inserted endpoint with the plugin's windows; other changes as they are.
fn widened(change: Change<Uri, Endpoint>) -> Change<Uri, Endpoint> {
    match change {
        Change::Insert(uri, endpoint) => Change::Insert(
            uri,
            endpoint
                .initial_stream_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW),
        ),
        other => other,
    }
}
