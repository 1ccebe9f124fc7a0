#!/usr/bin/env bash
# The demo, on the sandbox (a local Kubernetes API whose node runs real etcd):
#   1. check manifests with `kubectl etcd validate`, as the API server would;
#   2. start etcd-sandbox, install the CRDs with kubectl, create an EtcdCluster and look at
#      it the way a user does (`kubectl get etcd`, `explain`, `scale`);
#   3. show the node running real etcd: a Pod with the etcd image, read with etcdctl;
#   4. stop the sandbox, which removes everything it started.
# It grows into create -> status -> write/read -> upgrade as the operator lands.
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

step "installing the CRDs and creating a cluster resource"
kube apply -f manifests/crd/
kube wait --for=condition=established --timeout=10s crd/etcdclusters.etcd.kubectl-etcd.dev
kube apply -f examples/cluster.yaml
kube get etcd -o wide
kube scale etcd demo --replicas 5
kube get etcd demo -o jsonpath='{.spec.size}{"\n"}'
echo "(PHASE and READY stay empty until the operator, the next piece, runs the cluster)" >&2
kube explain etcdcluster.spec.storage.kind | sed -n '/DESCRIPTION/,/^$/p'

if [ ${#node_flag[@]} -eq 0 ]; then
  step "the sandbox's node runs real etcd: a one-member etcd 3.5.1 in its own network namespace"
  kube apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: etcd-solo, labels: {app: etcd-solo}}
spec:
  hostname: etcd-solo
  containers:
  - name: etcd
    image: gcr.io/etcd-development/etcd:v3.5.1
    command: [/usr/local/bin/etcd]
    args: [--name=solo, --data-dir=/var/lib/etcd/data, --listen-client-urls=http://0.0.0.0:2379, --advertise-client-urls=http://etcd-solo:2379]
    readinessProbe: {tcpSocket: {port: 2379}, periodSeconds: 1}
EOF
  kube wait --for=condition=Ready pod/etcd-solo --timeout=30s
  kube get pods -o wide
  ip="$(kubectl --cache-dir="$dir/kubectl-cache" get pod etcd-solo -o jsonpath='{.status.podIP}')"
  etcdctl="$HOME/.cache/kubectl-etcd/etcd/v3.5.1/etcdctl"
  [ -x "${KUBECTL_ETCD_CACHE:-}/etcd/v3.5.1/etcdctl" ] && etcdctl="$KUBECTL_ETCD_CACHE/etcd/v3.5.1/etcdctl"
  "$etcdctl" --endpoints="http://$ip:2379" put demo-key "hello from the sandbox" >/dev/null
  echo "\$ etcdctl get demo-key" >&2
  "$etcdctl" --endpoints="http://$ip:2379" get demo-key --print-value-only
fi

step "stopping the sandbox"
stop_sandbox
trap - EXIT
left="$(ip netns list 2>/dev/null | grep -c '^esb' || true)"
echo "network namespaces left behind: $left" >&2
step "demo finished"
