#!/usr/bin/env bash
# GPU check of the self-hosted route, end to end, on a machine with an NVIDIA GPU.
#
# Starts vLLM (the image VllmModel pins) with a small model, runs the gateway router in local mode
# (`cdk-ai-gateway serve`) in front of it, and checks what the self-hosted constructs rely on:
#   1. a non-streamed and a streamed chat completion through the router (OpenAI envelope, usage,
#      x-gateway-* headers, SSE ending in [DONE]);
#   2. vLLM's /metrics exposes every series KEDA and the GPU observability rules query
#      (vllm:num_requests_waiting, vllm:num_requests_running, vllm:kv_cache_usage_perc,
#      vllm:generation_tokens_total, vllm:time_to_first_token_seconds) with the model_name label;
#   3. --shutdown-timeout drains: a request in flight when vLLM receives SIGTERM still completes.
#
# Not part of `npm test` (it needs a GPU, Docker with the NVIDIA container toolkit, and downloads
# a ~10 GB image and ~1 GB of weights). Run from the repository root:
#
#   scripts/gpu-check.sh                      # Qwen/Qwen2.5-0.5B-Instruct
#   MODEL=meta-llama/Llama-3.2-3B-Instruct HF_TOKEN=hf_... scripts/gpu-check.sh
#
# Environment: MODEL, SERVED_NAME, VLLM_IMAGE (default: VllmModel.DEFAULT_IMAGE), VLLM_PORT (8000),
# GATEWAY_PORT (8787), MAX_MODEL_LEN (4096), STARTUP_TIMEOUT_S (900), HF_TOKEN (gated models).
set -euo pipefail

