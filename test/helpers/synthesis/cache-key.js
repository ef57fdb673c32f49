/**
 * The cache key of a shared fixture synthesis: a digest of everything a synthesis can read — the
 * library, the Lambda sources and bundles, the example app, every non-test file under test/
 * (fixtures, helpers), the locked dependency versions and the TypeScript settings — and of the
 * fixture itself. Any change there is a new key. Plain JavaScript: a cache hit loads no TypeScript.
 */
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const REPO = resolve(__dirname, '..', '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', '.stamps', '__snapshots__']);

/** A source file, not a jsii output compiled next to its .ts. */
function isSource(path) {
  if (/\.d\.ts$/.test(path)) return false;
  if (/\.js$/.test(path) && existsSync(path.replace(/\.js$/, '.ts'))) return false;
  return /\.(ts|mts|js|mjs|cjs|json)$/.test(path);
}

let digest;
/** Hashed once per process: the server lives for one Jest run. */
function sourcesDigest() {
  if (digest) return digest;
  const hash = createHash('sha256');
  const add = (path) => hash.update(relative(REPO, path)).update('\0').update(readFileSync(path)).update('\0');
  const walk = (dir, keep) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir).sort()) {
      if (SKIPPED_DIRS.has(entry)) continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path, keep);
      else if (keep(path)) add(path);
    }
  };
  walk(join(REPO, 'lib'), isSource);
  walk(join(REPO, 'lambda'), isSource);
  walk(join(REPO, 'bin'), isSource);
  walk(join(REPO, 'assets'), () => true);
  walk(join(REPO, 'test'), (path) => isSource(path) && !/\.test\.ts$/.test(path));
  for (const file of ['package-lock.json', 'tsconfig.json', 'tsconfig.jsii.json']) {
    if (existsSync(join(REPO, file))) add(join(REPO, file));
  }
  digest = hash.digest('hex');
  return digest;
}

/** The key of one fixture (see synthesize.ts, `SharedFixture`). */
function fixtureKey(fixture) {
  const own = JSON.stringify({ ...fixture, module: relative(REPO, fixture.module) });
  return createHash('sha256').update(sourcesDigest()).update(own).digest('hex').slice(0, 32);
}

module.exports = { fixtureKey };
