// Cold start: from spawning a fresh `node` process to the first answer, median of N runs, the
// scenarios alternated run by run. The upstream the answers come from runs (warm) in its own process.
//
//   npm run cold-start [-- --runs N --no-bundle]
//
// Scenarios:
//   node baseline    `node -e ''` from spawn to exit: Node's own start-up, the floor of all others
//   minimal server   bench/servers/upstream.mjs (plain node:http): spawn → listening → first answer
//   gateway CLI      `node assets/cli/index.mjs serve` (the bundled CLI): spawn → listening → first
//                    answer through it from the upstream
//   router Lambda    a fresh process imports assets/router/index.mjs under a minimal `awslambda`
//                    global (its init reads and validates the configuration) and invokes the handler
//                    once with a synthetic API Gateway event; spawn → handler finished. The Lambda
//                    service's own work (sandbox, runtime client, code download) is not included.
//   portkey          `@portkey-ai/gateway`'s Node.js server: spawn → listening → first answer
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childEnv, DROPPED_ENV, killAll, startServer } from '../lib/processes.mjs';
import {
  ALIAS, BENCH_DIR, checkQuiet, chatBody, CLI_BUNDLE, ensureBundles, machineFacts, PORTKEY_SCRIPT, REPO_DIR, RESULTS_DIR, ROUTER_BUNDLE,
  TENANT, UPSTREAM_MODEL, UPSTREAM_SCRIPT, writeGatewayConfig,
} from '../lib/setup.mjs';
import { percentile, round, sorted, table } from '../lib/stats.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'no-bundle': { type: 'boolean', default: false },
    out: { type: 'string', default: join(RESULTS_DIR, 'cold-start.json') },
  },
});
const RUNS = Number(opts.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, received '${opts.runs}'`);
const TARGET_MS = 150;
const EXPECTED = 'Hello from the benchmark upstream.';
const log = (line) => process.stderr.write(`${line}\n`);

/** One request on a new connection; resolves with the status and body. */
function post(port, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.once('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

function checkAnswer(scenario, status, body) {
  let content;
  try {
    content = JSON.parse(body).choices?.[0]?.message?.content;
  } catch {
    content = undefined;
  }
  if (status !== 200 || content !== EXPECTED) throw new Error(`${scenario}: unexpected first answer ${status}: ${body.slice(0, 400)}`);
}

/** A server scenario: spawn → listening → one answer → stop. */
async function serverRun(scenario, startOptions, request) {
  const t0 = performance.now();
  const server = await startServer(startOptions);
  const listening = performance.now() - t0;
  try {
    const { status, body } = await post(server.port, request.headers, request.body);
    const answered = performance.now() - t0;
    checkAnswer(scenario, status, body);
    return { listeningMs: listening, firstAnswerMs: answered };
  } finally {
    await server.stop();
  }
}

function nodeBaselineRun() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore', env: childEnv() });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve({ firstAnswerMs: performance.now() - t0 }) : reject(new Error(`node -e '' exited ${code}`))));
  });
}

function lambdaRun(configPath) {
  const event = {
    resource: '/v1/chat/completions',
    path: '/v1/chat/completions',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    multiValueHeaders: { 'content-type': ['application/json'], accept: ['application/json'] },
    body: chatBody(ALIAS, false),
    isBase64Encoded: false,
    requestContext: { requestId: 'bench-cold-start', stage: 'prod', httpMethod: 'POST', authorizer: { tenantId: TENANT, keyId: 'bench-key' } },
  };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(BENCH_DIR, 'cold-start', 'lambda-invoke.mjs')], {
      cwd: REPO_DIR,
      // The Lambda runtime always sets AWS_REGION; no AWS call is made (the route is the loopback upstream).
      env: childEnv({ ROUTER_BUNDLE, GATEWAY_CONFIG_PATH: configPath, EVENT_JSON: JSON.stringify(event), AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' }),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    let result;
    child.once('message', (m) => {
      result = { ...m, firstAnswerMs: performance.now() - t0 };
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!result) {
        reject(new Error(`router Lambda: the process exited (${code}) without an answer\n${stderr.slice(0, 2000)}`));
        return;
      }
      try {
        checkAnswer('router Lambda', result.statusCode, result.body);
      } catch (error) {
        reject(error);
        return;
      }
      resolve({ firstAnswerMs: result.firstAnswerMs, moduleStartMs: result.sinceProcessStartMs, importMs: result.importMs, invokeMs: result.invokeMs });
    });
  });
}

async function main() {
  const quiet = checkQuiet();
  ensureBundles(opts['no-bundle'] ? ['--no-bundle'] : []);
  const machine = machineFacts();
  const upstream = await startServer({ name: 'upstream', args: [UPSTREAM_SCRIPT] });
  const config = writeGatewayConfig(upstream.port);
  try {
    const upstreamBase = `http://127.0.0.1:${upstream.port}/v1`;
    const scenarios = [
      { name: 'node baseline', run: nodeBaselineRun },
      {
        name: 'minimal server',
        run: () => serverRun('minimal server', { name: 'minimal server', args: [UPSTREAM_SCRIPT] }, { headers: {}, body: chatBody(UPSTREAM_MODEL, false) }),
      },
      {
        name: 'gateway CLI',
        target: true,
        run: () => serverRun('gateway CLI', {
          name: 'gateway', args: [CLI_BUNDLE, 'serve', '--config', config.path, '--port', '0'], cwd: REPO_DIR, readyPattern: /serving http:\/\/127\.0\.0\.1:(\d+)\//,
        }, { headers: { authorization: `Bearer ${config.apiKey}` }, body: chatBody(ALIAS, false) }),
      },
      { name: 'router Lambda', target: true, run: () => lambdaRun(config.path) },
      {
        name: 'portkey',
        run: () => serverRun('portkey', { name: 'portkey', args: [PORTKEY_SCRIPT, '--port=0'], env: { NODE_ENV: 'production' } }, {
          headers: { authorization: 'Bearer sk-upstream', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamBase },
          body: chatBody(UPSTREAM_MODEL, false),
        }),
      },
    ];
    // One unmeasured run of each warms the file-system cache and checks every scenario works.
    for (const s of scenarios) await s.run();
    const samples = new Map(scenarios.map((s) => [s.name, []]));
    for (let i = 0; i < RUNS; i += 1) {
      for (const s of scenarios) samples.get(s.name).push(await s.run());
      log(`cold start run ${i + 1}/${RUNS}: ${scenarios.map((s) => `${s.name} ${round(samples.get(s.name).at(-1).firstAnswerMs)} ms`).join(', ')}`);
    }
    const medianOf = (runs, field) => (runs[0][field] === undefined ? null : round(percentile(sorted(runs.map((r) => r[field])), 50)));
    const results = scenarios.map((s) => {
      const runs = samples.get(s.name);
      const first = sorted(runs.map((r) => r.firstAnswerMs));
      return {
        scenario: s.name,
        runs: runs.length,
        medianMs: round(percentile(first, 50)),
        minMs: round(first[0]),
        p90Ms: round(percentile(first, 90)),
        maxMs: round(first[first.length - 1]),
        medianListeningMs: medianOf(runs, 'listeningMs'),
        medianModuleStartMs: medianOf(runs, 'moduleStartMs'),
        medianImportMs: medianOf(runs, 'importMs'),
        medianInvokeMs: medianOf(runs, 'invokeMs'),
        ...(s.target ? { targetMs: TARGET_MS, met: percentile(first, 50) <= TARGET_MS } : {}),
      };
    });
    const report = {
      benchmark: 'cold-start',
      command: `cd bench && npm run cold-start${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      quietMachine: quiet,
      machine,
      childEnvDropped: DROPPED_ENV.filter((name) => process.env[name] !== undefined),
      results,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${[
      `Cold start, spawn → first answer (ms), ${RUNS} runs each, alternated — Node ${machine.node}, ${machine.cpus} CPUs, load ${machine.loadAverage.join(' ')}${quiet ? '' : ' (BUSY MACHINE)'}`,
      table(['scenario', 'median', 'min', 'p90', 'max', 'listening', 'node start', 'import', 'invoke', `≤ ${TARGET_MS} ms`],
        results.map((r) => [r.scenario, r.medianMs, r.minMs, r.p90Ms, r.maxMs, r.medianListeningMs, r.medianModuleStartMs, r.medianImportMs, r.medianInvokeMs, r.met === undefined ? '' : r.met ? 'yes' : 'NO'])),
    ].join('\n')}\n`);
    log(`results written to ${opts.out}`);
  } finally {
    await upstream.stop();
    config.cleanup();
  }
}

main().catch((error) => {
  log(`cold-start failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  killAll();
  process.exitCode = 1;
});
