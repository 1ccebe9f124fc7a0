//! The sandbox's private network: one Linux bridge per running sandbox and one network namespace
//! per Pod, plumbed with iproute2 (`ip`).
//!
//! A sandbox owns the subnet `10.244.N.0/24` for an index `N` in 100..=199, which it claims by
//! holding an exclusive `flock` on `/run/etcd-sandbox/net-N.lock` for its whole life. Everything it
//! creates carries `N` in its name, so the leftovers of a sandbox that died without cleaning up can
//! be found and removed by the next one:
//!
//! | object                    | name                          |
//! |---------------------------|-------------------------------|
//! | bridge (gateway `.1`)     | `esbrN`                       |
//! | Pod network namespace     | `esbN-<id>`                   |
//! | host end of a Pod veth    | `esvN-<id>` (Pod end: `eth0`) |
//! | Pod `hosts`/`resolv.conf` | `/etc/netns/esbN-<id>/`     |
//!
//! Nothing here routes beyond the bridge: no default route or forwarding is configured on the host,
//! so Pods reach only each other and the host. Pods get no DNS server (their `resolv.conf` names
//! their own loopback), and IPv6 address autoconfiguration is switched off on the bridge and the
//! veths, so that no DNS query or link-local chatter is addressed outside the sandbox either.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::Command;
use tracing::debug;

use super::process::find_tool;

/// Directory holding the per-subnet lock files `net-N.lock`.
pub const LOCK_DIR: &str = "/run/etcd-sandbox";
/// Directory whose per-namespace subdirectories `ip netns exec` bind-mounts over `/etc`.
pub const NETNS_ETC_DIR: &str = "/etc/netns";
/// Directory where iproute2 keeps its named network namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";
/// The subnet indexes `N` a sandbox may claim; its subnet is `10.244.N.0/24`.
pub const SUBNET_INDEXES: RangeInclusive<u8> = 100..=199;

/// Host parts of the Pod addresses inside a subnet (`.1` is the gateway on the bridge).
const POD_HOSTS: RangeInclusive<u8> = 2..=254;
/// Pod ids are at most this many decimal digits, keeping `esvNNN-<id>` within the 15 characters
/// Linux allows for an interface name.
const POD_ID_LIMIT: u32 = 100_000_000;
/// A route or address with a shorter prefix than this does not keep a subnet from being claimed
/// (our more specific /24 simply takes precedence over e.g. a default route or a VPN's /1 routes).
const MIN_CONFLICTING_PREFIX: u8 = 8;
/// How often claiming a lock file is retried when its previous holder unlinks it under us.
const CLAIM_ATTEMPTS: usize = 5;
/// The Pods' `/etc/resolv.conf`: Pods resolve names through their hosts file only. A name missing
/// there fails at once (nothing listens on the Pod's own loopback), instead of waiting for DNS
/// queries that would be addressed outside the sandbox and dropped by the host.
const RESOLV_CONF: &str = "# etcd-sandbox: Pods have no DNS server; names resolve through /etc/hosts only.\n\
                           nameserver 127.0.0.1\n\
                           options timeout:1 attempts:1\n";
/// Route types that `ip route` prints in front of the destination.
const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "multicast",
    "anycast",
    "unreachable",
    "blackhole",
    "prohibit",
    "throw",
    "nat",
];

/// Errors of the sandbox network layer.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// An `ip` command exited unsuccessfully.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line that was run.
        command: String,
        /// How it exited.
        status: ExitStatus,
        /// What it wrote to stderr (trimmed).
        stderr: String,
    },
    /// An external command could not be started.
    #[error("could not run `{command}`: {source}")]
    Spawn {
        /// The command line that was attempted.
        command: String,
        /// Why starting it failed.
        #[source]
        source: io::Error,
    },
    /// A tool or a file on the machine failed.
    #[error(transparent)]
    Host(#[from] super::HostError),
    /// Every subnet index is locked by a live sandbox or overlaps an existing route.
    #[error(
        "no free sandbox subnet: every 10.244.N.0/24 with N in 100..=199 is claimed by a running sandbox \
         or overlaps an existing route or address"
    )]
    NoFreeSubnet,
    /// The sandbox's subnet has no free Pod address left.
    #[error("no free Pod address left in {subnet}")]
    AddressesExhausted {
        /// The exhausted subnet.
        subnet: String,
    },
    /// `add_pod` was called twice for the same Pod.
    #[error("Pod {pod_key:?} already has network namespace {netns}")]
    DuplicatePod {
        /// The Pod's key.
        pod_key: String,
        /// Its existing namespace.
        netns: String,
    },
    /// The Pod network handle does not belong to this sandbox network.
    #[error("network namespace {netns} is not a Pod of sandbox network {subnet}")]
    UnknownPod {
        /// The namespace named by the handle.
        netns: String,
        /// This network's subnet.
        subnet: String,
    },
    /// A host name cannot be written to a hosts file.
    #[error("invalid host name {name:?} for the hosts file of {netns}")]
    InvalidHostName {
        /// The Pod's namespace.
        netns: String,
        /// The rejected name.
        name: String,
    },
    /// A process left inside a Pod namespace could not be killed.
    #[error("could not kill process {pid} left in network namespace {netns}: {source}")]
    Kill {
        /// The process.
        pid: i32,
        /// The namespace it runs in.
        netns: String,
        /// The error from kill(2).
        #[source]
        source: Errno,
    },
}

/// A Pod's network: its namespace, address and the host end of its veth pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodNetwork {
    /// Name of the network namespace (`esbN-<id>`), usable with `ip netns exec`.
    pub netns: String,
    /// The Pod's address in the sandbox subnet.
    pub ip: Ipv4Addr,
    /// Name of the veth end attached to the bridge in the host namespace (`esvN-<id>`).
    pub host_veth: String,
}

/// What [`Network::cleanup_stale`] removed, per subnet of a dead sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// One entry per stale subnet that was cleaned up.
    pub subnets: Vec<StaleSubnet>,
}

impl CleanupReport {
    /// Whether nothing stale was found.
    pub fn is_empty(&self) -> bool {
        self.subnets.is_empty()
    }
}

/// The leftovers of one dead sandbox that were removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaleSubnet {
    /// The subnet index `N`.
    pub index: u8,
    /// The PID recorded in the lock file by the dead owner, if there was a lock file.
    pub owner_pid: Option<u32>,
    /// Processes still running in the Pod namespaces, killed with SIGKILL.
    pub killed_pids: Vec<i32>,
    /// Network namespaces deleted.
    pub netns: Vec<String>,
    /// Links (veths and the bridge) deleted.
    pub links: Vec<String>,
    /// `/etc/netns/...` directories removed.
    pub etc_dirs: Vec<PathBuf>,
}

/// The private network of one running sandbox: a bridge owning `10.244.N.0/24` and the Pods on it.
///
/// Call [`Network::destroy`] to remove it. A `Network` that is dropped instead behaves like a
/// sandbox that was killed: its lock is released and its leftovers are removed by the next
/// [`Network::cleanup_stale`] (which every [`Network::create`] runs first).
#[derive(Debug)]
pub struct Network {
    index: u8,
    lock: SubnetLock,
    pods: Mutex<Pods>,
}

