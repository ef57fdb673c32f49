/** Fixtures of the usage ledger tests: a usage table in dynalite, a gateway wired to it. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { budgetsOf } from '../../../lambda/router/usage/from-env';
import { FanOutUsageSink, InMemoryUsageSink } from '../../../lambda/router/usage/types';
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
