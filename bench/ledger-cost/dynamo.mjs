// The benchmark's DynamoDB: dynalite (in memory, from the repository's own node_modules) on
// 127.0.0.1 in its own process, with a table of the usage table's key layout
// (lambda/shared/usage-table-schema.ts: `pk` HASH, `sk` RANGE), behind the tests' DynamoDB proxy
// (test/helpers/dynamo-fault-proxy.ts, compiled here with esbuild), which adds the
// `TransactWriteItems` dynalite lacks, with no faults injected. The router's calls are counted at
// the proxy (the `x-amz-target` of each request; a transaction is one call), with the time each
// took to answer and the write request units DynamoDB would bill for it.
//
// IPC: reports `{ listening: port, table }` once the table exists; answers `{ cmd: 'counts' }` with
// `{ counts: { <operation>: { calls, failed, totalMs, writeUnits } } }` (failed: a non-200 answer,
// e.g. a failed condition) and `{ cmd: 'reset' }` with `{ reset: true }`.
//
//   node ledger-cost/dynamo.mjs   (started by ledger-cost/run.mjs)
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from '../lib/setup.mjs';

const TABLE = 'bench-usage';
const requireFromRepo = createRequire(join(REPO_DIR, 'package.json'));
const dynalite = requireFromRepo('dynalite');
const { DynamoDBClient, CreateTableCommand } = requireFromRepo('@aws-sdk/client-dynamodb');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const { build } = requireFromRepo('esbuild');
const outdir = mkdtempSync(join(tmpdir(), 'ledger-cost-proxy-'));
await build({
  entryPoints: [join(REPO_DIR, 'test', 'helpers', 'dynamo-fault-proxy.ts')],
  outfile: join(outdir, 'proxy.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'warning',
});
const { startDynamoFaultProxy } = await import(pathToFileURL(join(outdir, 'proxy.mjs')).href);
rmSync(outdir, { recursive: true, force: true });
let counts = new Map();
const proxy = await startDynamoFaultProxy(`http://127.0.0.1:${server.address().port}`, {
  onAnswer: (op, status, ms, writeUnits) => {
    const c = counts.get(op) ?? { calls: 0, failed: 0, totalMs: 0, writeUnits: 0 };
    c.calls += 1;
    if (status !== 200) c.failed += 1;
    c.totalMs += ms;
    c.writeUnits += writeUnits;
    counts.set(op, c);
  },
});
const port = Number(new URL(proxy.endpoint).port);

const client = new DynamoDBClient({
  endpoint: `http://127.0.0.1:${port}`,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCHBENCH', secretAccessKey: 'bench-secret' },
});
await client.send(new CreateTableCommand({
  TableName: TABLE,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
}));
client.destroy();
counts = new Map();

process.on('message', (m) => {
  if (m?.cmd === 'counts') process.send({ counts: Object.fromEntries(counts) });
  else if (m?.cmd === 'reset') {
    counts = new Map();
    process.send({ reset: true });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ listening: port, table: TABLE });
