/**
 * An invocation killed in the middle of a stream (SIGKILL: no `finally`, no settlement): the
 * shipped router bundle runs under the fake Lambda runtime in its own Node.js process, against
 * dynalite (behind the proxy that adds transactions) and a loopback upstream that stalls after its
 * first events. The process is killed once the client has received part of the answer; then the
 * sweeper, with an injected clock, must release the reservation and write exactly one `abandoned`
 * record, and only after the in-flight item has expired.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { UsageSweeper } from '../../../lambda/router/usage/sweeper';
import { Outcome } from '../../../lambda/router/usage/types';
import { utcMonth } from '../../../lambda/shared/usage-table-schema';
import { chatEvent } from '../../helpers/fake-lambda-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { testConfig } from '../../helpers/router-config';
import { createUsageTable, documentClient, ledgerState, useUsageDynamo } from './usage-fixtures';

const BUNDLE = join(__dirname, '..', '..', '..', 'assets', 'router', 'index.mjs');
const FUNCTION_TIMEOUT_MS = 60_000;

/** Starts the bundled handler on `event` in a child process; resolves once the first body bytes are out. */
function startInvocation(env: Record<string, string>, event: unknown): { child: ChildProcess; firstBytes: Promise<string> } {
  const script = `
    import { Writable } from 'node:stream';
    globalThis.awslambda = {
      streamifyResponse: (handler) => handler,
      HttpResponseStream: { from(stream, meta) { process.stdout.write('SHIM head ' + JSON.stringify(meta) + '\\n'); return stream; } },
    };
    const { handler } = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)});
    const stream = new Writable({ write(chunk, _enc, done) { process.stdout.write('SHIM body ' + JSON.stringify(String(chunk)) + '\\n'); done(); } });
    await handler(JSON.parse(process.env.SHIM_EVENT), stream, { awsRequestId: 'crash' });
    process.stdout.write('SHIM done\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env, SHIM_EVENT: JSON.stringify(event) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const firstBytes = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const body = out.split('\n').find((l) => l.startsWith('SHIM body ') && l.includes('data:'));
      if (body) resolve(body);
    });
    child.on('exit', (code, signal) => reject(new Error(`the invocation ended (${code ?? signal}) before any body byte:\n${out}`)));
  });
  return { child, firstBytes };
}

describe('a router invocation killed mid-stream', () => {
  const local = useUsageDynamo();
  let upstream: FakeOpenAiUpstream;
  let dir: string;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    dir = mkdtempSync(join(tmpdir(), 'router-crash-'));
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the sweeper releases its reservation and writes exactly one abandoned record, after expiry only', async () => {
    // Prepare: globex has a budget; the upstream sends two events and then stalls
    const table = await createUsageTable(local.dynamo.client);
    const config = testConfig({ openai: upstream.baseUrl });
    writeFileSync(join(dir, 'gateway-config.json'), JSON.stringify({
      ...config, tenants: config.tenants.map((t) => (t.id === 'globex' ? { ...t, budget: { monthlyUsd: 50 } } : t)),
    }));
    upstream.enqueue(OpenAiBehaviours.success({ deltas: ['Once ', 'upon ', 'a ', 'time'], stallAfterEvents: 2 }));
    const startedAt = Date.now();
    const { child, firstBytes } = startInvocation({
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example', AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: local.proxy.endpoint, LAMBDA_TASK_ROOT: dir, GATEWAY_USAGE_TABLE: table,
      GATEWAY_FUNCTION_TIMEOUT_MS: String(FUNCTION_TIMEOUT_MS),
    }, chatEvent({ model: 'chat', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'Tell me a story' }] }));
    // Act: kill it once the client has part of the answer
    await firstBytes;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const month = utcMonth(startedAt);
    const open = await ledgerState(local.dynamo.client, table, 'globex', month);
    expect(open.raw).toHaveLength(0);
    expect(open.inflight).toHaveLength(1);
    const reserved = open.budget!.reservedUsd;
    expect(reserved).toBeGreaterThan(0);
    const doc = documentClient(local.dynamo.client);
    // The in-flight item's sort key starts with its expiry (the child's arrival plus the function
    // timeout): the clock is set around it, whatever time the loaded machine took to start the child.
    const expiresAt = Number(String(open.inflight[0].sk).split('#')[0]);
    expect(expiresAt).toBeGreaterThanOrEqual(startedAt + FUNCTION_TIMEOUT_MS);
    const clock = { t: expiresAt - 1 };
    const logged: Record<string, unknown>[] = [];
    const sweeper = new UsageSweeper({
      client: doc, tableName: table, ledger: new DynamoUsageLedger({ client: doc, tableName: table, log: () => undefined }),
      now: () => clock.t, log: (l) => { logged.push(l); },
    });
    // Before the function timeout the invocation could still be alive: nothing is touched.
    expect(await sweeper.sweep()).toEqual({ expired: 0, abandoned: 0, released: 0, failed: 0 });
    // Assess: after the function timeout
    clock.t = expiresAt + 1;
    expect(await sweeper.sweep()).toEqual({ expired: 1, abandoned: 1, released: 0, failed: 0 });
    expect(await sweeper.sweep()).toEqual({ expired: 0, abandoned: 0, released: 0, failed: 0 });
    const swept = await ledgerState(local.dynamo.client, table, 'globex', month);
    expect(swept.inflight).toHaveLength(0);
    expect(swept.raw).toHaveLength(1);
    expect(swept.raw[0]).toMatchObject({
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', tenantId: 'globex', outcome: Outcome.ABANDONED, route: 'chat', workflow: 'support',
      stream: true, costUsd: reserved, wasteUsd: reserved, usageEstimated: true,
    });
    expect(swept.totals).toMatchObject({ requests: 1, abandoned: 1 });
    expect(swept.totals.costUsd).toBeCloseTo(reserved, 9);
    expect(swept.budget?.reservedUsd).toBeCloseTo(0, 9);
    expect(swept.budget?.spentUsd).toBeCloseTo(reserved, 9);
    expect(logged.filter((l) => l['gateway.usage.abandoned'] === true)).toHaveLength(1);
  });
});
