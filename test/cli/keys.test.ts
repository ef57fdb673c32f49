import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { hashTenantKey, keyIdOf, TENANT_KEY_PATTERN } from '../../lambda/authorizer/key';
import { TENANT_API_KEY_TAGS as TAGS } from '../../lambda/shared/tenant-key-schema';
import { EXIT, runKeysCommand } from '../../cli/keys';
import { putNewKey } from '../../cli/keys/store';
import { createDynamoDbClient } from '../../lambda/clients/dynamodb';
import { FakeApiGateway, FakeApiKey, startFakeApiGateway } from '../helpers/dynalite-apigateway';
import { createTenantKeyTable, dumpTable, LocalDynamo, startDynalite, useTestAwsEnvironment } from '../helpers/dynalite';

const TABLE = 'gw-keys';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;

const API_KEYS: FakeApiKey[] = [
  { id: 'untagged1', value: 'untagged-value-0000000001' },
  { id: 'acmekey01', value: 'acme-usage-value-000000000001', tags: { [TAGS.tenant]: 'acme', [TAGS.tier]: 'premium', [TAGS.table]: TABLE } },
  { id: 'acmeother', value: 'acme-usage-value-other-table01', tags: { [TAGS.tenant]: 'acme', [TAGS.tier]: 'standard', [TAGS.table]: 'other-table' } },
  { id: 'globexkey', value: 'globex-usage-value-00000000001', tags: { [TAGS.tenant]: 'globex', [TAGS.tier]: 'standard', [TAGS.table]: TABLE } },
  { id: 'initechkey', value: 'initech-usage-value-000000001', enabled: false, tags: { [TAGS.tenant]: 'initech', [TAGS.tier]: 'standard', [TAGS.table]: TABLE } },
  { id: 'notierkey1', value: 'notier-usage-value-0000000001', tags: { [TAGS.tenant]: 'notier', [TAGS.table]: TABLE } },
  { id: 'dupkey0001', value: 'dup-usage-value-0000000000001', tags: { [TAGS.tenant]: 'dup', [TAGS.tier]: 'standard', [TAGS.table]: TABLE } },
  { id: 'dupkey0002', value: 'dup-usage-value-0000000000002', tags: { [TAGS.tenant]: 'dup', [TAGS.tier]: 'standard', [TAGS.table]: TABLE } },
];

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

let dynamo: LocalDynamo;
let apigw: FakeApiGateway;
let restoreEnv: () => void;

async function run(args: string[], now: Date = NOW, apiGatewayEndpoint?: string): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeysCommand(
    [...args, '--endpoint', dynamo.endpoint, '--apigateway-endpoint', apiGatewayEndpoint ?? apigw.endpoint],
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t), now: () => now },
  );
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

async function createKey(tenant: string, extra: string[] = []): Promise<{ key: string; run: Run }> {
  const result = await run(['create', '--table', TABLE, '--tenant', tenant, ...extra]);
  expect(result).toMatchObject({ code: EXIT.OK });
  return { key: result.stdout.trim(), run: result };
}

async function item(key: string) {
  return (await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `KEY#${hashTenantKey(key)}` } }, ConsistentRead: true }))).Item;
}

beforeAll(async () => {
  restoreEnv = useTestAwsEnvironment();
  dynamo = await startDynalite();
  await createTenantKeyTable(dynamo.client, TABLE);
  apigw = await startFakeApiGateway(API_KEYS, 3);
});

afterAll(async () => {
  await apigw.close();
  await dynamo.close();
  restoreEnv();
});

