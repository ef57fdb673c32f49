import { ConsoleSpanExporter, OtlpHttpExporter } from '../../../lambda/router/tracing/exporter';
import { spanExporterFromEnv, parseOtlpHeaders, traceExportOf } from '../../../lambda/router/tracing/from-env';
import { unixNanos } from '../../../lambda/router/tracing/otlp-json';
import { sigV4Signer } from '../../../lambda/router/tracing/sigv4';
import { FinishedSpan, SpanKind, SpanStatus } from '../../../lambda/router/tracing/spans';
import { FakeOtlpCollector, startFakeOtlpCollector, verifySigV4 } from '../../helpers/fake-otlp-collector';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };

function span(i: number, overrides: Partial<FinishedSpan> = {}): FinishedSpan {
  return {
    traceId: '5759e988bd862e3fe1be46a994272793', spanId: (i + 1).toString(16).padStart(16, '0'), parentSpanId: '53995c3f42cd8ad8',
    name: `chat m${i}`, kind: SpanKind.CLIENT, startMs: 1_765_000_000_000.25, endMs: 1_765_000_000_012.5,
    attributes: { 'gen_ai.usage.input_tokens': 40, 'gen_ai.request.temperature': 0.2, 'gateway.stream': false, 'gen_ai.response.finish_reasons': ['stop'] },
    status: SpanStatus.UNSET, ...overrides,
  };
}

let collector: FakeOtlpCollector;
beforeEach(async () => { collector = await startFakeOtlpCollector(); });
afterEach(async () => { await collector.close(); });

describe('OtlpHttpExporter', () => {
  test('posts OTLP/JSON: resource, scope, hex ids, nanosecond strings, typed attribute values, status', async () => {
    // Prepare
    const exporter = new OtlpHttpExporter({ url: collector.url, resource: { 'service.name': 'router' }, scheduledDelayMs: 0 });

    // Act
    exporter.enqueue([span(0, { status: SpanStatus.ERROR, statusMessage: 'throttling' })]);
    await exporter.flush();

    // Assess
    const [request] = collector.received;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/traces');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'router' } }] },
        scopeSpans: [{
          scope: { name: 'cdk-ai-gateway', version: '1' },
          spans: [{
            traceId: '5759e988bd862e3fe1be46a994272793', spanId: '0000000000000001', parentSpanId: '53995c3f42cd8ad8',
            name: 'chat m0', kind: 3, startTimeUnixNano: '1765000000000250000', endTimeUnixNano: '1765000000012500000',
            attributes: [
              { key: 'gen_ai.usage.input_tokens', value: { intValue: '40' } },
              { key: 'gen_ai.request.temperature', value: { doubleValue: 0.2 } },
              { key: 'gateway.stream', value: { boolValue: false } },
              { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: 'stop' }] } } },
            ],
            status: { code: 2, message: 'throttling' },
          }],
        }],
      }],
    });
  });

  test('signs for X-Ray with SigV4 (service xray, session token, payload hash) so that an independent verifier accepts it', async () => {
    const exporter = new OtlpHttpExporter({
      url: collector.url, resource: {}, scheduledDelayMs: 0, sign: sigV4Signer('eu-west-1', async () => CREDENTIALS),
    });
    exporter.enqueue([span(0)]);
    await exporter.flush();
    const [request] = collector.received;
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    expect(request.headers['x-amz-security-token']).toBe('session-token');
    expect(verifySigV4(request, CREDENTIALS.secretAccessKey)).toBe(true);
    expect(verifySigV4(request, 'another-secret')).toBe(false);
    expect(verifySigV4({ ...request, rawBody: `${request.rawBody} ` }, CREDENTIALS.secretAccessKey)).toBe(false);
  });

  test('batches at most maxBatchSpans spans per request', async () => {
    const exporter = new OtlpHttpExporter({ url: collector.url, resource: {}, scheduledDelayMs: 0, maxBatchSpans: 2 });
    exporter.enqueue([span(0), span(1), span(2)]);
    await exporter.flush();
    const sizes = collector.received.map((r) => (r.body as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }).resourceSpans[0].scopeSpans[0].spans.length);
    expect(sizes).toEqual([2, 1]);
  });

  test('a full queue drops and counts the spans that do not fit; enqueue never does I/O', async () => {
    const exporter = new OtlpHttpExporter({ url: collector.url, resource: {}, scheduledDelayMs: 0, maxQueueSpans: 3 });
    exporter.enqueue([span(0), span(1)]);
    exporter.enqueue([span(2), span(3), span(4)]);
    expect(collector.received).toHaveLength(0);
    expect(exporter.queued).toBe(3);
    expect(exporter.dropped).toBe(2);
    await exporter.flush();
    expect(exporter.queued).toBe(0);
  });

  test('a failed export is logged and counted, never thrown', async () => {
    const lines: Record<string, unknown>[] = [];
    const exporter = new OtlpHttpExporter({ url: collector.url, resource: {}, scheduledDelayMs: 0, log: (l) => lines.push(l) });
    collector.statuses.push(403);
    exporter.enqueue([span(0), span(1)]);
    await expect(exporter.flush()).resolves.toBeUndefined();
    expect(exporter.dropped).toBe(2);
    expect(lines).toEqual([expect.objectContaining({ level: 'WARN', message: 'trace export failed', 'gateway.trace.dropped_spans': 2 })]);
  });

  test('repeated failures are logged at most once per interval (an account without Transaction Search refuses every export)', async () => {
    const lines: Record<string, unknown>[] = [];
    let now = 0;
    const exporter = new OtlpHttpExporter({ url: collector.url, resource: {}, scheduledDelayMs: 0, log: (l) => lines.push(l), now: () => now, failureLogIntervalMs: 1000 });
    collector.statuses.push(400, 400, 400);
    for (const at of [0, 999, 1000]) {
      now = at;
      exporter.enqueue([span(0)]);
      await exporter.flush();
    }
    expect(exporter.dropped).toBe(3);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ 'gateway.trace.dropped_total': 3 });
  });

  test('an unreachable endpoint is a dropped batch, not an error', async () => {
    const url = collector.url;
    await collector.close();
    const exporter = new OtlpHttpExporter({ url, resource: {}, scheduledDelayMs: 0, log: () => undefined, timeoutMs: 60_000 });
    exporter.enqueue([span(0)]);
    await exporter.flush();
    expect(exporter.dropped).toBe(1);
    collector = await startFakeOtlpCollector();
  });

  test('with a scheduled delay, queued spans go out in the background', async () => {
    const exporter = new OtlpHttpExporter({ url: collector.url, resource: {}, scheduledDelayMs: 5 });
    exporter.enqueue([span(0)]);
    for (let i = 0; i < 400 && collector.received.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(collector.received).toHaveLength(1);
  });
});

