/**
 * The authorizer handler against dynalite, with real keys issued by the key CLI: the answer API
 * Gateway gets for valid, unknown, revoked, expired and malformed keys, the in-memory cache, and
 * failing closed when DynamoDB fails.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { runKeysCommand } from '../../../cli/keys';
import { TtlCache } from '../../../lambda/authorizer/cache';
import { createDynamoDbClient } from '../../../lambda/clients/dynamodb';
import {
  AuthorizerResult, createHandler, DecisionLogger, handler as lambdaHandler, HandlerDependencies, RequestAuthorizerEvent, UNAUTHORIZED,
} from '../../../lambda/authorizer/index';
import { generateTenantKey, hashTenantKey, keyIdOf } from '../../../lambda/authorizer/key';
import { KeyLookup } from '../../../lambda/authorizer/logic';
import { AuthorizerContext } from '../../../lambda/shared/authorizer-context';
import { AUTHORIZER_ENV, TENANT_API_KEY_TAGS as TAGS } from '../../../lambda/shared/tenant-key-schema';
import { FakeApiGateway, startFakeApiGateway } from '../../helpers/dynalite-apigateway';
import { CachedControls } from '../../../lambda/router/pipeline/controls';
import { MemoryControlsLoader } from '../../../lambda/router/incident/file-controls';
import { createTenantKeyTable, LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';

const TABLE = 'tenant-keys';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/POST/v1/chat/completions';
const STAGE_ARN = 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/*/*';
const ACME_USAGE_KEY = 'acme-usage-identifier-0000000001';

let dynamo: LocalDynamo;
let apigw: FakeApiGateway;
let restoreEnv: () => void;
const keys: Record<'valid' | 'revoked' | 'expiring' | 'noUsagePlan', string> = { valid: '', revoked: '', expiring: '', noUsagePlan: '' };

async function cli(args: string[], now = T0): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeysCommand([...args, '--table', TABLE, '--endpoint', dynamo.endpoint, '--apigateway-endpoint', apigw.endpoint], {
    stdout: (t) => out.push(t), stderr: (t) => err.push(t), now: () => new Date(now),
  });
  if (code !== 0) throw new Error(`keys ${args.join(' ')} failed: ${err.join('\n')}`);
  return out.join('\n').trim();
}

interface Harness {
  readonly handle: (event: RequestAuthorizerEvent) => Promise<AuthorizerResult>;
  readonly logs: string[];
  readonly clock: { now: number };
  readonly close: () => void;
}

function harness(options: { cacheTtlMs?: number; endpoint?: string; requestTimeoutMs?: number; tableName?: string; controls?: CachedControls } = {}): Harness {
  const logs: string[] = [];
  const record = (level: string) => (message: string, attributes: Record<string, unknown>) => { logs.push(JSON.stringify({ level, message, ...attributes })); };
  const logger: DecisionLogger = { info: record('info'), warn: record('warn'), error: record('error') };
  const clock = { now: T0 };
  const dynamodb = createDynamoDbClient({
    endpoint: options.endpoint ?? dynamo.endpoint, connectTimeoutMs: 500, requestTimeoutMs: options.requestTimeoutMs ?? 2000, maxAttempts: 2,
  });
  const deps: HandlerDependencies = {
    dynamodb,
    tableName: options.tableName ?? TABLE,
    cache: new TtlCache<KeyLookup>({ ttlMs: options.cacheTtlMs ?? 0, maxEntries: 100, now: () => clock.now }),
    now: () => clock.now,
    logger,
    ...(options.controls ? { controls: options.controls } : {}),
  };
  return { handle: createHandler(deps), logs, clock, close: () => dynamodb.destroy() };
}

function event(headers: Record<string, string> | null, extra: Partial<RequestAuthorizerEvent> = {}): RequestAuthorizerEvent {
  return { type: 'REQUEST', methodArn: METHOD_ARN, headers, multiValueHeaders: null, requestContext: { requestId: 'req-1' }, ...extra };
}

