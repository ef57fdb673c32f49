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
  'costUsd', 'feedbackCount', 'feedbackScoreSum',
] as const;

/** The value recorded for a dimension the request did not have (no workflow, no prompt). */
export const NO_DIMENSION_VALUE = '-';

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
