/**
 * `cdk-ai-gateway usage` against dynalite (behind the proxy that adds transactions): the
 * per-workflow, per-route report of one tenant with its waste, and `usage replay` of the records
 * the router logged as unrecorded.
 */
import { DynamoUsageLedger } from '../../lambda/router/usage/ledger';
import { DynamoBudgetGuard } from '../../lambda/router/usage/dynamo-budget';
import { Outcome, UsageRecord } from '../../lambda/router/usage/types';
import { runCli } from '../../cli/dispatch';
import { EXIT } from '../../cli/io';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../helpers/dynalite';
import { DynamoFaultProxy, startDynamoFaultProxy } from '../helpers/dynamo-fault-proxy';
import { runUsageReplay } from '../../cli/usage/replay';
import { ledgerState } from '../router/usage/usage-fixtures';
import { createUsageTable, documentClient } from '../router/usage/usage-fixtures';

let dynamo: LocalDynamo;
let proxy: DynamoFaultProxy;
let restoreEnv: () => void;
let table: string;

const base: UsageRecord = {
  requestId: 'x', timestamp: '2026-11-10T10:00:00.000Z', operation: 'chat.completions', tenantId: 'acme', tier: 'standard',
  route: 'chat', priceModelId: 'qwen3-8b', stream: false, status: 200, outcome: Outcome.SUCCESS, attempts: 1, attemptDetails: [],
  fallback: false, inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false,
  costUsd: 0.25, latencyMs: 5,
};

beforeAll(async () => {
  restoreEnv = useTestAwsEnvironment();
  dynamo = await startDynalite();
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
  table = await createUsageTable(dynamo.client);
  const viaProxy = documentClient(new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({
    endpoint: proxy.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' },
  }));
  const ledger = new DynamoUsageLedger({ client: viaProxy, tableName: table });
  await ledger.record({ ...base, requestId: 'a1', workflow: 'support' });
  await ledger.record({ ...base, requestId: 'a2', workflow: 'support', route: 'summary', outcome: Outcome.UPSTREAM_ERROR, costUsd: 0.05, wasteUsd: 0.05 });
  await ledger.record({ ...base, requestId: 'a3', workflow: 'billing', costUsd: 1.5 });
  await ledger.record({ ...base, requestId: 'g1', tenantId: 'globex', workflow: 'globex-only' });
  await ledger.recordFeedback({ tenantId: 'acme', requestId: 'a1', score: 4, at: Date.parse(base.timestamp) });
  const guard = new DynamoBudgetGuard({ client: viaProxy, tableName: table, budgets: new Map([['acme', { monthlyUsd: 100 }]]), now: () => Date.parse(base.timestamp) });
  await guard.settle(await guard.reserve({ requestId: 'a1', tenantId: 'acme', route: 'chat', estimatedCostUsd: 3 }), 1.75);
});

