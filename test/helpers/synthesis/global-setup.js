/**
 * Jest globalSetup: starts the shared synthesis server (server.js) for this run and tells the
 * test workers where it listens (CDK_AI_GATEWAY_SYNTH_SERVER; workers inherit the environment).
 * The cache lives in CDK_AI_GATEWAY_SYNTH_CACHE (default: <tmpdir>/cdk-ai-gateway-synth); entries
 * untouched for a week are removed here.
 *
 * It also gives the run a scratch directory as TMPDIR (workers and the server inherit it), which
 * global-teardown.js removes: every App synthesized without an outdir writes a cdk.out* folder
 * there, with copies of the assets (the kubectl layer alone is 37 MB), and nothing else removes them.
 */
const { spawn } = require('node:child_process');
const { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const WEEK_MS = 7 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const SCRATCH_PREFIX = 'cdk-ai-gateway-test-';

/** A scratch directory for this run; those of runs that ended without teardown go after a day. */
function scratchDirectory() {
  const root = tmpdir();
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith(SCRATCH_PREFIX)) continue;
    const path = join(root, entry);
    try {
      if (Date.now() - statSync(path).mtimeMs > DAY_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another run removed it
    }
  }
  return mkdtempSync(join(root, SCRATCH_PREFIX));
}

module.exports = async function globalSetup() {
  const cacheRoot = process.env.CDK_AI_GATEWAY_SYNTH_CACHE || join(tmpdir(), 'cdk-ai-gateway-synth');
  mkdirSync(cacheRoot, { recursive: true });
  for (const entry of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, entry);
    try {
      if (Date.now() - statSync(path).mtimeMs > WEEK_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another run removed it
    }
  }

  const scratch = scratchDirectory();
  globalThis.__cdkAiGatewayScratch = scratch;
  process.env.TMPDIR = scratch;

  const child = spawn(process.execPath, [join(__dirname, 'server.js'), cacheRoot], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)\n/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`The shared synthesis server exited with ${code} before listening.`)));
  });
  child.stdout.resume();
  child.unref();
  child.channel?.unref();
  // Registered now, so that teardown can wait for the exit even if it already happened.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  globalThis.__cdkAiGatewaySynthServer = { child, exited };
  process.env.CDK_AI_GATEWAY_SYNTH_SERVER = `http://127.0.0.1:${port}`;
};
