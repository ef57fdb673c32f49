/**
 * Local mode exports traces: `cdk-ai-gateway serve` with `OTEL_EXPORTER_OTLP_ENDPOINT` sends each
 * request's spans to that OTLP endpoint in the background, continuing the client's `traceparent`;
 * the official `openai` client drives it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runServeCommand } from '../../../cli/serve';
import { LocalServer } from '../../../lambda/router/local/server';
import { FakeOtlpCollector, startFakeOtlpCollector } from '../../helpers/fake-otlp-collector';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { ACME_KEY, testConfig } from '../../helpers/router-config';

let collector: FakeOtlpCollector;
let upstream: FakeOpenAiUpstream;
let dir: string;

beforeAll(async () => {
  collector = await startFakeOtlpCollector();
  upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  dir = mkdtempSync(join(tmpdir(), 'serve-traces-'));
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify(testConfig({ openai: upstream.baseUrl })));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([collector.close(), upstream.close()]);
});

test('serve sends the spans of each request to the OTLP endpoint, continuing the client\'s traceparent', async () => {
  // Prepare
  upstream.enqueue(OpenAiBehaviours.success({ text: 'traced locally', usage: { promptTokens: 5, completionTokens: 3 } }));
  const stop = new AbortController();
  let server: LocalServer | undefined;
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const done = runServeCommand(['--config', join(dir, 'gateway.json'), '--port', '0'], { stdout: () => undefined, stderr: () => undefined }, {
    signal: stop.signal, env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url.replace(/\/v1\/traces$/, ''), OTEL_SERVICE_NAME: 'local-gateway' },
    onListening: (s) => { server = s; },
  });
  for (let i = 0; i < 500 && !server; i++) await new Promise((r) => setTimeout(r, 10));
  const client = new OpenAI({ baseURL: server!.baseUrl, apiKey: ACME_KEY, maxRetries: 0, defaultHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });

  // Act
  const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
  for (let i = 0; i < 1000 && collector.received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  stop.abort();
  await done;
  stdout.mockRestore();

  // Assess
  expect(answer.choices[0].message.content).toBe('traced locally');
  expect(collector.received.length).toBeGreaterThan(0);
  const body = collector.received[0].body as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string; traceId: string; parentSpanId?: string }[] }[] }[] };
  expect(body.resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'local-gateway' } });
  const spans = body.resourceSpans[0].scopeSpans[0].spans;
  expect(spans.find((s) => s.name === 'POST /v1/chat/completions')).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' });
  expect(spans.map((s) => s.name)).toContain('chat qwen3-8b');
});
