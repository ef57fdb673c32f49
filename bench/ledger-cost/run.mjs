// Usage ledger cost: what the DynamoDB usage ledger (and tenant budgets) cost per chat request —
// DynamoDB calls by operation, counted at the DynamoDB server's HTTP layer — and the router's
// latency with the ledger off, on, and on with a monthly+daily budget, against the same loopback
// upstream and an in-memory DynamoDB (dynalite) on 127.0.0.1.
//
//   npm run ledger-cost [-- --rounds N --duration S --warmup N --no-bundle]
//
// Systems, each server in its own process, all on 127.0.0.1:
//   direct         the client → the upstream (bench/servers/upstream.mjs)
//   ledger-off     the client → the router Lambda handler (assets/router/index.mjs) in a long-lived
//                  process (ledger-cost/lambda-server.mjs), no usage table → the upstream
//   ledger-on      the same, with GATEWAY_USAGE_TABLE (→ dynalite), a tenant without budget
//   ledger-budget  the same process as ledger-on, a tenant with a monthly and a daily budget
// These three run one invocation at a time, as one Lambda execution environment does: a request's
// invocation starts when the previous one (ledger writes included) has finished. The
// `-overlap` variants of ledger-on and ledger-budget let the next request start while the
// previous one's ledger writes are still in flight (same process), to show their CPU contention.
// JSON answers, 1 connection (one request at a time, keep-alive), rounds of short runs in a
// rotated order; every response's time recorded exactly and pooled over the rounds. Besides the
// client's time, the router process records per invocation the time from the handler's start to
// the end of the response stream (what an API Gateway client waits for) and to the end of the
// invocation (what Lambda bills, and when the environment is free again).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killAll, startServer } from '../lib/processes.mjs';
import {
  ALIAS, BENCH_DIR, checkQuiet, chatBody, ensureBundles, machineFacts, REPO_DIR, RESULTS_DIR, ROUTER_BUNDLE, UPSTREAM_MODEL, UPSTREAM_SCRIPT,
} from '../lib/setup.mjs';
import { percentile, round, sorted, table } from '../lib/stats.mjs';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '200' },
    'count-requests': { type: 'string', default: '50' },
    'no-bundle': { type: 'boolean', default: false },
    out: { type: 'string', default: join(RESULTS_DIR, 'ledger-cost.json') },
  },
});
const ROUNDS = Number(opts.rounds);
const DURATION_MS = Number(opts.duration) * 1000;
const WARMUP = Number(opts.warmup);
const COUNT_REQUESTS = Number(opts['count-requests']);

const TENANT = 'bench';
const BUDGET_TENANT = 'bench-budget';
const BUDGET = { monthlyUsd: 1_000_000, dailyUsd: 100_000 };
const FAKE_AWS = {
  AWS_ACCESS_KEY_ID: 'AKIDBENCHBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench-secret',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/**
 * DynamoDB on-demand prices (us-east-1, standard table class, since November 2024): USD per million
 * write request units and per million read request units. A transactional write costs 2 WRU per KB
 * of each item; an eventually consistent read 0.5 RRU per 4 KB.
 */
const ON_DEMAND_USD_PER_MILLION = { write: 0.625, read: 0.125 };

/** One request at a time over one keep-alive connection, for `durationMs` or `count` requests. */
async function closedLoop({ port, path, headers, body, durationMs, count }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const payload = Buffer.from(body);
  const samples = [];
  let errors = 0;
  const deadline = performance.now() + (durationMs ?? Number.POSITIVE_INFINITY);
  const one = () => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({
      host: '127.0.0.1', port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
    }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end(payload);
  });
  try {
    while (count !== undefined ? samples.length + errors < count : performance.now() < deadline) {
      const { ms, status } = await one();
      if (status === 200) samples.push(ms);
      else errors += 1;
    }
  } finally {
    agent.destroy();
  }
  return { samples, errors };
}

