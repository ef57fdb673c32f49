// The benchmark's DynamoDB: dynalite (in memory, from the repository's own node_modules) on
// 127.0.0.1 in its own process, with a table of the usage table's key layout
// (lambda/shared/usage-table-schema.ts: `pk` HASH, `sk` RANGE), and a count of the DynamoDB
// operations it serves, taken at its HTTP layer (the `x-amz-target` header of each request) with
// the time each took to answer.
//
// IPC: reports `{ listening: port, table }` once the table exists; answers `{ cmd: 'counts' }` with
// `{ counts: { <operation>: { calls, failed, totalMs } } }` (failed: a non-200 answer, e.g. a
// failed condition) and `{ cmd: 'reset' }` with `{ reset: true }`.
//
//   node ledger-cost/dynamo.mjs   (started by ledger-cost/run.mjs)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_DIR } from '../lib/setup.mjs';

const TABLE = 'bench-usage';
const requireFromRepo = createRequire(join(REPO_DIR, 'package.json'));
const dynalite = requireFromRepo('dynalite');
const { DynamoDBClient, CreateTableCommand } = requireFromRepo('@aws-sdk/client-dynamodb');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
let counts = new Map();
server.prependListener('request', (req, res) => {
  const started = performance.now();
  const target = req.headers['x-amz-target'];
  const op = typeof target === 'string' ? target.split('.').pop() : '(none)';
  res.once('finish', () => {
    const c = counts.get(op) ?? { calls: 0, failed: 0, totalMs: 0 };
    c.calls += 1;
    if (res.statusCode !== 200) c.failed += 1;
    c.totalMs += performance.now() - started;
    counts.set(op, c);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

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
