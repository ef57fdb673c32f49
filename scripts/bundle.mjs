// Bundles every Lambda handler (lambda/<name>/index.ts) into assets/<name>/index.mjs with esbuild:
// minified ESM for Node.js 22, AWS SDK included; modules the code loads with `import()` become
// chunk-<hash>.mjs files in the same folder. Each asset folder becomes a Lambda zip as it is, so it
// holds only the code: source maps go to sourcemaps/<name>/ (same depth, so their relative source
// paths resolve; not in the package), and the staleness stamps to .bundle-stamps/ (not in the
// package either: they list local paths). Constructs load the result
// with Code.fromAsset, so consumers need neither esbuild nor Docker, and asset hashes do not depend
// on the machine. A handler whose inputs are unchanged since its last bundle is skipped.
//
//   node scripts/bundle.mjs            bundle what is stale
//   node scripts/bundle.mjs --force    bundle everything
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
// Staleness stamps live outside assets/, so they never enter an asset hash or the npm package.
const STAMPS = join(root, '.bundle-stamps');
const SOURCEMAPS = join(root, 'sourcemaps');
// Where earlier versions of this script wrote its stamps; removed so they cannot ship.
rmSync(join(root, 'assets', '.stamps'), { recursive: true, force: true });

/** A handler's entry: index.mts (an ES module, for top-level await) when it has one, else index.ts. */
function entryOf(name) {
  const mts = join('lambda', name, 'index.mts');
  return existsSync(join(root, mts)) ? mts : join('lambda', name, 'index.ts');
}

/** Handlers are the folders of lambda/ that have an index.ts or index.mts, except the shared config module. */
function handlers() {
  return readdirSync(join(root, 'lambda'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared' && existsSync(join(root, entryOf(d.name))))
    .map((d) => d.name)
    .sort();
}

/** One hash over the bundle's inputs (paths and contents) and this script, as the staleness key. */
function inputsHash(inputs) {
  const h = createHash('sha256');
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const file of [...inputs].sort()) {
    h.update(file);
    h.update(readFileSync(join(root, file)));
  }
  return h.digest('hex');
}

function stale(name) {
  if (force) return true;
  const stampFile = join(STAMPS, `${name}.json`);
  if (!existsSync(stampFile)) return true;
  const { hash, inputs } = JSON.parse(readFileSync(stampFile, 'utf8'));
  if (!inputs.every((f) => existsSync(join(root, f)))) return true;
  return inputsHash(inputs) !== hash;
}

async function bundle(name, entry = entryOf(name), shebang = '') {
  const outdir = join(root, 'assets', name);
  const mapdir = join(SOURCEMAPS, name);
  if (!stale(name) && existsSync(join(outdir, 'index.mjs')) && !readdirSync(outdir).some((f) => f.endsWith('.map'))) return false;
  rmSync(outdir, { recursive: true, force: true });
  rmSync(mapdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  mkdirSync(mapdir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, entry)],
    // Code splitting: modules loaded with `import()` (the AWS SDK clients, see
    // lambda/router/runtime.ts) go to chunk files beside index.mjs in the same asset folder, so a
    // cold start compiles only what it runs. Names are content hashes, so builds are reproducible.
    outdir,
    entryNames: 'index',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    // 'external': the .map files without a sourceMappingURL comment in the code; moved out below.
    sourcemap: 'external',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // ESM output that contains CommonJS code (the AWS SDK's dependencies) needs these; the banner
    // goes on every chunk (each defines its own `require`); a hashbang is valid at the start of any module.
    mainFields: ['module', 'main'],
    banner: { js: `${shebang}import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);` },
    absWorkingDir: root,
  });
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.map'))) renameSync(join(outdir, file), join(mapdir, file));
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('<'));
  mkdirSync(STAMPS, { recursive: true });
  writeFileSync(join(STAMPS, `${name}.json`), JSON.stringify({ hash: inputsHash(inputs), inputs }));
  return true;
}

const names = handlers();
const built = [];
for (const name of names) if (await bundle(name)) built.push(name);
// The package's command line (package.json `bin`): cli/index.ts → assets/cli/index.mjs.
if (await bundle('cli', join('cli', 'index.ts'), '#!/usr/bin/env node\n')) built.push('cli');
const rel = relative(process.cwd(), join(root, 'assets')) || '.';
console.error(built.length ? `bundled ${built.join(', ')} into ${rel}/` : `${names.length} Lambda bundles and the CLI up to date in ${rel}/`);