/// The Pods of a network, keyed by namespace name.
#[derive(Debug, Default)]
struct Pods {
    by_netns: BTreeMap<String, PodEntry>,
    last_id: u32,
    /// The host part of the address handed out last; the next Pod gets the next free one.
    last_host: u8,
}

#[derive(Debug)]
struct PodEntry {
    pod_key: String,
    ip: Ipv4Addr,
}

impl Network {
    /// Claims a free subnet index and creates the bridge `esbrN` with address `10.244.N.1/24`.
    ///
    /// Runs [`Network::cleanup_stale`] first. A subnet is free when its lock file can be locked and
    /// no route or address of the host (outside our bridges) overlaps it.
    pub async fn create() -> Result<Network, NetError> {
        let stale = Self::cleanup_stale().await?;
        if !stale.is_empty() {
            debug!(subnets = ?stale.subnets.iter().map(|s| s.index).collect::<Vec<_>>(), "removed stale sandbox networks");
        }
        let occupied = occupied_indexes().await?;
        for index in SUBNET_INDEXES.filter(|index| !occupied.contains(index)) {
            let Some(lock) = SubnetLock::try_claim(index)? else { continue };
            // The previous owner may have died after cleanup_stale looked: whatever carries our index
            // now is garbage, since we hold the lock.
            let mut leftovers = StaleSubnet { index, ..StaleSubnet::default() };
            let created = match purge_index(index, &mut leftovers).await {
                Ok(()) => create_bridge(index).await,
                Err(error) => Err(error),
            };
            if leftovers != (StaleSubnet { index, ..StaleSubnet::default() }) {
                debug!(index, netns = ?leftovers.netns, links = ?leftovers.links, "removed leftovers of the subnet's previous owner");
            }
            return match created {
                Ok(()) => Ok(Network { index, lock, pods: Mutex::new(Pods::default()) }),
                Err(error) => {
                    // Best effort: the original error is the one worth reporting.
                    let _ = delete_link(&bridge_name(index)).await;
                    let _ = lock.release(true);
                    Err(error)
                }
            };
        }
        Err(NetError::NoFreeSubnet)
    }

    /// The claimed subnet index `N`.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The bridge's address, `10.244.N.1`, which is the Pods' default gateway.
    pub fn gateway(&self) -> Ipv4Addr {
        subnet_address(self.index, 1)
    }

    /// The subnet in CIDR notation, `10.244.N.0/24`.
    pub fn subnet_cidr(&self) -> String {
        format!("{}/24", subnet_address(self.index, 0))
    }

    /// The bridge's name, `esbrN`.
    pub fn bridge(&self) -> String {
        bridge_name(self.index)
    }

    /// Creates a network namespace for a Pod, wired to the bridge with a veth pair.
    ///
    /// The Pod gets the next free address `10.244.N.x` after the one handed out last (x in
    /// 2..=254, wrapping around; see [`next_free_host`]), `lo` and `eth0` up, a default route via the gateway, an initial
    /// hosts file (see [`Network::write_hosts`]) and a `resolv.conf` without a reachable DNS
    /// server, so names resolve through the hosts file only.
    pub async fn add_pod(&self, pod_key: &str) -> Result<PodNetwork, NetError> {
        let pod = self.reserve_pod(pod_key)?;
        match self.plumb_pod(&pod).await {
            Ok(()) => {
                debug!(pod_key, netns = %pod.netns, ip = %pod.ip, host_veth = %pod.host_veth, "added Pod network");
                Ok(pod)
            }
            Err(error) => {
                // Best effort rollback; the original error is the one worth reporting.
                let _ = delete_link(&pod.host_veth).await;
                let _ = delete_netns(&pod.netns).await;
                let _ = remove_etc_dir(&pod.netns);
                self.pods().by_netns.remove(&pod.netns);
                Err(error)
            }
        }
    }

    /// Removes a Pod's network: kills processes still inside it, deletes the veth pair and the
    /// namespace, removes `/etc/netns/<netns>/` and frees the address.
    ///
    /// On error the address stays reserved, so it is not handed to a new Pod while the old
    /// namespace might still be attached to the bridge.
    pub async fn remove_pod(&self, pod: &PodNetwork) -> Result<(), NetError> {
        self.check_member(pod)?;
        let killed = kill_netns_processes(&pod.netns).await?;
        delete_link(&pod.host_veth).await?;
        delete_netns(&pod.netns).await?;
        remove_etc_dir(&pod.netns)?;
        self.pods().by_netns.remove(&pod.netns);
        debug!(netns = %pod.netns, ip = %pod.ip, killed_pids = ?killed, "removed Pod network");
        Ok(())
    }

    /// Writes `/etc/netns/<netns>/hosts`, which `ip netns exec` bind-mounts over `/etc/hosts` for
    /// the processes it starts.
    ///
    /// The file is rewritten in place, so processes that already run see the new entries (a bind
    /// mount pins the file, not its path); [`Network::add_pod`] writes an initial one so that this
    /// holds for processes started before the first call. It starts with the `localhost` entries a
    /// kubelet writes, followed by `entries`.
    pub fn write_hosts(&self, pod: &PodNetwork, entries: &[(Ipv4Addr, Vec<String>)]) -> Result<(), NetError> {
        self.check_member(pod)?;
        write_hosts_file(&pod.netns, entries)
    }

