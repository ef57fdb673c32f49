/**
 * The shipped artefact: assets/authorizer/index.mjs (built by `npm run bundle`, which `npm test`
 * runs first), loaded by plain Node.js as Lambda loads it, answering against dynalite.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateTenantKey, hashTenantKey, keyIdOf } from '../../../lambda/authorizer/key';
import { toItem } from '../../../lambda/authorizer/record';
import { createTenantKeyTable, LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';

const BUNDLE = join(__dirname, '..', '..', '..', 'assets', 'authorizer', 'index.mjs');
const TABLE = 'bundle-keys';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/POST/v1/chat/completions';

let dynamo: LocalDynamo;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = useTestAwsEnvironment();
  dynamo = await startDynalite();
  await createTenantKeyTable(dynamo.client, TABLE);
});

afterAll(async () => {
  await dynamo.close();
  restoreEnv();
});

async function invokeBundle(authorization: string): Promise<{ result?: unknown; error?: string; stdout: string }> {
  const script = `
    const { handler } = await import(${JSON.stringify(BUNDLE)});
    const event = { type: 'REQUEST', methodArn: ${JSON.stringify(METHOD_ARN)}, headers: { Authorization: ${JSON.stringify(authorization)} } };
    try { process.stdout.write('RESULT ' + JSON.stringify(await handler(event)) + '\\n'); }
    catch (err) { process.stdout.write('ERROR ' + err.message + '\\n'); }`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST', AWS_SECRET_ACCESS_KEY: 'test-secret', AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      TENANT_KEY_TABLE_NAME: TABLE, KEY_CACHE_TTL_SECONDS: '30', KEY_CACHE_MAX_ENTRIES: '100',
      POWERTOOLS_SERVICE_NAME: 'cdk-ai-gateway-authorizer',
    },
    timeout: 20_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('ERROR ')) ?? '';
  return line.startsWith('RESULT ') ? { result: JSON.parse(line.slice(7)), stdout } : { error: line.slice(6), stdout };
}

test('the bundle exists (npm run bundle)', () => {
  expect(existsSync(BUNDLE)).toBe(true);
});

test('the bundled handler allows an active key, rejects an unknown one, and logs neither key', async () => {
  // Prepare
  const key = generateTenantKey();
  const hash = hashTenantKey(key);
  await dynamo.client.send(new PutItemCommand({
    TableName: TABLE,
    Item: toItem({
      keyHash: hash, keyId: keyIdOf(hash), keyPrefix: key.slice(0, 10), tenantId: 'acme', tier: 'premium', aliases: [],
      status: 'active', createdAt: new Date().toISOString(), usageKeyId: 'k1', usageKey: 'acme-usage-identifier-0000000001',
    }),
  }));
  const unknown = generateTenantKey();

  // Act
  const allowed = await invokeBundle(`Bearer ${key}`);
  const rejected = await invokeBundle(`Bearer ${unknown}`);

  // Assess
  expect(allowed.result).toEqual({
    principalId: 'acme',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/prod/*/*' }],
    },
    context: { tenantId: 'acme', tier: 'premium', keyId: keyIdOf(hash) },
    usageIdentifierKey: 'acme-usage-identifier-0000000001',
  });
  expect(rejected.error).toBe('Unauthorized');
  // Powertools writes one JSON line per decision; none holds a key or a full hash.
  const logs = allowed.stdout + rejected.stdout;
  expect(logs).toMatch(/"message":"tenant key accepted"/);
  expect(logs).toMatch(/"message":"tenant key rejected"/);
  for (const k of [key, unknown]) {
    expect(logs).not.toContain(k);
    expect(logs).not.toContain(hashTenantKey(k));
  }
});