describe('keys create', () => {
  test('prints the key once, on stdout alone, and stores only its SHA-256', async () => {
    // Act
    const { key, run: result } = await createKey('acme', ['--aliases', 'classify,support-summary', '--expires-in-days', '30']);

    // Assess: the key, once
    expect(key).toMatch(TENANT_KEY_PATTERN);
    expect(result.stdout).toBe(key);
    expect(`${result.stdout}\n${result.stderr}`.split(key)).toHaveLength(2);
    expect(result.stderr).toMatch(/shown only this once/);
    expect(result.stderr).toContain(keyIdOf(hashTenantKey(key)));

    // Assess: the table holds the hash and never the key or its secret part
    const dump = await dumpTable(dynamo.client, TABLE);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(10));
    expect(dump).toContain(`KEY#${hashTenantKey(key)}`);
    expect(await item(key)).toEqual({
      pk: { S: `KEY#${hashTenantKey(key)}` },
      keyId: { S: keyIdOf(hashTenantKey(key)) },
      keyPrefix: { S: key.slice(0, 10) },
      tenantId: { S: 'acme' },
      tier: { S: 'premium' },
      aliases: { L: [{ S: 'classify' }, { S: 'support-summary' }] },
      status: { S: 'active' },
      createdAt: { S: NOW.toISOString() },
      expiresAt: { S: new Date(NOW.getTime() + 30 * DAY).toISOString() },
      usageKeyId: { S: 'acmekey01' },
      usageKey: { S: 'acme-usage-value-000000000001' },
    });
  });

  test('finds the API key tagged for the tenant and this table across pages, not the other table’s', async () => {
    apigw.requests.length = 0;
    const { key } = await createKey('acme');
    expect((await item(key))?.usageKeyId).toEqual({ S: 'acmekey01' });
    // 8 keys in pages of 3: three GetApiKeys calls, each asking for values.
    const lists = apigw.requests.filter((r) => r.startsWith('GET /apikeys?'));
    expect(lists).toHaveLength(3);
    for (const r of lists) expect(r).toContain('includeValues=true');
  });

  test('--json prints the key and the record without the usage identifier', async () => {
    const result = await run(['create', '--table', TABLE, '--tenant', 'globex', '--json']);
    expect(result.code).toBe(EXIT.OK);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({ tenantId: 'globex', tier: 'standard', status: 'active', usageKeyId: 'globexkey', expiresAt: null });
    expect(parsed.key).toMatch(TENANT_KEY_PATTERN);
    expect(result.stdout).not.toContain('globex-usage-value');
    expect(result.stdout.split(parsed.key as string)).toHaveLength(2);
  });

  test('--api-key-id reads that key', async () => {
    apigw.requests.length = 0;
    const { key } = await createKey('globex', ['--api-key-id', 'globexkey']);
    expect(apigw.requests).toEqual(['GET /apikeys/globexkey?includeValue=true']);
    expect((await item(key))?.usageKey).toEqual({ S: 'globex-usage-value-00000000001' });
  });

  test('--no-usage-plan stores no usage identifier and needs --tier', async () => {
    const { key } = await createKey('solo', ['--no-usage-plan', '--tier', 'standard']);
    const stored = await item(key);
    expect(stored?.tier).toEqual({ S: 'standard' });
    expect(stored?.usageKey).toBeUndefined();
    expect(stored?.usageKeyId).toBeUndefined();
  });

  test.each([
    [['--tenant', 'acme', '--tier', 'standard'], EXIT.USAGE, /--tier: "standard" differs from the tier of tenant acme's API key \(premium\)/],
    [['--tenant', 'nobody'], EXIT.FAILED, /No API Gateway API key is tagged for tenant nobody and table gw-keys.*--api-key-id/],
    [['--tenant', 'initech'], EXIT.FAILED, /API key initechkey of tenant initech is disabled/],
    [['--tenant', 'dup'], EXIT.FAILED, /Several API keys .* \(dupkey0001, dupkey0002\): pass --api-key-id/],
    [['--tenant', 'notier'], EXIT.USAGE, /--tier is required: API key notierkey1 of tenant notier carries no tier tag/],
    [['--tenant', 'globex', '--api-key-id', 'acmekey01'], EXIT.FAILED, /API key acmekey01 belongs to tenant acme .* not to globex/],
    [['--tenant', 'globex', '--api-key-id', 'missing01'], EXIT.FAILED, /NotFoundException/],
  ])('refuses %j and writes nothing', async (flags, code, message) => {
    const before = await dumpTable(dynamo.client, TABLE);
    const result = await run(['create', '--table', TABLE, ...flags]);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(await dumpTable(dynamo.client, TABLE)).toBe(before);
  });

  test('never overwrites an existing item (conditional put)', async () => {
    // Prepare
    const { key } = await createKey('globex');
    const hash = hashTenantKey(key);
    // Act: a second put of the same hash through the CLI's store fails its condition.
    const ddb = createDynamoDbClient({ endpoint: dynamo.endpoint, connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 1 });
    await expect(putNewKey(ddb, TABLE, {
      keyHash: hash, keyId: keyIdOf(hash), keyPrefix: 'sk-gw-xxxx', tenantId: 'evil', tier: 'premium', aliases: [],
      status: 'active', createdAt: NOW.toISOString(),
    })).rejects.toThrow(/already exists/);
    ddb.destroy();
    expect((await item(key))?.tenantId).toEqual({ S: 'globex' });
  });
});