const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  restoreEnv = useTestAwsEnvironment();
  dynamo = await startDynalite();
  await createTenantKeyTable(dynamo.client, TABLE);
  apigw = await startFakeApiGateway([
    { id: 'acmekey01', value: ACME_USAGE_KEY, tags: { [TAGS.tenant]: 'acme', [TAGS.tier]: 'premium', [TAGS.table]: TABLE } },
  ]);
  keys.valid = await cli(['create', '--tenant', 'acme', '--aliases', 'classify,support-summary']);
  keys.revoked = await cli(['create', '--tenant', 'acme']);
  await cli(['revoke', '--tenant', 'acme', '--key-id', keyIdOf(hashTenantKey(keys.revoked))]);
  keys.expiring = await cli(['create', '--tenant', 'acme', '--expires-in-days', '1']);
  keys.noUsagePlan = await cli(['create', '--tenant', 'solo', '--no-usage-plan', '--tier', 'standard']);
});

afterAll(async () => {
  await apigw.close();
  await dynamo.close();
  restoreEnv();
});

beforeEach(() => dynamo.resetCounts());

describe('a valid key', () => {
  test('is allowed on every method of the stage, with the tenant context and its usage identifier', async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await h.handle(event(bearer(keys.valid)));
    h.close();
    // Assess
    expect(result).toEqual({
      principalId: 'acme',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_ARN }] },
      context: { tenantId: 'acme', tier: 'premium', aliases: 'classify,support-summary', keyId: keyIdOf(hashTenantKey(keys.valid)) },
      usageIdentifierKey: ACME_USAGE_KEY,
    });
    // The router's decoder reads the same identity back.
    expect(AuthorizerContext.decode(result.context)).toEqual({
      tenantId: 'acme', tier: 'premium', aliases: ['classify', 'support-summary'], keyId: keyIdOf(hashTenantKey(keys.valid)),
    });
    expect(dynamo.count('GetItem')).toBe(1);
  });

  test('a key created with --sensitivity-floor carries it to the router through the authorizer context', async () => {
    // Prepare: keys create --sensitivity-floor restricted writes the floor into the key's item
    const key = await cli(['create', '--tenant', 'acme', '--sensitivity-floor', 'restricted']);
    const h = harness();
    // Act
    const result = await h.handle(event(bearer(key)));
    h.close();
    // Assess
    expect(result.context).toMatchObject({ sensitivityFloor: 'restricted' });
    expect(AuthorizerContext.decode(result.context)?.sensitivityFloor).toBe('restricted');
  });

  test.each([
    ['authorization', 'Bearer'],
    ['AUTHORIZATION', 'bearer'],
    ['Authorization', 'BEARER'],
  ])('header %s with scheme %s is accepted (names and scheme are case-insensitive)', async (name, scheme) => {
    const h = harness();
    const result = await h.handle(event({ [name]: `${scheme} ${keys.valid}` }));
    h.close();
    expect(result.policyDocument.Statement[0].Effect).toBe('Allow');
  });

  test('a key issued without a usage plan is allowed without usageIdentifierKey, and the gap is logged', async () => {
    const h = harness();
    const result = await h.handle(event(bearer(keys.noUsagePlan)));
    h.close();
    expect(result.policyDocument.Statement[0].Effect).toBe('Allow');
    expect(result).not.toHaveProperty('usageIdentifierKey');
    expect(result.context).toEqual({ tenantId: 'solo', tier: 'standard', keyId: keyIdOf(hashTenantKey(keys.noUsagePlan)) });
    expect(h.logs.join('\n')).toMatch(/"level":"warn","message":"tenant key has no usage identifier/);
  });

  test('an expiring key is allowed until it expires', async () => {
    const h = harness();
    h.clock.now = T0 + DAY - 1000;
    const result = await h.handle(event(bearer(keys.expiring)));
    h.close();
    expect(result.policyDocument.Statement[0].Effect).toBe('Allow');
  });
});

