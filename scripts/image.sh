#!/usr/bin/env bash
# Builds the etcd-operator container image without a container engine, as an OCI image
# archive: one tar file holding an OCI image layout (oci-layout, index.json, blobs/sha256/),
# which any registry client pushes, e.g.
#   skopeo copy oci-archive:target/image/etcd-operator-v0.1.0.oci.tar docker://REGISTRY/etcd-operator:v0.1.0
# (the Dockerfile at the repository root builds the same image where a container engine runs).
#
#   scripts/image.sh [--binary PATH] [--output FILE] [--image REF]
#
#   --binary PATH  the etcd-operator to put in; default target/release/etcd-operator, built
#                  first with `cargo build --release --locked -p etcd-operator`
#   --output FILE  where the archive goes; default target/image/etcd-operator-v<version>.oci.tar
#   --image REF    the name recorded in index.json; default
#                  ghcr.io/kubectl-etcd/etcd-operator:v<version> (<version>: Cargo.toml's)
#
# The image has one layer: /usr/local/bin/etcd-operator; the shared libraries `ldd` names for
# it, with the dynamic loader (the binary links glibc; a static binary gets none);
# /etc/ssl/certs/ca-certificates.crt (rustls reads the system's roots for object stores over
# HTTPS); /etc/passwd and /etc/group with the user and group nonroot (65532); and /tmp.
# Its config: User 65532:65532, Entrypoint /usr/local/bin/etcd-operator, Cmd run, Env PATH and
# SSL_CERT_FILE. Every file is owned by root and dated 1970-01-01, so one binary always
# gives one image digest. Prints the archive's path and the manifest digest on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "image: $*" >&2; exit 1; }

binary="" output="" image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --output) output="${2:?--output needs a file}"; shift 2 ;;
    --image) image="${2:?--image needs a reference}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "image: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

for tool in tar gzip sha256sum ldd python3; do
  command -v "$tool" >/dev/null || die "$tool is missing: scripts/prereqs.sh names what installs it"
done

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
[ -n "$version" ] || die "cannot read the workspace version from Cargo.toml"
image="${image:-ghcr.io/kubectl-etcd/etcd-operator:v$version}"
output="${output:-target/image/etcd-operator-v$version.oci.tar}"
if [ -z "$binary" ]; then
  echo "image: building the release binary (cargo build --release --locked -p etcd-operator)" >&2
  cargo build --release --locked -q -p etcd-operator
  binary=target/release/etcd-operator
fi
[ -x "$binary" ] || die "$binary is not an executable file"
case "$(uname -m)" in
  x86_64) architecture=amd64 ;;
  aarch64) architecture=arm64 ;;
  *) die "no OCI architecture name for $(uname -m)" ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp"
install -m 0755 "$binary" "$root/usr/local/bin/etcd-operator"

# The shared libraries and the loader, each at the path the binary looks for it.
libraries="$(ldd "$binary" 2>&1)" || true
if grep -q "not found" <<<"$libraries"; then
  die "ldd cannot find every library of $binary: $(grep "not found" <<<"$libraries" | tr -s ' \t' ' ')"
fi
while read -r path; do
  mkdir -p "$root$(dirname "$path")"
  cp -L "$path" "$root$path"
  chmod 0755 "$root$path"
done < <(sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p' <<<"$libraries" | sort -u)

certificates=/etc/ssl/certs/ca-certificates.crt
[ -s "$certificates" ] || die "$certificates is missing: apt-get install ca-certificates"
install -m 0644 "$certificates" "$root$certificates"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"
chmod 1777 "$root/tmp"

# Deterministic tar: sorted names, root-owned, dated 0, no access or change times.
reproducible_tar() { # archive directory entries...
  local archive="$1" directory="$2"
  shift 2
  tar --create --file "$archive" --directory "$directory" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime=@0 --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime "$@"
}

layout="$work/layout"
mkdir -p "$layout/blobs/sha256"
mapfile -t entries < <(cd "$root" && LC_ALL=C ls -A)
reproducible_tar "$work/layer.tar" "$root" "${entries[@]}"
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"

# Moves a file into blobs/sha256/ under its digest; prints "sha256:<hex> <size>".
add_blob() {
  local hex size
  hex="$(sha256sum "$1" | cut -d' ' -f1)"
  size="$(stat -c %s "$1")"
  mv "$1" "$layout/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
read -r layer_digest layer_size < <(add_blob "$work/layer.tar.gz")

python3 - "$work" "$architecture" "$diff_id" "$version" <<'PY'
import json, sys
work, architecture, diff_id, version = sys.argv[1:]
config = {
    "created": "1970-01-01T00:00:00Z",
    "architecture": architecture,
    "os": "linux",
    "config": {
        "User": "65532:65532",
        "Entrypoint": ["/usr/local/bin/etcd-operator"],
        "Cmd": ["run"],
        "Env": [
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
        ],
        "WorkingDir": "/",
        "Labels": {
            "org.opencontainers.image.title": "etcd-operator",
            "org.opencontainers.image.version": version,
            "org.opencontainers.image.source": "https://github.com/kubectl-etcd/kubectl-etcd",
            "org.opencontainers.image.licenses": "Apache-2.0",
        },
    },
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "scripts/image.sh"}],
}
with open(f"{work}/config.json", "w") as f:
    json.dump(config, f, separators=(",", ":"), sort_keys=True)
PY
read -r config_digest config_size < <(add_blob "$work/config.json")

python3 - "$work" "$config_digest" "$config_size" "$layer_digest" "$layer_size" <<'PY'
import json, sys
work, config_digest, config_size, layer_digest, layer_size = sys.argv[1:]
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": int(config_size)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": int(layer_size)}],
}
with open(f"{work}/manifest.json", "w") as f:
    json.dump(manifest, f, separators=(",", ":"), sort_keys=True)
PY
read -r manifest_digest manifest_size < <(add_blob "$work/manifest.json")

python3 - "$layout" "$manifest_digest" "$manifest_size" "$image" <<'PY'
import json, sys
layout, digest, size, image = sys.argv[1:]
tag = image.rsplit("@", 1)[0]
tag = tag.rsplit(":", 1)[1] if ":" in tag.rsplit("/", 1)[-1] else "latest"
index = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest,
        "size": int(size),
        "annotations": {"org.opencontainers.image.ref.name": tag, "io.containerd.image.name": image},
    }],
}
with open(f"{layout}/index.json", "w") as f:
    json.dump(index, f, separators=(",", ":"), sort_keys=True)
with open(f"{layout}/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY

mkdir -p "$(dirname "$output")"
reproducible_tar "$output.part" "$layout" oci-layout index.json blobs
mv -f "$output.part" "$output"
echo "image: $image ($(du -h "$output" | cut -f1)) written to $output" >&2
echo "$output $manifest_digest"
