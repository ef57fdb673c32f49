/** Fixtures of the usage ledger tests: a usage table in dynalite, a gateway wired to it. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { BudgetState, DynamoUsageLedger, readPeriodUsage, UsageCounters } from '../../../lambda/router/usage/ledger';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';
import { DynamoFaultProxy, DynamoFaultProxyOptions, startDynamoFaultProxy } from '../../helpers/dynamo-fault-proxy';
import { budgetsOf } from '../../../lambda/router/usage/from-env';
import { FanOutUsageSink } from '../../../lambda/router/usage/types';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { GatewayConfig, TenantBudget } from '../../../lambda/shared/config';
import { ResolvedGatewayConfig } from '../../../lambda/shared/defaults';
import { USAGE_TABLE_KEYS } from '../../../lambda/shared/usage-table-schema';
import { resolved, testConfig } from '../../helpers/router-config';
import { testGateway, TestGateway } from '../../helpers/router-fakes';

let tables = 0;

/** Creates a table with the `UsageTable` key layout and returns its name. */
export async function createUsageTable(client: DynamoDBClient): Promise<string> {
  const name = `usage-${++tables}`;
  await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: USAGE_TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: USAGE_TABLE_KEYS.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: USAGE_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: USAGE_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
  }));
  return name;
}

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The test configuration with budgets on some tenants. */
export function configWithBudgets(budgets: Record<string, TenantBudget>): ResolvedGatewayConfig {
  const base = testConfig();
  const config: GatewayConfig = { ...base, tenants: base.tenants.map((t) => (budgets[t.id] ? { ...t, budget: budgets[t.id] } : t)) };
  return resolved(config);
}

export interface LedgerGateway extends TestGateway {
  readonly ledger: DynamoUsageLedger;
  readonly guard: DynamoBudgetGuard;
  readonly logged: Record<string, unknown>[];
}

/** A gateway over fake adapters whose usage goes to memory and to the ledger in `tableName`. */
export function ledgerGateway(
  client: DynamoDBClient, tableName: string,
  options: { config?: ResolvedGatewayConfig; now?: () => number; dimensionValueCap?: number; inflightLeaseMs?: number } = {},
): LedgerGateway {
  const doc = documentClient(client);
  const logged: Record<string, unknown>[] = [];
  const log = (line: Record<string, unknown>): void => { logged.push(line); };
  const config = options.config ?? resolved();
  const noWait = { sleep: async () => undefined };
  const ledger = new DynamoUsageLedger({
    client: doc, tableName, log, transact: noWait, ...(options.now ? { now: options.now } : {}),
    ...(options.dimensionValueCap !== undefined ? { dimensionValueCap: options.dimensionValueCap } : {}),
  });
  const guard = new DynamoBudgetGuard({
    client: doc, tableName, budgets: budgetsOf(config), log, settleWithLedger: true, transact: noWait,
    ...(options.now ? { now: options.now } : {}), ...(options.inflightLeaseMs !== undefined ? { inflightLeaseMs: options.inflightLeaseMs } : {}),
  });
  const memory = new InMemoryUsageSink();
  const t = testGateway({
    config, usageSink: new FanOutUsageSink([memory, ledger]), budget: guard, usageStore: ledger, ...(options.now ? { now: options.now } : {}),
  });
  return { ...t, usage: memory, ledger, guard, logged };
}

/**
 * The local DynamoDB of a test file: dynalite behind the fault-injection proxy (which adds
 * `TransactWriteItems`), a client and a document client through the proxy.
 */
export interface UsageDynamo {
  /** The proxy's endpoint, a client on it, and the proxy's request counts. */
  readonly dynamo: LocalDynamo;
  readonly doc: DynamoDBDocumentClient;
  readonly proxy: DynamoFaultProxy;
}

/**
 * SDK settings of clients under fault injection. A late answer times out at once (the proxy's
 * `requestHandler`), so the request timeout only has to end a request that never returns: it is
 * long enough that a loaded machine never reaches it on an ordinary answer.
 */
export const FAULT_CLIENT_TIMEOUTS = { requestTimeoutMs: 10_000, maxAttempts: 4 } as const;

/**
 * A DynamoDB client like the router's (explicit timeouts, SDK retries) on the fault proxy, so a
 * late or dropped answer makes the real SDK send the request again.
 */
export function faultClient(proxy: DynamoFaultProxy): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: proxy.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' },
    maxAttempts: FAULT_CLIENT_TIMEOUTS.maxAttempts,
    requestHandler: proxy.requestHandler({ connectionTimeout: 1000, requestTimeout: FAULT_CLIENT_TIMEOUTS.requestTimeoutMs, throwOnRequestTimeout: true }),
  });
}

/**
 * Starts dynalite (with fake AWS credentials in the environment) before the file's tests and
 * stops it, restoring the environment, after them.
 *
 * @example
 * const local = useUsageDynamo();
 * test('…', async () => { const table = await createUsageTable(local.dynamo.client); });
 */
export function useUsageDynamo(proxyOptions: DynamoFaultProxyOptions = {}): UsageDynamo {
  let dynalite: LocalDynamo | undefined;
  let dynamo: LocalDynamo | undefined;
  let proxy: DynamoFaultProxy | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    restoreEnv = useTestAwsEnvironment();
    dynalite = await startDynalite();
    const p = proxy = await startDynamoFaultProxy(dynalite.endpoint, proxyOptions);
    const client = new DynamoDBClient({
      endpoint: p.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' },
    });
    dynamo = {
      endpoint: p.endpoint,
      client,
      count: (operation) => p.count(operation),
      resetCounts: () => p.resetCounts(),
      close: async () => {
        client.destroy();
        await p.close();
        await dynalite?.close();
      },
    };
    doc = documentClient(client);
  });
  afterAll(async () => {
    await dynamo?.close();
    restoreEnv?.();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useUsageDynamo: dynalite is not started yet (use it inside a test)');
    return value;
  };
  return {
    get dynamo() { return started(dynamo); },
    get doc() { return started(doc); },
    get proxy() { return started(proxy); },
  };
}

/** What the table says about one tenant's month: raw records, totals, budget, open in-flight items. */
export interface LedgerState {
  readonly raw: Record<string, unknown>[];
  readonly totals: UsageCounters;
  readonly budget?: BudgetState;
  readonly inflight: Record<string, unknown>[];
}

/** Reads a tenant's raw records, month totals and budget, and every in-flight item (scan: tests only). */
export async function ledgerState(client: DynamoDBClient, tableName: string, tenantId: string, month: string): Promise<LedgerState> {
  const doc = documentClient(client);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  const usage = await readPeriodUsage(doc, tableName, tenantId, 'month', month);
  return {
    raw: items.filter((i) => i.pk === `TENANT#${tenantId}` && String(i.sk).startsWith('REQ#')),
    totals: usage.totals,
    ...(usage.budget ? { budget: usage.budget } : {}),
    inflight: items.filter((i) => String(i.pk).startsWith('INFLIGHT#')),
  };
}

/** The sum of a numeric field over records, rounded to a billionth (costs). */
export function sum(records: readonly Record<string, unknown>[], field: string): number {
  return Math.round(records.reduce((t, r) => t + (typeof r[field] === 'number' ? r[field] : 0), 0) * 1e9) / 1e9;
}
