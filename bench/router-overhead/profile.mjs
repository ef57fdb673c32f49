// Where the gateway's CPU time goes: runs the bundled CLI server under `node --cpu-prof`, loads it
// with autocannon (JSON and streaming, one connection by default), stops it, and prints the
// functions, source files and packages with the most self time, mapped through the bundle's
// source map back to the repository's TypeScript (the bundle is minified). With `--cold-start`,
// profiles instead a Lambda-style cold start of assets/router/index.mjs
// (cold-start/lambda-invoke.mjs): where the init and the first invocation spend their time.
//
//   npm run profile [-- --duration S --connections N --mode json|stream|both --top N --no-bundle]
//   npm run profile -- --cold-start [--runs N]
//
// The V8 profiler samples the main thread; self time spent inside a system call (`writev`, …)
// includes the kernel's loopback TCP work, and on a busy machine also time the thread waited for a CPU.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childEnv, killAll, startServer } from '../lib/processes.mjs';
import {
  ALIAS, BENCH_DIR, chatBody, CLI_BUNDLE, ensureBundles, REPO_DIR, ROUTER_BUNDLE, TENANT, UPSTREAM_SCRIPT, writeGatewayConfig,
} from '../lib/setup.mjs';
import { round, table } from '../lib/stats.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'both' },
    top: { type: 'string', default: '25' },
    'cold-start': { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    'no-bundle': { type: 'boolean', default: false },
  },
});
if (!['json', 'stream', 'both'].includes(opts.mode)) throw new Error(`--mode must be json, stream or both, received '${opts.mode}'`);
const modes = opts.mode === 'both' ? ['json', 'stream'] : [opts.mode];
const TOP = Number(opts.top);
const log = (line) => process.stderr.write(`${line}\n`);

