#!/usr/bin/env bash
# Delete a kind cluster that scripts/kind-up.sh created (everything in it goes with it).
# Usage: scripts/kind-down.sh [--name NAME] [--keep-traces]
#   --keep-traces  keep the host trace folder ($SIMARENA_TRACE_DIR, default /tmp/simarena-traces)
# Only a cluster carrying kind-up.sh's ownership mark (the ConfigMap kube-system/simarena-kind-up, read
# through the explicit context kind-NAME) is deleted: a cluster kind-up.sh only reused, or one that cannot
# be reached to check, is left alone with the command to delete it yourself. The current context is never
# changed.
set -euo pipefail

NAME=simarena
KEEP=0
TRACE_DIR="${SIMARENA_TRACE_DIR:-/tmp/simarena-traces}"
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --keep-traces) KEEP=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "kind-down: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

command -v kind >/dev/null 2>&1 || { echo "kind-down: kind is not installed" >&2; exit 1; }
if kind get clusters 2>/dev/null | grep -qx "$NAME"; then
  command -v kubectl >/dev/null 2>&1 || { echo "kind-down: kubectl is needed to check the ownership mark" >&2; exit 1; }
  if ! kubectl --context "kind-$NAME" -n kube-system get configmap simarena-kind-up -o name >/dev/null 2>&1; then
    echo "kind-down: cluster $NAME was not created by kind-up.sh (no ConfigMap kube-system/simarena-kind-up" \
      "in context kind-$NAME, or it cannot be reached); not deleting it. If it is yours to delete:" \
      "kind delete cluster --name $NAME" >&2
    exit 1
  fi
  kind delete cluster --name "$NAME"
else
  echo "kind-down: no kind cluster named $NAME (nothing to do)"
fi
if [ "$KEEP" = 0 ] && [ -d "$TRACE_DIR" ]; then
  # Only the traces we delivered (simarena-*.sktrace); anything else in the folder stays.
  find "$TRACE_DIR" -maxdepth 1 -name 'simarena-*.sktrace' -delete
  rmdir "$TRACE_DIR" 2>/dev/null || true
fi
