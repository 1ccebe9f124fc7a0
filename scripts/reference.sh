#!/usr/bin/env bash
# Regenerates the committed reference pages in docs/reference/ from what they describe:
# commands.md from the plugin's command-line definition, crds.md from the custom resource
# types. cli/tests/reference.rs fails while they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p kubectl-etcd --bin kubectl-etcd
plugin=target/debug/kubectl-etcd
mkdir -p docs/reference
"$plugin" __reference commands >docs/reference/commands.md
"$plugin" __reference crds >docs/reference/crds.md
echo "wrote docs/reference/{commands,crds}.md" >&2
