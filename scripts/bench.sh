#!/usr/bin/env bash
# Runs every benchmark the features allow, on the sandbox with real etcd, and prints the
# table; the JSON goes to target/bench/cluster.json. Not part of the tests: figures are
# reported, never asserted. BENCH_RUNS=N (default 3) runs each figure N times;
# BENCH_ONLY=ready,scale,heal,upgrade,cost,plugin,backup picks groups (backup: backups and
# restores of one 256 MiB cluster). Needs root (the sandbox's node), like the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
echo "== building release binaries (the benchmark measures what users run)"
cargo build --release --workspace --bins
echo "== benchmarks (runs: ${BENCH_RUNS:-3})"
cargo bench -p etcd-operator --bench cluster
