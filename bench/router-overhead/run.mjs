// Router overhead: the latency cdk-ai-gateway adds over calling the same loopback upstream
// directly, next to the open-source Portkey gateway on the same upstream.
//
//   npm run router-overhead [-- --rounds N --duration S --warmup S --connections 1,50 --quick --no-bundle]
//
// Systems, each server in its own process, all on 127.0.0.1:
//   direct   the client → the upstream (bench/servers/upstream.mjs)
//   gateway  the client → `node assets/cli/index.mjs serve` (the bundled CLI, as shipped) → the upstream
//   portkey  the client → `@portkey-ai/gateway` (its Node.js server) → the upstream
// For JSON and streaming answers, at each connection count, rounds of short autocannon runs
// alternate the systems (in a rotated order each round) so that drift hits all of them alike.
// Then the time to first streamed byte is measured the same way with a small custom client.
// Latencies are exact (every response's time recorded, not autocannon's 1-ms histogram) and pooled
// over the rounds; CPU per request is the CPU time of the system's own process during the run
// (all its threads, from /proc) divided by the answers it gave.
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs, DROPPED_ENV, killAll, startServer } from '../lib/processes.mjs';
import {
  ALIAS, checkQuiet, chatBody, EMBED_ALIAS, requestOf, UPSTREAM_EMBED_MODEL, CLI_BUNDLE, ensureBundles, machineFacts, PORTKEY_SCRIPT, REPO_DIR, RESULTS_DIR,
  UPSTREAM_MODEL, UPSTREAM_SCRIPT, writeGatewayConfig,
} from '../lib/setup.mjs';
import { percentile, round, sorted, table } from '../lib/stats.mjs';
import { measureTtfb } from '../lib/ttfb-client.mjs';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '3' },
    'ttfb-duration': { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '1,50' },
    systems: { type: 'string', default: 'direct,gateway,portkey' },
    'stream-gap-ms': { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    'no-bundle': { type: 'boolean', default: false },
    out: { type: 'string', default: join(RESULTS_DIR, 'router-overhead.json') },
  },
});
const QUICK = opts.quick;
const ROUNDS = QUICK ? 1 : Number(opts.rounds);
const DURATION_S = QUICK ? 1 : Number(opts.duration);
const TTFB_DURATION_S = QUICK ? 0.5 : Number(opts['ttfb-duration']);
const WARMUP_S = QUICK ? 0.5 : Number(opts.warmup);
const CONNECTIONS = opts.connections.split(',').map(Number);
const SYSTEMS = opts.systems.split(',');
// `tools`: a JSON request with one tool, answered with a tool call (the tool-call scenario).
const MODES = ['json', 'stream', 'tools', 'embeddings'];
for (const [name, value] of [['rounds', ROUNDS], ['duration', DURATION_S], ['ttfb-duration', TTFB_DURATION_S], ['warmup', WARMUP_S], ...CONNECTIONS.map((c) => ['connections', c])]) {
  if (!Number.isFinite(value) || value < 0 || (name !== 'warmup' && value === 0)) throw new Error(`--${name} must be a positive number, received ${value}`);
}
for (const s of SYSTEMS) {
  if (!['direct', 'gateway', 'portkey'].includes(s)) throw new Error(`--systems: unknown system '${s}'; allowed: direct, gateway, portkey`);
}
if (!SYSTEMS.includes('direct')) throw new Error('--systems must include direct: added latency is measured against it');

const log = (line) => process.stderr.write(`${line}\n`);

/** How each system is called: its URL, its headers and the body's `model`. */
function endpointsOf(servers, apiKey) {
  const upstreamBase = `http://127.0.0.1:${servers.upstream.port}/v1`;
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  return {
    direct: {
      url: `${upstreamBase}/chat/completions`,
      headers: { ...json, authorization: 'Bearer sk-upstream' },
      model: UPSTREAM_MODEL,
      embedModel: UPSTREAM_EMBED_MODEL,
      pid: undefined,
    },
    gateway: servers.gateway && {
      url: `http://127.0.0.1:${servers.gateway.port}/v1/chat/completions`,
      headers: { ...json, authorization: `Bearer ${apiKey}` },
      model: ALIAS,
      embedModel: EMBED_ALIAS,
      pid: servers.gateway.pid,
    },
    portkey: servers.portkey && {
      url: `http://127.0.0.1:${servers.portkey.port}/v1/chat/completions`,
      // Portkey forwards the bearer token to the provider as its API key.
      headers: { ...json, authorization: 'Bearer sk-upstream', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamBase },
      model: UPSTREAM_MODEL,
      embedModel: UPSTREAM_EMBED_MODEL,
      pid: servers.portkey.pid,
    },
  };
}

