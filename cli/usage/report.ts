/** The text report of `cdk-ai-gateway usage`: totals, budget, then one table per dimension. */
import { PeriodUsage, UsageAggregate, UsageCounters } from '../../lambda/router/usage/ledger';

/** WASTE USD: the part of COST USD that bought no answer; ABANDONED: requests whose invocation died (settled by the sweeper). */
const COLUMNS = [
  'REQUESTS', 'ERRORS', 'REJECTED', 'IN TOKENS', 'OUT TOKENS', 'CACHE READ', 'CACHE WRITE', 'COST USD', 'WASTE USD', 'ABANDONED', 'FEEDBACK', 'MEAN SCORE',
] as const;

function usd(value: number): string {
  return value.toFixed(6);
}

function cells(c: UsageCounters): string[] {
  return [
    String(c.requests), String(c.errors), String(c.rejections), String(c.inputTokens), String(c.outputTokens),
    String(c.cacheReadInputTokens), String(c.cacheWriteInputTokens), usd(c.costUsd), usd(c.wasteUsd), String(c.abandoned), String(c.feedbackCount),
    c.feedbackCount > 0 ? (c.feedbackScoreSum / c.feedbackCount).toFixed(2) : '-',
  ];
}

/** A table with left-aligned first column and right-aligned numbers. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]): string => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const SECTIONS: readonly [string, string][] = [['WORKFLOW', 'By workflow'], ['ROUTE', 'By route'], ['MODEL', 'By model'], ['PROMPT', 'By prompt version']];

/**
 * The report of one tenant's period.
 *
 * @example
 * stdout(formatUsageReport(await readPeriodUsage(client, table, 'acme', 'month', '2026-11')));
 */
export function formatUsageReport(usage: PeriodUsage): string {
  const out: string[] = [`Usage of tenant ${usage.tenantId}, ${usage.granularity} ${usage.period}`, ''];
  out.push(formatTable(['', ...COLUMNS], [['TOTAL', ...cells(usage.totals)]]));
  if (usage.budget) {
    const b = usage.budget;
    out.push('', `Budget: spent USD ${usd(b.spentUsd)}${b.limitUsd !== undefined ? ` of USD ${usd(b.limitUsd)}` : ''}, reserved by requests in flight USD ${usd(b.reservedUsd)}`);
  }
  for (const [dimension, title] of SECTIONS) {
    const rows = usage.aggregates.filter((a: UsageAggregate) => a.dimension === dimension)
      .sort((a, b) => b.costUsd - a.costUsd || a.value.localeCompare(b.value));
    if (rows.length === 0) continue;
    out.push('', title, formatTable([dimension, ...COLUMNS], rows.map((a) => [a.value, ...cells(a)])));
  }
  if (usage.totals.requests === 0 && usage.aggregates.length === 0) out.push('', 'No usage recorded for this period.');
  return out.join('\n');
}
