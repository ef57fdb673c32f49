/**
 * `cdk-ai-gateway advise` end to end: against the usage table (dynalite behind the proxy that adds
 * transactions, records written by the router's own ledger) and against local-mode usage lines
 * (the router's own log line); table, JSON and HTML output; the HTML checked in headless Chromium.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/dispatch';
import { EXIT } from '../../../cli/io';
import { AdvisorReport, Recommendation } from '../../../cli/advise/analyse';
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { toLogLine } from '../../../lambda/router/telemetry/log-sink';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';
import { DynamoFaultProxy, startDynamoFaultProxy } from '../../helpers/dynamo-fault-proxy';
import { createUsageTable, documentClient } from '../../router/usage/usage-fixtures';
import { BEDROCK_PRICES, G6_FIGURE, idleCapacity, idleSelfHosted, MONTH, spikyAdhoc, steadyClassification } from './ledgers';

let dir: string;
let dynamo: LocalDynamo;
let proxy: DynamoFaultProxy;
let restoreEnv: () => void;
let table: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'advise-'));
  restoreEnv = useTestAwsEnvironment();
  dynamo = await startDynalite();
  proxy = await startDynamoFaultProxy(dynamo.endpoint);
  table = await createUsageTable(dynamo.client);
  const ledger = new DynamoUsageLedger({ client: documentClient(new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({
    endpoint: proxy.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' },
  })), tableName: table, log: () => undefined });
  // The ledger: the spiky workflow, the idle self-hosted one, and one record of another month.
  for (const r of [...spikyAdhoc(), ...idleSelfHosted().slice(0, 9)]) await ledger.record(r);
  await ledger.record({ ...spikyAdhoc()[0], requestId: 'october', timestamp: '2026-10-31T23:59:59.000Z' });
  // Local mode: the router's usage lines of every workflow, with a line that is not JSON.
  const lines = [...steadyClassification(), ...spikyAdhoc(), ...idleSelfHosted()].map((r) => JSON.stringify(toLogLine(r, 'CdkAiGateway')));
  writeFileSync(join(dir, 'usage.log'), ['cdk-ai-gateway serving http://127.0.0.1:8787/v1', ...lines].join('\n'));
  writeFileSync(join(dir, 'capacity.json'), JSON.stringify({ targets: [idleCapacity()], throughput: [G6_FIGURE] }));
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify({
    targets: [{ id: 'sonnet', kind: 'bedrock', modelId: 'anthropic.claude-sonnet-4' }], prices: BEDROCK_PRICES,
  }));
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await dynamo.close();
  restoreEnv();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['advise', ...args], { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const local = (...more: string[]) => run('--local', join(dir, 'usage.log'), '--month', MONTH, '--config', join(dir, 'gateway.json'),
  '--capacity', join(dir, 'capacity.json'), ...more);

describe('cdk-ai-gateway advise', () => {
  test('--table reads the month of the usage table (and nothing of another month)', async () => {
    const { code, out } = await run('--table', table, '--month', MONTH, '--endpoint', proxy.endpoint, '--region', 'eu-west-1', '--format', 'json',
      '--config', join(dir, 'gateway.json'), '--capacity', join(dir, 'capacity.json'));
    expect(code).toBe(EXIT.OK);
    const report = JSON.parse(out) as AdvisorReport;
    expect(report.workflows.map((w) => [w.workflow, w.volume.requests]).sort()).toEqual([['adhoc', 30], ['drafts', 9]]);
    expect(report.workflows.find((w) => w.workflow === 'adhoc')!.recommendation).toBe(Recommendation.BEDROCK_ON_DEMAND);
    expect(report.capacity[0]).toMatchObject({ targetId: 'vllm', capacityWaste: true });
  });

  test('--local: the terminal table per workflow, the capacity, each workflow\'s alternatives with cited sources', async () => {
    const { code, out } = await local();
    expect(code).toBe(EXIT.OK);
    expect(out).toMatch(/^Workload advisor, 2026-11 \(720 hours\)/);
    expect(out).toMatch(/\nclassify +15120 +steady .* self-hosted may be worth testing\n/);
    expect(out).toMatch(/\nadhoc +30 +spiky .* Bedrock on-demand\n/);
    expect(out).toMatch(/\nvllm +g6e\.xlarge +720 .* CAPACITY WASTE\n/);
    expect(out).toContain('https://example.com/bench/g6-qwen3-8b (2026-10-02)');
  });

  test('--format html --out FILE: one self-contained page, rendered by headless Chromium with both charts', async () => {
    const file = join(dir, 'advice.html');
    const { code, err } = await local('--format', 'html', '--out', file);
    expect(code).toBe(EXIT.OK);
    expect(err).toContain(`wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|url\(/); // no script, no external asset
    const dom = chromium(['--dump-dom', `file://${file}`]);
    // What the browser built from the page: the charts as SVG elements with their series.
    expect(dom).toMatch(/<svg id="cost-per-route"[^>]*>[\s\S]*<polyline class="series" data-series="classify"/);
    expect(dom).toMatch(/<svg id="utilization-vllm"[^>]*>[\s\S]*<polyline class="series" data-series="GPU %"/);
    expect(dom).toContain('<h2>Workflow classify: self-hosted may be worth testing</h2>');
  }, 60_000);

  test('bad arguments name the option and what is allowed', async () => {
    expect(await run('--month', '2026-13', '--local', dir)).toMatchObject({ code: EXIT.USAGE, err: expect.stringContaining('--month must be a month as YYYY-MM, received "2026-13".') });
    expect(await run('--month', MONTH)).toMatchObject({ code: EXIT.USAGE, err: expect.stringContaining('Give exactly one of --table NAME and --local PATH.') });
    expect(await run('--month', MONTH, '--local', dir, '--format', 'pdf')).toMatchObject({ code: EXIT.USAGE, err: expect.stringContaining('--format "pdf" is not allowed; allowed: table, json, html.') });
    writeFileSync(join(dir, 'bad-capacity.json'), JSON.stringify({ throughput: [{ instanceType: 'g6.xlarge', outputTokensPerSecond: 10 }] }));
    expect(await run('--month', MONTH, '--local', join(dir, 'usage.log'), '--capacity', join(dir, 'bad-capacity.json')))
      .toMatchObject({ code: EXIT.USAGE, err: expect.stringContaining('throughput[0] needs "instanceType", "outputTokensPerSecond" > 0 and a "source" with "url" and "date"') });
  });
});

/** Runs headless Chromium (the system's); fails with what to install when there is none. */
function chromium(args: string[]): string {
  const binary = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => {
    try {
      execFileSync('which', [b], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!binary) throw new Error('headless Chromium is needed for this test: apt-get install -y chromium (see .ci/run)');
  return execFileSync(binary, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', ...args], { encoding: 'utf8', timeout: 45_000, stdio: ['ignore', 'pipe', 'ignore'] });
}