describe('ConsoleSpanExporter', () => {
  test('writes one OTLP JSON line per request', () => {
    const lines: Record<string, unknown>[] = [];
    new ConsoleSpanExporter({ 'service.name': 'local' }, (l) => lines.push(l)).enqueue([span(0)]);
    expect(lines).toEqual([{ traces: expect.objectContaining({ resourceSpans: [expect.objectContaining({ scopeSpans: [expect.anything()] })] }) }]);
  });
});

describe('exporter from the environment', () => {
  test.each([
    [{}, 'off'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, 'otlp'],
    [{ GATEWAY_TRACES: 'CONSOLE' }, 'console'],
    [{ GATEWAY_TRACES: 'xray' }, 'xray'],
  ])('%j is %s', (env, mode) => {
    expect(traceExportOf(env)).toBe(mode);
  });

  test('an unknown mode names the variable and the allowed values', () => {
    expect(() => traceExportOf({ GATEWAY_TRACES: 'jaeger' })).toThrow("GATEWAY_TRACES must be one of xray, otlp, console, off, received 'jaeger'.");
  });

  test('otlp appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT and sends OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const base = collector.url.replace(/\/v1\/traces$/, '/');
    const exporter = spanExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20d', OTEL_SERVICE_NAME: 'svc' }, { scheduledDelayMs: 0 })!;
    exporter.enqueue([span(0)]);
    await exporter.flush();
    expect(collector.received[0].path).toBe('/v1/traces');
    expect(collector.received[0].headers['x-api-key']).toBe('abc d');
    expect(JSON.stringify(collector.received[0].body)).toContain('"stringValue":"svc"');
  });

  test('xray signs each export with the environment credentials, loading the signer only at the first export', async () => {
    const exporter = spanExporterFromEnv({
      GATEWAY_TRACES: 'xray', AWS_REGION: 'us-east-2', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_SESSION_TOKEN: 'tok',
      AWS_LAMBDA_FUNCTION_NAME: 'router',
    }, { scheduledDelayMs: 0 })!;
    exporter.enqueue([span(0)]);
    await exporter.flush();
    const [request] = collector.received;
    expect(request.headers.authorization).toContain('/us-east-2/xray/aws4_request');
    expect(verifySigV4(request, CREDENTIALS.secretAccessKey)).toBe(true);
    expect(JSON.stringify(request.body)).toContain('{"key":"faas.name","value":{"stringValue":"router"}}');
  });

  test('xray needs a Region', () => {
    expect(() => spanExporterFromEnv({ GATEWAY_TRACES: 'xray' })).toThrow(/AWS_REGION/);
  });

  test('headers parse as key=value pairs', () => {
    expect(parseOtlpHeaders('a=1, B=two,bad,=x')).toEqual({ a: '1', b: 'two' });
  });

  test('nanoseconds keep fractions of a millisecond', () => {
    expect(unixNanos(1.5)).toBe('1500000');
  });
});