afterAll(async () => {
  await proxy.close();
  await dynamo.close();
  restoreEnv();
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['usage', ...args], { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cdk-ai-gateway usage', () => {
  test('prints totals, budget, and per-workflow and per-route tables of the tenant only', async () => {
    const { code, out, err } = await run('--table', table, '--tenant', 'acme', '--month', '2026-11', '--endpoint', dynamo.endpoint);
    expect(err).toBe('');
    expect(code).toBe(EXIT.OK);
    const lines = out.split('\n');
    expect(lines[0]).toBe('Usage of tenant acme, month 2026-11');
    expect(out).toMatch(/^TOTAL\s+3\s+1\s+0\s+300\s+150\s+0\s+0\s+1\.800000\s+0\.050000\s+0\s+1\s+4\.00$/m);
    expect(out).toContain('Budget: spent USD 1.750000 of USD 100.000000, reserved by requests in flight USD 0.000000');
    const workflows = lines.slice(lines.indexOf('By workflow') + 1, lines.indexOf('By route') - 1);
    expect(workflows[0]).toMatch(/^WORKFLOW\s+REQUESTS\s+ERRORS.*COST USD\s+WASTE USD\s+ABANDONED/);
    expect(workflows[1]).toMatch(/^billing\s+1\s+0\s+0\s+100\s+50\s+0\s+0\s+1\.500000\s+0\.000000\s+0\s+0\s+-$/);
    expect(workflows[2]).toMatch(/^support\s+2\s+1\s+0\s+200\s+100\s+0\s+0\s+0\.300000\s+0\.050000\s+0\s+1\s+4\.00$/);
    const routes = lines.slice(lines.indexOf('By route') + 1, lines.indexOf('By model') - 1);
    expect(routes.slice(1)).toEqual([expect.stringMatching(/^chat\s+2\s+0/), expect.stringMatching(/^summary\s+1\s+1/)]);
    expect(out).not.toContain('globex');
  });

  test('--json prints the aggregates', async () => {
    const { code, out } = await run('--table', table, '--tenant', 'globex', '--month', '2026-11', '--endpoint', dynamo.endpoint, '--json');
    expect(code).toBe(EXIT.OK);
    const parsed = JSON.parse(out) as { tenantId: string; totals: { requests: number }; aggregates: { value: string }[] };
    expect(parsed.tenantId).toBe('globex');
    expect(parsed.totals.requests).toBe(1);
    expect(parsed.aggregates.map((a) => a.value)).toContain('globex-only');
  });

  test('an empty period says so', async () => {
    const { code, out } = await run('--table', table, '--tenant', 'acme', '--day', '2026-11-11', '--endpoint', dynamo.endpoint);
    expect(code).toBe(EXIT.OK);
    expect(out).toContain('No usage recorded for this period.');
  });

  test.each([
    [['--tenant', 'acme'], /--table must name a DynamoDB table/],
    [['--table', 'gw-usage', '--tenant', 'Acme!'], /--tenant must be a tenant id .* received "Acme!"/],
    [['--table', 'gw-usage', '--tenant', 'acme', '--month', '2026-13'], /--month must be a month as YYYY-MM, received "2026-13"/],
    [['--table', 'gw-usage', '--tenant', 'acme', '--day', '2026-02-30'], /--day must be a date as YYYY-MM-DD/],
    [['--table', 'gw-usage', '--tenant', 'acme', '--month', '2026-11', '--day', '2026-11-01'], /either --month or --day/],
    [['--table', 'gw-usage', '--tenant', 'acme', '--bogus'], /Unknown option '--bogus'/],
  ])('bad command line %j exits 2', async (args, message) => {
    const { code, err } = await run(...args);
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(message);
  });

  test('replay writes the unrecorded records of a log once, with their budget settlement; a second replay changes nothing', async () => {
    // Prepare: a router that could not write two records (a missing table), logged as unrecorded
    const logged: Record<string, unknown>[] = [];
    const broken = new DynamoUsageLedger({ client: documentClient(dynamo.client), tableName: 'missing-table', log: (l) => { logged.push(l); } });
    const reservation = { requestId: 'r1', tenantId: 'initech', reservedUsd: 0, periods: [], settlesWithRecord: true };
    await broken.record({ ...base, requestId: 'r1', tenantId: 'initech', costUsd: 0.4 }, reservation);
    await broken.record({ ...base, requestId: 'r2', tenantId: 'initech', costUsd: 0.6 });
    const log = ['START RequestId: abc', ...logged.map((l) => `2026-11-10T10:00:00.000Z\t${JSON.stringify(l)}`), '{"not":"unrecorded"}'].join('\n');
    const io = () => { const out: string[] = []; const err: string[] = []; return { out, err, io: { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } } }; };
    // Act
    const first = io();
    const code = await runUsageReplay(['--table', table, '--file', 'router.log', '--endpoint', proxy.endpoint], first.io, () => log);
    const second = io();
    const again = await runUsageReplay(['--table', table, '--file', 'router.log', '--endpoint', proxy.endpoint], second.io, () => log);
    // Assess
    expect(first.err).toEqual([]);
    expect(code).toBe(EXIT.OK);
    expect(first.out).toEqual(['2 unrecorded records: 2 recorded, 0 corrected (were abandoned), 0 already recorded, 0 failed']);
    expect(again).toBe(EXIT.OK);
    expect(second.out).toEqual(['2 unrecorded records: 0 recorded, 0 corrected (were abandoned), 2 already recorded, 0 failed']);
    const state = await ledgerState(dynamo.client, table, 'initech', '2026-11');
    expect(state.raw.map((r) => r.requestId).sort()).toEqual(['r1', 'r2']);
    expect(state.totals).toMatchObject({ requests: 2, costUsd: 1 });
  });

  test('replay refuses a command line without a file', async () => {
    const { code, err } = await run('replay', '--table', 'gw-usage');
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(/--file must name a file of JSON log lines/);
  });

  test('a missing table exits 1 with the error', async () => {
    const { code, err } = await run('--table', 'missing-table', '--tenant', 'acme', '--endpoint', dynamo.endpoint);
    expect(code).toBe(EXIT.FAILED);
    expect(err).toMatch(/could not read the usage table missing-table: ResourceNotFoundException/);
  });
});
