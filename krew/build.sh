#!/usr/bin/env bash
# Builds the krew release archives of kubectl-etcd and renders the krew manifest with
# their sha256 values.
#
#   krew/build.sh [--profile release|dev|NAME] [--target-dir DIR] [--out DIR]
#                 [--version vX.Y.Z] [--uri-base URL] [--no-build]
#
# Each archive, kubectl-etcd_<version>_<os>_<arch>.tar.gz, holds kubectl-etcd,
# kubectl_complete-etcd and LICENSE at its root. The manifest is written to
# <out>/etcd.yaml from krew/etcd.yaml.tmpl, one platform (krew/platform.yaml.tmpl) per
# archive. The host's platform is always built. Other platforms are built only when
# their Rust target is installed (rustup target add ...) and a linker for it is found;
# the script says which ones it skipped and why. --no-build packages the binaries already
# built for the host with --profile (what cli/tests/krew.rs does with the debug build).
#
# Defaults: --profile release, --target-dir target, --out target/krew, the workspace
# version with a leading v, and the GitHub release of that version as --uri-base.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
target_dir=target
out=target/krew
version=""
uri_base=""
build=true
while [[ $# -gt 0 ]]; do
    case "$1" in
        --profile) profile="$2"; shift 2 ;;
        --target-dir) target_dir="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --version) version="$2"; shift 2 ;;
        --uri-base) uri_base="$2"; shift 2 ;;
        --no-build) build=false; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "krew/build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [[ -z "$version" ]]; then
    version="v$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
fi
if ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
    echo "krew/build.sh: version $version is not v<semver>" >&2
    exit 1
fi
uri_base="${uri_base:-https://github.com/kubectl-etcd/kubectl-etcd/releases/download/$version}"
[[ -f LICENSE ]] || { echo "krew/build.sh: LICENSE is missing at the repository root" >&2; exit 1; }
# Cargo's folder for a profile: dev builds go to debug/, others to their own name.
profile_dir="$profile"
[[ "$profile" == dev ]] && profile_dir=debug

host="$(rustc -vV | sed -n 's/^host: //p')"
# Rust target, krew os, krew arch, linker that must exist to cross-build.
platforms=(
    "x86_64-unknown-linux-gnu linux amd64 x86_64-linux-gnu-gcc"
    "aarch64-unknown-linux-gnu linux arm64 aarch64-linux-gnu-gcc"
    "x86_64-apple-darwin darwin amd64 -"
    "aarch64-apple-darwin darwin arm64 -"
    "x86_64-pc-windows-gnu windows amd64 x86_64-w64-mingw32-gcc"
)
installed_targets="$(rustup target list --installed 2>/dev/null || echo "$host")"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
platforms_yaml="$out/.platforms.yaml"
: >"$platforms_yaml"
built=()
for platform in "${platforms[@]}"; do
    read -r target os arch linker <<<"$platform"
    if [[ "$target" == "$host" ]]; then
        bin_dir="$target_dir/$profile_dir"
        cargo_target=()
    elif ! $build; then
        echo "krew/build.sh: skipped $os/$arch ($target): --no-build packages the host's binaries only" >&2
        continue
    elif ! grep -qx "$target" <<<"$installed_targets"; then
        echo "krew/build.sh: skipped $os/$arch: Rust target $target is not installed (rustup target add $target)" >&2
        continue
    elif [[ "$linker" == - ]] || ! command -v "$linker" >/dev/null; then
        echo "krew/build.sh: skipped $os/$arch: no linker for $target on this machine (${linker/-/a macOS host})" >&2
        continue
    else
        bin_dir="$target_dir/$target/$profile_dir"
        cargo_target=(--target "$target")
        export "CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$target")_LINKER=$linker"
    fi
    if $build; then
        echo "krew/build.sh: building $os/$arch ($target, profile $profile)" >&2
        cargo build --locked -p kubectl-etcd --bins --profile "$profile" --target-dir "$target_dir" \
            "${cargo_target[@]}"
    fi
    exe=""
    [[ "$os" == windows ]] && exe=".exe"
    stage="$(mktemp -d)"
    for file in "kubectl-etcd$exe" "kubectl_complete-etcd$exe"; do
        [[ -f "$bin_dir/$file" ]] || {
            echo "krew/build.sh: $bin_dir/$file is missing: build it (cargo build -p kubectl-etcd --bins --profile $profile)" >&2
            exit 1
        }
        cp "$bin_dir/$file" "$stage/"
    done
    cp LICENSE "$stage/"
    archive="kubectl-etcd_${version}_${os}_${arch}.tar.gz"
    # Reproducible: sorted names, no owners, fixed times, no name or time in the gzip header.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - \
        LICENSE "kubectl-etcd$exe" "kubectl_complete-etcd$exe" | gzip -n >"$out/$archive"
    rm -rf "$stage"
    sha256="$(sha256sum "$out/$archive" | cut -d' ' -f1)"
    sed -e "s|{{OS}}|$os|" -e "s|{{ARCH}}|$arch|" -e "s|{{URI}}|$uri_base/$archive|" \
        -e "s|{{SHA256}}|$sha256|" -e "s|{{EXE}}|$exe|g" krew/platform.yaml.tmpl >>"$platforms_yaml"
    built+=("$os/$arch")
    echo "krew/build.sh: $out/$archive $(du -h "$out/$archive" | cut -f1) sha256 $sha256" >&2
done

if [[ ${#built[@]} -eq 0 ]]; then
    echo "krew/build.sh: nothing was packaged: the host $host is none of the platforms above" >&2
    exit 1
fi
awk -v version="$version" -v platforms="$platforms_yaml" '
    /^\{\{PLATFORMS\}\}$/ { while ((getline line < platforms) > 0) print line; next }
    { gsub(/\{\{VERSION\}\}/, version); print }
' krew/etcd.yaml.tmpl >"$out/etcd.yaml"
rm -f "$platforms_yaml"
echo "krew/build.sh: wrote $out/etcd.yaml for $version: ${built[*]}" >&2
