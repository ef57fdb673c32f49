/**
 * Response validation end to end: the official `openai` client → local mode (the same handle() as
 * the Lambda) → the real OpenAI-compatible adapter → a loopback fake vLLM. Each policy (retry,
 * escalate, reject, flag), each validator, streams buffered and unbuffered, the validator function
 * over its contract, the review queue file, and exactly one usage record listing every attempt.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { HttpFunctionTransport, VALIDATION_CONTRACT } from '../../../lambda/router/validation/function-validator';
import { JsonlReviews } from '../../../lambda/router/validation/jsonl-reviews';
import { GatewayConfig, Sensitivity, TargetKind } from '../../../lambda/shared/config';
import { ValidationFinalAction, ValidatorErrorPolicy } from '../../../lambda/shared/config-validation';
import { ReviewStatus } from '../../../lambda/shared/review-table-schema';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { ACME_KEY, GLOBEX_KEY, testConfig } from '../../helpers/router-config';

const SCHEMA = JSON.stringify({ type: 'object', required: ['answer'], additionalProperties: false, properties: { answer: { type: 'string' } } });
const VALID = '{"answer":"forty-two"}';

function config(vllm: string, validatorUrl: string): GatewayConfig {
  const base = testConfig({ openai: vllm });
  const aliases = ['secure-flagged', 'strict', 'strong', 'flagged', 'streamed', 'buffered', 'checked', 'open-check'];
  return {
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'globex' || t.id === 'acme' ? { ...t, allowedAliases: [...t.allowedAliases, ...aliases] } : t)),
    targets: [
      ...base.targets,
      { id: 'vllm-strong', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm, model: 'qwen3-32b' },
      { id: 'vllm-secure', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm, model: 'qwen3-8b', restrictedAllowed: true },
    ],
    prices: { ...base.prices, 'qwen3-32b': { inputUsdPer1K: 0.001, outputUsdPer1K: 0.002 } },
    routes: [
      ...base.routes,
      { alias: 'strict', targets: ['vllm'], validation: { jsonSchema: SCHEMA, retries: 1, escalateTo: 'strong', onFailure: ValidationFinalAction.REJECT } },
      { alias: 'strong', targets: ['vllm-strong'] },
      { alias: 'flagged', targets: ['vllm'], validation: { forbiddenPatterns: ['(?:internal|secret) code'], patternFlags: 'i', onFailure: ValidationFinalAction.FLAG } },
      {
        alias: 'secure-flagged', targets: ['vllm-secure'], restrictedAllowed: true,
        validation: { forbiddenPatterns: ['(?:internal|secret) code'], onFailure: ValidationFinalAction.FLAG },
      },
      { alias: 'streamed', targets: ['vllm'], validation: { maxChars: 20 } },
      { alias: 'buffered', targets: ['vllm'], validation: { requiredPatterns: ['^OK:'], retries: 1, bufferStreams: true } },
      { alias: 'checked', targets: ['vllm'], validation: { validatorFunction: { functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:check', localUrl: validatorUrl, timeoutMs: 300 } } },
      {
        alias: 'open-check', targets: ['vllm'],
        validation: { validatorFunction: { functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:check', localUrl: validatorUrl, timeoutMs: 300, onError: ValidatorErrorPolicy.FAIL_OPEN } },
      },
    ],
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
  };
}

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error('expected an APIError');
}

/** What the fake validator function does next: reply (valid or not), or hang past the budget. */
type FunctionReply = { valid: boolean; rule?: string; reason?: string } | 'hang' | 'garbage';

