/**
 * The Lambda entry with `GATEWAY_USAGE_TABLE` set: the ledger, budgets and usage endpoints are
 * wired at init, with the real DynamoDB client (pointed at dynalite by AWS_ENDPOINT_URL_DYNAMODB)
 * and the real OpenAI adapter against a loopback upstream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLambdaHandler, LambdaHandler, RouterEnvironment } from '../../../lambda/router/lambda-entry';
import { usageFromEnv } from '../../../lambda/router/usage/from-env';
import { CapturedStream, chatEvent, fakeLambdaRuntime } from '../../helpers/fake-lambda-runtime';
import { LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { DynamoFaultProxy, startDynamoFaultProxy } from '../../helpers/dynamo-fault-proxy';
import { FAKE_AWS_ENV, resolved, setEnv, testConfig } from '../../helpers/router-config';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { createUsageTable } from './usage-fixtures';

describe('router Lambda entry with a usage table', () => {
  let upstream: FakeOpenAiUpstream;
  let dynamo: LocalDynamo;
  let proxy: DynamoFaultProxy;
  let dir: string;
  let table: string;
  let handler: LambdaHandler;
  let restoreEnv: () => void;
  let writeSpy: jest.SpyInstance;
  const stdout: string[] = [];

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    dynamo = await startDynalite();
    // dynalite has no TransactWriteItems: the proxy adds it.
    proxy = await startDynamoFaultProxy(dynamo.endpoint);
    table = await createUsageTable(dynamo.client);
    dir = mkdtempSync(join(tmpdir(), 'router-usage-'));
    const config = testConfig({ openai: upstream.baseUrl });
    writeFileSync(join(dir, 'gateway-config.json'), JSON.stringify({
      ...config, tenants: config.tenants.map((t) => (t.id === 'globex' ? { ...t, budget: { monthlyUsd: 50, dailyUsd: 5 } } : t)),
    }));
    restoreEnv = setEnv({
      ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint, LAMBDA_TASK_ROOT: dir, GATEWAY_CONFIG_PATH: undefined,
      GATEWAY_APPCONFIG_APPLICATION: undefined, GATEWAY_APPCONFIG_ENVIRONMENT: undefined, GATEWAY_APPCONFIG_PROFILE: undefined,
      GATEWAY_USAGE_TABLE: table, GATEWAY_USAGE_RECORD_TTL_DAYS: '30',
    });
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    handler = createLambdaHandler(await RouterEnvironment.start(), fakeLambdaRuntime);
  });

  afterAll(async () => {
    writeSpy.mockRestore();
    restoreEnv();
    rmSync(dir, { recursive: true, force: true });
    await upstream.close();
    await proxy.close();
    await dynamo.close();
  });

  test('a chat request reserves, is recorded in the ledger and the log, and GET /v1/usage reads it back', async () => {
    // Prepare
    upstream.enqueue(OpenAiBehaviours.success({ text: 'Hi', usage: { promptTokens: 12, completionTokens: 4 } }));
    proxy.resetCounts();
    // Act
    const chat = new CapturedStream();
    await handler(chatEvent({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), chat, {});
    const usage = new CapturedStream();
    await handler(chatEvent(undefined, 'globex', {
      httpMethod: 'GET', resource: '/v1/usage', path: '/v1/usage', body: null, queryStringParameters: { month: new Date().toISOString().slice(0, 7) },
      requestContext: { requestId: 'usage-req-1', authorizer: { principalId: 'globex', tenantId: 'globex', tier: 'standard', keyId: 'k-1', aliases: '' } },
    }), usage, {});
    // Assess
    expect(chat.response().metadata.statusCode).toBe(200);
    // the reservation (month, day, in-flight item) and the settlement (raw record, six aggregates,
    // month and day budgets, in-flight item) are one transaction each; the workflow is admitted under the cap
    expect(proxy.count('TransactWriteItems')).toBe(2);
    expect(proxy.count('UpdateItem')).toBe(1);
    expect(proxy.count('PutItem')).toBe(0);
    expect(usage.response().metadata.statusCode).toBe(200);
    const body = JSON.parse(usage.response().body) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'usage', tenant: 'globex',
      totals: { requests: 1, input_tokens: 12, output_tokens: 4 },
      by_workflow: [expect.objectContaining({ workflow: 'support', requests: 1 })],
      budget: { limit_usd: '50', reserved_usd: '0' },
    });
    // The log sink still writes each request's line.
    const lines = stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l['gateway.request.id'] === 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef')).toHaveLength(1);
    expect(lines.some((l) => l['gateway.usage.unrecorded'] === true)).toBe(false);
  });

  test('usageFromEnv wires nothing without a table name', () => {
    expect(usageFromEnv({}, resolved())).toEqual({});
    expect(usageFromEnv({ GATEWAY_USAGE_TABLE: '  ' }, resolved())).toEqual({});
  });
});