/** One request per system and mode, checked, so that a broken system fails before any number is taken. */
async function smokeTest(system, endpoint) {
  for (const mode of MODES) {
    const { url, body } = requestOf(endpoint, mode);
    const res = await fetch(url, { method: 'POST', headers: endpoint.headers, body });
    const text = await res.text();
    const ok = res.status === 200 && (mode === 'embeddings'
      ? JSON.parse(text).data?.[0]?.embedding?.length === 1024
      : mode === 'json'
        ? JSON.parse(text).choices?.[0]?.message?.content === 'Hello from the benchmark upstream.'
        : mode === 'tools'
          ? JSON.parse(text).choices?.[0]?.message?.tool_calls?.[0]?.function?.arguments === '{"city":"Paris"}'
        : text.includes('"usage"') && text.includes('[DONE]') && text.includes('benchmark'));
    if (!ok) throw new Error(`${system} ${mode}: unexpected answer ${res.status}: ${text.slice(0, 500)}`);
  }
}

/** One autocannon run; every 2xx response's exact time is kept. */
async function loadRun(endpoint, mode, connections, durationS, servers) {
  const latencies = [];
  let non2xx = 0;
  const pids = { upstream: servers.upstream.pid, ...(endpoint.pid ? { system: endpoint.pid } : {}) };
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const clientBefore = process.cpuUsage();
  const request = requestOf(endpoint, mode);
  const instance = autocannon({
    url: request.url,
    method: 'POST',
    headers: endpoint.headers,
    body: request.body,
    connections,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    else non2xx += 1;
  });
  const result = await instance;
  const client = process.cpuUsage(clientBefore);
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid) - cpuBefore[k]]));
  const answers = latencies.length;
  return {
    latencies,
    answers,
    errors: result.errors + result.timeouts + non2xx,
    durationS: result.duration,
    rps: answers / result.duration,
    cpuMsPerRequest: {
      system: cpu.system === undefined ? null : cpu.system / answers,
      upstream: cpu.upstream / answers,
      client: (client.user + client.system) / 1000 / answers,
    },
  };
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

const summarise = (samples) => {
  const s = sorted(samples);
  return { count: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] };
};