cd "$(dirname "$0")/.."
MODEL="${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}"
SERVED_NAME="${SERVED_NAME:-gpu-check}"
VLLM_IMAGE="${VLLM_IMAGE:-$(sed -n "s/^const VLLM_IMAGE = '\(.*\)';$/\1/p" lib/selfhosted/vllm/vllm-model.ts)}"
VLLM_PORT="${VLLM_PORT:-8000}"
GATEWAY_PORT="${GATEWAY_PORT:-8787}"
MAX_MODEL_LEN="${MAX_MODEL_LEN:-4096}"
STARTUP_TIMEOUT_S="${STARTUP_TIMEOUT_S:-900}"
KEY="sk-gpu-check-0001"
WORK="$(mktemp -d)"
CONTAINER="cdk-ai-gateway-gpu-check-$$"
GATEWAY_PID=""

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok:   $*"; }
cleanup() {
  [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null || true
  docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in nvidia-smi docker node curl; do command -v "$tool" >/dev/null || fail "$tool is required"; done
[ -n "$VLLM_IMAGE" ] || fail "could not read the pinned vLLM image from lib/selfhosted/vllm/vllm-model.ts; set VLLM_IMAGE"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | sed 's/^/gpu:  /'

echo "starting $VLLM_IMAGE with $MODEL"
docker run -d --name "$CONTAINER" --gpus all --ipc=host -p "127.0.0.1:${VLLM_PORT}:8000" \
  ${HF_TOKEN:+-e HF_TOKEN="$HF_TOKEN"} "$VLLM_IMAGE" \
  "$MODEL" --served-model-name "$SERVED_NAME" --host 0.0.0.0 --port 8000 --max-model-len "$MAX_MODEL_LEN" \
  --gpu-memory-utilization 0.85 --enable-prefix-caching --shutdown-timeout 60 >/dev/null

deadline=$((SECONDS + STARTUP_TIMEOUT_S))
until curl -fsS "http://127.0.0.1:${VLLM_PORT}/health" >/dev/null 2>&1; do
  docker inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null | grep -q true || { docker logs --tail 50 "$CONTAINER" >&2; fail "vLLM exited during start-up"; }
  [ "$SECONDS" -lt "$deadline" ] || fail "vLLM not healthy after ${STARTUP_TIMEOUT_S}s"
  sleep 5
done
pass "vLLM healthy after ${SECONDS}s"

# The router's configuration: one tenant, one route to the local vLLM target.
KEY_HASH="$(printf %s "$KEY" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(require("crypto").createHash("sha256").update(s).digest("hex")))')"
cat > "$WORK/config.json" <<JSON
{
  "tenants": [{ "id": "gpu-check", "allowedAliases": ["chat"], "description": "GPU check tenant" }],
  "targets": [{ "id": "vllm", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:${VLLM_PORT}/v1", "model": "${SERVED_NAME}",
                "timeouts": { "connectMs": 2000, "firstTokenMs": 30000, "totalMs": 120000 }, "description": "vLLM started by scripts/gpu-check.sh" }],
  "routes": [{ "alias": "chat", "targets": ["vllm"], "description": "GPU check route" }],
  "prices": { "${SERVED_NAME}": { "inputUsdPer1K": 0.0001, "outputUsdPer1K": 0.0002 } },
  "localKeys": { "${KEY_HASH}": "gpu-check" }
}
JSON
[ -f assets/cli/index.mjs ] || npm run bundle >/dev/null
node assets/cli/index.mjs serve --config "$WORK/config.json" --port "$GATEWAY_PORT" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 50); do curl -s "http://127.0.0.1:${GATEWAY_PORT}/" >/dev/null 2>&1 && break; sleep 0.2; done

# 1. Through the router, non-streamed and streamed.
GATEWAY="http://127.0.0.1:${GATEWAY_PORT}" KEY="$KEY" node - <<'JS'
const base = process.env.GATEWAY;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env.KEY}` };
const body = (stream) => JSON.stringify({ model: 'chat', stream, max_tokens: 32, messages: [{ role: 'user', content: 'Say hello in five words.' }] });
const fail = (m) => { console.error(`FAIL: ${m}`); process.exit(1); };
(async () => {
  const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers, body: body(false) });
  const j = await r.json();
  if (r.status !== 200) fail(`chat completion: HTTP ${r.status} ${JSON.stringify(j)}`);
  if (!j.choices?.[0]?.message?.content) fail(`no message content: ${JSON.stringify(j)}`);
  if (!(j.usage?.completion_tokens > 0)) fail(`no usage: ${JSON.stringify(j)}`);
  const gatewayHeaders = [...r.headers.keys()].filter((h) => h.startsWith('x-gateway-'));
  if (gatewayHeaders.length === 0) fail('no x-gateway-* headers');
  console.log(`ok:   completion through the router (${j.usage.completion_tokens} tokens; ${gatewayHeaders.join(', ')})`);
  const s = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers, body: body(true) });
  const text = await s.text();
  if (s.status !== 200) fail(`streamed completion: HTTP ${s.status} ${text.slice(0, 300)}`);
  const events = text.split('\n').filter((l) => l.startsWith('data: '));
  if (events.length < 3 || events[events.length - 1] !== 'data: [DONE]') fail(`stream did not end with [DONE]: ${text.slice(-300)}`);
  console.log(`ok:   streamed completion through the router (${events.length} events, ends with [DONE])`);
})().catch((e) => fail(e.stack));
JS

# 2. The series the ScaledObject triggers and the recording/alerting rules query.
metrics="$(curl -fsS "http://127.0.0.1:${VLLM_PORT}/metrics")"
for series in vllm:num_requests_waiting vllm:num_requests_running vllm:kv_cache_usage_perc vllm:generation_tokens_total vllm:time_to_first_token_seconds_bucket; do
  echo "$metrics" | grep -E "^${series}\{[^}]*model_name=\"${SERVED_NAME}\"" >/dev/null || fail "/metrics has no ${series}{model_name=\"${SERVED_NAME}\"}"
done
pass "vLLM exposes every series KEDA and the observability rules query, labelled model_name=\"${SERVED_NAME}\""

# 3. Graceful drain: a request in flight at SIGTERM completes within --shutdown-timeout.
curl -fsS -o "$WORK/drain.json" -H 'content-type: application/json' \
  -d "{\"model\":\"${SERVED_NAME}\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\",\"content\":\"Count from 1 to 100.\"}]}" \
  "http://127.0.0.1:${VLLM_PORT}/v1/chat/completions" &
inflight=$!
sleep 1
docker kill --signal=SIGTERM "$CONTAINER" >/dev/null
wait "$inflight" || fail "the request in flight at SIGTERM failed: vLLM did not drain"
node -e 'const j=require(process.argv[1]); if(!j.choices?.[0]?.message?.content) process.exit(1)' "$WORK/drain.json" || fail "drained request has no content"
pass "a request in flight at SIGTERM completed (--shutdown-timeout drains)"

echo "GPU check passed: $MODEL on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
