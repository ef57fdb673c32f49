/**
 * The bundled usage sweeper (assets/usage-sweeper, built by `npm run bundle`) in its own Node.js
 * process, as Lambda runs it: one scheduled invocation settles an expired in-flight request
 * against dynalite (behind the proxy that adds transactions); without a table name it fails loudly.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { Outcome } from '../../../lambda/router/usage/types';
import { utcMonth } from '../../../lambda/shared/usage-table-schema';
import { createUsageTable, documentClient, ledgerState, useUsageDynamo } from '../../router/usage/usage-fixtures';

const BUNDLE = join(__dirname, '..', '..', '..', 'assets', 'usage-sweeper', 'index.mjs');

async function invoke(env: Record<string, string>): Promise<string> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)});
    try { process.stdout.write('RESULT ' + JSON.stringify(await handler({})) + '\\n'); }
    catch (err) { process.stdout.write('FAILED ' + String(err && err.message) + '\\n'); }`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1', ...env },
    timeout: 30_000,
  });
  return stdout;
}

describe('the usage sweeper bundle', () => {
  const local = useUsageDynamo();

  test('one scheduled run settles an expired request as abandoned and logs a summary', async () => {
    // Prepare: a reservation that expired a minute ago
    const table = await createUsageTable(local.dynamo.client);
    const arrived = Date.now() - 120_000;
    const guard = new DynamoBudgetGuard({
      client: documentClient(local.dynamo.client), tableName: table, budgets: new Map([['acme', { monthlyUsd: 10 }]]), inflightLeaseMs: 60_000,
    });
    await guard.reserve({ requestId: 'gone-1', tenantId: 'acme', route: 'chat', estimatedCostUsd: 0.25, receivedAt: arrived });
    // Act
    const out = await invoke({ GATEWAY_USAGE_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: local.proxy.endpoint });
    // Assess
    expect(out).toContain('RESULT {"expired":1,"abandoned":1,"released":0,"failed":0}');
    expect(out).toMatch(/"gateway.usage.abandoned":true/);
    const state = await ledgerState(local.dynamo.client, table, 'acme', utcMonth(arrived));
    expect(state.raw).toEqual([expect.objectContaining({ requestId: 'gone-1', outcome: Outcome.ABANDONED, costUsd: 0.25 })]);
    expect(state.budget).toMatchObject({ reservedUsd: 0, spentUsd: 0.25 });
    expect(state.inflight).toHaveLength(0);
  });

  test('without a table name the run fails, naming the variable', async () => {
    expect(await invoke({})).toContain('FAILED GATEWAY_USAGE_TABLE is not set');
  });
});
