#!/usr/bin/env bash
# The demo: builds kubectl-etcd, prints the CustomResourceDefinitions it installs, and
# checks example manifests with the plugin, as the API server would. (Grows into the full
# sandbox demo, create -> status -> write/read -> stop, as the sandbox and operator land.)
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "==> $*" >&2; }

step "prerequisites"
scripts/prereqs.sh

step "building the plugin and the operator"
cargo build --locked --bin kubectl-etcd --bin etcd-operator

step "the CustomResourceDefinitions, generated from the Rust types (etcd-operator crd)"
mkdir -p target/demo
target/debug/etcd-operator crd > target/demo/crds.yaml
grep -E '^  name: ' target/demo/crds.yaml | sed 's/^  name: /  /'
echo "  (full YAML: target/demo/crds.yaml, $(wc -l < target/demo/crds.yaml) lines; committed under manifests/crd/)"

step "kubectl etcd validate: the example manifests"
target/debug/kubectl-etcd validate -f examples/cluster.yaml -f examples/backup-scheduled.yaml -f examples/restore.yaml

step "kubectl etcd validate: a manifest that breaks two rules (exit code 3 expected)"
set +e
target/debug/kubectl-etcd validate -f examples/invalid-cluster.yaml
code=$?
set -e
if [ "$code" -ne 3 ]; then
  echo "demo: expected exit code 3 for the invalid manifest, got $code" >&2
  exit 1
fi
step "demo finished: the invalid manifest was refused with exit code $code, as intended"
