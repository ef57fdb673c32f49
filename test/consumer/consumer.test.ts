/**
 * The consumer test: the package as a user installs it. `npm pack` makes the tarball, which is
 * unpacked into a consumer app's node_modules, and the app in `app/app.js` (a network stack, the
 * gateway, `SelfHostedModels` and invocation logging in their own stacks, every compliance pack on)
 * synthesizes with zero unacknowledged findings against both ends of the aws-cdk-lib peer range:
 *
 * - the lowest: the range's minimum, which is the version the repository's devDependencies pin, so
 *   the repository's installed node_modules serve it (linked, nothing is installed);
 * - the newest: resolved from the npm registry when the test runs, installed (aws-cdk-lib and
 *   constructs only, `--prefer-offline`) into a temporary folder, the other peers linked from the
 *   repository. Without the registry the test fails and says so: it never passes silently.
 *
 * A third app installs only the required peers: importing works, and the constructs that need an
 * optional peer name the package to install.
 *
 * It needs the built package (`npm run build`: the bundles in assets/ and the jsii output in lib/),
 * as CI builds before `npm test`; it fails with that instruction when the build is missing or older
 * than the sources (test/helpers/built-package.ts).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expectBuiltPackage, REPO_ROOT } from '../helpers/built-package';

// Two synthesis runs of four stacks with every pack, in parallel, on a shared 2-core machine.
jest.setTimeout(600_000);

const ROOT = REPO_ROOT;
const APP_DIR = join(__dirname, 'app');
const REPO_MODULES = join(ROOT, 'node_modules');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};
const CDK_RANGE = pkg.peerDependencies['aws-cdk-lib'];
const PEERS = Object.keys(pkg.peerDependencies);
const REQUIRED_PEERS = PEERS.filter((p) => !pkg.peerDependenciesMeta?.[p]?.optional);

/** Orders plain x.y.z versions (npm view of a range lists no prereleases). */
function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => v.split('.').map(Number));
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; resolves with its exit code and output. */
function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Without the test run's App context (test/helpers/synthesis/test-settings.ts): the consumer app stages its assets as a user's does.
    const { CDK_CONTEXT_JSON: _testContext, ...env } = process.env;
    const child = spawn(command, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm pack` of the repository into `dir`; returns the tarball's path and the packed file list. */
async function pack(dir: string): Promise<{ tarball: string; files: string[] }> {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path) };
}

/** The newest aws-cdk-lib in the peer range, from the registry now; a clear error when it cannot be reached. */
async function newestCdkLib(cwd: string): Promise<string> {
  const view = await run('npm', ['view', `aws-cdk-lib@${CDK_RANGE}`, 'version', '--json', '--prefer-online', '--fetch-retries=1'], { cwd });
  let versions: unknown;
  try {
    versions = JSON.parse(view.stdout);
  } catch {
    versions = undefined;
  }
  const list = (Array.isArray(versions) ? versions : [versions]).filter((v): v is string => typeof v === 'string');
  if (view.code !== 0 || list.length === 0) {
    throw new Error(`The consumer test synthesizes against the newest aws-cdk-lib in the peer range ${CDK_RANGE}, which it `
      + `resolves from the npm registry, and 'npm view aws-cdk-lib@${CDK_RANGE} version' failed (exit ${view.code}). The test `
      + `needs the registry and does not pass without it. npm said:\n${view.stderr.slice(0, 2000)}`);
  }
  return list.sort(compareVersions).at(-1)!;
}

/** A consumer folder: the packed package unpacked into node_modules/cdk-ai-gateway, `links` linked from the repository, the app files. */
async function consumerDir(root: string, name: string, tarball: string, links: readonly string[]): Promise<string> {
  const dir = join(root, name);
  const target = join(dir, 'node_modules', 'cdk-ai-gateway');
  mkdirSync(target, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true }));
  const untar = await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { cwd: dir });
  if (untar.code !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  // The app files sit in the consumer folder, so `require` resolves from there, as in a user's app.
  for (const file of readdirSync(APP_DIR)) copyFileSync(join(APP_DIR, file), join(dir, file));
  for (const link of links) {
    const path = join(dir, 'node_modules', link);
    if (existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(join(REPO_MODULES, link), path, 'dir');
  }
  return dir;
}

/** Installs `aws-cdk-lib@version` and the repository's constructs into `dir` (from the npm cache when it has them). */
async function installCdkLib(dir: string, version: string): Promise<void> {
  const install = await run('npm', [
    'install', '--no-save', '--no-package-lock', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts',
    `aws-cdk-lib@${version}`, `constructs@${pkg.devDependencies.constructs}`,
  ], { cwd: dir });
  if (install.code !== 0) {
    throw new Error(`npm install aws-cdk-lib@${version} failed (exit ${install.code}); the consumer test needs the npm registry:\n${install.stderr.slice(0, 2000)}`);
  }
}

interface Synthesis {
  readonly cdkVersion: string;
  readonly gatewayPackage: string;
  readonly cdkLibRoots: string[];
  readonly passed: boolean;
  readonly findings: number;
  readonly acknowledged: number;
  readonly formatted: string;
  readonly rejectedAcknowledgments: string[];
  readonly runtimes: Record<string, string>;
}

/** Runs `script` in `dir` with Node.js and parses the JSON line it prints. */
async function runApp<T>(dir: string, script: string, args: readonly string[], nodeOptions: readonly string[] = []): Promise<T> {
  const result = await run(process.execPath, [...nodeOptions, join(dir, script), ...args], { cwd: dir, env: { NODE_PATH: '' } });
  if (result.code !== 0) throw new Error(`${script} failed in ${dir} (exit ${result.code}):\n${result.stderr.slice(0, 4000)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as T;
}

/** The newest nodejs<major>.x that an installed aws-cdk-lib declares, read from its type definitions. */
function newestNodeRuntimeIn(cdkLibDir: string): string {
  const dts = readFileSync(join(cdkLibDir, 'aws-lambda', 'lib', 'runtime.d.ts'), 'utf8');
  const majors = [...dts.matchAll(/static readonly NODEJS_(\d+)_X: Runtime;/g)].map((m) => Number(m[1]));
  return `nodejs${Math.max(...majors)}.x`;
}

let work: string;
let packed: { tarball: string; files: string[] };
let lowestDir: string;
let newestDir: string;
let newestVersion: string;
let lowest: Promise<Synthesis>;
let newest: Promise<Synthesis>;

beforeAll(async () => {
  expectBuiltPackage('The consumer test (it installs the npm pack tarball)');
  // Under the system temp folder, not the repository: Node.js must not find the repository's node_modules above the app.
  work = mkdtempSync(join(tmpdir(), 'cdk-ai-gateway-consumer-'));
  [packed, newestVersion] = await Promise.all([pack(work), newestCdkLib(work)]);
  // Lowest end: every peer linked from the repository; links resolve to their real paths, so
  // aws-cdk-lib's own dependencies come from the repository too.
  lowestDir = await consumerDir(work, 'lowest', packed.tarball, PEERS);
  // Newest end: aws-cdk-lib and constructs installed here; the other peers linked, and run with
  // --preserve-symlinks so that they load this aws-cdk-lib rather than the repository's.
  // (Installed first: npm would remove packages that it did not install.)
  newestDir = join(work, 'newest');
  mkdirSync(newestDir);
  writeFileSync(join(newestDir, 'package.json'), JSON.stringify({ name: 'consumer-newest', private: true }));
  await installCdkLib(newestDir, newestVersion);
  await consumerDir(work, 'newest', packed.tarball, PEERS);
  // Both synthesize at once: each is a separate Node.js process.
  lowest = runApp<Synthesis>(lowestDir, 'app.js', [join(lowestDir, 'cdk.out')]);
  newest = runApp<Synthesis>(newestDir, 'app.js', [join(newestDir, 'cdk.out')], ['--preserve-symlinks']);
  // Rejections are reported by the tests that await them, not as unhandled here.
  lowest.catch(() => undefined);
  newest.catch(() => undefined);
});

afterAll(async () => {
  await Promise.allSettled([lowest, newest]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a consumer app built from npm pack', () => {
  test('the package ships the LICENSE, the bundles and the type definitions, but no build stamps and no source maps', () => {
    expect(packed.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'assets/router/index.mjs']));
    expect(packed.files.filter((f) => f.includes('.stamps') || f.includes('.bundle-stamps') || f.endsWith('.map'))).toEqual([]);
    expect(packed.files.filter((f) => f.startsWith('test/') || f.startsWith('bin/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  test(`the lowest aws-cdk-lib of the peer range (${CDK_RANGE}) is the one the repository pins`, () => {
    expect(CDK_RANGE).toBe(`^${pkg.devDependencies['aws-cdk-lib']}`);
  });

  test.each([
    ['lowest', () => lowest, () => lowestDir],
    ['newest', () => newest, () => newestDir],
  ])('synthesizes with zero unacknowledged findings on the %s aws-cdk-lib of the peer range', async (end, result, dir) => {
    const synthesis = await result();
    const expected = end === 'lowest' ? pkg.devDependencies['aws-cdk-lib'] : newestVersion;
    expect(synthesis.cdkVersion).toBe(expected);
    // The installed package, and a single aws-cdk-lib for the app, the library and every peer.
    expect(synthesis.gatewayPackage).toBe(join(dir(), 'node_modules', 'cdk-ai-gateway', 'lib', 'index.js'));
    expect(synthesis.cdkLibRoots.map((r) => realpathSync(r))).toEqual([realpathSync(join(dir(), 'node_modules', 'aws-cdk-lib'))]);
    if (!synthesis.passed) throw new Error(`aws-cdk-lib ${synthesis.cdkVersion}: ${synthesis.formatted}`);
    expect(synthesis.findings).toBe(0);
    expect(synthesis.acknowledged).toBeGreaterThan(0);
    expect(synthesis.rejectedAcknowledgments).toEqual([]);
    // The bundled handlers run on the newest Node.js runtime that this aws-cdk-lib knows.
    const runtime = newestNodeRuntimeIn(join(dir(), 'node_modules', 'aws-cdk-lib'));
    expect(synthesis.runtimes).toEqual({ router: runtime, authorizer: runtime, invocationLogging: runtime });
  });

  test('installed without the optional peers, the package imports, and what needs one names the package and range to install', async () => {
    const dir = await consumerDir(work, 'required-peers-only', packed.tarball, REQUIRED_PEERS);
    const seen = await runApp<{
      afterImport: string[]; kubectlError?: string; ownLayerError?: string; allPacksError?: string; otherPacksError?: string;
      gatewayError?: string; controlTowerAcknowledgments: number; rejectedAcknowledgments: string[]; loadedAtEnd: string[];
    }>(dir, 'without-optional-peers.js', []);
    expect(seen.afterImport).toEqual([]);
    const kubectl = '@aws-cdk/lambda-layer-kubectl-v36';
    const validator = '@cdklabs/cdk-validator-cfnguard';
    expect(seen.kubectlError).toContain(`needs the optional peer dependency ${kubectl} (${pkg.peerDependencies[kubectl]}), which is not installed`);
    expect(seen.kubectlError).toContain('kubectlLayer');
    expect(seen.ownLayerError).toBeUndefined();
    expect(seen.allPacksError).toContain(`needs the optional peer dependency ${validator} (${pkg.peerDependencies[validator]}), which is not installed`);
    expect(seen.allPacksError).toContain('CompliancePack.CONTROL_TOWER');
    expect(seen.otherPacksError).toBeUndefined();
    // The gateway's own Control Tower acknowledgments are recorded without the validator, and none is rejected.
    expect(seen.gatewayError).toBeUndefined();
    expect(seen.controlTowerAcknowledgments).toBeGreaterThan(0);
    expect(seen.rejectedAcknowledgments).toEqual([]);
    expect(seen.loadedAtEnd).toEqual([]);
  });
});