    /// Fault injection: cuts the Pod off the network by setting the host end of its veth down
    /// (`isolated = true`), or heals it by setting it up again.
    pub async fn set_isolated(&self, pod: &PodNetwork, isolated: bool) -> Result<(), NetError> {
        self.check_member(pod)?;
        let state = if isolated { "down" } else { "up" };
        ip(&["link", "set", "dev", &pod.host_veth, state]).await?;
        if !isolated {
            // Healing is done when traffic can flow again: the link's carrier comes up a
            // moment after it is set up. Wait for that (briefly) so callers see a healed Pod.
            for _ in 0..100 {
                let shown = ip(&["-o", "link", "show", "dev", &pod.host_veth]).await?;
                if shown.contains("state UP") {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        debug!(netns = %pod.netns, host_veth = %pod.host_veth, isolated, "changed Pod isolation");
        Ok(())
    }

    /// Removes every Pod namespace (killing processes left in them), every veth, every
    /// `/etc/netns/esbN-*` directory, the bridge, and finally the lock file.
    ///
    /// All steps are attempted even if one fails; the first error is returned, and the lock file is
    /// then kept so that [`Network::cleanup_stale`] retries later.
    pub async fn destroy(self) -> Result<(), NetError> {
        let Network { index, lock, pods } = self;
        let mut removed = StaleSubnet { index, ..StaleSubnet::default() };
        let result = purge_index(index, &mut removed).await;
        let pods = pods.into_inner().unwrap_or_else(PoisonError::into_inner);
        lock.release(result.is_ok())?;
        debug!(index, pods = pods.by_netns.len(), netns = ?removed.netns, links = ?removed.links,
            killed_pids = ?removed.killed_pids, ok = result.is_ok(), "destroyed sandbox network");
        result
    }

    /// Removes the leftovers of sandboxes that died without calling [`Network::destroy`].
    ///
    /// A subnet index is stale when it shows up in a lock file, a bridge `esbrN`, a veth `esvN-*`,
    /// a namespace `esbN-*` or a directory `/etc/netns/esbN-*`, and its lock can be taken (so its
    /// owner is dead, or there never was a lock file). For each, processes still inside its Pod
    /// namespaces are killed, then its veths, namespaces, `/etc/netns` directories, bridge and
    /// lock file are removed. Subnets of live sandboxes, including those of this process, are left
    /// alone.
    pub async fn cleanup_stale() -> Result<CleanupReport, NetError> {
        let mut candidates = BTreeSet::new();
        candidates.extend(
            read_dir_names(Path::new(LOCK_DIR))?.iter().filter_map(|name| parse_lock_file_name(name)),
        );
        candidates.extend(list_links().await?.iter().filter_map(|name| parse_link_name(name)));
        candidates.extend(list_netns().await?.iter().filter_map(|name| parse_pod_name(name, "esb")));
        candidates.extend(
            read_dir_names(Path::new(NETNS_ETC_DIR))?.iter().filter_map(|name| parse_pod_name(name, "esb")),
        );

        let mut report = CleanupReport::default();
        for index in candidates {
            let Some(lock) = SubnetLock::try_claim(index)? else { continue };
            let mut stale = StaleSubnet { index, owner_pid: lock.previous_owner, ..StaleSubnet::default() };
            let result = purge_index(index, &mut stale).await;
            lock.release(result.is_ok())?;
            result?;
            debug!(index, owner_pid = ?stale.owner_pid, netns = ?stale.netns, links = ?stale.links,
                killed_pids = ?stale.killed_pids, "removed stale sandbox network");
            report.subnets.push(stale);
        }
        Ok(report)
    }

    /// Allocates an id and an address for a new Pod and records it.
    fn reserve_pod(&self, pod_key: &str) -> Result<PodNetwork, NetError> {
        let mut pods = self.pods();
        if let Some((netns, _)) = pods.by_netns.iter().find(|(_, entry)| entry.pod_key == pod_key) {
            return Err(NetError::DuplicatePod { pod_key: pod_key.to_owned(), netns: netns.clone() });
        }
        let used: BTreeSet<Ipv4Addr> = pods.by_netns.values().map(|entry| entry.ip).collect();
        let host = next_free_host(pods.last_host, |host| used.contains(&subnet_address(self.index, host)))
            .ok_or_else(|| NetError::AddressesExhausted { subnet: self.subnet_cidr() })?;
        pods.last_host = host;
        let ip = subnet_address(self.index, host);
        // At most 253 Pods exist at a time, so a free id is found long before wrapping around.
        let netns = loop {
            pods.last_id = pods.last_id % (POD_ID_LIMIT - 1) + 1;
            let candidate = format!("esb{}-{}", self.index, pods.last_id);
            if !pods.by_netns.contains_key(&candidate) {
                break candidate;
            }
        };
        let host_veth = format!("esv{}-{}", self.index, pods.last_id);
        pods.by_netns.insert(netns.clone(), PodEntry { pod_key: pod_key.to_owned(), ip });
        Ok(PodNetwork { netns, ip, host_veth })
    }

    /// Creates the namespace, the veth pair and the addressing of a reserved Pod.
    async fn plumb_pod(&self, pod: &PodNetwork) -> Result<(), NetError> {
        let ns = pod.netns.as_str();
        let address = format!("{}/24", pod.ip);
        let gateway = self.gateway().to_string();
        let bridge = self.bridge();
        ip(&["netns", "add", ns]).await?;
        debug!(netns = ns, "created network namespace");
        ip(&["link", "add", &pod.host_veth, "type", "veth", "peer", "name", "eth0", "netns", ns]).await?;
        debug!(netns = ns, host_veth = %pod.host_veth, "created veth pair");
        if ipv6_enabled() {
            ip(&["link", "set", "dev", &pod.host_veth, "addrgenmode", "none"]).await?;
            ip(&["-n", ns, "link", "set", "dev", "eth0", "addrgenmode", "none"]).await?;
        }
        ip(&["link", "set", "dev", &pod.host_veth, "master", &bridge, "up"]).await?;
        debug!(host_veth = %pod.host_veth, bridge = %bridge, "attached veth to bridge");
        // An address used before (after the range wrapped around) may still have a neighbour
        // entry pointing at the old Pod's MAC; until it expired, the host could not reach the
        // new Pod.
        ip(&["neigh", "flush", "to", &pod.ip.to_string(), "dev", &bridge]).await?;
        ip(&["-n", ns, "addr", "add", &address, "dev", "eth0"]).await?;
        ip(&["-n", ns, "link", "set", "dev", "lo", "up"]).await?;
        ip(&["-n", ns, "link", "set", "dev", "eth0", "up"]).await?;
        ip(&["-n", ns, "route", "add", "default", "via", &gateway, "dev", "eth0"]).await?;
        debug!(netns = ns, address = %address, gateway = %gateway, "configured Pod interfaces");
        write_hosts_file(ns, &[])?;
        let resolv_conf = etc_dir(ns).join("resolv.conf");
        fs::write(&resolv_conf, RESOLV_CONF)
            .map_err(|source| io_error("write resolv.conf", &resolv_conf, source))?;
        debug!(netns = ns, path = %resolv_conf.display(), "wrote Pod resolv.conf");
        Ok(())
    }

    fn check_member(&self, pod: &PodNetwork) -> Result<(), NetError> {
        if self.pods().by_netns.contains_key(&pod.netns) {
            Ok(())
        } else {
            Err(NetError::UnknownPod { netns: pod.netns.clone(), subnet: self.subnet_cidr() })
        }
    }

    fn pods(&self) -> MutexGuard<'_, Pods> {
        self.pods.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The host part of the next Pod address: the first after `last` (wrapping around
/// [`POD_HOSTS`]) that `taken` does not claim, like the round-robin `host-local` IPAM of
/// Kubernetes networks. A replaced Pod gets a new address rather than the one just freed, as
/// on a real node; `None` when every address is taken.
fn next_free_host(last: u8, taken: impl Fn(u8) -> bool) -> Option<u8> {
    let (first, end) = (*POD_HOSTS.start(), *POD_HOSTS.end());
    let after = if POD_HOSTS.contains(&last) && last < end { last + 1 } else { first };
    (after..=end).chain(first..after).find(|&host| !taken(host))
}

/// Whether `ip` belongs to the addresses a sandbox may talk to: loopback or a sandbox subnet.
pub fn is_sandbox_address(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback() || (a == 10 && b == 244 && SUBNET_INDEXES.contains(&c))
}

/// Path of the file that names network namespace `name` for iproute2.
pub fn netns_path(name: &str) -> PathBuf {
    Path::new(NETNS_RUN_DIR).join(name)
}

/// An exclusive `flock` on `/run/etcd-sandbox/net-N.lock`, containing the owner's PID.
#[derive(Debug)]
struct SubnetLock {
    index: u8,
    path: PathBuf,
    /// Holds the lock for as long as it is open.
    file: File,
    /// The PID the previous owner wrote, if the file existed.
    previous_owner: Option<u32>,
}

impl SubnetLock {
    /// Takes the lock of subnet `index`, creating the lock file if needed; `None` when a live owner
    /// holds it.
    fn try_claim(index: u8) -> Result<Option<SubnetLock>, NetError> {
        let dir = Path::new(LOCK_DIR);
        fs::create_dir_all(dir).map_err(|source| io_error("create directory", dir, source))?;
        let path = lock_path(index);
        for _ in 0..CLAIM_ATTEMPTS {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|source| io_error("open lock file", &path, source))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(source)) => return Err(io_error("lock", &path, source)),
            }
            // A previous holder may have unlinked the file between our open and our lock; then we
            // locked an orphaned inode and must retry with whatever the path names now.
            let held = file.metadata().map_err(|source| io_error("inspect lock file", &path, source))?;
            match fs::metadata(&path) {
                Ok(current) if current.dev() == held.dev() && current.ino() == held.ino() => {}
                Ok(_) => continue,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(io_error("inspect lock file", &path, source)),
            }
            let mut previous = String::new();
            file.read_to_string(&mut previous).map_err(|source| io_error("read lock file", &path, source))?;
            let write_pid = |file: &mut File| -> io::Result<()> {
                file.set_len(0)?;
                file.rewind()?;
                writeln!(file, "{}", std::process::id())
            };
            write_pid(&mut file).map_err(|source| io_error("write lock file", &path, source))?;
            debug!(index, path = %path.display(), "claimed sandbox subnet lock");
            return Ok(Some(SubnetLock { index, path, file, previous_owner: previous.trim().parse().ok() }));
        }
        Ok(None)
    }

    /// Releases the lock, first unlinking the lock file if `remove_file` (while still holding the
    /// lock, so nobody can claim the inode being removed).
    fn release(self, remove_file: bool) -> Result<(), NetError> {
        if remove_file {
            match fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(source) => return Err(io_error("remove lock file", &self.path, source)),
            }
        }
        debug!(index = self.index, path = %self.path.display(), removed = remove_file, "released sandbox subnet lock");
        drop(self.file);
        Ok(())
    }
}

/// Writes `/etc/netns/<netns>/hosts` in place: the kubelet's `localhost` entries, then `entries`.
fn write_hosts_file(netns: &str, entries: &[(Ipv4Addr, Vec<String>)]) -> Result<(), NetError> {
    let mut content = String::from(
        "# Kubernetes-managed hosts file (etcd-sandbox).\n\
         127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         fe00::0\tip6-mcastprefix\n\
         fe00::1\tip6-allnodes\n\
         fe00::2\tip6-allrouters\n",
    );
    for (ip, names) in entries.iter().filter(|(_, names)| !names.is_empty()) {
        if let Some(bad) = names.iter().find(|name| !is_valid_host_name(name)) {
            return Err(NetError::InvalidHostName { netns: netns.to_owned(), name: bad.clone() });
        }
        content.push_str(&format!("{ip}\t{}\n", names.join(" ")));
    }
    let dir = etc_dir(netns);
    fs::create_dir_all(&dir).map_err(|source| io_error("create directory", &dir, source))?;
    let path = dir.join("hosts");
    fs::write(&path, content).map_err(|source| io_error("write hosts file", &path, source))?;
    debug!(netns, path = %path.display(), entries = entries.len(), "wrote Pod hosts file");
    Ok(())
}

/// Creates bridge `esbrN` with the gateway address and sets it up.
///
/// The bridge gets a fixed MAC address ([`bridge_mac`]). A bridge without one takes the lowest
/// MAC of its ports and changes it as Pods come and go, and every change flushes the
/// host's neighbour table for it (and leaves the Pods' entries for the gateway stale): a
/// real node's bridge keeps one address.
async fn create_bridge(index: u8) -> Result<(), NetError> {
    let bridge = bridge_name(index);
    let address = format!("{}/24", subnet_address(index, 1));
    let mac = bridge_mac(index);
    ip(&["link", "add", "name", &bridge, "address", &mac, "type", "bridge"]).await?;
    if ipv6_enabled() {
        ip(&["link", "set", "dev", &bridge, "addrgenmode", "none"]).await?;
    }
    ip(&["addr", "add", &address, "dev", &bridge]).await?;
    ip(&["link", "set", "dev", &bridge, "up"]).await?;
    debug!(bridge = %bridge, address = %address, "created sandbox bridge");
    Ok(())
}

/// The bridge's MAC address: locally administered (`02:...`), one per subnet index.
fn bridge_mac(index: u8) -> String {
    format!("02:65:74:63:64:{index:02x}")
}

/// Removes everything named after subnet `index`, recording what was removed in `removed`.
/// Every step is attempted; the first error is returned.
async fn purge_index(index: u8, removed: &mut StaleSubnet) -> Result<(), NetError> {
    let mut first_error = None;
    let mut note = |result: Result<(), NetError>| {
        if let Err(error) = result {
            first_error.get_or_insert(error);
        }
    };

    let namespaces: Vec<String> =
        list_netns().await?.into_iter().filter(|name| parse_pod_name(name, "esb") == Some(index)).collect();
    for ns in &namespaces {
        note(kill_netns_processes(ns).await.map(|pids| removed.killed_pids.extend(pids)));
    }
    // Deleting the host ends first takes the Pods off the bridge synchronously, even when a
    // namespace outlives its name because a process (e.g. a zombie) still holds it.
    let bridge = bridge_name(index);
    let mut links: Vec<String> =
        list_links().await?.into_iter().filter(|name| parse_link_name(name) == Some(index)).collect();
    links.sort_by_key(|name| *name == bridge);
    for link in links {
        note(delete_link(&link).await.map(|()| removed.links.push(link)));
    }
    for ns in namespaces {
        note(delete_netns(&ns).await.map(|()| removed.netns.push(ns)));
    }
    for name in read_dir_names(Path::new(NETNS_ETC_DIR))? {
        if parse_pod_name(&name, "esb") == Some(index) {
            note(remove_etc_dir(&name).map(|()| removed.etc_dirs.push(etc_dir(&name))));
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// SIGKILLs every process in network namespace `ns`; returns their PIDs.
async fn kill_netns_processes(ns: &str) -> Result<Vec<i32>, NetError> {
    let output = ip(&["netns", "pids", ns]).await?;
    let own = std::process::id();
    let pids: Vec<i32> = output
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .filter(|&pid| u32::try_from(pid) != Ok(own))
        .collect();
    for &pid in &pids {
        match kill(Pid::from_raw(pid), Signal::SIGKILL) {
            Ok(()) | Err(Errno::ESRCH) => debug!(netns = ns, pid, "killed process left in Pod namespace"),
            Err(source) => return Err(NetError::Kill { pid, netns: ns.to_owned(), source }),
        }
    }
    Ok(pids)
}

/// Deletes a link; a link that does not exist (any more) is not an error.
async fn delete_link(name: &str) -> Result<(), NetError> {
    match ip(&["link", "del", "dev", name]).await {
        Ok(_) => {
            debug!(link = name, "deleted link");
            Ok(())
        }
        Err(NetError::Command { stderr, .. }) if stderr.contains("Cannot find device") => Ok(()),
        Err(error) => Err(error),
    }
}

/// Deletes a named network namespace; one that does not exist is not an error.
async fn delete_netns(name: &str) -> Result<(), NetError> {
    if !netns_path(name).exists() {
        return Ok(());
    }
    match ip(&["netns", "del", name]).await {
        Ok(_) => {
            debug!(netns = name, "deleted network namespace");
            Ok(())
        }
        Err(NetError::Command { stderr, .. }) if stderr.contains("No such file or directory") => Ok(()),
        Err(error) => Err(error),
    }
}

/// Removes `/etc/netns/<name>/`; a missing directory is not an error.
fn remove_etc_dir(name: &str) -> Result<(), NetError> {
    let dir = etc_dir(name);
    match fs::remove_dir_all(&dir) {
        Ok(()) => {
            debug!(path = %dir.display(), "removed Pod /etc override directory");
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(io_error("remove directory", &dir, source)),
    }
}

/// Subnet indexes that overlap a route or address of the host that is not one of our bridges.
async fn occupied_indexes() -> Result<BTreeSet<u8>, NetError> {
    let routes = ip(&["-4", "route", "show", "table", "all"]).await?;
    let mut occupied = BTreeSet::new();
    for line in routes.lines() {
        let mut tokens = line.split_whitespace();
        let destination = match tokens.next() {
            Some(kind) if ROUTE_TYPES.contains(&kind) => tokens.next(),
            other => other,
        };
        let Some((network, prefix_len)) = destination.and_then(parse_prefix) else { continue };
        let mut rest = line.split_whitespace().skip_while(|&token| token != "dev").skip(1);
        let on_our_bridge = rest.next().and_then(parse_link_name).is_some();
        if on_our_bridge || prefix_len < MIN_CONFLICTING_PREFIX {
            continue;
        }
        occupied.extend(
            SUBNET_INDEXES.filter(|&index| overlaps(network, prefix_len, subnet_address(index, 0), 24)),
        );
    }
    Ok(occupied)
}

/// Names of the named network namespaces.
async fn list_netns() -> Result<Vec<String>, NetError> {
    let output = ip(&["netns", "list"]).await?;
    Ok(output.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_owned).collect())
}

/// Names of the links of the host namespace.
async fn list_links() -> Result<Vec<String>, NetError> {
    let output = ip(&["-o", "link", "show"]).await?;
    Ok(output
        .lines()
        .filter_map(|line| line.split(": ").nth(1))
        .filter_map(|name| name.split('@').next())
        .map(str::to_owned)
        .collect())
}

/// Runs `ip ARGS`, returning its stdout or an error carrying its stderr.
async fn ip(args: &[&str]) -> Result<String, NetError> {
    let program = find_tool("ip").ok_or(super::HostError::ToolMissing("ip"))?;
    let command = format!("ip {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|source| NetError::Spawn { command: command.clone(), source })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(NetError::Command { command, status: output.status, stderr })
    }
}

/// File names in `dir`; a missing directory has none.
fn read_dir_names(dir: &Path) -> Result<Vec<String>, NetError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(io_error("list directory", dir, source)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| io_error("list directory", dir, source))?;
        names.extend(entry.file_name().to_str().map(str::to_owned));
    }
    Ok(names)
}

/// Parses `<prefix>NNN<rest>` with `NNN` a subnet index; returns the index and `rest`.
fn split_index<'a>(name: &'a str, prefix: &str) -> Option<(u8, &'a str)> {
    let rest = name.strip_prefix(prefix)?;
    let digits = rest.get(..3)?;
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let index = digits.parse().ok()?;
    SUBNET_INDEXES.contains(&index).then_some((index, rest.get(3..)?))
}

/// Index of a Pod namespace or `/etc/netns` directory (`esbN-<id>`) or host veth (`esvN-<id>`).
fn parse_pod_name(name: &str, prefix: &str) -> Option<u8> {
    split_index(name, prefix)
        .filter(|(_, rest)| rest.len() > 1 && rest.starts_with('-'))
        .map(|(index, _)| index)
}

/// Index of one of our links: a bridge `esbrN` or a host veth `esvN-<id>`.
fn parse_link_name(name: &str) -> Option<u8> {
    split_index(name, "esbr")
        .filter(|(_, rest)| rest.is_empty())
        .map(|(index, _)| index)
        .or_else(|| parse_pod_name(name, "esv"))
}

/// Index of a lock file name `net-N.lock`.
fn parse_lock_file_name(name: &str) -> Option<u8> {
    split_index(name, "net-").filter(|(_, rest)| *rest == ".lock").map(|(index, _)| index)
}

/// Parses `a.b.c.d/len` (or a bare address, /32).
fn parse_prefix(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (address, prefix_len) = match text.split_once('/') {
        Some((address, prefix_len)) => (address, prefix_len.parse().ok()?),
        None => (text, 32),
    };
    (prefix_len <= 32).then_some((address.parse().ok()?, prefix_len))
}

/// Whether two IPv4 prefixes share any address.
fn overlaps(a: Ipv4Addr, a_len: u8, b: Ipv4Addr, b_len: u8) -> bool {
    let len = u32::from(a_len.min(b_len));
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(a) & mask == u32::from(b) & mask
}

/// Host names may use letters, digits, `.`, `-` and `_`, nothing that would break the file format.
fn is_valid_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'))
}