function ipcRequest(child, message, key) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${key}' answer over IPC`)), 5000);
    const onMessage = (m) => {
      if (m && key in m) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m[key]);
      }
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function summary(samples) {
  const s = sorted(samples);
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

async function main() {
  ensureBundles(process.argv);
  const loadBefore = os.loadavg();
  const quiet = checkQuiet();
  const dir = mkdtempSync(join(os.tmpdir(), 'cdk-ai-gateway-ledger-bench-'));
  try {
    const upstream = await startServer({ name: 'upstream', args: [UPSTREAM_SCRIPT], cwd: BENCH_DIR });
    const dynamo = await startServer({ name: 'dynalite', args: [join(BENCH_DIR, 'ledger-cost', 'dynamo.mjs')], cwd: BENCH_DIR });
    const configPath = join(dir, 'gateway-config.json');
    writeFileSync(configPath, JSON.stringify({
      tenants: [
        { id: TENANT, allowedAliases: [ALIAS], description: 'Benchmark tenant without budget' },
        { id: BUDGET_TENANT, allowedAliases: [ALIAS], description: 'Benchmark tenant with a monthly and a daily budget', budget: BUDGET },
      ],
      targets: [{
        id: 'upstream', kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${upstream.port}/v1`, model: UPSTREAM_MODEL,
        description: 'The benchmark upstream (bench/servers/upstream.mjs)',
      }],
      routes: [{ alias: ALIAS, targets: ['upstream'] }],
      prices: { [UPSTREAM_MODEL]: { inputUsdPer1K: 0.0005, outputUsdPer1K: 0.0015 } },
    }, null, 2));
    const baseEnv = { ROUTER_BUNDLE, GATEWAY_CONFIG_PATH: configPath, ...FAKE_AWS, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamo.port}` };
    const serverScript = join(BENCH_DIR, 'ledger-cost', 'lambda-server.mjs');
    const off = await startServer({ name: 'router (ledger off)', args: [serverScript], cwd: REPO_DIR, env: baseEnv });
    const on = await startServer({ name: 'router (ledger on)', args: [serverScript], cwd: REPO_DIR, env: { ...baseEnv, GATEWAY_USAGE_TABLE: 'bench-usage' } });

    const body = chatBody(ALIAS, false);
    const systems = {
      direct: { port: upstream.port, path: '/v1/chat/completions', headers: {}, body: chatBody(UPSTREAM_MODEL, false) },
      'ledger-off': { port: off.port, path: '/v1/chat/completions', headers: { 'x-bench-tenant': TENANT, 'x-bench-serial': '1' }, body, server: off },
      'ledger-on': { port: on.port, path: '/v1/chat/completions', headers: { 'x-bench-tenant': TENANT, 'x-bench-serial': '1' }, body, server: on },
      'ledger-budget': { port: on.port, path: '/v1/chat/completions', headers: { 'x-bench-tenant': BUDGET_TENANT, 'x-bench-serial': '1' }, body, server: on },
      'ledger-on-overlap': { port: on.port, path: '/v1/chat/completions', headers: { 'x-bench-tenant': TENANT }, body, server: on },
      'ledger-budget-overlap': { port: on.port, path: '/v1/chat/completions', headers: { 'x-bench-tenant': BUDGET_TENANT }, body, server: on },
    };
    const names = Object.keys(systems);

    // Warm-up (JIT, connections, the DynamoDB client and the tenant's aggregate items).
    for (const name of names.filter((n) => !n.endsWith('-overlap'))) {
      const { errors } = await closedLoop({ ...systems[name], count: WARMUP });
      if (errors > 0) throw new Error(`${name}: ${errors} of ${WARMUP} warm-up requests failed`);
      if (systems[name].server) await ipcRequest(systems[name].server.child, { cmd: 'times' }, 'times');
    }
    await sleep(300);

    // (1) DynamoDB calls per chat request, by operation, per tenant kind and with the ledger off.
    const calls = {};
    for (const name of ['ledger-off', 'ledger-on', 'ledger-budget']) {
      await ipcRequest(dynamo.child, { cmd: 'reset' }, 'reset');
      const { errors } = await closedLoop({ ...systems[name], count: COUNT_REQUESTS });
      if (errors > 0) throw new Error(`${name}: ${errors} of ${COUNT_REQUESTS} counted requests failed`);
      await sleep(300); // the ledger writes finish after the answer
      await ipcRequest(systems[name].server.child, { cmd: 'times' }, 'times');
      const counts = await ipcRequest(dynamo.child, { cmd: 'counts' }, 'counts');
      calls[name] = Object.fromEntries(Object.entries(counts).sort().map(([op, c]) => [op, {
        perRequest: round(c.calls / COUNT_REQUESTS), failedPerRequest: round(c.failed / COUNT_REQUESTS), meanServerMs: round(c.totalMs / c.calls),
      }]));
      const failedCalls = Object.values(counts).reduce((a, c) => a + c.failed, 0);
      if (failedCalls > 0) process.stderr.write(`warning: ${name}: ${failedCalls} DynamoDB calls failed (records may be missing from the ledger)\n`);
      const writeUnits = Object.values(counts).reduce((a, c) => a + (c.writeUnits ?? 0), 0) / COUNT_REQUESTS;
      // The only reads on the chat path are the budget's eventually consistent GetItems (0.5 RRU each).
      const readUnits = (counts.GetItem?.calls ?? 0) * 0.5 / COUNT_REQUESTS;
      calls[name].total = {
        perRequest: round(Object.values(counts).reduce((a, c) => a + c.calls, 0) / COUNT_REQUESTS),
        writeUnits: round(writeUnits),
        readUnits: round(readUnits),
        usdPerMillionRequests: round(writeUnits * ON_DEMAND_USD_PER_MILLION.write + readUnits * ON_DEMAND_USD_PER_MILLION.read),
      };
    }

    // (2) Latency: rounds of short runs, systems in a rotated order.
    const pooled = Object.fromEntries(names.map((n) => [n, { client: [], responseMs: [], invocationMs: [], errors: 0 }]));
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      const order = names.map((_, i) => names[(i + round_) % names.length]);
      for (const name of order) {
        const system = systems[name];
        const { samples, errors } = await closedLoop({ ...system, durationMs: DURATION_MS });
        pooled[name].client.push(...samples);
        pooled[name].errors += errors;
        if (system.server) {
          await sleep(50); // let the last invocation settle
          const times = await ipcRequest(system.server.child, { cmd: 'times' }, 'times');
          pooled[name].responseMs.push(...times.responseMs);
          pooled[name].invocationMs.push(...times.invocationMs);
          pooled[name].errors += times.failed;
        }
      }
    }
    const loadAfter = os.loadavg();

    const latency = {};
    for (const name of names) {
      const p = pooled[name];
      const tails = p.invocationMs.map((v, i) => v - p.responseMs[i]);
      latency[name] = {
        requests: p.client.length,
        errors: p.errors,
        client: summary(p.client),
        ...(p.responseMs.length ? { handlerToResponseEnd: summary(p.responseMs), handlerToInvocationEnd: summary(p.invocationMs), afterResponseEnd: summary(tails) } : {}),
      };
    }
    const diff = (a, b, key, pct) => round(latency[a][key][pct] - latency[b][key][pct]);
    const added = {};
    for (const name of ['ledger-on', 'ledger-budget', 'ledger-on-overlap', 'ledger-budget-overlap']) {
      added[name] = {
        // What an API Gateway client waits for more: the handler's start to the end of the answer.
        answerP50: diff(name, 'ledger-off', 'handlerToResponseEnd', 'p50'),
        answerP99: diff(name, 'ledger-off', 'handlerToResponseEnd', 'p99'),
        // How much longer the invocation runs (billed duration; the environment is busy until then).
        invocationP50: diff(name, 'ledger-off', 'handlerToInvocationEnd', 'p50'),
        invocationP99: diff(name, 'ledger-off', 'handlerToInvocationEnd', 'p99'),
        // The benchmark client's own round trip, back to back on one connection: for the serial
        // systems it includes waiting for the previous invocation's ledger writes.
        closedLoopClientP50: diff(name, 'ledger-off', 'client', 'p50'),
        closedLoopClientP99: diff(name, 'ledger-off', 'client', 'p99'),
      };
    }
    added['ledger-off'] = { overDirectP50: diff('ledger-off', 'direct', 'client', 'p50'), overDirectP99: diff('ledger-off', 'direct', 'client', 'p99') };

    const r = (s) => (s ? [round(s.p50), round(s.p99)] : [null, null]);
    process.stdout.write('\nDynamoDB calls per chat request (counted at dynalite; mean server time per call, ms)\n');
    const ops = [...new Set(Object.values(calls).flatMap((c) => Object.keys(c)))].filter((o) => o !== 'total');
    process.stdout.write(`${table(['system', ...ops, 'total'], Object.entries(calls).map(([n, c]) => [
      n, ...ops.map((o) => (c[o] ? `${c[o].perRequest} (${c[o].meanServerMs} ms)` : 0)), c.total.perRequest,
    ]))}\n`);
    process.stdout.write(`\nWrite and read request units per chat request, and the ledger's DynamoDB bill per million requests (on-demand, `
      + `USD ${ON_DEMAND_USD_PER_MILLION.write}/M WRU, ${ON_DEMAND_USD_PER_MILLION.read}/M RRU)\n`);
    process.stdout.write(`${table(['system', 'WRU', 'RRU', 'USD per million requests'], Object.entries(calls).map(([n, c]) => [
      n, c.total.writeUnits, c.total.readUnits, c.total.usdPerMillionRequests,
    ]))}\n`);
    process.stdout.write(`\nLatency, JSON, 1 connection, ${ROUNDS}×${DURATION_MS / 1000} s per system (ms)\n`);
    process.stdout.write(`${table(
      ['system', 'requests', 'client p50', 'client p99', 'handler→answer p50', 'p99', 'handler→invocation end p50', 'p99', 'after answer p50', 'p99'],
      names.map((n) => [n, latency[n].requests, ...r(latency[n].client), ...r(latency[n].handlerToResponseEnd), ...r(latency[n].handlerToInvocationEnd), ...r(latency[n].afterResponseEnd)]),
    )}\n`);
    process.stdout.write('\nAdded over ledger-off (ms): answer = handler start → end of the answer; invocation = handler start → end of the invocation; client = back-to-back round trip\n');
    process.stdout.write(`${table(['system', 'answer p50', 'p99', 'invocation p50', 'p99', 'client p50', 'p99'],
      Object.entries(added).filter(([n]) => n !== 'ledger-off').map(([n, a]) => [n, a.answerP50, a.answerP99, a.invocationP50, a.invocationP99, a.closedLoopClientP50, a.closedLoopClientP99]))}\n`);
    process.stdout.write(`ledger-off over direct (client, ms): p50 ${added['ledger-off'].overDirectP50}, p99 ${added['ledger-off'].overDirectP99}\n`);
    process.stdout.write(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}${quiet ? '' : ' (BUSY machine: numbers include other work)'}\n`);

    const result = {
      benchmark: 'ledger-cost',
      machine: { ...machineFacts(), loadAverageBefore: loadBefore.map(round), loadAverageAfter: loadAfter.map(round), quiet },
      settings: { rounds: ROUNDS, durationS: DURATION_MS / 1000, warmupRequests: WARMUP, countedRequests: COUNT_REQUESTS, connections: 1, mode: 'json', budget: BUDGET },
      dynamodbCallsPerRequest: calls,
      latencyMs: Object.fromEntries(Object.entries(latency).map(([n, l]) => [n, JSON.parse(JSON.stringify(l, (k, v) => (typeof v === 'number' && k !== 'n' && k !== 'requests' && k !== 'errors' ? round(v) : v)))])),
      addedMs: added,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`wrote ${opts.out}\n`);
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  process.stderr.write('ledger-cost: exceeded 110 s, stopping\n');
  killAll();
  process.exit(1);
}, 110_000);
watchdog.unref();

main().then(() => {
  clearTimeout(watchdog);
  process.exit(0);
}, (error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  killAll();
  process.exit(1);
});