describe('keys list', () => {
  test('shows id, prefix, tier, status and dates — never a key', async () => {
    // Prepare
    const { key: live } = await createKey('listco', ['--no-usage-plan', '--tier', 'gold', '--aliases', 'classify']);
    const { key: shortLived } = await createKey('listco', ['--no-usage-plan', '--tier', 'gold', '--expires-in-days', '1']);

    // Act: two days later
    const result = await run(['list', '--table', TABLE, '--tenant', 'listco'], new Date(NOW.getTime() + 2 * DAY));

    // Assess
    expect(result.code).toBe(EXIT.OK);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^KEY ID\s+PREFIX\s+TIER\s+STATUS\s+CREATED\s+EXPIRES\s+ALIASES$/);
    expect(lines).toHaveLength(3);
    expect(result.stdout).toMatch(new RegExp(`${keyIdOf(hashTenantKey(live))}\\s+${live.slice(0, 10)}…\\s+gold\\s+active\\s+${NOW.toISOString()}\\s+never\\s+classify`));
    expect(result.stdout).toMatch(new RegExp(`${keyIdOf(hashTenantKey(shortLived))}\\s+\\S+\\s+gold\\s+expired`));
    for (const key of [live, shortLived]) {
      expect(result.stdout + result.stderr).not.toContain(key);
      expect(result.stdout + result.stderr).not.toContain(hashTenantKey(key));
    }
  });

  test('--json lists records without keys or usage identifiers', async () => {
    // acme has several keys by now.
    const result = await run(['list', '--table', TABLE, '--tenant', 'acme', '--json']);
    expect(result.code).toBe(EXIT.OK);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['aliases', 'createdAt', 'expiresAt', 'keyId', 'keyPrefix', 'revokedAt', 'sensitivityFloor', 'status', 'tenantId', 'tier', 'usageKeyId']);
    }
    expect(result.stdout).not.toContain('acme-usage-value');
  });

  test('a tenant without keys gets a message, not an error', async () => {
    const result = await run(['list', '--table', TABLE, '--tenant', 'nokeys']);
    expect(result).toEqual({ code: EXIT.OK, stdout: '', stderr: 'Tenant nokeys has no keys in gw-keys.' });
  });
});

