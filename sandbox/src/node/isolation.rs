//! Containers that see what a real container sees, when the sandbox is started with
//! `--isolate-containers` ([`crate::instance::Options::isolate_containers`]).
//!
//! Each container's process gets a root of its own, built in its private mount namespace
//! from bind mounts, then entered with `chroot`:
//!
//! - the image: the machine's `/bin`, `/sbin`, `/lib*` and `/usr` read-only (the base
//!   layer, so `sh` runs) with an empty `/usr/local`, and the image's own files read-only (`/usr/local/bin/etcd`,
//!   `etcdctl`, `etcdutl` of an etcd image; `/usr/local/bin/etcd-operator` of the
//!   operator's image; see [`super::images`]);
//! - `/etc/hosts` (the Pod's), `resolv.conf`, `passwd`, `group`, `nsswitch.conf` and
//!   `ssl/` of the machine, read-only;
//! - `/dev` with `null`, `zero`, `full`, `random`, `urandom`, `tty`; `/proc`; an empty,
//!   world-writable `/tmp`;
//! - the Pod's volumes at their mountPaths.
//!
//! Nothing else of the machine is there, so a path that is not on a volume is absent. The
//! process runs as the securityContext's `runAsUser`/`runAsGroup` (container over Pod),
//! with `fsGroup` and `supplementalGroups` as supplementary groups, and the Pod's volumes
//! belong to the `fsGroup` ([`apply_fs_group`]) as a kubelet makes them; so a non-root
//! process cannot write a folder owned by root.
//!
//! Exec probes still run on the machine's filesystem.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What makes a container's process isolated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Isolation {
    /// An empty folder on the machine where the root is assembled (a tmpfs is mounted on it
    /// inside the container's mount namespace only).
    pub root: PathBuf,
    /// The image's own files: (file on the machine, path in the container).
    pub image_files: Vec<(PathBuf, PathBuf)>,
    /// The user the process runs as; `None` keeps root, as an image without `USER` does.
    pub user: Option<RunAs>,
}

/// A process's user, group and supplementary groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    /// `runAsUser`.
    pub uid: u32,
    /// `runAsGroup` (0 when unset, as for an image without a group).
    pub gid: u32,
    /// The primary group, `fsGroup` and `supplementalGroups`.
    pub groups: Vec<u32>,
}

impl RunAs {
    /// `uid:gid` for `chroot --userspec`.
    pub fn userspec(&self) -> String {
        format!("{}:{}", self.uid, self.gid)
    }

    /// `g1,g2` for `chroot --groups`.
    pub fn groups_list(&self) -> String {
        self.groups.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
    }
}

/// The helper that builds the root and enters it, run by `/bin/sh -c` in the container's
/// private mount namespace. Positional parameters: `MOUNT_BIN ROOT WORKDIR USERSPEC GROUPS
/// N_IMAGE (SOURCE TARGET){N_IMAGE} N_VOLUMES (SOURCE TARGET){N_VOLUMES} PROGRAM ARGS...`.
/// Nothing user-supplied is spliced into the text.
pub const ROOT_SCRIPT: &str = r#"mount_bin=$1 root=$2 workdir=$3 userspec=$4 groups=$5
shift 5
fail() { echo "etcd-sandbox: $*" >&2; exit 126; }
bind() { # SOURCE TARGET-IN-ROOT [OPTIONS]
    if [ -d "$1" ]; then mkdir -p "$root$2"; else mkdir -p "$root$(dirname "$2")" && : > "$root$2"; fi || fail "cannot create mount point $2"
    "$mount_bin" --bind "$1" "$root$2" || fail "cannot bind-mount $1 on $2"
    if [ -n "$3" ]; then "$mount_bin" -o "remount,bind,$3" "$root$2" || fail "cannot make $2 $3"; fi
}
"$mount_bin" -t tmpfs -o mode=0755 etcd-sandbox-root "$root" || fail "cannot mount the container's root on $root"
for dir in bin sbin lib lib32 lib64 libx32 usr; do
    if [ -L "/$dir" ]; then ln -s "$(readlink "/$dir")" "$root/$dir"
    elif [ -d "/$dir" ]; then bind "/$dir" "/$dir" ro; fi
done
mkdir -p "$root/etc" "$root/proc" "$root/dev" "$root/var/run" "$root/run"
for file in hosts resolv.conf passwd group nsswitch.conf ld.so.cache ssl; do
    if [ -e "/etc/$file" ]; then bind "/etc/$file" "/etc/$file" ro; fi
done
"$mount_bin" -t tmpfs -o mode=0755,nosuid etcd-sandbox-dev "$root/dev" || fail "cannot mount /dev"
for device in null zero full random urandom tty; do bind "/dev/$device" "/dev/$device"; done
ln -s /proc/self/fd "$root/dev/fd"; ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"; ln -s /proc/self/fd/2 "$root/dev/stderr"
"$mount_bin" -t proc proc "$root/proc" || fail "cannot mount /proc"
mkdir -p "$root/tmp" && "$mount_bin" -t tmpfs -o mode=1777 etcd-sandbox-tmp "$root/tmp" || fail "cannot mount /tmp"
# The image's own layer: /usr/local holds only its files, not the machine's.
mkdir -p "$root/usr/local" 2>/dev/null
"$mount_bin" -t tmpfs -o mode=0755 etcd-sandbox-image "$root/usr/local" || fail "cannot mount /usr/local"
count=$1; shift
while [ "$count" -gt 0 ]; do bind "$1" "$2" ro; shift 2; count=$((count - 1)); done
count=$1; shift
while [ "$count" -gt 0 ]; do bind "$1" "$2"; shift 2; count=$((count - 1)); done
enter='cd "$1" || { echo "etcd-sandbox: cannot enter working directory $1" >&2; exit 126; }; shift; exec "$@"'
if [ -n "$userspec" ]; then
    exec chroot --userspec="$userspec" --groups="$groups" "$root" /bin/sh -c "$enter" sh "${workdir:-/}" "$@"
