#!/usr/bin/env bash
# Runs every benchmark the features allow, on the sandbox with real etcd, and prints the
# table; the JSON goes to target/bench/cluster.json. Not part of the tests: figures are
# reported, never asserted. BENCH_RUNS=N (default 3) runs each figure N times;
# BENCH_ONLY=ready,scale,heal,upgrade,cost,plugin,backup picks groups (backup: backups and
# restores of one 256 MiB cluster). Every group runs etcd 3.5.30 (the upgrades name their
# own versions); then ready, scale, heal and backup run again on each version of
# BENCH_OLDER (default 3.4.23; empty for none), their figures marked "(etcd VERSION)" and
# written to target/bench/cluster-etcd-VERSION.json. Needs root (the sandbox's node), like
# the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
# One build for the binaries and the benchmark: `cargo bench` alone would resolve the
# dependencies' features differently from the binaries' build (dev-dependencies join in)
# and build every dependency twice, which took more than an hour on 2 cores.
echo "== building the release binaries and the benchmark in one build (it measures what users run)"
bench=$(cargo build --release --locked --workspace --bins --bench cluster --message-format=json-render-diagnostics |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "cluster" and m.get("executable"):
        print(m["executable"])')
if [ -z "$bench" ]; then
    echo "bench: the build did not produce the benchmark binary (operator/benches/cluster.rs)" >&2
    exit 1
fi
echo "== benchmarks (runs: ${BENCH_RUNS:-3}): $bench"
cd operator
"$bench" --bench
# The groups whose figures depend on the etcd version, again on the older ones.
older_groups=""
for group in ready scale heal backup; do
    if [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$group,"* ]]; then
        older_groups="${older_groups:+$older_groups,}$group"
    fi
done
for version in ${BENCH_OLDER-3.4.23}; do
    [ -n "$older_groups" ] || break
    echo "== benchmarks on etcd $version: $older_groups"
    BENCH_ETCD="$version" BENCH_ONLY="$older_groups" "$bench" --bench
done
