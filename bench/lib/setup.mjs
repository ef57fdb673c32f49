// What every benchmark needs: the repository's paths, fresh bundles, the gateway configuration
// pointed at the benchmark's upstream, and the machine facts printed beside the numbers.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const CLI_BUNDLE = join(REPO_DIR, 'assets', 'cli', 'index.mjs');
export const ROUTER_BUNDLE = join(REPO_DIR, 'assets', 'router', 'index.mjs');
export const UPSTREAM_SCRIPT = join(BENCH_DIR, 'servers', 'upstream.mjs');
export const PORTKEY_SCRIPT = join(BENCH_DIR, 'servers', 'portkey.mjs');

/** The route alias, tenant and upstream model of the benchmark's gateway configuration. */
export const ALIAS = 'bench';
export const TENANT = 'bench';
export const UPSTREAM_MODEL = 'bench-model';
/** The embeddings route alias and upstream embedding model (the `embeddings` scenario). */
export const EMBED_ALIAS = 'bench-embed';
export const UPSTREAM_EMBED_MODEL = 'bench-embed-model';

/**
 * Brings the bundles up to date with the repository's own bundler (it skips what is fresh), so the
 * benchmark measures exactly what ships. `--no-bundle` skips this and uses what is in assets/.
 */
export function ensureBundles(argv = process.argv) {
  if (!argv.includes('--no-bundle')) {
    execFileSync(process.execPath, [join(REPO_DIR, 'scripts', 'bundle.mjs')], { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const file of [CLI_BUNDLE, ROUTER_BUNDLE]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run bundle' in ${REPO_DIR}`);
  }
}

/**
 * Writes a gateway configuration (one tenant, one route, one OpenAI-compatible target: the
 * benchmark's upstream) into a fresh temporary folder, with a random local API key.
 *
 * @returns {{ dir: string, path: string, apiKey: string, cleanup: () => void }}
 */
export function writeGatewayConfig(upstreamPort) {
  const dir = mkdtempSync(join(os.tmpdir(), 'cdk-ai-gateway-bench-'));
  const apiKey = `sk-bench-${randomBytes(16).toString('hex')}`;
  const config = {
    tenants: [{ id: TENANT, allowedAliases: [ALIAS, EMBED_ALIAS], description: 'Benchmark tenant' }],
    targets: [{
      id: 'upstream',
      kind: 'openai-compatible',
      baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
      model: UPSTREAM_MODEL,
      capabilities: { tools: true },
      description: 'The benchmark upstream (bench/servers/upstream.mjs)',
    }, {
      id: 'upstream-embed',
      kind: 'openai-compatible',
      baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
      model: UPSTREAM_EMBED_MODEL,
      capabilities: { embeddings: true },
      description: 'The benchmark upstream as an embedding model',
    }],
    routes: [{ alias: ALIAS, targets: ['upstream'] }, { alias: EMBED_ALIAS, targets: ['upstream-embed'] }],
    prices: { [UPSTREAM_MODEL]: { inputUsdPer1K: 0.0005, outputUsdPer1K: 0.0015 }, [UPSTREAM_EMBED_MODEL]: { inputUsdPer1K: 0.00002, outputUsdPer1K: 0 } },
    localKeys: { [createHash('sha256').update(apiKey).digest('hex')]: TENANT },
  };
  const path = join(dir, 'gateway-config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // Also on an interrupted run (lib/processes.mjs exits on SIGINT/SIGTERM).
  process.once('exit', cleanup);
  return { dir, path, apiKey, cleanup };
}

/** A tool the tool-call scenario offers. */
const WEATHER_TOOL = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/**
 * The chat request every system gets (the gateway gets its alias as `model`); `mode` is `json`,
 * `stream` or `tools` (JSON with one tool offered: the upstream answers with a tool call).
 */
export function chatBody(model, mode) {
  const stream = mode === 'stream' || mode === true;
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Say hello to the benchmark.' },
    ],
    max_tokens: 64,
    temperature: 0,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    ...(mode === 'tools' ? { tools: [WEATHER_TOOL], tool_choice: 'auto' } : {}),
  });
}

/** The embeddings request every system gets (the gateway gets its embeddings alias as `model`). */
export function embeddingsBody(model) {
  return JSON.stringify({ model, input: 'Embed this sentence for the benchmark.', encoding_format: 'float' });
}

/** The URL path and body of one request of `mode` (`json`, `stream`, `tools` or `embeddings`). */
export function requestOf(endpoint, mode) {
  if (mode === 'embeddings') return { url: endpoint.url.replace(/\/chat\/completions$/, '/embeddings'), body: embeddingsBody(endpoint.embedModel) };
  return { url: endpoint.url, body: chatBody(endpoint.model, mode) };
}

/** Machine facts, recorded with every result. */
export function machineFacts() {
  const pkg = (p) => {
    try {
      return JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', p, 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  let commit;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = undefined;
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    gitCommit: commit,
    versions: { autocannon: pkg('autocannon'), '@portkey-ai/gateway': pkg('@portkey-ai/gateway'), '@hono/node-server': pkg('@hono/node-server') },
  };
}

/**
 * Warns when the machine is busy: on a loaded machine the numbers measure the other work too.
 * @returns {boolean} whether the 1-minute load average is below the number of CPUs
 */
export function checkQuiet() {
  const [load1] = os.loadavg();
  const cpus = os.availableParallelism();
  if (load1 >= cpus * 0.5) {
    process.stderr.write(`warning: load average ${load1.toFixed(2)} on ${cpus} CPUs: other work is running; take final numbers on a quiet machine\n`);
  }
  return load1 < cpus * 0.5;
}
