/** `cdk-ai-gateway usage --by prompt` against dynalite: prompt versions compared side by side. */
import { DynamoUsageLedger } from '../../lambda/router/usage/ledger';
import { Outcome, UsageRecord } from '../../lambda/router/usage/types';
import { runCli } from '../../cli/dispatch';
import { EXIT } from '../../cli/io';
import { createUsageTable, useUsageDynamo } from '../router/usage/usage-fixtures';

const local = useUsageDynamo();
let table: string;

/** A successful chat record of tenant acme in November 2026, 100 in / 50 out tokens for USD 0.01. */
function record(requestId: string, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId, timestamp: '2026-11-10T10:00:00.000Z', operation: 'chat.completions', tenantId: 'acme', tier: 'standard', route: 'chat',
    stream: false, status: 200, outcome: Outcome.SUCCESS, attempts: 1, attemptDetails: [], fallback: false, usageEstimated: false,
    inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, costUsd: 0.01, latencyMs: 5, ...extra,
  };
}

beforeAll(async () => {
  table = await createUsageTable(local.dynamo.client);
  const ledger = new DynamoUsageLedger({ client: local.doc, tableName: table });
  const v = (requestId: string, promptVersion: string, extra: Partial<UsageRecord> = {}) =>
    ledger.record(record(requestId, { promptId: 'support-reply', promptVersion, ...extra }));
  await v('a', '3');
  await v('b', '3', { outcome: Outcome.UPSTREAM_ERROR, costUsd: 0, inputTokens: 0, outputTokens: 0 });
  await v('c', '10', { inputTokens: 300, outputTokens: 150, costUsd: 0.03 });
  await v('d', '4', { inputTokens: 200, outputTokens: 70, costUsd: 0.015 });
  await ledger.record(record('e'));
  await ledger.recordFeedback({ tenantId: 'acme', requestId: 'd', score: 3, at: Date.parse('2026-11-10T10:00:00.000Z') });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['usage', '--table', table, '--tenant', 'acme', '--endpoint', local.dynamo.endpoint, ...args],
    { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cdk-ai-gateway usage --by prompt', () => {
  test('one row per version in version order: requests, tokens and cost per request, failures, feedback, cost change', async () => {
    // Act
    const { code, out, err } = await run('--month', '2026-11', '--by', 'prompt');

    // Assess
    expect(err).toBe('');
    expect(code).toBe(EXIT.OK);
    const lines = out.split('\n');
    expect(lines[0]).toBe('Prompt versions of tenant acme, month 2026-11');
    expect(lines[2]).toMatch(/^PROMPT\s+VERSION\s+REQUESTS\s+IN TOK\/REQ\s+OUT TOK\/REQ\s+USD\/REQ\s+FAILURES\s+FAILURE %\s+FEEDBACK\s+MEAN SCORE\s+USD\/REQ VS PREV$/);
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(/^support-reply\s+3\s+2\s+50\.0\s+25\.0\s+0\.005000\s+1\s+50\.0\s+0\s+-\s+-$/),
      expect.stringMatching(/^support-reply\s+4\s+1\s+200\.0\s+70\.0\s+0\.015000\s+0\s+0\.0\s+1\s+3\.00\s+\+200\.0 %$/),
      expect.stringMatching(/^support-reply\s+10\s+1\s+300\.0\s+150\.0\s+0\.030000\s+0\s+0\.0\s+0\s+-\s+\+100\.0 %$/),
    ]);
  });

  test('--json prints the version rows', async () => {
    const { code, out } = await run('--month', '2026-11', '--by', 'prompt', '--json');
    expect(code).toBe(EXIT.OK);
    expect((JSON.parse(out) as { version: string }[]).map((r) => r.version)).toEqual(['3', '4', '10']);
  });

  test('a day has no per-prompt aggregates, and says so', async () => {
    const { out } = await run('--day', '2026-11-10', '--by', 'prompt');
    expect(out).toContain('No requests with a prompt in this period (days have totals only; use --month).');
  });

  test('another grouping is refused', async () => {
    const { code, err } = await run('--by', 'model');
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(/--by "model" is not allowed; allowed: prompt/);
  });
});
