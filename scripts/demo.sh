#!/usr/bin/env bash
# The demo, on the sandbox (a local Kubernetes API whose node runs real etcd):
#   1. check manifests with `kubectl etcd validate`, as the API server would;
#   2. start etcd-sandbox, install the CRDs, start etcd-operator;
#   3. create a 3-member cluster with `kubectl etcd create --wait`; the operator starts it;
#      `kubectl etcd status`, `kubectl get etcd -o wide`, the Events; write and read a key
#      through two members;
#   4. stop the operator and the sandbox, which removes everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo >&2; echo "==> $*" >&2; }

step "prerequisites"
scripts/prereqs.sh
command -v kubectl >/dev/null || { echo "demo: kubectl (1.26 or newer) is needed on PATH" >&2; exit 1; }

step "building the plugin, the operator and the sandbox"
cargo build --locked --bins --workspace

step "kubectl etcd validate: the example manifests"
target/debug/kubectl-etcd validate -f examples/cluster.yaml -f examples/backup-scheduled.yaml -f examples/restore.yaml

step "kubectl etcd validate: a manifest that breaks two rules (exit code 3 expected)"
set +e
target/debug/kubectl-etcd validate -f examples/invalid-cluster.yaml
code=$?
set -e
[ "$code" -eq 3 ] || { echo "demo: expected exit code 3, got $code" >&2; exit 1; }

step "starting etcd-sandbox"
dir="$(mktemp -d /tmp/kubectl-etcd-demo.XXXXXX)"
node_flag=()
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: not root, so the sandbox serves the API only (Pods stay Pending)" >&2
  node_flag=(--no-node)
fi
target/debug/etcd-sandbox up --dir "$dir" --port 0 "${node_flag[@]}" > "$dir/up.out" 2> "$dir/up.err" &
sandbox_pid=$!
stop_sandbox() {
  if kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid"
    wait "$sandbox_pid" || true
  fi
}
trap stop_sandbox EXIT
for _ in $(seq 100); do
  [ -s "$dir/up.out" ] && break
  sleep 0.1
done
cat "$dir/up.out"
export KUBECONFIG="$dir/kubeconfig"
kube() { echo "\$ kubectl $*" >&2; kubectl --cache-dir="$dir/kubectl-cache" "$@"; }

step "installing the CRDs and starting the operator"
kube apply -f manifests/crd/
kube wait --for=condition=established --timeout=10s crd/etcdclusters.etcd.kubectl-etcd.dev
target/debug/etcd-operator run --leader-elect=false --metrics-address 127.0.0.1:0 > "$dir/operator.log" 2>&1 &
operator_pid=$!
stop_all() {
  kill -TERM "$operator_pid" 2>/dev/null && wait "$operator_pid" || true
  stop_sandbox
}
trap stop_all EXIT

step "creating a 3-member etcd 3.5.30 cluster with the plugin (kubectl finds kubectl-etcd on PATH)"
export PATH="$PWD/target/debug:$PATH"
echo "\$ kubectl etcd create demo --size 3 --version 3.5.30 --wait" >&2
kubectl etcd create demo --size 3 --version 3.5.30 --wait --timeout 2m
echo "\$ kubectl etcd status demo" >&2
kubectl etcd status demo
kube get etcd -o wide
kube get pods -o wide
echo "\$ kubectl describe etcd demo   (events)" >&2
kubectl --cache-dir="$dir/kubectl-cache" describe etcd demo | sed -n '/^Events:/,$p'

if [ ${#node_flag[@]} -eq 0 ]; then
  step "writing and reading a key through two different members"
  ips=($(kubectl --cache-dir="$dir/kubectl-cache" get pods -l etcd.kubectl-etcd.dev/cluster=demo -o jsonpath='{.items[*].status.podIP}'))
  subnet="$(echo "${ips[0]}" | cut -d. -f3)"
  etcdctl="${KUBECTL_ETCD_CACHE:-$HOME/.cache/kubectl-etcd}/etcd/v3.5.30/etcdctl"
  echo "\$ etcdctl --endpoints=http://${ips[0]}:2379 put greeting 'hello from kubectl-etcd'" >&2
  "$etcdctl" --endpoints="http://${ips[0]}:2379" put greeting "hello from kubectl-etcd"
  echo "\$ etcdctl --endpoints=http://${ips[2]}:2379 get greeting" >&2
  "$etcdctl" --endpoints="http://${ips[2]}:2379" get greeting --print-value-only
  echo "\$ etcdctl member list -w table" >&2
  "$etcdctl" --endpoints="http://${ips[0]}:2379" member list -w table
fi

step "stopping the operator"
kill -TERM "$operator_pid"
wait "$operator_pid" || true
trap stop_sandbox EXIT

step "stopping the sandbox"
stop_sandbox
trap - EXIT
if [ -n "${subnet:-}" ]; then
  left="$(ip netns list 2>/dev/null | grep -c "^esb$subnet-" || true)"
  echo "network namespaces of this sandbox (10.244.$subnet.0/24) left behind: $left" >&2
fi
step "demo finished"