describe('keys revoke', () => {
  test('revokes by a prefix of the key id, conditionally on the tenant, and is idempotent', async () => {
    // Prepare
    const { key } = await createKey('revco', ['--no-usage-plan', '--tier', 'gold']);
    const hash = hashTenantKey(key);
    const later = new Date(NOW.getTime() + 1000);

    // Act: another tenant cannot revoke it
    const wrongTenant = await run(['revoke', '--table', TABLE, '--tenant', 'globex', '--key-id', hash.slice(0, 8)], later);
    expect(wrongTenant.code).toBe(EXIT.FAILED);
    expect(wrongTenant.stderr).toMatch(/Tenant globex has no key whose id starts with/);
    expect((await item(key))?.status).toEqual({ S: 'active' });

    // Act: its tenant can
    const revoked = await run(['revoke', '--table', TABLE, '--tenant', 'revco', '--key-id', hash.slice(0, 8)], later);
    expect(revoked.code).toBe(EXIT.OK);
    expect(revoked.stdout).toBe(`Revoked key ${keyIdOf(hash)} of tenant revco at ${later.toISOString()}.`);
    const stored = await item(key);
    expect(stored?.status).toEqual({ S: 'revoked' });
    expect(stored?.revokedAt).toEqual({ S: later.toISOString() });

    // Act: again
    const again = await run(['revoke', '--table', TABLE, '--tenant', 'revco', '--key-id', hash], new Date(later.getTime() + 1000));
    expect(again.code).toBe(EXIT.OK);
    expect(again.stdout).toBe(`Key ${keyIdOf(hash)} of tenant revco was already revoked at ${later.toISOString()}.`);
    expect((await item(key))?.revokedAt).toEqual({ S: later.toISOString() });
  });

  test('the full hash works, and needs the right tenant', async () => {
    const { key } = await createKey('revco2', ['--no-usage-plan', '--tier', 'gold']);
    const hash = hashTenantKey(key);
    expect((await run(['revoke', '--table', TABLE, '--tenant', 'acme', '--key-id', hash])).code).toBe(EXIT.FAILED);
    expect((await item(key))?.status).toEqual({ S: 'active' });
    expect((await run(['revoke', '--table', TABLE, '--tenant', 'revco2', '--key-id', hash])).code).toBe(EXIT.OK);
    expect((await item(key))?.status).toEqual({ S: 'revoked' });
  });

  test('an ambiguous prefix is refused', async () => {
    // Prepare: two items of one tenant whose hashes share a prefix (written directly: hashes of real keys rarely collide).
    for (const suffix of ['a', 'b']) {
      const hash = `abcdef01${suffix.repeat(56)}`;
      await dynamo.client.send(new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: `KEY#${hash}` }, keyId: { S: hash.slice(0, 12) }, keyPrefix: { S: 'sk-gw-test' }, tenantId: { S: 'ambig' },
          tier: { S: 'gold' }, aliases: { L: [] }, status: { S: 'active' }, createdAt: { S: NOW.toISOString() },
        },
      }));
    }
    const result = await run(['revoke', '--table', TABLE, '--tenant', 'ambig', '--key-id', 'abcdef01']);
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/matches 2 keys of tenant ambig/);
    expect((await run(['revoke', '--table', TABLE, '--tenant', 'ambig', '--key-id', 'abcdef01a'])).code).toBe(EXIT.OK);
  });
});

describe('keys sync', () => {
  test('moves the tenant’s active keys to the tier and usage key of its API key', async () => {
    // Prepare: a key issued while acme was premium, then acme moves to enterprise.
    const { key } = await createKey('acme');
    const moved = await startFakeApiGateway([
      { id: 'acmekey01', value: 'acme-usage-value-000000000001', tags: { [TAGS.tenant]: 'acme', [TAGS.tier]: 'enterprise', [TAGS.table]: TABLE } },
    ]);
    try {
      // Act
      const result = await run(['sync', '--table', TABLE, '--tenant', 'acme'], NOW, moved.endpoint);
      // Assess
      expect(result.code).toBe(EXIT.OK);
      expect(result.stdout).toMatch(/^Tenant acme: \d+ of \d+ active keys now use tier enterprise \(API key acmekey01\)\.$/);
      expect((await item(key))?.tier).toEqual({ S: 'enterprise' });
    } finally {
      await moved.close();
    }
  });
});

