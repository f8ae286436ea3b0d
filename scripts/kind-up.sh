#!/usr/bin/env bash
# A local cluster for the kube backend: kind + KWOK virtual nodes shaped like the embedded default cluster
# (3 nodes, 16 cpu / 32Gi / 110 pods, label type=virtual, taint kwok-provider=true:NoSchedule), and with
# --simkube also cert-manager, the selfsigned ClusterIssuer, the monitoring namespace and SimKube's
# controller, following SimKube's installation guide (docs/intro/installation.md). See docs/real-cluster.md.
#
# Usage: scripts/kind-up.sh [--name NAME] [--simkube] [--nodes-only --context CTX|--print-nodes] [--nodes N]
#                           [--node-cpu Q] [--node-memory Q] [--node-pods N]
#   --nodes-only   only (re)apply the KWOK virtual nodes to the cluster of kubectl context CTX (required:
#                  the current context is never assumed; any cluster with KWOK)
#   --print-nodes  print the virtual nodes' manifests and exit (nothing is contacted)
# Every kubectl call names its context; the current context is left as it was (kind create switches it,
# and it is switched back). A cluster this script creates gets an ownership mark, the ConfigMap
# kube-system/simarena-kind-up; kind-down.sh deletes only clusters that carry it (never a reused one).
# Environment: SIMARENA_TRACE_DIR (host folder mounted into every kind node at /data/simarena, where the
#   SimKube driver reads file:// traces; default /tmp/simarena-traces), KWOK_VERSION (default: latest
#   release), CERT_MANAGER_VERSION (default v1.14.3), SIMKUBE_REF (git ref of acrlabs/simkube, default v2.7.0).
set -euo pipefail

NAME=simarena
SIMKUBE=0
NODES_ONLY=0
PRINT_NODES=0
CONTEXT=""
NODES=3
NODE_CPU=16
NODE_MEMORY=32Gi
NODE_PODS=110
TRACE_DIR="${SIMARENA_TRACE_DIR:-/tmp/simarena-traces}"
NODE_TRACE_DIR=/data/simarena
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.14.3}"
SIMKUBE_REF="${SIMKUBE_REF:-v2.7.0}"

die() { echo "kind-up: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed ($2)"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --simkube) SIMKUBE=1; shift ;;
    --nodes-only) NODES_ONLY=1; shift ;;
    --print-nodes) PRINT_NODES=1; shift ;;
    --context) CONTEXT="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --node-cpu) NODE_CPU="$2"; shift 2 ;;
    --node-memory) NODE_MEMORY="$2"; shift 2 ;;
    --node-pods) NODE_PODS="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

virtual_nodes() {
  # KWOK manages nodes annotated kwok.x-k8s.io/node=fake; status.allocatable is kept as given
  # (kubernetes.md §8), SimKube's pods land on type=virtual nodes tolerating kwok-provider (simkube.md §5).
  local i
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    type: virtual
spec:
  taints:
    - key: kwok-provider
      value: "true"
      effect: NoSchedule
status:
  allocatable: {cpu: "$NODE_CPU", memory: "$NODE_MEMORY", pods: "$NODE_PODS"}
  capacity: {cpu: "$NODE_CPU", memory: "$NODE_MEMORY", pods: "$NODE_PODS"}
EOF
  done
}

apply_nodes() {
  echo "kind-up: $NODES KWOK virtual nodes ($NODE_CPU cpu / $NODE_MEMORY / $NODE_PODS pods, type=virtual), context $CONTEXT"
  virtual_nodes | kubectl --context "$CONTEXT" apply -f -
}

ownership_mark() {
  # Only in a cluster this script created: what kind-down.sh looks for before deleting anything.
  cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: simarena-kind-up
  namespace: kube-system
  labels:
    app.kubernetes.io/managed-by: pytest-simarena
data:
  cluster: "$NAME"
  created-by: scripts/kind-up.sh
EOF
}

if [ "$PRINT_NODES" = 1 ]; then
  virtual_nodes
  exit 0