fn ipv6_enabled() -> bool {
    Path::new("/proc/sys/net/ipv6").exists()
}

fn subnet_address(index: u8, host: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 244, index, host)
}

fn bridge_name(index: u8) -> String {
    format!("esbr{index}")
}

fn lock_path(index: u8) -> PathBuf {
    Path::new(LOCK_DIR).join(format!("net-{index}.lock"))
}

fn etc_dir(netns: &str) -> PathBuf {
    Path::new(NETNS_ETC_DIR).join(netns)
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> NetError {
    NetError::Host(super::HostError::io(action, path, source))
}

/// Helpers shared by the tests of the `node` modules.
#[cfg(test)]
pub(crate) mod testing {
    use std::future::Future;
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::ops::Deref;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;
    use tokio::sync::{RwLock, RwLockWriteGuard};

    use super::super::process::{ProcessSpec, RunningProcess};
    use super::{LOCK_DIR, NETNS_ETC_DIR, Network, lock_path};

    /// `Network::create` runs `cleanup_stale`; tests that abandon a network hold this exclusively
    /// so that no concurrently running test cleans their leftovers up before they look.
    static CREATE_GATE: RwLock<()> = RwLock::const_new(());

    /// Listens on 0.0.0.0:PORT and answers every connection with REPLY.
    const LISTENER: &str = "import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(16)
print('listening', flush=True)
while True:
    c, _ = s.accept()
    c.sendall(sys.argv[2].encode())
    c.close()
";

    /// A sandbox network that is destroyed when the test ends, even by a panic.
    pub(crate) struct NetworkGuard(Option<Network>);

    impl NetworkGuard {
        pub(crate) async fn create() -> NetworkGuard {
            let _shared = CREATE_GATE.read().await;
            NetworkGuard(Some(Network::create().await.expect("create sandbox network")))
        }

        pub(crate) async fn destroy(mut self) {
            let network = self.0.take().expect("network present");
            network.destroy().await.expect("destroy sandbox network");
        }

        /// Simulates a SIGKILLed sandbox: the lock is released (its file descriptor closes), its
        /// network is left behind. Returns the subnet index.
        pub(crate) fn abandon(mut self) -> u8 {
            let network = self.0.take().expect("network present");
            network.index()
        }
    }

    impl Deref for NetworkGuard {
        type Target = Network;

        fn deref(&self) -> &Network {
            self.0.as_ref().expect("network present")
        }
    }

    impl Drop for NetworkGuard {
        fn drop(&mut self) {
            if let Some(network) = self.0.take() {
                run_detached(network.destroy());
            }
        }
    }

    /// Holds off `Network::create` of other tests; runs `cleanup_stale` when dropped.
    pub(crate) struct ExclusiveCleanup {
        _gate: RwLockWriteGuard<'static, ()>,
    }

    impl ExclusiveCleanup {
        pub(crate) async fn begin() -> ExclusiveCleanup {
            ExclusiveCleanup { _gate: CREATE_GATE.write().await }
        }
    }

    impl Drop for ExclusiveCleanup {
        fn drop(&mut self) {
            run_detached(Network::cleanup_stale());
        }
    }

    /// Runs a future to completion on a runtime of its own (usable from `Drop` inside a test's
    /// runtime, also while unwinding).
    fn run_detached<F>(future: F)
    where
        F: Future + Send + 'static,
        F::Output: std::fmt::Debug + Send,
    {
        let outcome = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().enable_all().build().map(|rt| rt.block_on(future))
        })
        .join();
        eprintln!("test cleanup: {outcome:?}");
    }

    /// A temporary directory, removed when dropped.
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        pub(crate) fn new(label: &str) -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("esb-test-{}-{label}-{n}", std::process::id()));
            std::fs::create_dir_all(&path).expect("create temporary directory");
            TempDir(path)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The system Python (a pyenv shim would need the environment the processes do not get).
    pub(crate) fn python3() -> &'static str {
        if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" }
    }

    pub(crate) fn spec(netns: Option<&str>, program: &str, args: &[&str], log: PathBuf) -> ProcessSpec {
        ProcessSpec {
            program: program.into(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            netns: netns.map(str::to_owned),
            log_path: log,
            ..ProcessSpec::default()
        }
    }

    /// Waits until the log contains `needle`; returns the log.
    pub(crate) async fn wait_for_log(log: &Path, needle: &str) -> String {
        for _ in 0..500 {
            let content = std::fs::read_to_string(log).unwrap_or_default();
            if content.contains(needle) {
                return content;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{} never contained {needle:?}: {:?}", log.display(), std::fs::read_to_string(log));
    }

    /// Starts a listener on 0.0.0.0:`port` in `netns` that answers with `reply`, once it listens.
    pub(crate) async fn spawn_listener(netns: &str, port: u16, reply: &str, dir: &TempDir) -> RunningProcess {
        let log = dir.path().join(format!("listener-{netns}-{port}.log"));
        let port = port.to_string();
        let spec = spec(Some(netns), python3(), &["-c", LISTENER, &port, reply], log.clone());
        let process = RunningProcess::spawn(&spec).await.expect("spawn listener");
        wait_for_log(&log, "listening").await;
        process
    }

    /// Connects to ip:port from the host and reads the reply, within one second.
    pub(crate) async fn fetch(ip: Ipv4Addr, port: u16) -> Result<String, String> {
        let attempt = async {
            let mut stream =
                TcpStream::connect(SocketAddrV4::new(ip, port)).await.map_err(|e| e.to_string())?;
            let mut reply = String::new();
            stream.read_to_string(&mut reply).await.map_err(|e| e.to_string())?;
            Ok(reply)
        };
        tokio::time::timeout(Duration::from_secs(1), attempt)
            .await
            .unwrap_or_else(|_| Err("timed out".to_owned()))
    }

    /// What subnet `index` left behind once its owner released it: [`leftovers`], except a
    /// lock file that a live sandbox now holds (a parallel test or another process may claim
    /// the freed index at once; that file is theirs). Another sandbox's lock file passes
    /// through moments when it exists unlocked (created, not yet locked; unlocked, not yet
    /// removed), so the look is repeated for up to 3 s: a leftover of the released owner
    /// stays, theirs settles.
    pub(crate) fn left_after_release(index: u8) -> Vec<String> {
        let look = || {
            let claimed_again = std::fs::File::open(lock_path(index))
                .is_ok_and(|file| matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
            leftovers(index)
                .into_iter()
                .filter(|l| !(claimed_again && l.starts_with("lock file")))
                .collect::<Vec<_>>()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        loop {
            let left = look();
            if left.is_empty() || std::time::Instant::now() > deadline {
                return left;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything on the host that still carries subnet `index`, found without this module's code.
    pub(crate) fn leftovers(index: u8) -> Vec<String> {
        let ip = |args: &[&str]| {
            let output = std::process::Command::new("ip").args(args).output().expect("run ip");
            assert!(output.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        let pod_prefix = format!("esb{index}-");
        let veth_prefix = format!("esv{index}-");
        let bridge = format!("esbr{index}");
        let mut found: Vec<String> = ip(&["netns", "list"])
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| name.starts_with(&pod_prefix))
            .map(|name| format!("netns {name}"))
            .collect();
        found.extend(
            ip(&["-o", "link", "show"])
                .lines()
                .filter_map(|line| line.split(": ").nth(1))
                .filter_map(|name| name.split('@').next())
                .filter(|name| *name == bridge || name.starts_with(&veth_prefix))
                .map(|name| format!("link {name}")),
        );
        if let Ok(entries) = std::fs::read_dir(NETNS_ETC_DIR) {
            found.extend(
                entries
                    .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                    .filter(|name| name.starts_with(&pod_prefix))
                    .map(|name| format!("dir {NETNS_ETC_DIR}/{name}")),
            );
        }
        if lock_path(index).exists() {
            found.push(format!("lock file in {LOCK_DIR}"));
        }
        found
    }

    /// Mount points of the host mount namespace (this test process's).
    pub(crate) fn host_mount_points() -> Vec<String> {
        std::fs::read_to_string("/proc/self/mountinfo")
            .expect("read mountinfo")
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::process::RunningProcess;
    use super::testing::{
        ExclusiveCleanup, NetworkGuard, TempDir, fetch, left_after_release, leftovers, spawn_listener, spec,
        wait_for_log,
    };
    use super::*;

    const GRACE: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn networks_claim_distinct_subnets() {
        let first = NetworkGuard::create().await;
        let second = NetworkGuard::create().await;
        assert_ne!(first.index(), second.index());
        for network in [&first, &second] {
            let index = network.index();
            assert!(SUBNET_INDEXES.contains(&index));
            assert_eq!(network.gateway(), Ipv4Addr::new(10, 244, index, 1));
            assert_eq!(network.subnet_cidr(), format!("10.244.{index}.0/24"));
            let lock = fs::read_to_string(lock_path(index)).expect("read lock file");
            assert_eq!(lock.trim(), std::process::id().to_string());
            let addresses =
                ip(&["-4", "-o", "addr", "show", "dev", &network.bridge()]).await.expect("show bridge");
            assert!(addresses.contains(&format!("inet 10.244.{index}.1/24")), "{addresses}");
        }
        first.destroy().await;
        second.destroy().await;
    }

    #[tokio::test]
    async fn two_pods_listen_on_same_port_and_host_reaches_each() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("two-pods");
        let a = network.add_pod("default/etcd-0").await.expect("add pod a");
        let b = network.add_pod("default/etcd-1").await.expect("add pod b");
        assert_eq!(a.ip, subnet_address(network.index(), 2));
        assert_eq!(b.ip, subnet_address(network.index(), 3));
        assert!(a.host_veth.len() <= 15 && b.host_veth.len() <= 15);

        let mut listener_a = spawn_listener(&a.netns, 2379, "pod-a", &dir).await;
        let mut listener_b = spawn_listener(&b.netns, 2379, "pod-b", &dir).await;
        assert_eq!(fetch(a.ip, 2379).await.as_deref(), Ok("pod-a"));
        assert_eq!(fetch(b.ip, 2379).await.as_deref(), Ok("pod-b"));

        listener_a.terminate(GRACE).await.expect("stop listener a");
        listener_b.terminate(GRACE).await.expect("stop listener b");
        network.destroy().await;
    }

    #[tokio::test]
    async fn remove_pod_frees_address_and_rejects_unknown_pods() {
        let network = NetworkGuard::create().await;
        let a = network.add_pod("default/a").await.expect("add pod a");
        let b = network.add_pod("default/b").await.expect("add pod b");
        assert!(matches!(network.add_pod("default/a").await, Err(NetError::DuplicatePod { .. })));
        network.write_hosts(&a, &[]).expect("write hosts");

        network.remove_pod(&a).await.expect("remove pod a");
        assert!(!netns_path(&a.netns).exists());
        assert!(!etc_dir(&a.netns).exists());
        assert!(!list_links().await.expect("list links").contains(&a.host_veth));
        assert!(matches!(network.remove_pod(&a).await, Err(NetError::UnknownPod { .. })));
        assert!(matches!(network.set_isolated(&a, true).await, Err(NetError::UnknownPod { .. })));

        let c = network.add_pod("default/c").await.expect("add pod c");
        assert_ne!(c.ip, a.ip, "a freed address is not handed out again at once");
        assert_ne!(c.netns, a.netns, "namespace names are not reused");
        assert_ne!(c.ip, b.ip);
        network.destroy().await;
    }

    #[test]
    fn addresses_are_handed_out_round_robin() {
        assert_eq!(next_free_host(0, |_| false), Some(2), "the first Pod");
        assert_eq!(next_free_host(4, |_| false), Some(5), "after the last one, not the lowest free");
        assert_eq!(next_free_host(254, |_| false), Some(2), "wraps around");
        assert_eq!(next_free_host(254, |host| host < 7), Some(7), "skips taken ones after wrapping");
        assert_eq!(next_free_host(10, |host| host != 3), Some(3), "the only free one, before `last`");
        assert_eq!(next_free_host(10, |_| true), None, "none left");
    }

    /// A Pod that replaces a removed one is reachable from the host at once. Handing the
    /// removed Pod's address straight to the new one left the host's neighbour entry pointing
    /// at the old veth's MAC: nothing answered until that entry expired, 15 to 45 s later
    /// (a persistent member "healed" in 29-53 s now and then because of it).
    #[tokio::test]
    async fn a_pod_replacing_a_removed_one_is_reachable_at_once() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("replaced");
        let _other = network.add_pod("default/etcd-1").await.expect("add a pod that stays");
        let old = network.add_pod("default/etcd-0").await.expect("add the old pod");
        let mut listener = spawn_listener(&old.netns, 2379, "old", &dir).await;
        assert_eq!(fetch(old.ip, 2379).await.as_deref(), Ok("old"));
        listener.terminate(GRACE).await.expect("stop the old listener");
        network.remove_pod(&old).await.expect("remove the old pod");

        let new = network.add_pod("default/etcd-0").await.expect("add the new pod");
        let mut listener = spawn_listener(&new.netns, 2379, "new", &dir).await;
        assert_eq!(fetch(new.ip, 2379).await.as_deref(), Ok("new"), "{} after {}", new.ip, old.ip);
        listener.terminate(GRACE).await.expect("stop the new listener");
        network.destroy().await;
    }

    #[tokio::test]
    async fn hosts_file_resolves_names_inside_pod() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("hosts");
        let a = network.add_pod("default/etcd-0").await.expect("add pod a");
        let b = network.add_pod("default/etcd-1").await.expect("add pod b");
        let initial = fs::read_to_string(etc_dir(&a.netns).join("hosts")).expect("initial hosts file");
        assert!(initial.contains("127.0.0.1\tlocalhost\n") && !initial.contains("etcd-1"), "{initial}");
        // Started before write_hosts, it still sees the entries written later.
        let early_log = dir.path().join("early.log");
        let early_script = "until getent hosts etcd-1; do sleep 0.05; done";
        let mut early =
            RunningProcess::spawn(&spec(Some(&a.netns), "sh", &["-c", early_script], early_log.clone()))
                .await
                .expect("spawn");
        let peer = vec!["etcd-1.etcd.default.svc.cluster.local".to_owned(), "etcd-1".to_owned()];
        network.write_hosts(&a, &[(b.ip, peer)]).expect("write hosts");
        let early_status =
            tokio::time::timeout(Duration::from_secs(5), early.wait()).await.expect("resolved in time");
        assert!(early_status.expect("wait").success());
        let hosts = fs::read_to_string(etc_dir(&a.netns).join("hosts")).expect("read hosts");
        assert!(hosts.contains("127.0.0.1\tlocalhost\n") && hosts.contains("::1\tlocalhost"), "{hosts}");

        let log = dir.path().join("getent.log");
        let mut getent =
            RunningProcess::spawn(&spec(Some(&a.netns), "getent", &["hosts", "etcd-1"], log.clone()))
                .await
                .expect("spawn getent");
        assert!(getent.wait().await.expect("wait getent").success());
        let output = fs::read_to_string(&log).expect("read log");
        assert!(output.contains(&b.ip.to_string()) && output.contains("etcd-1"), "{output}");

        // A running process sees entries added later: the file is rewritten in place.
        let log = dir.path().join("poll.log");
        let script = "until getent hosts etcd-2; do sleep 0.05; done";
        let mut poll = RunningProcess::spawn(&spec(Some(&a.netns), "sh", &["-c", script], log.clone()))
            .await
            .expect("spawn");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(poll.try_status().expect("status"), None, "etcd-2 must not resolve yet");
        let peers = [
            (b.ip, vec!["etcd-1".to_owned()]),
            (Ipv4Addr::new(10, 244, a.ip.octets()[2], 99), vec!["etcd-2".to_owned()]),
        ];
        network.write_hosts(&a, &peers).expect("rewrite hosts");
        let status = tokio::time::timeout(Duration::from_secs(5), poll.wait()).await;
        let status = status.unwrap_or_else(|_| {
            panic!(
                "not resolved in time: {:?} {:?}",
                fs::read_to_string(&log),
                fs::read_to_string(etc_dir(&a.netns).join("hosts"))
            )
        });
        assert!(status.expect("wait").success());
        wait_for_log(&log, "etcd-2").await;

        // Names missing from the hosts file fail at once, without DNS queries leaving the Pod.
        let started = Instant::now();
        let mut unknown =
            RunningProcess::spawn(&spec(Some(&a.netns), "getent", &["hosts", "etcd-9"], log.clone()))
                .await
                .expect("spawn getent");
        assert_eq!(unknown.wait().await.expect("wait getent").code, Some(2));
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());

        let bad = [(b.ip, vec!["two words".to_owned()])];
        assert!(matches!(network.write_hosts(&a, &bad), Err(NetError::InvalidHostName { .. })));
        network.destroy().await;
    }

    #[tokio::test]
    async fn isolation_blocks_and_restores_reachability() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("isolation");
        let pod = network.add_pod("default/etcd-0").await.expect("add pod");
        let mut listener = spawn_listener(&pod.netns, 2379, "hello", &dir).await;
        assert_eq!(fetch(pod.ip, 2379).await.as_deref(), Ok("hello"));

        network.set_isolated(&pod, true).await.expect("isolate");
        assert!(fetch(pod.ip, 2379).await.is_err(), "an isolated Pod must be unreachable");

        network.set_isolated(&pod, false).await.expect("heal");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match fetch(pod.ip, 2379).await {
                Ok(reply) => break assert_eq!(reply, "hello"),
                Err(error) if Instant::now() > deadline => panic!("still unreachable after healing: {error}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        listener.terminate(GRACE).await.expect("stop listener");
        network.destroy().await;
    }

    #[tokio::test]
    async fn destroy_removes_namespaces_links_files_and_processes() {
        let network = NetworkGuard::create().await;
        let index = network.index();
        let dir = TempDir::new("destroy");
        let a = network.add_pod("default/etcd-0").await.expect("add pod a");
        let b = network.add_pod("default/etcd-1").await.expect("add pod b");
        network.write_hosts(&a, &[(b.ip, vec!["etcd-1".to_owned()])]).expect("write hosts");
        network.write_hosts(&b, &[(a.ip, vec!["etcd-0".to_owned()])]).expect("write hosts");
        let mut sleeper =
            RunningProcess::spawn(&spec(Some(&b.netns), "sleep", &["600"], dir.path().join("sleep.log")))
                .await
                .expect("spawn sleep");
        assert_eq!(leftovers(index).len(), 8, "{:?}", leftovers(index));

        network.destroy().await;
        assert_eq!(left_after_release(index), Vec::<String>::new());
        let status =
            tokio::time::timeout(GRACE, sleeper.wait()).await.expect("killed in time").expect("wait");
        assert_eq!(status.signal, Some(9));
    }

    #[tokio::test]
    async fn cleanup_stale_removes_leftovers_of_dead_sandbox() {
        let network = NetworkGuard::create().await;
        let dir = TempDir::new("stale");
        let pod = network.add_pod("default/etcd-0").await.expect("add pod");
        network.write_hosts(&pod, &[(pod.ip, vec!["etcd-0".to_owned()])]).expect("write hosts");
        let mut sleeper =
            RunningProcess::spawn(&spec(Some(&pod.netns), "sleep", &["600"], dir.path().join("s.log")))
                .await
                .expect("spawn sleep");

        let cleanup = ExclusiveCleanup::begin().await;
        let index = network.abandon();
        let report = Network::cleanup_stale().await.expect("cleanup_stale");
        match report.subnets.iter().find(|subnet| subnet.index == index) {
            Some(stale) => {
                assert_eq!(stale.owner_pid, Some(std::process::id()));
                assert_eq!(stale.netns, vec![pod.netns.clone()]);
                assert_eq!(stale.links, vec![pod.host_veth.clone(), bridge_name(index)]);
                assert_eq!(stale.etc_dirs, vec![etc_dir(&pod.netns)]);
                assert_eq!(stale.killed_pids, vec![i32::try_from(sleeper.pid()).expect("pid")]);
            }
            // Every `Network::create` runs `cleanup_stale` first, so a sandbox another test
            // process starts right now may clean the abandoned subnet before this call does.
            None => eprintln!("subnet {index} was cleaned by another process's cleanup_stale first"),
        }
        assert_eq!(left_after_release(index), Vec::<String>::new());
        drop(cleanup);

        let status =
            tokio::time::timeout(GRACE, sleeper.wait()).await.expect("killed in time").expect("wait");
        assert_eq!(status.signal, Some(9));
    }

    #[tokio::test]
    async fn cleanup_stale_removes_bridge_without_lock_file() {
        let network = NetworkGuard::create().await;
        let cleanup = ExclusiveCleanup::begin().await;
        let index = network.abandon();
        fs::remove_file(lock_path(index)).expect("remove lock file");

        let report = Network::cleanup_stale().await.expect("cleanup_stale");
        match report.subnets.iter().find(|subnet| subnet.index == index) {
            Some(stale) => {
                assert_eq!(stale.owner_pid, None);
                assert_eq!(stale.links, vec![bridge_name(index)]);
            }
            // As above: another process's `Network::create` may have cleaned it first.
            None => eprintln!("subnet {index} was cleaned by another process's cleanup_stale first"),
        }
        assert_eq!(left_after_release(index), Vec::<String>::new());
        drop(cleanup);
    }

    #[test]
    fn futures_are_send() {
        fn send<T: Send>(_: T) {}
        send(Network::create());
        send(Network::cleanup_stale());
        let _ = |network: Network, pod: &PodNetwork| {
            send(network.add_pod("default/etcd-0"));
            send(network.remove_pod(pod));
            send(network.set_isolated(pod, true));
            send(network.destroy());
        };
    }

    #[test]
    fn names_and_prefixes_parse() {
        assert_eq!(parse_pod_name("esb123-7", "esb"), Some(123));
        assert_eq!(parse_pod_name("esb123-", "esb"), None);
        assert_eq!(parse_pod_name("esb99-7", "esb"), None);
        assert_eq!(parse_pod_name("esbr123", "esb"), None);
        assert_eq!(parse_link_name("esbr150"), Some(150));
        assert_eq!(parse_link_name("esbr1500"), None);
        assert_eq!(parse_link_name("esv150-12"), Some(150));
        assert_eq!(parse_link_name("eth0"), None);
        assert_eq!(parse_lock_file_name("net-199.lock"), Some(199));
        assert_eq!(parse_lock_file_name("net-200.lock"), None);
        assert_eq!(parse_prefix("10.244.0.0/16"), Some((Ipv4Addr::new(10, 244, 0, 0), 16)));
        assert_eq!(parse_prefix("10.244.1.5"), Some((Ipv4Addr::new(10, 244, 1, 5), 32)));
        assert_eq!(parse_prefix("default"), None);
        let net = |c| Ipv4Addr::new(10, 244, c, 0);
        assert!(overlaps(Ipv4Addr::new(10, 244, 0, 0), 16, net(150), 24));
        assert!(overlaps(Ipv4Addr::new(10, 244, 150, 7), 32, net(150), 24));
        assert!(!overlaps(Ipv4Addr::new(10, 244, 151, 0), 24, net(150), 24));
        assert!(overlaps(Ipv4Addr::UNSPECIFIED, 0, net(150), 24));
        assert!(is_sandbox_address(Ipv4Addr::new(10, 244, 100, 2)));
        assert!(is_sandbox_address(Ipv4Addr::new(10, 244, 199, 254)));
        assert!(is_sandbox_address(Ipv4Addr::LOCALHOST));
        assert!(!is_sandbox_address(Ipv4Addr::new(10, 244, 200, 1)));
        assert!(!is_sandbox_address(Ipv4Addr::new(10, 244, 99, 1)));
        assert!(!is_sandbox_address(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(is_valid_host_name("etcd-0.etcd.default.svc.cluster.local"));
        assert!(!is_valid_host_name("a b") && !is_valid_host_name("a\nb") && !is_valid_host_name(""));
    }
}
