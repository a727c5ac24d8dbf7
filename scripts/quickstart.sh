#!/usr/bin/env bash
# The main job on the embedded default: start `eksa-temporal dev` (Temporal dev server with
# SQLite + Web UI, the simulated infrastructure, a worker), create a management cluster
# `demo` from a generated sim spec, show its nodes with kubectl, then stop what it started.
# On a terminal it waits for Enter before stopping, so the Web UI can be looked at.
# Settings: EKSA_TEMPORAL_STATE_DIR (default ./.state), CLUSTER (default demo).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/eksa-temporal ]; then export PATH="$PWD/.venv/bin:$PATH"; fi
export EKSA_TEMPORAL_STATE_DIR="${EKSA_TEMPORAL_STATE_DIR:-$PWD/.state}"
CLUSTER="${CLUSTER:-demo}"
mkdir -p "$EKSA_TEMPORAL_STATE_DIR"
log="$EKSA_TEMPORAL_STATE_DIR/dev.log"

setsid eksa-temporal dev >"$log" 2>&1 &
dev_pid=$!
stop() {
  kill -TERM -- "-$dev_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$dev_pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$dev_pid" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 1 300); do
  grep -q '^ready' "$log" && break
  kill -0 "$dev_pid" 2>/dev/null || { cat "$log" >&2; echo "eksa-temporal dev exited" >&2; exit 1; }
  sleep 0.1
done
grep -q '^ready' "$log" || { cat "$log" >&2; echo "eksa-temporal dev did not become ready in 30 s" >&2; exit 1; }
sed 's/^/  dev: /' "$log"

if [ -f "$CLUSTER/$CLUSTER-eks-a-cluster.kubeconfig" ]; then
  echo "== $CLUSTER exists already (from an earlier run): deleting it first"
  eksa-temporal start delete-cluster "$CLUSTER" --wait
fi
eksa-temporal generate clusterconfig "$CLUSTER" -p sim > "$CLUSTER.yaml"
eksa-temporal validate -f "$CLUSTER.yaml"
eksa-temporal start create-cluster -f "$CLUSTER.yaml" --wait
echo "== kubectl --kubeconfig $CLUSTER/$CLUSTER-eks-a-cluster.kubeconfig get nodes"
kubectl --kubeconfig "$CLUSTER/$CLUSTER-eks-a-cluster.kubeconfig" get nodes
echo "== the operation in Temporal: eksa-temporal status $CLUSTER"
eksa-temporal status "$CLUSTER"

if [ -t 0 ]; then
  echo
  echo "Web UI: http://127.0.0.1:8233/namespaces/default/workflows (press Enter to stop everything)"
  read -r _ || true
fi