/** Maps a position of the bundle to its original source, function name and line. */
function mapper(bundlePath) {
  // scripts/bundle.mjs writes assets/<name>/<file>.map to sourcemaps/<name>/ (same depth).
  const mapPath = `${join(REPO_DIR, 'sourcemaps', relative(join(REPO_DIR, 'assets'), bundlePath))}.map`;
  const map = new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')));
  const mapDir = join(mapPath, '..');
  return (line, column) => {
    const entry = map.findEntry(line, column);
    if (!entry || !entry.originalSource) return undefined;
    const source = relative(REPO_DIR, join(mapDir, entry.originalSource.replace(/^file:\/\//, '')));
    return { source, line: entry.originalLine + 1, name: entry.name };
  };
}

/** The package (node_modules/<pkg>) or repository folder a source file belongs to. */
function originOf(source) {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return pkg[1];
  if (source.startsWith('node:') || source.startsWith('(')) return 'node.js (built-in, native, GC, idle)';
  return source.split('/').slice(0, source.startsWith('lambda/router/') ? 3 : 2).join('/');
}

/** Self time per function, file and origin from .cpuprofile files (samples × sampling interval). */
function analyse(profiles, bundlePath) {
  // The bundle is split into chunks (esbuild `splitting`): each file of its folder has its own map.
  const bundleDir = join(bundlePath, '..');
  const maps = new Map();
  const mapOf = (url) => {
    if (!url.startsWith('file://')) return undefined;
    const path = fileURLToPath(url);
    if (relative(bundleDir, path).startsWith('..')) return undefined;
    if (!maps.has(path)) {
      try {
        maps.set(path, mapper(path));
      } catch {
        maps.set(path, undefined);
      }
    }
    return maps.get(path);
  };
  const byFunction = new Map();
  const byFile = new Map();
  const byOrigin = new Map();
  const add = (m, k, us) => m.set(k, (m.get(k) ?? 0) + us);
  let total = 0;
  for (const profile of profiles) {
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
    const counts = new Map();
    for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const node of profile.nodes) {
      const n = counts.get(node.id) ?? 0;
      if (n === 0) continue;
      const us = n * interval;
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      if (functionName === '(idle)') continue;
      total += us;
      let where;
      let file;
      const map = mapOf(url);
      const bundleName = map ? relative(REPO_DIR, fileURLToPath(url)) : undefined;
      if (map) {
        const original = map(lineNumber, columnNumber);
        file = original ? original.source : `${bundleName} (unmapped)`;
        where = original ? `${original.name ?? (functionName || '(anonymous)')} ${original.source}:${original.line}` : `${functionName || '(anonymous)'} ${bundleName} (unmapped)`;
      } else {
        file = url || `(${functionName || 'program'})`;
        where = `${functionName || '(anonymous)'}${url ? ` ${url}:${lineNumber + 1}` : ''}`;
      }
      add(byFunction, where, us);
      add(byFile, file, us);
      add(byOrigin, map ? originOf(file) : originOf(url.startsWith('file:') ? url : file), us);
    }
  }
  return { total, byFunction, byFile, byOrigin };
}

function render(title, { total, byFunction, byFile, byOrigin }, per, perLabel) {
  const rows = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)
    .map(([k, us]) => [k, round(us / 1000), round((100 * us) / total), round(us / 1000 / per)]);
  const columns = (what) => [what, 'ms', '% busy', `ms/${perLabel}`];
  return [
    `${title}; busy (non-idle) time ${round(total / 1000)} ms = ${round(total / 1000 / per)} ms/${perLabel}`,
    '',
    'Self time by function (original source through the source map)',
    table(columns('function'), rows(byFunction)),
    '',
    'Self time by file',
    table(columns('file'), rows(byFile)),
    '',
    'Self time by package or folder',
    table(columns('origin'), rows(byOrigin)),
    '',
  ].join('\n');
}

function readProfiles(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

async function profileServer(profDir, upstream, config) {
  const gateway = await startServer({
    name: 'gateway',
    args: ['--cpu-prof', '--cpu-prof-dir', profDir, CLI_BUNDLE, 'serve', '--config', config.path, '--port', '0'],
    cwd: REPO_DIR,
    readyPattern: /serving http:\/\/127\.0\.0\.1:(\d+)\//,
  });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${config.apiKey}` };
  const url = `http://127.0.0.1:${gateway.port}/v1/chat/completions`;
  let answers = 0;
  for (const mode of modes) {
    const result = await autocannon({ url, method: 'POST', headers, body: chatBody(ALIAS, mode === 'stream'), connections: Number(opts.connections), duration: Number(opts.duration) });
    answers += result['2xx'];
    log(`${mode}: ${result['2xx']} answers, ${result.non2xx + result.errors} failures`);
  }
  // SIGTERM: the CLI closes its server and exits normally, which writes the profile.
  const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
  gateway.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  const profiles = readProfiles(profDir);
  if (profiles.length === 0) throw new Error('the gateway wrote no CPU profile (it did not exit normally)');
  return render(
    `Gateway CPU profile: ${answers} answers (${modes.join(' + ')}, ${opts.connections} connection(s)), start-up included`,
    analyse(profiles, CLI_BUNDLE), answers, 'answer',
  );
}

async function profileColdStart(profDir, config) {
  const runs = Number(opts.runs);
  const event = {
    path: '/v1/chat/completions', httpMethod: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody(ALIAS, false),
    isBase64Encoded: false, requestContext: { requestId: 'bench-profile', authorizer: { tenantId: TENANT } },
  };
  for (let i = 0; i < runs; i += 1) {
    await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, join(BENCH_DIR, 'cold-start', 'lambda-invoke.mjs')], {
        cwd: REPO_DIR,
        env: childEnv({ ROUTER_BUNDLE, GATEWAY_CONFIG_PATH: config.path, EVENT_JSON: JSON.stringify(event), AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' }),
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      let status;
      child.once('message', (m) => { status = m.statusCode; });
      child.once('error', reject);
      child.once('exit', () => (status === 200 ? resolve() : reject(new Error(`cold start run answered ${status}`))));
    });
  }
  return render(`Router Lambda cold start CPU profile: ${runs} fresh processes (Node start-up, import of assets/router/index.mjs, first invocation)`,
    analyse(readProfiles(profDir), ROUTER_BUNDLE), runs, 'cold start');
}

async function main() {
  ensureBundles(opts['no-bundle'] ? ['--no-bundle'] : []);
  const profDir = mkdtempSync(join(os.tmpdir(), 'cdk-ai-gateway-prof-'));
  const upstream = await startServer({ name: 'upstream', args: [UPSTREAM_SCRIPT] });
  const config = writeGatewayConfig(upstream.port);
  try {
    const text = opts['cold-start'] ? await profileColdStart(profDir, config) : await profileServer(profDir, upstream, config);
    process.stdout.write(text);
  } finally {
    await upstream.stop();
    config.cleanup();
    rmSync(profDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(`profile failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  killAll();
  process.exitCode = 1;
});
