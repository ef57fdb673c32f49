/**
 * An in-process DynamoDB (dynalite) on 127.0.0.1 for runtime tests, with the tenant-key table
 * created from the same schema constants as the `TenantKeyTable` construct, and a counter of the
 * DynamoDB operations it served.
 */
import { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { TENANT_KEY_ATTRIBUTES, TENANT_KEY_INDEX } from '../../lambda/shared/tenant-key-schema';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** A client for the test itself (fixtures, scans). */
  readonly client: DynamoDBClient;
  /** How many requests of an operation (`GetItem`, `PutItem`, …) the server has received. */
  count(operation: string): number;
  /** Resets the counters. */
  resetCounts(): void;
  close(): Promise<void>;
}

/** Credentials and Region for SDK clients built by the code under test, restored by the returned function. */
export function useTestAwsEnvironment(): () => void {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE', 'AWS_EC2_METADATA_DISABLED'] as const;
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTTESTTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const counts = new Map<string, number>();
  server.prependListener('request', (req) => {
    const target = req.headers['x-amz-target'];
    const op = typeof target === 'string' ? target.split('.').pop() ?? '' : '';
    counts.set(op, (counts.get(op) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' },
  });
  return {
    endpoint,
    client,
    count: (operation) => counts.get(operation) ?? 0,
    resetCounts: () => counts.clear(),
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Creates a table with the tenant-key layout of `TenantKeyTable` (partition key, `byTenant` index). */
export async function createTenantKeyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TENANT_KEY_ATTRIBUTES.pk, AttributeType: 'S' },
      { AttributeName: TENANT_KEY_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: TENANT_KEY_INDEX.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: TENANT_KEY_ATTRIBUTES.pk, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [{
      IndexName: TENANT_KEY_INDEX.name,
      KeySchema: [
        { AttributeName: TENANT_KEY_INDEX.partitionKey, KeyType: 'HASH' },
        { AttributeName: TENANT_KEY_INDEX.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TENANT_KEY_INDEX.projectedAttributes] },
    }],
  }));
}

/** Every item of a table, as raw JSON text (to search it for strings that must not be there). */
export async function dumpTable(client: DynamoDBClient, tableName: string): Promise<string> {
  const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return JSON.stringify(out.Items ?? []);
}

/**
 * Starts dynalite (with the test AWS environment) before the calling file's tests and stops it
 * after them; returns a getter for it.
 */
export function useDynalite(): () => LocalDynamo {
  let dynamo: LocalDynamo | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    restoreEnv = useTestAwsEnvironment();
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo?.close();
    restoreEnv?.();
  });
  return () => dynamo!;
}