describe('incident controls', () => {
  test('a suspended tenant or key is denied (403) once the controls are read again; others are allowed; resume allows again', async () => {
    // Prepare
    let now = T0;
    const loader = new MemoryControlsLoader();
    const controls = new CachedControls(loader, { cacheMs: 30_000, now: () => now });
    const h = harness({ controls });
    const control = (kind: 'tenant' | 'key', subject: string) => ({ kind, subject, reason: 'INC-5', actor: 'arn:aws:iam::111122223333:role/oncall', at: '' });
    expect((await h.handle(event(bearer(keys.valid)))).policyDocument.Statement[0].Effect).toBe('Allow');
    // Act
    loader.entries.push(control('tenant', 'acme'));
    const beforeExpiry = await h.handle(event(bearer(keys.valid)));
    now += 30_000;
    const denied = await h.handle(event(bearer(keys.valid)));
    const otherTenant = await h.handle(event(bearer(keys.noUsagePlan)));
    loader.entries.splice(0, 1, control('key', keyIdOf(hashTenantKey(keys.noUsagePlan))));
    now += 30_000;
    const keyDenied = await h.handle(event(bearer(keys.noUsagePlan)));
    const tenantBack = await h.handle(event(bearer(keys.valid)));
    h.close();
    // Assess
    expect(beforeExpiry.policyDocument.Statement[0].Effect).toBe('Allow');
    expect(denied).toEqual({ principalId: 'acme', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_ARN }] } });
    expect(otherTenant.policyDocument.Statement[0].Effect).toBe('Allow');
    expect(keyDenied.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(tenantBack.policyDocument.Statement[0].Effect).toBe('Allow');
    expect(h.logs.filter((l) => l.includes('suspended')).map((l) => JSON.parse(l).reason)).toEqual(['tenant-suspended', 'key-suspended']);
  });
});

describe('keys that fail', () => {
  test('an unknown key is 401 (Unauthorized) after one lookup', async () => {
    const h = harness();
    await expect(h.handle(event(bearer(generateTenantKey())))).rejects.toThrow(new Error(UNAUTHORIZED));
    h.close();
    expect(dynamo.count('GetItem')).toBe(1);
  });

  test('a revoked key is 403 (Deny policy on the stage)', async () => {
    const h = harness();
    const result = await h.handle(event(bearer(keys.revoked)));
    h.close();
    expect(result).toEqual({
      principalId: 'acme',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_ARN }] },
    });
    expect(h.logs.join('\n')).toMatch(/"reason":"revoked"/);
  });

  test('an expired key is 403 (Deny)', async () => {
    const h = harness();
    h.clock.now = T0 + DAY;
    const result = await h.handle(event(bearer(keys.expiring)));
    h.close();
    expect(result.policyDocument.Statement[0]).toEqual({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_ARN });
    expect(result).not.toHaveProperty('usageIdentifierKey');
    expect(h.logs.join('\n')).toMatch(/"reason":"expired"/);
  });

  test('an item that breaks the layout is 403, never an Allow', async () => {
    // Prepare: a key whose item lacks its tier.
    const key = generateTenantKey();
    await dynamo.client.send(new PutItemCommand({
      TableName: TABLE,
      Item: { pk: { S: `KEY#${hashTenantKey(key)}` }, tenantId: { S: 'acme' }, status: { S: 'active' }, createdAt: { S: new Date(T0).toISOString() } },
    }));
    const h = harness();
    // Act
    const result = await h.handle(event(bearer(key)));
    h.close();
    // Assess
    expect(result.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(h.logs.join('\n')).toMatch(/"level":"warn".*"reason":"invalid-record".*tier is missing or invalid/);
  });

  const longKey = `sk-gw-${'A'.repeat(300)}`;
  test.each([
    ['no headers at all', null, {}],
    ['no Authorization header', { 'content-type': 'application/json' }, {}],
    ['an empty value', { Authorization: '' }, {}],
    ['the Basic scheme', { Authorization: 'Basic dXNlcjpwYXNz' }, {}],
    ['the scheme alone', { Authorization: 'Bearer' }, {}],
    ['the scheme and a space', { Authorization: 'Bearer ' }, {}],
    ['two spaces', { Authorization: 'Bearer  KEY' }, {}],
    ['a leading space', { Authorization: ' Bearer KEY' }, {}],
    ['a trailing space', { Authorization: 'Bearer KEY ' }, {}],
    ['a tab', { Authorization: 'Bearer\tKEY' }, {}],
    ['two tokens', { Authorization: 'Bearer KEY KEY' }, {}],
    ['a key without its prefix', { Authorization: 'Bearer STRIPPED' }, {}],
    ['a truncated key', { Authorization: 'Bearer TRUNCATED' }, {}],
    ['a non-ASCII key', { Authorization: `Bearer sk-gw-${'é'.repeat(43)}` }, {}],
    ['a huge value', { Authorization: `Bearer ${longKey}` }, {}],
    ['two Authorization headers in different case', { Authorization: 'Bearer KEY', authorization: 'Bearer KEY' }, {}],
    ['a repeated Authorization header', { Authorization: 'Bearer KEY' }, { multiValueHeaders: { Authorization: ['Bearer KEY', 'Bearer KEY'] } }],
  ])('%s is 401 without a lookup', async (_name, headers, extra) => {
    // Prepare: put the valid key where the case says KEY, so only the malformation is wrong.
    const fill = (v: string): string => v
      .replace(/STRIPPED/, keys.valid.slice('sk-gw-'.length))
      .replace(/TRUNCATED/, keys.valid.slice(0, -1))
      .replace(/KEY/g, keys.valid);
    const filled = headers === null ? null : Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, fill(v)]));
    const filledExtra = 'multiValueHeaders' in extra
      ? { multiValueHeaders: { Authorization: (extra.multiValueHeaders as { Authorization: string[] }).Authorization.map(fill) } }
      : {};
    const h = harness();
    // Act / Assess
    await expect(h.handle(event(filled, filledExtra))).rejects.toThrow(new Error(UNAUTHORIZED));
    h.close();
    expect(dynamo.count('GetItem')).toBe(0);
  });
});

