#!/usr/bin/env bash
# Delete the kind cluster made by scripts/kind-up.sh (everything in it goes with it).
# Usage: scripts/kind-down.sh [--name NAME] [--keep-traces]
#   --keep-traces  keep the host trace folder ($SIMARENA_TRACE_DIR, default /tmp/simarena-traces)
set -euo pipefail

NAME=simarena
KEEP=0
TRACE_DIR="${SIMARENA_TRACE_DIR:-/tmp/simarena-traces}"
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --keep-traces) KEEP=1; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "kind-down: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done

command -v kind >/dev/null 2>&1 || { echo "kind-down: kind is not installed" >&2; exit 1; }
if kind get clusters 2>/dev/null | grep -qx "$NAME"; then
  kind delete cluster --name "$NAME"
else
  echo "kind-down: no kind cluster named $NAME (nothing to do)"
fi
if [ "$KEEP" = 0 ] && [ -d "$TRACE_DIR" ]; then
  # Only the traces we delivered (simarena-*.sktrace); anything else in the folder stays.
  find "$TRACE_DIR" -maxdepth 1 -name 'simarena-*.sktrace' -delete
  rmdir "$TRACE_DIR" 2>/dev/null || true
fi