describe('response validation through local mode with the openai client', () => {
  let vllm: FakeOpenAiUpstream;
  let server: LocalServer;
  let validator: Server;
  let functionReplies: FunctionReply[] = [];
  const functionRequests: Record<string, unknown>[] = [];
  const usage = new InMemoryUsageSink();
  const reviewFile = join(mkdtempSync(join(tmpdir(), 'reviews-')), 'reviews.jsonl');
  const reviews = new JsonlReviews(reviewFile);
  const client = (key = GLOBEX_KEY): OpenAI => new OpenAI({ baseURL: server.baseUrl, apiKey: key, maxRetries: 0, timeout: 10_000 });
  const ask = [{ role: 'user' as const, content: 'What is the answer?' }];

  const record = (): Promise<UsageRecord> => usage.awaitOnly();

  beforeAll(async () => {
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b', 'qwen3-32b'] });
    validator = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        functionRequests.push(JSON.parse(body) as Record<string, unknown>);
        const reply = functionReplies.shift() ?? { valid: true };
        if (reply === 'hang') return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(reply === 'garbage' ? '{"valid":"yes"}' : JSON.stringify({ contract: VALIDATION_CONTRACT, ...reply }));
      });
    });
    await new Promise<void>((r) => validator.listen(0, '127.0.0.1', r));
    const validatorUrl = `http://127.0.0.1:${(validator.address() as AddressInfo).port}/validate`;
    const gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config(vllm.baseUrl, validatorUrl))), {
      usageSink: usage, reviews, validatorFunctions: new HttpFunctionTransport(),
    });
    server = await startLocalServer({ gateway, port: 0 });
  });

  afterAll(async () => {
    await server.close();
    await vllm.close();
    validator.closeAllConnections();
    await new Promise((r) => validator.close(r));
  });

  beforeEach(() => {
    vllm.reset();
    usage.clear();
    functionReplies = [];
    functionRequests.length = 0;
  });

  test('retry → escalate → reject: 422 naming the validator, never the answer; one record listing every attempt', async () => {
    vllm.enqueue(
      OpenAiBehaviours.success({ text: 'the secret is 42' }),
      OpenAiBehaviours.success({ text: '{"answer":7,"leak":"x"}' }),
      OpenAiBehaviours.success({ text: 'still not json' }),
    );

    const error = await apiError(client().chat.completions.create({ model: 'strict', messages: ask }));

    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/validator route_schema, rule schema\) after 3 answers/);
    expect(error.message).not.toMatch(/secret|leak|not json/);
    expect(error.headers?.get('x-gateway-validation')).toBe('rejected; validator=route_schema; rule=schema');
    const r = await record();
    expect(r).toMatchObject({
      status: 422, outcome: 'rejected', errorCode: 'validation_failed', validationOutcome: 'rejected', validator: 'route_schema',
      validationPolicy: 'retry:1>escalate:strong>reject', validationAnswers: 3, attempts: 3,
    });
    expect(r.attemptDetails.map((a) => [a.targetId, a.result, a.validator])).toEqual([
      ['vllm', 'validation_failed', 'route_schema'], ['vllm', 'validation_failed', 'route_schema'], ['vllm-strong', 'validation_failed', 'route_schema'],
    ]);
  });

  test('every answer of the chain is charged: the cost is the sum of the three answers, all of it waste', async () => {
    const tokens = { promptTokens: 100, completionTokens: 50 };
    vllm.enqueue(...[1, 2, 3].map(() => OpenAiBehaviours.success({ text: 'nope', usage: tokens })));

    await apiError(client().chat.completions.create({ model: 'strict', messages: ask }));

    const r = await record();
    // vllm (qwen3-8b) twice at 0.0001 / 0.0002 per 1K, vllm-strong (qwen3-32b) once at 0.001 / 0.002.
    const expected = 2 * (100 * 0.0001 + 50 * 0.0002) / 1000 + (100 * 0.001 + 50 * 0.002) / 1000;
    expect(r.costUsd).toBeCloseTo(expected, 9);
    expect(r.wasteUsd).toBeCloseTo(expected, 9);
  });

  test('retry: the model gets its failed answer and a repair instruction naming the check; the repaired answer is returned', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: '{"answer":1}' }), OpenAiBehaviours.success({ text: VALID }));

    const raw = await client().chat.completions.create({ model: 'strict', messages: ask }).withResponse();

    expect(raw.data.choices[0].message.content).toBe(VALID);
    expect(raw.response.headers.get('x-gateway-validation')).toBe('repaired; validator=route_schema; rule=schema');
    const repair = vllm.requests[1].body as { messages: { role: string; content: string }[] };
    expect(repair.messages.slice(-2)).toEqual([
      { role: 'assistant', content: '{"answer":1}' },
      { role: 'user', content: expect.stringMatching(/failed validation \(route_schema, schema\): \$\.answer: .*Answer the original request again/) },
    ]);
    expect(await record()).toMatchObject({ status: 200, outcome: 'success', validationOutcome: 'repaired', validationAnswers: 2, attempts: 2 });
  });

  test('escalate: after the retries, the escalation alias answers (its model named in the header)', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'x' }), OpenAiBehaviours.success({ text: 'y' }), OpenAiBehaviours.success({ text: VALID }));

    const raw = await client().chat.completions.create({ model: 'strict', messages: ask }).withResponse();

    expect(raw.data.choices[0].message.content).toBe(VALID);
    expect(raw.data.model).toBe('strict');
    expect(raw.response.headers.get('x-gateway-validation')).toBe('escalated; validator=route_schema; rule=schema; alias=strong');
    expect(raw.response.headers.get('x-gateway-model')).toBe('qwen3-32b');
    expect((vllm.requests[2].body as { model: string }).model).toBe('qwen3-32b');
    expect(await record()).toMatchObject({ validationOutcome: 'escalated', escalatedTo: 'strong', targetId: 'vllm-strong', attempts: 3 });
  });

  test('flag: the answer is returned, marked in the header and the record, and queued for review with its content (internal)', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'Use the Secret Code 1234.' }));

    const raw = await client().chat.completions.create({ model: 'flagged', messages: ask }).withResponse();

    expect(raw.data.choices[0].message.content).toBe('Use the Secret Code 1234.');
    expect(raw.response.headers.get('x-gateway-validation')).toBe('flagged; validator=forbidden_pattern; rule=forbiddenPatterns[0]');
    const r = await record();
    expect(r).toMatchObject({ outcome: 'success', validationOutcome: 'flagged', validator: 'forbidden_pattern', validationRule: 'forbiddenPatterns[0]' });
    const open = (await reviews.list(ReviewStatus.OPEN)).find((x) => x.requestId === r.requestId);
    expect(open).toMatchObject({ tenantId: 'globex', route: 'flagged', action: 'flagged', validator: 'forbidden_pattern', sensitivity: 'internal' });
    expect(await reviews.content(r.requestId)).toBe('Use the Secret Code 1234.');
  });

  test('a restricted request\'s review never holds the answer nor the failure detail', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'the internal code is 9' }));

    const raw = await client(ACME_KEY).chat.completions.create(
      { model: 'secure-flagged', messages: ask }, { headers: { 'x-gateway-sensitivity': Sensitivity.RESTRICTED } },
    ).withResponse();

    expect(raw.response.headers.get('x-gateway-validation')).toMatch(/^flagged; validator=forbidden_pattern/);
    const r = await record();
    const item = (await reviews.list()).find((x) => x.requestId === r.requestId);
    expect(item).toMatchObject({ tenantId: 'acme', sensitivity: 'restricted', validator: 'forbidden_pattern', rule: 'forbiddenPatterns[0]' });
    expect(item?.detail).toBeUndefined();
    expect(item?.contentLocation).toBeUndefined();
    expect(await reviews.content(r.requestId)).toBeUndefined();
    expect(readFileSync(reviewFile, 'utf8')).not.toContain('the internal code is 9');
  });

  test('the request\'s own json_schema is checked without any route policy: a mismatch is a 422 naming the path (one check, the structured-output stage)', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: '{"city":12}' }));

    const error = await apiError(client().chat.completions.create({
      model: 'chat', messages: ask,
      response_format: { type: 'json_schema', json_schema: { name: 'city', strict: true, schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
    }));

    expect(error.status).toBe(422);
    expect(error.message).toMatch(/at \$\.city/);
    const r = await record();
    expect(r).toMatchObject({ errorCode: 'response_schema_mismatch', attempts: 1 });
    expect(r.validationOutcome).toBeUndefined();
  });

  test('an unusable request schema is refused before any model call (400 naming the parameter)', async () => {
    const error = await apiError(client().chat.completions.create({
      model: 'chat', messages: ask,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { $ref: 'https://example.com/remote.json' } } },
    }));

    expect(error.status).toBe(400);
    expect(error.param).toBe('response_format.json_schema.schema');
    expect(vllm.requests).toHaveLength(0);
  });

  test('unbuffered stream: the answer streams, then a failure ends it with a validation_failed error event', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'this answer is far longer than twenty characters' }));
    const stream = await client().chat.completions.create({ model: 'streamed', messages: ask, stream: true });
    let text = '';

    const error = await apiError((async () => { for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''; })());

    expect(text).toBe('this answer is far longer than twenty characters');
    expect(error.message).toMatch(/validator length, rule maxChars 20/);
    expect(await record()).toMatchObject({ stream: true, status: 200, outcome: 'stream_error', errorCode: 'validation_failed', validationOutcome: 'rejected' });
  });

  test('buffered stream: only the repaired answer streams, with the validation header', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'no prefix' }), OpenAiBehaviours.success({ text: 'OK: fixed' }));

    const raw = await client().chat.completions.create({ model: 'buffered', messages: ask, stream: true }).withResponse();
    let text = '';
    for await (const chunk of raw.data) text += chunk.choices[0]?.delta.content ?? '';

    expect(text).toBe('OK: fixed');
    expect(raw.response.headers.get('x-gateway-validation')).toBe('repaired; validator=required_pattern; rule=requiredPatterns[0]');
    expect(vllm.requests.every((r) => !r.stream)).toBe(true);
    expect(await record()).toMatchObject({ stream: true, validationOutcome: 'repaired', attempts: 2 });
  });

  test('validator function: receives contract v1 with the answer; its refusal is a 422 naming it and its rule', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'an answer' }));
    functionReplies.push({ valid: false, rule: 'no-advice', reason: 'gives advice' });

    const error = await apiError(client().chat.completions.create({ model: 'checked', messages: ask }));

    expect(error.status).toBe(422);
    expect(error.message).toMatch(/validator function, rule no-advice/);
    expect(functionRequests[0]).toMatchObject({
      contract: VALIDATION_CONTRACT, tenantId: 'globex', route: 'checked', sensitivity: 'internal', attempt: 1, answer: { text: 'an answer', finishReason: 'stop' },
    });
  });

  test('validator function that hangs past its budget fails closed (validator_unavailable)', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'an answer' }));
    functionReplies.push('hang');

    const error = await apiError(client().chat.completions.create({ model: 'checked', messages: ask }));

    expect(error.status).toBe(422);
    expect(error.message).toMatch(/validator function, rule validator_unavailable/);
  });

  test('validator function with a malformed reply, failing open, lets the answer through', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'an answer' }));
    functionReplies.push('garbage');

    const raw = await client().chat.completions.create({ model: 'open-check', messages: ask }).withResponse();

    expect(raw.data.choices[0].message.content).toBe('an answer');
    expect(raw.response.headers.get('x-gateway-validation')).toBe('passed');
  });
});
