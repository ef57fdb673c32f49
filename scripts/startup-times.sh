#!/usr/bin/env bash
# Prints how long each vLLM replica of a model took to start, from the cluster's own records:
# node ready → pod scheduled, image pull (the kubelet's "Successfully pulled image … in …" events),
# the weights sync from S3 (the `load-weights` init container), and model load (vLLM container
# start → Ready). Run it against a deployed cluster after a scale-out or a rollout, once with and
# once without a preloaded image snapshot or SOCI, to measure what they save.
#
# Not part of `npm test`: it needs kubectl access to a cluster running the model. Events are kept
# by Kubernetes for about an hour, so run it soon after the pods started.
#
#   scripts/startup-times.sh <model name> [namespace]   # namespace defaults to 'models'
set -euo pipefail

MODEL="${1:?usage: scripts/startup-times.sh <model name> [namespace]}"
NAMESPACE="${2:-models}"
command -v kubectl >/dev/null || { echo "kubectl is required" >&2; exit 1; }
command -v node >/dev/null || { echo "node is required" >&2; exit 1; }

PODS="$(kubectl get pods -n "$NAMESPACE" -l "app.kubernetes.io/instance=$MODEL,app.kubernetes.io/name=vllm" -o json)"
EVENTS="$(kubectl get events -n "$NAMESPACE" --field-selector involvedObject.kind=Pod -o json)"

PODS="$PODS" EVENTS="$EVENTS" node <<'EOF'
const pods = JSON.parse(process.env.PODS).items;
const events = JSON.parse(process.env.EVENTS).items;
if (pods.length === 0) { console.error('no vLLM pods found for that model and namespace'); process.exit(1); }
const t = (s) => (s ? Date.parse(s) : NaN);
const secs = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${Math.round((b - a) / 1000)} s` : 'n/a');
for (const pod of pods) {
  const name = pod.metadata.name;
  const mine = events.filter((e) => e.involvedObject.name === name);
  const cond = (type) => t((pod.status.conditions ?? []).find((c) => c.type === type)?.lastTransitionTime);
  const created = t(pod.metadata.creationTimestamp);
  const pulls = mine.filter((e) => e.reason === 'Pulled').map((e) => e.message);
  const init = (pod.status.initContainerStatuses ?? []).find((s) => s.name === 'load-weights');
  const initState = init?.state?.terminated ?? init?.lastState?.terminated;
  const vllm = (pod.status.containerStatuses ?? []).find((s) => s.name === 'vllm');
  const vllmStarted = t(vllm?.state?.running?.startedAt);
  console.log(`pod ${name} on ${pod.spec.nodeName ?? '(not scheduled)'}`);
  console.log(`  created → scheduled:            ${secs(created, cond('PodScheduled'))}`);
  for (const p of pulls) console.log(`  image pull:                     ${p}`);
  if (pulls.length === 0) console.log('  image pull:                     no Pulled event (image already on the node, or events expired)');
  if (initState) console.log(`  weights sync from S3:           ${secs(t(initState.startedAt), t(initState.finishedAt))}`);
  console.log(`  vLLM start → Ready (model load): ${secs(vllmStarted, cond('Ready'))}`);
  console.log(`  created → Ready (total):        ${secs(created, cond('Ready'))}`);
}
EOF