describe('command line', () => {
  test.each([
    [[], EXIT.OK, /^Usage: cdk-ai-gateway keys/],
    [['--help'], EXIT.OK, /^Usage: cdk-ai-gateway keys/],
    [['list', '--help'], EXIT.OK, /^Usage: cdk-ai-gateway keys/],
  ])('%j prints usage', async (argv, code, out) => {
    const lines: string[] = [];
    expect(await runKeysCommand(argv, { stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) })).toBe(code);
    expect(lines.join('\n')).toMatch(out);
  });

  test.each([
    [['rotate', '--table', TABLE], /Unknown subcommand "rotate": expected one of create, list, revoke, sync/],
    [['list', '--tenant', 'acme'], /--table is required for 'keys list'/],
    [['list', '--table', TABLE], /--tenant is required for 'keys list'/],
    [['list', '--table', 'x', '--tenant', 'acme'], /--table: "x" is not a DynamoDB table name/],
    [['list', '--table', TABLE, '--tenant', 'Acme!'], /--tenant: "Acme!" is not a tenant id/],
    [['list', '--table', TABLE, '--tenant', 'acme', '--colour'], /Unknown option '--colour'/],
    [['list', '--table', TABLE, '--tenant', 'acme', 'extra'], /positional/],
    [['list', '--table', TABLE, '--tenant', 'acme', '--region', 'mars'], /--region: "mars" is not an AWS Region name/],
    [['list', '--table', TABLE, '--tenant', 'acme', '--endpoint', 'ftp://x'], /--endpoint: "ftp:\/\/x" is not an http/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--tier', 'Gold Plus'], /--tier: "Gold Plus" is not a tier name/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--aliases', 'classify,auto'], /--aliases: "auto" is not a route alias/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--expires-in-days', '0'], /--expires-in-days: "0" is not a whole number of days from 1 to 3650/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--expires-in-days', '1.5'], /--expires-in-days: "1.5"/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--expires-in-days', '3651'], /--expires-in-days: "3651"/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--no-usage-plan'], /--tier is required with --no-usage-plan/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--no-usage-plan', '--api-key-id', 'abc'], /--api-key-id and --no-usage-plan exclude each other/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--api-key-id', 'a/b'], /--api-key-id: "a\/b" is not an API Gateway API key id/],
    [['create', '--table', TABLE, '--tenant', 'acme', '--sensitivity-floor', 'secret'], /--sensitivity-floor: "secret" is not allowed; allowed: public, internal, restricted/],
    [['revoke', '--table', TABLE, '--tenant', 'acme'], /--key-id is required for 'keys revoke'/],
    [['revoke', '--table', TABLE, '--tenant', 'acme', '--key-id', 'abc'], /--key-id: "abc" is not a key id \(8 to 64 lower-case hex/],
    [['revoke', '--table', TABLE, '--tenant', 'acme', '--key-id', 'ABCDEF0123'], /--key-id: "ABCDEF0123"/],
  ])('%j is a usage error (exit 2) that names the flag', async (argv, message) => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await runKeysCommand(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) })).toBe(EXIT.USAGE);
    expect(err.join('\n')).toMatch(message);
    expect(out).toEqual([]);
  });

  test('an unreachable DynamoDB fails with exit 1 and the SDK error', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCommand(['list', '--table', TABLE, '--tenant', 'acme', '--endpoint', 'http://127.0.0.1:9'], {
      stdout: (t) => out.push(t), stderr: (t) => err.push(t),
    });
    expect(code).toBe(EXIT.FAILED);
    expect(err.join('\n')).toMatch(/^error: /);
    expect(out).toEqual([]);
  });

  test('a missing table fails with exit 1', async () => {
    const result = await run(['list', '--table', 'no-such-table', '--tenant', 'acme']);
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stderr).toMatch(/ResourceNotFoundException/);
  });
});