describe('caching', () => {
  test('a warm authorizer answers a repeated key from memory, keyed by hash', async () => {
    const h = harness({ cacheTtlMs: 30_000 });
    await h.handle(event(bearer(keys.valid)));
    const second = await h.handle(event(bearer(keys.valid), { methodArn: METHOD_ARN.replace('POST/v1/chat/completions', 'GET/v1/models') }));
    h.close();
    expect(second.policyDocument.Statement[0]).toEqual({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_ARN });
    expect(dynamo.count('GetItem')).toBe(1);
    expect(h.logs.filter((l) => l.includes('"cached":true'))).toHaveLength(1);
  });

  test('with the cache disabled every request reads the table', async () => {
    const h = harness({ cacheTtlMs: 0 });
    await h.handle(event(bearer(keys.valid)));
    await h.handle(event(bearer(keys.valid)));
    h.close();
    expect(dynamo.count('GetItem')).toBe(2);
  });

  test('unknown keys are cached too, so a client retrying a bad key does not hammer the table', async () => {
    const h = harness({ cacheTtlMs: 30_000 });
    const unknown = generateTenantKey();
    await expect(h.handle(event(bearer(unknown)))).rejects.toThrow(UNAUTHORIZED);
    await expect(h.handle(event(bearer(unknown)))).rejects.toThrow(UNAUTHORIZED);
    h.close();
    expect(dynamo.count('GetItem')).toBe(1);
  });

  test('a revocation takes effect when the cached lookup expires', async () => {
    // Prepare: a fresh key, seen once (cached).
    const key = await cli(['create', '--tenant', 'acme']);
    const h = harness({ cacheTtlMs: 30_000 });
    expect((await h.handle(event(bearer(key)))).policyDocument.Statement[0].Effect).toBe('Allow');

    // Act: revoke it with the CLI.
    await cli(['revoke', '--tenant', 'acme', '--key-id', hashTenantKey(key)]);
    dynamo.resetCounts();

    // Assess: still allowed from memory until the TTL passes, then denied from the table.
    expect((await h.handle(event(bearer(key)))).policyDocument.Statement[0].Effect).toBe('Allow');
    expect(dynamo.count('GetItem')).toBe(0);
    h.clock.now += 30_000;
    expect((await h.handle(event(bearer(key)))).policyDocument.Statement[0].Effect).toBe('Deny');
    h.close();
    expect(dynamo.count('GetItem')).toBe(1);
  });

  test('a cached key is denied once it expires, without a new lookup', async () => {
    const h = harness({ cacheTtlMs: 600_000 });
    h.clock.now = T0 + DAY - 60_000;
    expect((await h.handle(event(bearer(keys.expiring)))).policyDocument.Statement[0].Effect).toBe('Allow');
    h.clock.now = T0 + DAY;
    expect((await h.handle(event(bearer(keys.expiring)))).policyDocument.Statement[0].Effect).toBe('Deny');
    h.close();
    expect(dynamo.count('GetItem')).toBe(1);
  });
});

