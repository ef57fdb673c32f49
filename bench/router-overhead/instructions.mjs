// Instructions the gateway executes per request, counted by Valgrind's callgrind: a figure that
// does not move with the machine's load (a busy 2-core VM makes the latency percentiles of
// run.mjs move by ±0.2 ms, more than the differences this is for).
//
// The bundled CLI server (`serve`, as shipped) runs under callgrind with instrumentation off until
// it has started and served a warm-up (JIT compiled, caches filled); then instrumentation is
// turned on, `--requests` requests of each mode are sent one after the other over one keep-alive
// connection, and callgrind's dump after each mode gives the instructions of that mode's requests
// (the upstream, bench/servers/upstream.mjs, runs without Valgrind). Per request = total ÷ requests.
//
//   node router-overhead/instructions.mjs [--requests N] [--warmup N] [--rounds N] [--modes json,stream]
//                                          [--stream-gap-ms N] [--bundle PATH] [--no-bundle]
//
// Needs `valgrind` (callgrind_control comes with it). Under Valgrind the server runs ~50× slower:
// the defaults take about a minute.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childEnv, killAll, startServer } from '../lib/processes.mjs';
import { ALIAS, chatBody, CLI_BUNDLE, ensureBundles, REPO_DIR, UPSTREAM_SCRIPT, writeGatewayConfig } from '../lib/setup.mjs';

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '300' },
    modes: { type: 'string', default: 'json,stream' },
    rounds: { type: 'string', default: '3' },
    'stream-gap-ms': { type: 'string', default: '5' },
    bundle: { type: 'string' },
    'no-bundle': { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);
const MODES = opts.modes.split(',');
const ROUNDS = Number(opts.rounds);
const log = (line) => process.stderr.write(`${line}\n`);
// V8's predictable mode: one thread (no concurrent compiler or GC threads, whose work lands at
// varying times) and no time-driven memory reducer; the server's own timers still run.
const NODE_FLAGS = ['--predictable', '--no-memory-reducer'];

/**
 * One request over `agent`; resolves once the whole body is read. A connection the server closed
 * while idle (its keep-alive timeout passes while callgrind_control pauses it) is retried once on a
 * new one: the server did no work for it.
 */
async function request(agent, port, apiKey, mode) {
  try {
    await requestOnce(agent, port, apiKey, mode);
  } catch (error) {
    if (error.code !== 'ECONNRESET') throw error;
    await requestOnce(agent, port, apiKey, mode);
  }
}

function requestOnce(agent, port, apiKey, mode) {
  const body = chatBody(ALIAS, mode);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 && (mode !== 'stream' || text.includes('[DONE]')) ? resolve() : reject(new Error(`${mode}: ${res.statusCode} ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The total instructions (Ir) of a callgrind dump file. */
function totalIr(file) {
  const text = readFileSync(file, 'utf8');
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

async function main() {
  if (!opts.bundle) ensureBundles(opts['no-bundle'] ? ['--no-bundle'] : []);
  const bundle = opts.bundle ?? CLI_BUNDLE;
  const upstream = await startServer({ name: 'upstream', args: [UPSTREAM_SCRIPT, '--stream-gap-ms', opts['stream-gap-ms']] });
  const config = writeGatewayConfig(upstream.port);
  const outDir = mkdtempSync(join(os.tmpdir(), 'callgrind-'));
  const child = spawn('valgrind', [
    '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(outDir, 'cg.out')}`,
    process.execPath, ...NODE_FLAGS, bundle, 'serve', '--config', config.path, '--port', '0',
  ], { cwd: REPO_DIR, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start under valgrind:\n${stderr.slice(0, 4000)}`)), 300_000);
    child.stderr.on('data', (d) => {
      if (stderr.length < 50_000) stderr += d;
      const m = /serving http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`valgrind exited (${code}):\n${stderr.slice(0, 4000)}`)));
  });
  const control = (...args) => execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results = Object.fromEntries(MODES.map((m) => [m, []]));
  try {
    for (const mode of MODES) for (let i = 0; i < WARMUP; i++) await request(agent, port, config.apiKey, mode);
    log(`warmed up (${WARMUP} requests per mode); counting ${REQUESTS} requests per mode`);
    control('--instr=on');
    control('--zero');
    // Rounds alternate the modes; a major GC lands in one batch or another, so the minimum and
    // the median of the rounds are reported, not one batch.
    let dumped = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of MODES) {
        for (let r = 0; r < REQUESTS; r++) await request(agent, port, config.apiKey, mode);
        control('--dump');
        dumped += 1;
        const dumps = readdirSync(outDir).filter((f) => /^cg\.out\.\d+$/.test(f)).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
        const file = join(outDir, dumps.at(-1));
        if (dumps.length !== dumped) throw new Error(`expected ${dumped} dump(s), found ${dumps.join(', ')}`);
        const perRequest = Math.round(totalIr(file) / REQUESTS);
        results[mode].push(perRequest);
        log(`round ${round + 1} ${mode}: ${perRequest.toLocaleString('en-US')} instructions per request`);
      }
    }
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
    await upstream.stop();
    config.cleanup();
    if (!process.env.KEEP_CALLGRIND) rmSync(outDir, { recursive: true, force: true });
  }
  const summary = Object.fromEntries(Object.entries(results).map(([mode, rounds]) => {
    const sorted = [...rounds].sort((a, b) => a - b);
    return [mode, { min: sorted[0], median: sorted[Math.floor((sorted.length - 1) / 2)], rounds }];
  }));
  process.stdout.write(`${JSON.stringify({ requests: REQUESTS, warmup: WARMUP, rounds: ROUNDS, streamGapMs: Number(opts['stream-gap-ms']), nodeFlags: NODE_FLAGS, instructionsPerRequest: summary, node: process.version })}\n`);
}

main().catch((error) => {
  killAll();
  log(error.stack ?? String(error));
  process.exit(1);
});
