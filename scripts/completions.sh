#!/usr/bin/env bash
# Regenerates the committed completion scripts in completions/ from the plugin's
# command-line definition. cli/tests/completions.rs fails while they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p kubectl-etcd --bin kubectl-etcd
plugin=target/debug/kubectl-etcd
"$plugin" completion bash >completions/kubectl-etcd.bash
"$plugin" completion zsh >completions/_kubectl-etcd
"$plugin" completion fish >completions/kubectl-etcd.fish
"$plugin" completion powershell >completions/kubectl-etcd.ps1
echo "wrote completions/{kubectl-etcd.bash,_kubectl-etcd,kubectl-etcd.fish,kubectl-etcd.ps1}" >&2
