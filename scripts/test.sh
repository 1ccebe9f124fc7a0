#!/usr/bin/env bash
# Runs every test of kubectl-etcd on this machine: installs what is missing first
# (scripts/prereqs.sh), then format check, lints, and the whole test suite with
# cargo-nextest (settings in .config/nextest.toml), including the tests against real etcd
# 3.4.23, 3.5.0, 3.5.1, 3.5.16 and 3.5.30. Exits non-zero when a step fails; the test step
# runs every test and lists every failure.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "==> $*" >&2; }

step "prerequisites"
scripts/prereqs.sh

# A build from scratch takes 6.7 GiB under target/ (a fresh clone with CI set, 2026-12-06;
# 17 GiB before dependencies lost their line tables and CI its incremental caches), and
# the tests' etcd data comes on top. Say so at once when the disk is short, not with a
# linker's "No space left on device" ten minutes in.
NEED_GIB=${NEED_GIB:-10}
mkdir -p target
built_gib=$(du -sk target | awk '{ print int($1 / 1048576) }')   # what an earlier build left
free_gib=$(df -Pk target | awk 'NR == 2 { print int($4 / 1048576) }')
if [ $((free_gib + built_gib)) -lt "$NEED_GIB" ]; then
  echo "test: only ${free_gib} GiB free on the disk of $(pwd)/target (${built_gib} GiB built there" \
    "already); building and running the tests needs about ${NEED_GIB} GiB: free some space" \
    "(e.g. cargo clean in other checkouts) and run again" >&2
  exit 1
fi
echo "test: ${free_gib} GiB free and ${built_gib} GiB built under target/ (about ${NEED_GIB} GiB needed)" >&2

# On CI every build is from scratch: incremental compilation's caches would only take disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo build (the sandbox's tests run the built etcd-operator and etcd-sandbox binaries)"
cargo build --workspace --bins --locked

step "cargo nextest run (the end-to-end tests side by side, each with its own sandbox)"
cargo nextest run --workspace --locked