async function main() {
  const quiet = checkQuiet();
  ensureBundles(opts['no-bundle'] ? ['--no-bundle'] : []);
  const machine = machineFacts();
  log(`router-overhead: ${ROUNDS} round(s) × ${DURATION_S} s runs, connections ${CONNECTIONS.join('/')}, systems ${SYSTEMS.join(', ')}; Node ${machine.node}, ${machine.cpus} CPUs, load ${machine.loadAverage.join(' ')}`);

  const servers = {};
  servers.upstream = await startServer({ name: 'upstream', args: [UPSTREAM_SCRIPT, '--stream-gap-ms', opts['stream-gap-ms']] });
  const config = writeGatewayConfig(servers.upstream.port);
  try {
    if (SYSTEMS.includes('gateway')) {
      servers.gateway = await startServer({
        name: 'gateway',
        args: [CLI_BUNDLE, 'serve', '--config', config.path, '--port', '0'],
        cwd: REPO_DIR,
        readyPattern: /serving http:\/\/127\.0\.0\.1:(\d+)\//,
      });
    }
    if (SYSTEMS.includes('portkey')) {
      servers.portkey = await startServer({ name: 'portkey', args: [PORTKEY_SCRIPT, '--port=0'], env: { NODE_ENV: 'production' } });
    }
    const endpoints = endpointsOf(servers, config.apiKey);
    for (const system of SYSTEMS) await smokeTest(system, endpoints[system]);
    log('smoke test: every system answers JSON and streams correctly');

    if (WARMUP_S > 0) {
      for (const system of SYSTEMS) {
        for (const mode of MODES) await loadRun(endpoints[system], mode, Math.max(...CONNECTIONS), WARMUP_S, servers);
      }
      log(`warm-up done (${WARMUP_S} s per system and mode)`);
    }

    // Load runs: pooled samples per (system, mode, connections).
    const cells = new Map();
    const key = (system, mode, connections) => `${system}|${mode}|${connections}`;
    for (let roundNo = 0; roundNo < ROUNDS; roundNo += 1) {
      for (const mode of MODES) {
        for (const connections of CONNECTIONS) {
          for (const system of rotate(SYSTEMS, roundNo)) {
            const run = await loadRun(endpoints[system], mode, connections, DURATION_S, servers);
            const k = key(system, mode, connections);
            if (!cells.has(k)) cells.set(k, { system, mode, connections, latencies: [], runs: [] });
            const cell = cells.get(k);
            for (const l of run.latencies) cell.latencies.push(l);
            cell.runs.push({ round: roundNo, answers: run.answers, errors: run.errors, rps: run.rps, p50: percentile(sorted(run.latencies), 50), cpuMsPerRequest: run.cpuMsPerRequest });
            log(`round ${roundNo + 1}/${ROUNDS} ${mode.padEnd(6)} c=${String(connections).padEnd(3)} ${system.padEnd(7)} ${Math.round(run.rps)} req/s p50 ${round(cell.runs.at(-1).p50)} ms${run.errors ? ` ERRORS ${run.errors}` : ''}`);
          }
        }
      }
    }

    // Time to first streamed byte, alternating the same way.
    const ttfbCells = new Map();
    for (let roundNo = 0; roundNo < ROUNDS; roundNo += 1) {
      for (const connections of CONNECTIONS) {
        for (const system of rotate(SYSTEMS, roundNo)) {
          const e = endpoints[system];
          const run = await measureTtfb({ url: e.url, headers: e.headers, body: chatBody(e.model, true), connections, durationMs: TTFB_DURATION_S * 1000 });
          const k = key(system, 'stream', connections);
          if (!ttfbCells.has(k)) ttfbCells.set(k, { system, connections, ttfb: [], total: [], errors: 0 });
          const cell = ttfbCells.get(k);
          for (const v of run.ttfbMs) cell.ttfb.push(v);
          for (const v of run.totalMs) cell.total.push(v);
          cell.errors += run.errors;
          log(`round ${roundNo + 1}/${ROUNDS} ttfb   c=${String(connections).padEnd(3)} ${system.padEnd(7)} p50 ${round(percentile(sorted(run.ttfbMs), 50))} ms${run.errors ? ` ERRORS ${run.errors}` : ''}`);
        }
      }
    }

    const results = aggregate(cells, ttfbCells);
    const report = {
      benchmark: 'router-overhead',
      command: `cd bench && npm run router-overhead${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      quietMachine: quiet,
      machine,
      childEnvDropped: DROPPED_ENV.filter((name) => process.env[name] !== undefined),
      settings: { rounds: ROUNDS, runSeconds: DURATION_S, ttfbSeconds: TTFB_DURATION_S, warmupSeconds: WARMUP_S, connections: CONNECTIONS, upstreamStreamGapMs: Number(opts['stream-gap-ms']) },
      ...results,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${render(report)}\n`);
    log(`results written to ${opts.out}`);
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    config.cleanup();
  }
}