fi
exec chroot "$root" /bin/sh -c "$enter" sh "${workdir:-/}" "$@""#;

/// Why a container may not start (the kubelet's `CreateContainerConfigError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunAsError {
    /// `runAsNonRoot: true` with no non-root `runAsUser`: the image's user is root.
    #[error("container has runAsNonRoot and image will run as root (pod: {pod:?}, container: {container})")]
    WouldRunAsRoot {
        /// `name_namespace(uid)`, as the kubelet names it.
        pod: String,
        /// The container.
        container: String,
    },
}

/// The user `container` of `pod` runs as: the container's securityContext over the Pod's;
/// `None` when neither sets a user (root, as the sandbox's images have no `USER`).
pub fn run_as(pod: &Value, container: &Value) -> Result<Option<RunAs>, RunAsError> {
    let pod_context = &pod["spec"]["securityContext"];
    let own = &container["securityContext"];
    let field = |key: &str| {
        own[key].as_u64().or_else(|| pod_context[key].as_u64()).and_then(|v| u32::try_from(v).ok())
    };
    let non_root =
        own["runAsNonRoot"].as_bool().or_else(|| pod_context["runAsNonRoot"].as_bool()) == Some(true);
    let uid = field("runAsUser");
    if non_root && uid.unwrap_or(0) == 0 {
        let meta = &pod["metadata"];
        return Err(RunAsError::WouldRunAsRoot {
            pod: format!(
                "{}_{}({})",
                meta["name"].as_str().unwrap_or_default(),
                meta["namespace"].as_str().unwrap_or_default(),
                meta["uid"].as_str().unwrap_or_default()
            ),
            container: container["name"].as_str().unwrap_or_default().to_string(),
        });
    }
    let fs_group = fs_group(pod);
    let supplemental: Vec<u32> = pod_context["supplementalGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_u64().and_then(|g| u32::try_from(g).ok()))
        .collect();
    let gid = field("runAsGroup");
    if uid.is_none() && gid.is_none() && fs_group.is_none() && supplemental.is_empty() {
        return Ok(None);
    }
    let gid = gid.unwrap_or(0);
    let mut groups = vec![gid];
    for group in fs_group.into_iter().chain(supplemental) {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    Ok(Some(RunAs { uid: uid.unwrap_or(0), gid, groups }))
}

/// The Pod's `securityContext.fsGroup`.
pub fn fs_group(pod: &Value) -> Option<u32> {
    pod["spec"]["securityContext"]["fsGroup"].as_u64().and_then(|g| u32::try_from(g).ok())
}

/// Gives a volume's folder and everything in it to `gid` as a kubelet does for `fsGroup`:
/// group-owned, group-readable and writable, folders set-group-ID so new files join the
/// group.
pub fn apply_fs_group(dir: &Path, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::chown(dir, None, Some(gid))?;
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if meta.is_dir() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o2070))?;
        for entry in std::fs::read_dir(dir)? {
            apply_fs_group(&entry?.path(), gid)?;
        }
    } else {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o060))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_container_context_overrides_the_pods() {
        let pod = json!({"metadata": {"name": "p", "namespace": "n", "uid": "u"}, "spec": {"securityContext": {
            "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000, "supplementalGroups": [3000, 2000]}}});
        let container = json!({"name": "c", "securityContext": {"runAsUser": 65532}});
        assert_eq!(
            run_as(&pod, &container),
            Ok(Some(RunAs { uid: 65532, gid: 1000, groups: vec![1000, 2000, 3000] }))
        );
        let as_root = run_as(&json!({"spec": {}}), &json!({"name": "c"}));
        assert_eq!(as_root, Ok(None), "the image's user: root");
    }

    #[test]
    fn run_as_non_root_without_a_user_does_not_start() {
        let pod = json!({"metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {"securityContext": {"runAsNonRoot": true}}});
        let error = run_as(&pod, &json!({"name": "c"})).expect_err("root image");
        assert_eq!(
            error.to_string(),
            r#"container has runAsNonRoot and image will run as root (pod: "p_n(u)", container: c)"#
        );
        let fine = json!({"name": "c", "securityContext": {"runAsUser": 10}});
        assert!(run_as(&pod, &fine).is_ok());
    }

    #[test]
    fn fs_group_owns_and_may_write_a_volume() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("member")).expect("folders");
        std::fs::write(data.join("member/db"), "x").expect("file");
        apply_fs_group(&data, 4321).expect("applied");
        let folder = std::fs::metadata(data.join("member")).expect("meta");
        assert_eq!((folder.gid(), folder.mode() & 0o2070), (4321, 0o2070));
        let file = std::fs::metadata(data.join("member/db")).expect("meta");
        assert_eq!((file.gid(), file.mode() & 0o060), (4321, 0o060));
    }
}
