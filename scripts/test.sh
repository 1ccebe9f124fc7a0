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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo build (the sandbox's tests run the built etcd-operator and etcd-sandbox binaries)"
cargo build --workspace --bins --locked

step "cargo nextest run (the end-to-end tests side by side, each with its own sandbox)"
cargo nextest run --workspace --locked
