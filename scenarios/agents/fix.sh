#!/usr/bin/env bash
# A kubectl agent for the canonical traces: look, read why the pods are Pending, set resources that
# fit a node (and the declared usage, under a 4Gi memory limit), scale to the 3 replicas wanted, and
# wait for the Deployment to be Available. simarena runs it with KUBECONFIG set to the served cluster.
set -euo pipefail

kubectl get pods
pod=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
why=$(kubectl describe pod "$pod" | grep FailedScheduling || true)
echo "why: $why"

fits=()
case "$why" in *"Insufficient cpu"*) fits+=(cpu=1) ;; esac
case "$why" in *"Insufficient memory"*) fits+=(memory=4Gi) ;; esac
if [ ${#fits[@]} -gt 0 ]; then
  values=$(IFS=,; echo "${fits[*]}")
  kubectl set resources deployment/web --requests="$values" --limits="$values"
fi
kubectl scale deployment/web --replicas=3
kubectl wait --for=condition=Available deployment/web --timeout=600s
kubectl get pods
