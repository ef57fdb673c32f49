/**
 * `cdk-ai-gateway usage --by prompt`: the versions of each prompt side by side — requests, tokens
 * and cost per request, failures and feedback — to answer "which prompt version increased cost?".
 * Read from the month's per-prompt-version aggregates, which carry the version the gateway
 * resolved (never a client's claim).
 */
import { PeriodUsage, UsageAggregate } from '../../lambda/router/usage/store';
import { NO_DIMENSION_VALUE } from '../../lambda/shared/usage-table-schema';
import { formatTable } from './report';

const HEADER = ['PROMPT', 'VERSION', 'REQUESTS', 'IN TOK/REQ', 'OUT TOK/REQ', 'USD/REQ', 'FAILURES', 'FAILURE %', 'FEEDBACK', 'MEAN SCORE', 'USD/REQ VS PREV'] as const;

interface VersionRow {
  readonly promptId: string;
  readonly version: string;
  readonly a: UsageAggregate;
}

function perRequest(total: number, requests: number): number {
  return requests > 0 ? total / requests : 0;
}

/** The `id@version` aggregates of a period, grouped by prompt and ordered by version number. */
export function promptVersionRows(usage: PeriodUsage): VersionRow[] {
  return usage.aggregates
    .filter((a) => a.dimension === 'PROMPT' && a.value !== NO_DIMENSION_VALUE && a.value.includes('@'))
    .map((a) => {
      const at = a.value.lastIndexOf('@');
      return { promptId: a.value.slice(0, at), version: a.value.slice(at + 1), a };
    })
    .sort((x, y) => x.promptId.localeCompare(y.promptId) || (Number(x.version) - Number(y.version)) || x.version.localeCompare(y.version));
}

/**
 * The per-prompt version comparison of one tenant's period. Failures are gateway or upstream
 * errors plus rejections; the last column is the change of cost per request against the
 * previous version of the same prompt.
 *
 * @example
 * stdout(formatPromptComparison(await readPeriodUsage(client, table, 'acme', 'month', '2026-11')));
 */
export function formatPromptComparison(usage: PeriodUsage): string {
  const title = `Prompt versions of tenant ${usage.tenantId}, ${usage.granularity} ${usage.period}`;
  const rows = promptVersionRows(usage);
  if (rows.length === 0) return `${title}\n\nNo requests with a prompt in this period${usage.granularity === 'day' ? ' (days have totals only; use --month)' : ''}.`;
  const cells = rows.map((r, i) => {
    const { a } = r;
    const cost = perRequest(a.costUsd, a.requests);
    const previous = i > 0 && rows[i - 1].promptId === r.promptId ? rows[i - 1].a : undefined;
    const previousCost = previous ? perRequest(previous.costUsd, previous.requests) : 0;
    const failures = a.errors + a.rejections;
    return [
      r.promptId, r.version, String(a.requests),
      perRequest(a.inputTokens + a.cacheReadInputTokens + a.cacheWriteInputTokens, a.requests).toFixed(1),
      perRequest(a.outputTokens, a.requests).toFixed(1),
      cost.toFixed(6), String(failures), (perRequest(failures, a.requests) * 100).toFixed(1),
      String(a.feedbackCount), a.feedbackCount > 0 ? (a.feedbackScoreSum / a.feedbackCount).toFixed(2) : '-',
      previous && previousCost > 0 ? `${cost >= previousCost ? '+' : ''}${(((cost - previousCost) / previousCost) * 100).toFixed(1)} %` : '-',
    ];
  });
  return `${title}\n\n${formatTable(HEADER, cells)}`;
}
