/**
 * The layout of the usage table, shared by the construct that creates it (`lib/usage/`), the
 * router that writes it (`lambda/router/usage/`) and the CLI that reads it (`cli/usage/`).
 * Dependency-free on purpose: `lib/` may import it.
 *
 * Single-table design, partition key `pk` and sort key `sk` (both strings):
 *
 * | pk                              | sk                    | what                                                    |
 * |---------------------------------|-----------------------|---------------------------------------------------------|
 * | `TENANT#<t>`                    | `REQ#<requestId>`     | one raw usage record per chat request, expires by `ttl` |
 * | `TENANT#<t>#MONTH#<YYYY-MM>`    | `AGG#TOTAL`           | the tenant's month totals                              |
 * | `TENANT#<t>#MONTH#<YYYY-MM>`    | `AGG#WORKFLOW#<w>`    | per workflow (`-` when the request named none)          |
 * | `TENANT#<t>#MONTH#<YYYY-MM>`    | `AGG#ROUTE#<alias>`   | per route alias                                         |
 * | `TENANT#<t>#MONTH#<YYYY-MM>`    | `AGG#MODEL#<id>`      | per price model id (a profile's underlying model)       |
 * | `TENANT#<t>#MONTH#<YYYY-MM>`    | `AGG#PROMPT#<id@ver>` | per prompt version                                      |
 * | `TENANT#<t>#DAY#<YYYY-MM-DD>`   | `AGG#TOTAL`           | the tenant's day totals                                 |
 * | `TENANT#<t>#MONTH#…` / `#DAY#…` | `BUDGET`              | budget state of the period: `committed`, `reserved`, `spent` |
 * | `TENANT#<t>#MONTH#<YYYY-MM>`    | `DIMS#<DIMENSION>`    | the distinct workflow / prompt values admitted this month (a string set, capped) |
 * | `INFLIGHT#<shard>`              | `<expiresAt>#<id>`    | a request between reservation and settlement; the sweeper settles expired ones |
 *
 * Every request's settlement is one `TransactWriteItems`: the raw record (`attribute_not_exists`,
 * the idempotency marker), its aggregates, its budget settlement and the deletion of its in-flight
 * item, so the raw records, the aggregates and the budgets cannot disagree.
 *
 * Aggregate items carry the counters of {@link USAGE_COUNTERS} (added with `ADD`, so concurrent
 * writers never lose an increment) and `dimension` / `value` naming what they aggregate.
 * Tenant ids never contain `#` (see `ID_PATTERN`), so keys cannot collide across tenants.
 */

/** Key attribute names. */
export const USAGE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk', timeToLive: 'ttl' } as const;

/** The environment variable that names the usage table to the router. */
export const USAGE_TABLE_ENV = 'GATEWAY_USAGE_TABLE';

/** The environment variable with the days raw usage records are kept (`ttl`). */
export const USAGE_RECORD_TTL_DAYS_ENV = 'GATEWAY_USAGE_RECORD_TTL_DAYS';

/** Days raw usage records are kept unless configured otherwise; aggregates never expire. */
export const DEFAULT_USAGE_RECORD_TTL_DAYS = 90;

/** The counters of an aggregate item. */
export const USAGE_COUNTERS = [
  'requests', 'errors', 'rejections', 'inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheWriteInputTokens',
  'costUsd', 'feedbackCount', 'feedbackScoreSum', 'wasteInputTokens', 'wasteOutputTokens', 'wasteUsd', 'abandoned',
] as const;

/** The value recorded for a dimension the request did not have (no workflow, no prompt). */
export const NO_DIMENSION_VALUE = '-';

/** The value a capped dimension records beyond its cap of distinct values. */
export const OVERFLOW_DIMENSION_VALUE = 'other';

/** The dimensions whose values the client chooses, capped per tenant and month. */
export const CAPPED_DIMENSIONS = ['WORKFLOW', 'PROMPT'] as const;

/** Distinct values of each capped dimension per tenant and month unless configured otherwise. */
export const DEFAULT_DIMENSION_VALUE_CAP = 100;

/** The environment variable with the cap of distinct workflow / prompt values per tenant and month. */
export const USAGE_DIMENSION_CAP_ENV = 'GATEWAY_USAGE_DIMENSION_CAP';

/** The environment variable with the router function's timeout in ms (the in-flight items' lease). */
export const ROUTER_FUNCTION_TIMEOUT_ENV = 'GATEWAY_FUNCTION_TIMEOUT_MS';

/**
 * Time the router needs after its total deadline to settle a request (the settlement transaction
 * with its timeouts and retries), in ms. The router function's timeout must exceed
 * `timeouts.totalMs` plus this margin.
 */
export const SETTLE_MARGIN_MS = 15_000;

/** Partitions the in-flight items are spread over (the sweeper queries each). */
export const INFLIGHT_SHARDS = 8;

/** The sort key of the item that lists a capped dimension's admitted values. */
export function dimensionValuesSortKey(dimension: string): string {
  return `DIMS#${dimension}`;
}

/** The partition key of in-flight shard `shard`. */
export function inflightPartitionKey(shard: number): string {
  return `INFLIGHT#${shard}`;
}

/**
 * The key of a request's in-flight item: a shard chosen from the request id, and a sort key that
 * orders by expiry (epoch ms, zero-padded), so the sweeper reads only expired items.
 */
export function inflightKey(requestId: string, expiresAt: number): { pk: string; sk: string } {
  let h = 0;
  for (let i = 0; i < requestId.length; i++) h = (h * 31 + requestId.charCodeAt(i)) >>> 0;
  return { pk: inflightPartitionKey(h % INFLIGHT_SHARDS), sk: `${inflightSortPrefix(expiresAt)}#${requestId}` };
}

/** The sort-key prefix of in-flight items expiring at `epochMs` (15 digits, zero-padded). */
export function inflightSortPrefix(epochMs: number): string {
  return String(Math.max(0, Math.floor(epochMs))).padStart(15, '0');
}

/** The sort key of a period's budget item. */
export const BUDGET_SORT_KEY = 'BUDGET';

/** The partition key of a tenant's raw records. */
export function tenantRecordsKey(tenantId: string): string {
  return `TENANT#${tenantId}`;
}

/** The sort key of a raw record. */
export function requestSortKey(requestId: string): string {
  return `REQ#${requestId}`;
}

/** The partition key of a tenant's month (`YYYY-MM`). */
export function monthKey(tenantId: string, month: string): string {
  return `TENANT#${tenantId}#MONTH#${month}`;
}

/** The partition key of a tenant's day (`YYYY-MM-DD`). */
export function dayKey(tenantId: string, day: string): string {
  return `TENANT#${tenantId}#DAY#${day}`;
}

/** The sort key of an aggregate: `AGG#TOTAL`, or `AGG#<DIMENSION>#<value>`. */
export function aggregateSortKey(dimension: string, value?: string): string {
  return value === undefined ? `AGG#${dimension}` : `AGG#${dimension}#${value}`;
}

/** The UTC month (`YYYY-MM`) of an epoch-ms time. */
export function utcMonth(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** The start of the next UTC month after an epoch-ms time, in epoch ms. */
export function nextUtcMonthStart(epochMs: number): number {
  const d = new Date(epochMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The start of the next UTC day after an epoch-ms time, in epoch ms. */
export function nextUtcDayStart(epochMs: number): number {
  const d = new Date(epochMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
