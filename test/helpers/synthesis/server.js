/**
 * The shared synthesis server of a Jest run (started by global-setup.js, stopped by
 * global-teardown.js). Suites ask it, over loopback HTTP, for a fixture app synthesized with the
 * compliance packs; it answers with the directory that holds the cloud assembly, the validation
 * report and the report's context. One process for the whole run: aws-cdk-lib's template
 * validation engine, cdk-nag's rules and the library load once, and each fixture is synthesized
 * once (one at a time), then served from a cache keyed by the content hash of everything the
 * synthesis reads (cache-key.js).
 *
 * Plain JavaScript so that it starts in milliseconds; TypeScript (esbuild, transpile only, as for
 * Jest's own transform) loads on the first request.
 */
const { existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { createServer } = require('node:http');
const { join } = require('node:path');
const { fixtureKey } = require('./cache-key');

/** Written last by synthesize.ts: a directory without it is an interrupted synthesis. */
const COMPLETE_FILE = 'complete';

const cacheRoot = process.argv[2];
let synthesis;
function load() {
  if (!synthesis) {
    require('../esbuild-transform').register();
    synthesis = require('./synthesize.ts');
  }
  return synthesis;
}

/** Synthesizes the fixture into the cache unless it is there; returns its directory. */
function cached(fixture) {
  const dir = join(cacheRoot, fixtureKey(fixture));
  if (existsSync(join(dir, COMPLETE_FILE))) return dir;
  const { synthesizeFixture } = load();
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    synthesizeFixture(fixture, partial);
    // Another run on this machine (same sources) may have finished the same key meanwhile: keep its copy.
    if (existsSync(join(dir, COMPLETE_FILE))) {
      rmSync(partial, { recursive: true, force: true });
      return dir;
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    // Another run on this machine may have written the same key meanwhile.
    if (!existsSync(join(dir, COMPLETE_FILE))) throw e;
  }
  return dir;
}

// One synthesis at a time: the machine has few cores and Jest's workers use them.
let queue = Promise.resolve();
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    queue = queue.then(() => {
      let status = 200;
      let answer;
      try {
        answer = { dir: cached(JSON.parse(body)) };
      } catch (e) {
        status = 500;
        answer = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
});
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
// Jest's teardown ends it; never outlive the run if that did not happen.
process.on('disconnect', () => process.exit(0));
