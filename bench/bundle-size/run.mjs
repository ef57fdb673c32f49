// Bundle size: every bundle the package ships (assets/<name>/index.mjs, made by
// scripts/bundle.mjs), raw and gzip-compressed, and the size of its Lambda deployment package
// (Code.fromAsset zips the whole folder, source map included). For the router and the CLI it also
// tells which packages the bytes come from: the same entry is rebuilt in memory with esbuild (the
// repository's own, with scripts/bundle.mjs's options) and its metafile attributes the output.
//
//   npm run bundle-size [-- --no-bundle --top N]
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { ensureBundles, machineFacts, REPO_DIR, RESULTS_DIR } from '../lib/setup.mjs';
import { table } from '../lib/stats.mjs';

const { values: opts } = parseArgs({
  options: {
    'no-bundle': { type: 'boolean', default: false },
    top: { type: 'string', default: '12' },
    out: { type: 'string', default: join(RESULTS_DIR, 'bundle-size.json') },
  },
});

ensureBundles(opts['no-bundle'] ? ['--no-bundle'] : []);
const assets = join(REPO_DIR, 'assets');
const kib = (bytes) => Math.round((bytes / 1024) * 10) / 10;
const results = [];
for (const name of readdirSync(assets).filter((d) => !d.startsWith('.')).sort()) {
  const dir = join(assets, name);
  const bundle = join(dir, 'index.mjs');
  let code;
  try {
    code = readFileSync(bundle);
  } catch {
    continue;
  }
  // The deployment package: every file of the folder, each deflated as a zip entry would be.
  let folderBytes = 0;
  let zippedBytes = 0;
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    if (!statSync(path).isFile()) continue;
    const content = readFileSync(path);
    folderBytes += content.length;
    zippedBytes += deflateRawSync(content, { level: 9 }).length;
  }
  results.push({
    bundle: `assets/${name}/index.mjs`,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: constants.Z_BEST_COMPRESSION }).length,
    assetFolderBytes: folderBytes,
    assetZipBytesApprox: zippedBytes,
  });
}

/** Output bytes by package (node_modules/<pkg>) or repository folder, from an in-memory rebuild. */
async function breakdown(entry) {
  const { build } = createRequire(join(REPO_DIR, 'package.json'))('esbuild');
  const result = await build({
    entryPoints: [join(REPO_DIR, entry)], outfile: join(REPO_DIR, 'assets', '.breakdown.mjs'), write: false, metafile: true, bundle: true,
    platform: 'node', target: 'node22', format: 'esm', minify: true, legalComments: 'none', mainFields: ['module', 'main'],
    absWorkingDir: REPO_DIR, logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const bytes = new Map();
  for (const [path, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = pkg ? pkg[1] : path.split('/').slice(0, path.startsWith('lambda/router/') ? 3 : 2).join('/');
    bytes.set(key, (bytes.get(key) ?? 0) + input.bytesInOutput);
  }
  return { totalBytes: output.bytes, byOrigin: [...bytes.entries()].sort((a, b) => b[1] - a[1]).map(([origin, b]) => ({ origin, bytes: b })) };
}
const entries = {
  router: existsSync(join(REPO_DIR, 'lambda', 'router', 'index.mts')) ? 'lambda/router/index.mts' : 'lambda/router/index.ts',
  cli: 'cli/index.ts',
};
const breakdowns = {};
for (const [name, entry] of Object.entries(entries)) breakdowns[name] = await breakdown(entry);

const report = { benchmark: 'bundle-size', command: 'cd bench && npm run bundle-size', machine: machineFacts(), results, breakdowns };
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${table(
  ['bundle', 'KiB', 'gzip KiB', 'asset folder KiB', 'zipped asset KiB'],
  results.map((r) => [r.bundle, kib(r.bytes), kib(r.gzipBytes), kib(r.assetFolderBytes), kib(r.assetZipBytesApprox)]),
)}\n`);
for (const [name, b] of Object.entries(breakdowns)) {
  const top = b.byOrigin.slice(0, Number(opts.top));
  process.stdout.write(`\nassets/${name}/index.mjs by origin (rebuilt: ${kib(b.totalBytes)} KiB)\n${table(['origin', 'KiB', '%'], top.map((o) => [o.origin, kib(o.bytes), Math.round((1000 * o.bytes) / b.totalBytes) / 10]))}\n`);
}
process.stderr.write(`results written to ${opts.out}\n`);
