// The benchmark's upstream: a minimal OpenAI-compatible server on 127.0.0.1 that answers every
// `POST /v1/chat/completions` with the same precomputed bytes, so that it is never the bottleneck
// and every system under test (direct, cdk-ai-gateway, Portkey) talks to exactly the same thing.
//
// - JSON: one fixed chat completion with usage.
// - Streaming (`"stream":true` in the body): fixed server-sent events — role chunk, content
//   chunks, finish chunk, usage chunk, `[DONE]`. The first event is written at once; the rest
//   follows after `--stream-gap-ms` (default 5), so a system that buffers the stream instead of
//   forwarding it shows up in the time to first byte.
//
// Run in its own process (CPU per request is measured per process). Prints nothing; reports
// `{ listening: port }` over IPC when started by the benchmark, or one JSON line on stdout.
//
//   node servers/upstream.mjs [--port N] [--stream-gap-ms N]
import * as http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'stream-gap-ms': { type: 'string', default: '5' },
  },
});
const gapMs = Number(values['stream-gap-ms']);

const MODEL = 'bench-model';
const CREATED = 1_700_000_000;
const TEXT = ['Hello', ' from', ' the', ' benchmark', ' upstream', '.'];
const USAGE = { prompt_tokens: 12, completion_tokens: TEXT.length, total_tokens: 12 + TEXT.length };

const JSON_BODY = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: CREATED,
  model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: TEXT.join('') }, logprobs: null, finish_reason: 'stop' }],
  usage: USAGE,
}));
const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(JSON_BODY.length) };
// A request with `tools` gets a tool call (the tool-call scenario).
const TOOL_BODY = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: CREATED,
  model: MODEL,
  choices: [{
    index: 0,
    message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_bench', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    logprobs: null,
    finish_reason: 'tool_calls',
  }],
  usage: USAGE,
}));
const TOOL_HEADERS = { 'content-type': 'application/json', 'content-length': String(TOOL_BODY.length) };
const TOOLS_MARK = Buffer.from('"tools":');

// `POST /v1/embeddings`: one 1,024-value vector (Titan V2's default size), as an embedding server answers.
const EMBEDDINGS_BODY = Buffer.from(JSON.stringify({
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: Array.from({ length: 1024 }, (_, i) => ((i * 37) % 2048) / 1024 - 1) }],
  model: 'bench-embed-model',
  usage: { prompt_tokens: 7, total_tokens: 7 },
}));
const EMBEDDINGS_HEADERS = { 'content-type': 'application/json', 'content-length': String(EMBEDDINGS_BODY.length) };

const chunk = (delta, finishReason = null, usage) => `data: ${JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion.chunk',
  created: CREATED,
  model: MODEL,
  choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  ...(usage ? { usage } : {}),
})}\n\n`;
const SSE_FIRST = Buffer.from(chunk({ role: 'assistant', content: '' }) + chunk({ content: TEXT[0] }));
const SSE_REST = Buffer.from([
  ...TEXT.slice(1).map((t) => chunk({ content: t })),
  chunk({}, 'stop'),
  chunk(undefined, null, USAGE),
  'data: [DONE]\n\n',
].join(''));
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const STREAM_MARK = Buffer.from('"stream":true');
const NOT_FOUND = Buffer.from('{"error":{"message":"not found","type":"invalid_request_error","code":"not_found","param":null}}');

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    if (req.method === 'POST' && req.url.endsWith('/embeddings')) {
      res.writeHead(200, EMBEDDINGS_HEADERS);
      res.end(EMBEDDINGS_BODY);
      return;
    }
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': String(NOT_FOUND.length) });
      res.end(NOT_FOUND);
      return;
    }
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (body.includes(STREAM_MARK)) {
      res.writeHead(200, SSE_HEADERS);
      res.write(SSE_FIRST);
      if (gapMs > 0) setTimeout(() => res.end(SSE_REST), gapMs);
      else setImmediate(() => res.end(SSE_REST));
    } else if (body.includes(TOOLS_MARK)) {
      res.writeHead(200, TOOL_HEADERS);
      res.end(TOOL_BODY);
    } else {
      res.writeHead(200, JSON_HEADERS);
      res.end(JSON_BODY);
    }
  });
});
// Keep idle keep-alive connections open between benchmark runs (Node's default is 5 s).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address();
  if (process.send) process.send({ listening: port });
  else process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
