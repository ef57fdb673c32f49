/**
 * The shipped router bundle (assets/router/index.mjs) as Lambda runs it, with `GATEWAY_TRACES=xray`
 * (as `GatewayRouter` sets it): the spans of an invocation reach the OTLP endpoint signed with SigV4
 * once the answer was written — @smithy/signature-v4 resolves from the bundle — and continue the
 * invocation's X-Ray trace, with the authorizer's span from API Gateway's request context.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatEvent, runBundledHandler } from '../../helpers/fake-lambda-runtime';
import { FakeOtlpCollector, startFakeOtlpCollector, verifySigV4 } from '../../helpers/fake-otlp-collector';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { testConfig } from '../../helpers/router-config';

const BUNDLE = join(__dirname, '..', '..', '..', 'assets', 'router', 'index.mjs');
const SECRET = 'secret-example';

let collector: FakeOtlpCollector;
let upstream: FakeOpenAiUpstream;
let taskRoot: string;

beforeAll(async () => {
  collector = await startFakeOtlpCollector();
  upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  taskRoot = mkdtempSync(join(tmpdir(), 'router-traces-'));
  writeFileSync(join(taskRoot, 'gateway-config.json'), JSON.stringify(testConfig({ openai: upstream.baseUrl })));
});

afterAll(async () => {
  rmSync(taskRoot, { recursive: true, force: true });
  await Promise.all([collector.close(), upstream.close()]);
});

interface OtlpSpan { name: string; traceId: string; parentSpanId?: string; startTimeUnixNano: string; endTimeUnixNano: string }

test('the bundled router exports signed spans of the invocation trace after answering', async () => {
  // Prepare
  upstream.enqueue(OpenAiBehaviours.success({ text: 'traced', usage: { promptTokens: 8, completionTokens: 2 } }));
  const event = chatEvent({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
  const traced = { ...event, requestContext: { ...event.requestContext, requestTimeEpoch: Date.now() - 40, authorizer: { ...event.requestContext?.authorizer, integrationLatency: 17 } } };

  // Act
  const run = await runBundledHandler(BUNDLE, {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'token', AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true', LAMBDA_TASK_ROOT: taskRoot, AWS_LAMBDA_FUNCTION_NAME: 'gateway-router',
    GATEWAY_TRACES: 'xray', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  }, traced);

  // Assess
  expect(run.error).toBeUndefined();
  expect(run.statusCode).toBe(200);
  expect(collector.received).toHaveLength(1);
  const [request] = collector.received;
  expect(verifySigV4(request, SECRET)).toBe(true);
  const spans = (request.body as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans[0].scopeSpans[0].spans;
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['5759e988bd862e3fe1be46a994272793']));
  const root = spans.find((s) => s.name === 'POST /v1/chat/completions')!;
  expect(root.parentSpanId).toBe('53995c3f42cd8ad8');
  const authorizer = spans.find((s) => s.name === 'gateway.authorizer')!;
  expect(BigInt(authorizer.endTimeUnixNano) - BigInt(authorizer.startTimeUnixNano)).toBe(17_000_000n);
  expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['chat qwen3-8b', 'gateway.usage.record']));
  const log = run.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => 'gateway.request.id' in l)!;
  expect(log['gateway.trace_id']).toBe('5759e988bd862e3fe1be46a994272793');
});
