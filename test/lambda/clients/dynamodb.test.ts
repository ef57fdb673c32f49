/**
 * The one DynamoDB client factory (lambda/clients): each profile's attempts and timeouts reach the
 * SDK client, the endpoint override and Region are applied, the document client leaves undefined
 * attributes out, and no other runtime module constructs a DynamoDB client.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createDynamoDbClient, DYNAMODB_PROFILES } from '../../../lambda/clients/dynamodb';
import { documentClient } from '../../../lambda/clients/dynamodb-document';

const REPO = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('createDynamoDbClient', () => {
  test.each(Object.entries(DYNAMODB_PROFILES))('profile %s: its attempts and timeouts, timeouts that throw', async (_name, profile) => {
    const client = createDynamoDbClient({ ...profile, region: 'eu-west-1' });
    expect(await client.config.maxAttempts()).toBe(profile.maxAttempts);
    // The handler resolves its options on its first request; read them as it will.
    const handler = client.config.requestHandler as NodeHttpHandler;
    expect(await (handler['configProvider'] as Promise<unknown>)).toMatchObject({
      connectionTimeout: profile.connectTimeoutMs, requestTimeout: profile.requestTimeoutMs, throwOnRequestTimeout: true,
    });
    client.destroy();
  });

  test('the Region and endpoint override are applied; without them, the SDK resolves them', async () => {
    const client = createDynamoDbClient({ ...DYNAMODB_PROFILES.OPERATOR, region: 'eu-west-1', endpoint: 'http://127.0.0.1:8000' });
    expect(await client.config.region()).toBe('eu-west-1');
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:8000');
    client.destroy();
    const plain = createDynamoDbClient({ ...DYNAMODB_PROFILES.REQUEST_PATH, region: undefined, endpoint: undefined });
    expect(plain.config.endpoint).toBeUndefined();
    plain.destroy();
  });

  test('the document client removes undefined attributes, over a given client or options', () => {
    const base = createDynamoDbClient(DYNAMODB_PROFILES.REQUEST_PATH);
    for (const doc of [documentClient(base), documentClient(DYNAMODB_PROFILES.BACKGROUND)]) {
      expect(doc.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
      doc.destroy();
    }
  });

  test('no runtime module (lambda/, cli/) constructs a DynamoDB client but the factory', () => {
    const offenders = [...sources(join(REPO, 'lambda')), ...sources(join(REPO, 'cli'))]
      .filter((file) => !file.includes(join('lambda', 'clients')))
      .filter((file) => /new DynamoDBClient\(|DynamoDBDocumentClient\.from\(/.test(readFileSync(file, 'utf8').replace(/^\s*\*.*$/gm, '')))
      .map((file) => relative(REPO, file));
    expect(offenders).toEqual([]);
  });
});