function aggregate(cells, ttfbCells) {
  const latency = [];
  for (const cell of cells.values()) {
    const all = summarise(cell.latencies);
    const direct = summarise(cells.get(`direct|${cell.mode}|${cell.connections}`).latencies);
    const mean = (f) => cell.runs.reduce((a, r) => a + f(r), 0) / cell.runs.length;
    latency.push({
      system: cell.system,
      mode: cell.mode,
      connections: cell.connections,
      answers: all.count,
      errors: cell.runs.reduce((a, r) => a + r.errors, 0),
      p50Ms: round(all.p50),
      p99Ms: round(all.p99),
      addedP50Ms: cell.system === 'direct' ? null : round(all.p50 - direct.p50),
      addedP99Ms: cell.system === 'direct' ? null : round(all.p99 - direct.p99),
      requestsPerSecond: round(mean((r) => r.rps)),
      cpuMsPerRequest: cell.system === 'direct' ? null : round(mean((r) => r.cpuMsPerRequest.system)),
      upstreamCpuMsPerRequest: round(mean((r) => r.cpuMsPerRequest.upstream)),
      clientCpuMsPerRequest: round(mean((r) => r.cpuMsPerRequest.client)),
      perRound: cell.runs.map((r) => ({ round: r.round + 1, p50Ms: round(r.p50), requestsPerSecond: round(r.rps), errors: r.errors })),
    });
  }
  const ttfb = [];
  for (const cell of ttfbCells.values()) {
    const first = summarise(cell.ttfb);
    const direct = summarise(ttfbCells.get(`direct|stream|${cell.connections}`).ttfb);
    ttfb.push({
      system: cell.system,
      connections: cell.connections,
      answers: first.count,
      errors: cell.errors,
      p50Ms: round(first.p50),
      p99Ms: round(first.p99),
      addedP50Ms: cell.system === 'direct' ? null : round(first.p50 - direct.p50),
      addedP99Ms: cell.system === 'direct' ? null : round(first.p99 - direct.p99),
      wholeStreamP50Ms: round(summarise(cell.total).p50),
    });
  }
  return { latency, timeToFirstByte: ttfb, targets: targets(latency, ttfb) };
}

/** The issue's targets, each with the measured value and whether it is met. */
function targets(latency, ttfb) {
  const find = (system, mode, connections) => latency.find((r) => r.system === system && r.mode === mode && r.connections === connections);
  const out = [];
  const one = Math.min(...CONNECTIONS);
  const many = Math.max(...CONNECTIONS);
  for (const mode of MODES) {
    const g = find('gateway', mode, one);
    if (g) out.push({ target: `p50 added latency, ${mode}, ${one} connection ≤ 1 ms`, value: g.addedP50Ms, met: g.addedP50Ms <= 1 });
  }
  for (const mode of MODES) {
    const g = find('gateway', mode, many);
    const p = find('portkey', mode, many);
    if (g && p) {
      const ratio = round(g.requestsPerSecond / p.requestsPerSecond);
      out.push({ target: `throughput, ${mode}, ${many} connections ≥ 2 × Portkey`, value: ratio, met: ratio >= 2 });
    }
  }
  for (const connections of [one]) {
    const g = ttfb.find((r) => r.system === 'gateway' && r.connections === connections);
    if (g) out.push({ target: `p50 added time to first streamed byte, ${connections} connection ≤ 2 ms`, value: g.addedP50Ms, met: g.addedP50Ms <= 2 });
  }
  return out;
}

function render(report) {
  const order = (r) => SYSTEMS.indexOf(r.system);
  const rows = [...report.latency]
    .sort((a, b) => a.mode.localeCompare(b.mode) || a.connections - b.connections || order(a) - order(b))
    .map((r) => [r.mode, r.connections, r.system, r.p50Ms, r.p99Ms, r.addedP50Ms, r.addedP99Ms, Math.round(r.requestsPerSecond), r.cpuMsPerRequest, r.errors]);
  const ttfbRows = [...report.timeToFirstByte]
    .sort((a, b) => a.connections - b.connections || order(a) - order(b))
    .map((r) => [r.connections, r.system, r.p50Ms, r.p99Ms, r.addedP50Ms, r.addedP99Ms, r.wholeStreamP50Ms, r.errors]);
  const m = report.machine;
  return [
    `Router overhead — Node ${m.node}, ${m.cpus} CPUs (${m.cpuModel}), load average at start ${m.loadAverage.join(' ')}${report.quietMachine ? '' : ' (BUSY MACHINE: numbers are indicative only)'}`,
    `${report.settings.rounds} round(s) × ${report.settings.runSeconds} s per run, systems alternated; latencies in ms, pooled over rounds; added = system − direct at the same percentile`,
    '',
    table(['mode', 'conns', 'system', 'p50', 'p99', '+p50', '+p99', 'req/s', 'CPU ms/req', 'errors'], rows, 3),
    '',
    'Time to first streamed byte (ms)',
    table(['conns', 'system', 'p50', 'p99', '+p50', '+p99', 'whole p50', 'errors'], ttfbRows, 2),
    '',
    'Targets',
    table(['target', 'value', 'met'], report.targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO']), 1),
  ].join('\n');
}

main().catch((error) => {
  log(`router-overhead failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  killAll();
  process.exitCode = 1;
});
