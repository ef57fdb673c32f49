/** Fixtures of the usage ledger tests: a usage table in dynalite, a gateway wired to it. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';
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
  client: DynamoDBClient, tableName: string, options: { config?: ResolvedGatewayConfig; now?: () => number } = {},
): LedgerGateway {
  const doc = documentClient(client);
  const logged: Record<string, unknown>[] = [];
  const log = (line: Record<string, unknown>): void => { logged.push(line); };
  const config = options.config ?? resolved();
  const ledger = new DynamoUsageLedger({ client: doc, tableName, log, ...(options.now ? { now: options.now } : {}) });
  const guard = new DynamoBudgetGuard({ client: doc, tableName, budgets: budgetsOf(config), log, ...(options.now ? { now: options.now } : {}) });
  const memory = new InMemoryUsageSink();
  const t = testGateway({
    config, usageSink: new FanOutUsageSink([memory, ledger]), budget: guard, usageStore: ledger, ...(options.now ? { now: options.now } : {}),
  });
  return { ...t, usage: memory, ledger, guard, logged };
}

/** The local DynamoDB of a test file: dynalite and a document client on it. */
export interface UsageDynamo {
  readonly dynamo: LocalDynamo;
  readonly doc: DynamoDBDocumentClient;
}

/**
 * Starts dynalite (with fake AWS credentials in the environment) before the file's tests and
 * stops it, restoring the environment, after them.
 *
 * @example
 * const local = useUsageDynamo();
 * test('…', async () => { const table = await createUsageTable(local.dynamo.client); });
 */
export function useUsageDynamo(): UsageDynamo {
  let dynamo: LocalDynamo | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    restoreEnv = useTestAwsEnvironment();
    dynamo = await startDynalite();
    doc = documentClient(dynamo.client);
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
  };
}