fi
need kubectl "https://kubernetes.io/docs/tasks/tools/"
if [ "$NODES_ONLY" = 1 ]; then
  [ -n "$CONTEXT" ] || die "--nodes-only needs --context NAME (the cluster to add the nodes to; the current context is never assumed)"
  apply_nodes
  exit 0
fi
[ -z "$CONTEXT" ] || die "--context is for --nodes-only; the cluster kind-up.sh makes is always kind-$NAME"
CONTEXT="kind-$NAME"
k() { kubectl --context "$CONTEXT" "$@"; }

need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need docker "kind runs its nodes as Docker containers"
docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable (is Docker running?)"

mkdir -p "$TRACE_DIR"
if kind get clusters 2>/dev/null | grep -qx "$NAME"; then
  echo "kind-up: cluster $NAME exists; reusing it (it gets no ownership mark: kind-down.sh will not delete it)"
else
  # kind makes the new cluster the current context: remember the user's and put it back.
  previous="$(kubectl config current-context 2>/dev/null || true)"
  # Two real nodes as SimKube's guide asks (its controller runs on the type=kind-worker node); the trace
  # folder is mounted into both so the driver finds file:// traces whichever node it runs on.
  kind create cluster --name "$NAME" --wait 120s --config - <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    labels: {type: kind-control-plane}
    extraMounts: [{hostPath: "$TRACE_DIR", containerPath: "$NODE_TRACE_DIR"}]
  - role: worker
    labels: {type: kind-worker}
    extraMounts: [{hostPath: "$TRACE_DIR", containerPath: "$NODE_TRACE_DIR"}]
EOF
  if [ -n "$previous" ]; then
    kubectl config use-context "$previous" >/dev/null
  else
    kubectl config unset current-context >/dev/null
  fi
  ownership_mark | k apply -f -
fi

if [ -z "${KWOK_VERSION:-}" ]; then
  KWOK_VERSION="$(curl -fsSL https://api.github.com/repos/kubernetes-sigs/kwok/releases/latest \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["tag_name"])')" \
    || die "cannot find KWOK's latest release; set KWOK_VERSION (e.g. v0.7.0)"
fi
echo "kind-up: KWOK $KWOK_VERSION"
k apply -f "https://github.com/kubernetes-sigs/kwok/releases/download/$KWOK_VERSION/kwok.yaml"
k apply -f "https://github.com/kubernetes-sigs/kwok/releases/download/$KWOK_VERSION/stage-fast.yaml"
k -n kube-system rollout status deployment/kwok-controller --timeout=180s
apply_nodes

if [ "$SIMKUBE" = 1 ]; then
  need git "to fetch SimKube's kustomize manifests"
  echo "kind-up: cert-manager $CERT_MANAGER_VERSION"
  k apply -f "https://github.com/cert-manager/cert-manager/releases/download/$CERT_MANAGER_VERSION/cert-manager.yaml"
  k wait --for=condition=Ready -l app=webhook -n cert-manager pod --timeout=180s
  k apply -f - <<EOF
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: selfsigned
spec:
  selfSigned: {}
EOF
  # SimKube's setup fails when the metrics namespace is missing, even with metrics off (simkube.md §3.3).
  k create namespace monitoring --dry-run=client -o yaml | k apply -f -
  src="$(mktemp -d)"
  trap 'rm -rf "$src"' EXIT
  git clone --quiet --depth 1 --branch "$SIMKUBE_REF" https://github.com/acrlabs/simkube "$src/simkube"
  k apply -k "$src/simkube/k8s/kustomize/sim"
  k -n simkube rollout status deployment/sk-ctrl-depl --timeout=300s
fi

echo "kind-up: ready. Check it with: simarena preflight --context kind-$NAME --mode $([ "$SIMKUBE" = 1 ] && echo simkube || echo direct)"
echo "kind-up: traces for SimKube go to $TRACE_DIR (node path $NODE_TRACE_DIR); kind-down.sh removes the cluster"
