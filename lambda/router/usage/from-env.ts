/**
 * Cold-start wiring of the usage ledger and budgets: when the function's environment names a usage
 * table (`GATEWAY_USAGE_TABLE`), usage records also go to the ledger, tenant budgets are enforced
 * with reservations (each with an in-flight item that expires at the function timeout,
 * `GATEWAY_FUNCTION_TIMEOUT_MS`), `POST /v1/feedback` / `GET /v1/usage` are served, and prompt label
 * overrides (rollbacks) stored in the table are honoured. One DynamoDB client per
 * execution environment, with explicit timeouts (the SDK's defaults are "none").
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DYNAMODB_PROFILES } from '../../clients/dynamodb';
import { documentClient } from '../../clients/dynamodb-document';
import { TenantBudget } from '../../shared/config';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import {
  DEFAULT_DIMENSION_VALUE_CAP, DEFAULT_USAGE_RECORD_TTL_DAYS, ROUTER_FUNCTION_TIMEOUT_ENV, USAGE_DIMENSION_CAP_ENV, USAGE_RECORD_TTL_DAYS_ENV,
  USAGE_TABLE_ENV,
} from '../../shared/usage-table-schema';
import { CachedLabelOverrides, DynamoLabelStore, LabelOverrideSource } from '../prompts/label-store';
import { LogUsageSink } from '../telemetry/log-sink';
import { BudgetGuard } from './budget';
import { DynamoBudgetGuard } from './dynamo-budget';
import { DynamoUsageLedger, UsageStore } from './ledger';
import { FanOutUsageSink, UsageSink } from './types';

/** What the gateway gets when a usage table is configured. */
export interface UsageWiring {
  readonly usageSink?: UsageSink;
  readonly budget?: BudgetGuard;
  readonly usageStore?: UsageStore;
  /** Prompt label overrides (rollbacks) stored in the usage table, re-read at most every 15 s. */
  readonly labelOverrides?: LabelOverrideSource;
}

export interface UsageFromEnvOptions {
  /** Endpoint override (tests). @default - the Regional endpoint */
  readonly endpoint?: string;
  /** Writes one structured log line. @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
}

/**
 * The document client of the usage table (and the review and batch tables beside it), with the
 * request path's timeouts: a budget reservation is on the request path (shared by the router and
 * the usage sweeper).
 */
export function usageDocumentClient(endpoint?: string): DynamoDBDocumentClient {
  return documentClient({ ...DYNAMODB_PROFILES.REQUEST_PATH, endpoint });
}

/** The tenants' budgets of a configuration. */
export function budgetsOf(config: ResolvedGatewayConfig): Map<string, TenantBudget> {
  const budgets = new Map<string, TenantBudget>();
  for (const tenant of config.tenants.values()) if (tenant.budget) budgets.set(tenant.id, tenant.budget);
  return budgets;
}

/**
 * The ledger sink (beside the log sink), budget guard and usage store, or nothing when the
 * environment names no usage table.
 *
 * @example
 * const gateway = createGateway(config, { ...usageFromEnv(process.env, config) });
 */
export function usageFromEnv(
  env: Readonly<Record<string, string | undefined>>, config: ResolvedGatewayConfig, options: UsageFromEnvOptions = {},
): UsageWiring {
  const tableName = env[USAGE_TABLE_ENV]?.trim();
  if (!tableName) return {};
  const ttlDays = Number(env[USAGE_RECORD_TTL_DAYS_ENV] ?? DEFAULT_USAGE_RECORD_TTL_DAYS);
  const cap = Number(env[USAGE_DIMENSION_CAP_ENV] ?? DEFAULT_DIMENSION_VALUE_CAP);
  const functionTimeoutMs = Number(env[ROUTER_FUNCTION_TIMEOUT_ENV]);
  const client = usageDocumentClient(options.endpoint);
  const ledger = new DynamoUsageLedger({
    client,
    tableName,
    recordTtlDays: Number.isInteger(ttlDays) && ttlDays > 0 ? ttlDays : DEFAULT_USAGE_RECORD_TTL_DAYS,
    dimensionValueCap: Number.isInteger(cap) && cap > 0 ? cap : DEFAULT_DIMENSION_VALUE_CAP,
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    usageSink: new FanOutUsageSink([new LogUsageSink(), ledger]),
    budget: new DynamoBudgetGuard({
      client,
      tableName,
      budgets: budgetsOf(config),
      settleWithLedger: true,
      // An in-flight item expires when its invocation cannot be alive any more: at the function timeout.
      ...(Number.isInteger(functionTimeoutMs) && functionTimeoutMs > 0 ? { inflightLeaseMs: functionTimeoutMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
    usageStore: ledger,
    labelOverrides: new CachedLabelOverrides({ store: new DynamoLabelStore(client, tableName), ...(options.log ? { log: options.log } : {}) }),
  };
}