describe('failing closed', () => {
  async function failingServer(behaviour: 'error' | 'hang'): Promise<{ endpoint: string; server: Server; hits: () => number }> {
    let hits = 0;
    const server = createServer((req, res) => {
      hits += 1;
      req.resume();
      if (behaviour === 'hang') return; // never answers
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'InternalServerError' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'boom' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
  }

  async function close(server: Server): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  test.each(['error', 'hang'] as const)('DynamoDB that answers with %s → an error (500), never Allow, never 401', async (behaviour) => {
    // Prepare
    const fake = await failingServer(behaviour);
    const h = harness({ endpoint: fake.endpoint, requestTimeoutMs: 200, cacheTtlMs: 30_000 });
    // Act
    const outcome = await h.handle(event(bearer(keys.valid))).then(() => 'answered', (err: Error) => err.message);
    h.close();
    await close(fake.server);
    // Assess: retried once (maxAttempts 2), then failed closed; the failure is not cached.
    expect(outcome).toBe('AuthorizerFailure');
    expect(fake.hits()).toBe(2);
    expect(h.logs.join('\n')).toMatch(/"level":"error","message":"tenant key lookup failed"/);
  });

  test('an unreachable DynamoDB → an error (500)', async () => {
    const h = harness({ endpoint: 'http://127.0.0.1:9' });
    await expect(h.handle(event(bearer(keys.valid)))).rejects.toThrow('AuthorizerFailure');
    h.close();
  });

  test('a missing table → an error (500)', async () => {
    const h = harness({ tableName: 'no-such-table' });
    await expect(h.handle(event(bearer(keys.valid)))).rejects.toThrow('AuthorizerFailure');
    h.close();
    expect(h.logs.join('\n')).toMatch(/"error":"ResourceNotFoundException"/);
  });

  test.each([
    'not-an-arn',
    'arn:aws:lambda:eu-west-1:111122223333:function:x',
    'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5',
    'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod',
    'arn:aws:execute-api:eu-west-1:111122223333:a1*/prod/GET/x',
  ])('methodArn %s → an error (500) before any lookup', async (methodArn) => {
    const h = harness();
    await expect(h.handle(event(bearer(keys.valid), { methodArn }))).rejects.toThrow('AuthorizerConfigurationError');
    h.close();
    expect(dynamo.count('GetItem')).toBe(0);
  });
});

test('logs never hold a key or a full key hash', async () => {
  // Prepare
  const h = harness({ cacheTtlMs: 30_000 });
  const unknown = generateTenantKey();
  // Act: every outcome once.
  await h.handle(event(bearer(keys.valid)));
  await h.handle(event(bearer(keys.valid)));
  await h.handle(event(bearer(keys.revoked)));
  await h.handle(event(bearer(unknown))).catch(() => undefined);
  await h.handle(event({ Authorization: `Bearer ${keys.valid} ` })).catch(() => undefined);
  h.close();
  // Assess
  const logs = h.logs.join('\n');
  expect(h.logs.length).toBeGreaterThanOrEqual(5);
  for (const key of [keys.valid, keys.revoked, unknown]) {
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(key.slice(10));
    expect(logs).not.toContain(hashTenantKey(key));
    expect(logs).not.toContain(hashTenantKey(key).slice(0, 20));
  }
  expect(logs).toContain(keyIdOf(hashTenantKey(keys.valid)));
  expect(logs).not.toContain(ACME_USAGE_KEY);
});

test('the Lambda entry point reads its table, cache and endpoint from the environment', async () => {
  // Prepare
  const saved = { ...process.env };
  process.env[AUTHORIZER_ENV.tableName] = TABLE;
  process.env[AUTHORIZER_ENV.cacheTtlSeconds] = '30';
  process.env[AUTHORIZER_ENV.cacheMaxEntries] = '50';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  try {
    // Act
    const first = await lambdaHandler(event(bearer(keys.valid)));
    const second = await lambdaHandler(event(bearer(keys.valid)));
    // Assess
    expect(first.usageIdentifierKey).toBe(ACME_USAGE_KEY);
    expect(second.policyDocument.Statement[0].Effect).toBe('Allow');
    expect(dynamo.count('GetItem')).toBe(1);
    await expect(lambdaHandler(event(bearer(generateTenantKey())))).rejects.toThrow(UNAUTHORIZED);
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
});
