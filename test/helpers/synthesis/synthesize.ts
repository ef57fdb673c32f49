import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CompliancePack, ComplianceReport, GatewayCompliance } from '../../../lib';

/**
 * One app to synthesize with the compliance packs: `exportName` of `module` builds it into the App
 * it is given (`(app: App, args) => unknown`, the shape of `bin/example.ts`'s `buildExampleApp`).
 * Everything here must be JSON: it crosses a process boundary and is part of the cache key.
 */
export interface SharedFixture {
  /** Absolute path of the module that exports the builder, without extension (`join(__dirname, 'fixtures')`). */
  readonly module: string;
  /** The builder's export name. */
  readonly exportName: string;
  /** Passed to the builder as its second argument (JSON only). */
  readonly args?: unknown;
  /** The packs to register (`GatewayCompliance.addPacks`), unless the builder registered its own; default: all. */
  readonly packs?: CompliancePack[];
  /** `ComplianceSynthesisOptions.countControlTowerOutcomes`. */
  readonly countControlTowerOutcomes?: boolean;
}

/** What `synthesizeFixture` writes next to the cloud assembly, besides `validation-report.json`. */
export interface ComplianceContextFile {
  readonly packs: ComplianceReport['packs'];
  readonly exclusions: ComplianceReport['exclusions'];
  readonly acknowledgments: ComplianceReport['acknowledgments'];
}

export const COMPLIANCE_CONTEXT_FILE = 'compliance-context.json';
/** Written last: a directory without it is an interrupted synthesis. */
export const COMPLETE_FILE = 'complete';

const REPO = resolve(__dirname, '..', '..', '..');

type Builder = (app: App, args?: unknown) => unknown;

function loadBuilder(fixture: SharedFixture): Builder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(fixture.module) as Record<string, unknown>;
  const build = mod[fixture.exportName];
  if (typeof build !== 'function') {
    throw new Error(`${fixture.module} must export a function '${fixture.exportName}(app: App, args?)'; it exports ${Object.keys(mod).join(', ') || 'nothing'}.`);
  }
  return build as Builder;
}

/**
 * Builds the fixture into a fresh App whose cloud assembly is `outdir`, synthesizes it once with
 * every pack (aws-cdk-lib's own template validation included) and writes the report's context
 * beside `validation-report.json`. Staged asset copies are removed: the templates name them by hash.
 */
export function synthesizeFixture(fixture: SharedFixture, outdir: string): void {
  const given = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
  const built = loadBuilder(fixture)(given, fixture.args);
  const app = App.isApp(built) ? built : given;
  if (fixture.packs || !GatewayCompliance.hasPacks(app)) GatewayCompliance.addPacks(app, fixture.packs ? { packs: fixture.packs } : undefined);
  const report = ComplianceReport.synthesize(app, { countControlTowerOutcomes: fixture.countControlTowerOutcomes });
  const context: ComplianceContextFile = { packs: report.packs, exclusions: report.exclusions, acknowledgments: report.acknowledgments };
  writeFileSync(join(app.outdir, COMPLIANCE_CONTEXT_FILE), JSON.stringify(context));
  for (const entry of readdirSync(app.outdir)) {
    if (entry.startsWith('asset.')) rmSync(join(app.outdir, entry), { recursive: true, force: true });
  }
  writeFileSync(join(app.outdir, COMPLETE_FILE), '');
}

/**
 * Everything a synthesis can depend on, hashed once per process: the library, the Lambda sources
 * and bundles, the example app, every non-test file under test/ (fixtures and helpers), the
 * locked dependency versions and the TypeScript settings. Any change there is a new cache key.
 */
let sourcesDigest: string | undefined;
function digestSources(): string {
  if (sourcesDigest) return sourcesDigest;
  const hash = createHash('sha256');
  const walk = (dir: string, keep: (path: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (entry === 'node_modules' || entry === '.stamps' || entry === '__snapshots__') continue;
      if (statSync(path).isDirectory()) walk(path, keep);
      else if (keep(path)) hash.update(relative(REPO, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  const sources = (path: string) => /\.(ts|mts|js|mjs|json)$/.test(path) && !/\.d\.ts$/.test(path) && !(/\.js$/.test(path) && existsSync(path.replace(/\.js$/, '.ts')));
  walk(join(REPO, 'lib'), sources);
  walk(join(REPO, 'lambda'), sources);
  walk(join(REPO, 'bin'), sources);
  walk(join(REPO, 'assets'), () => true);
  walk(join(REPO, 'test'), (path) => sources(path) && !/\.test\.ts$/.test(path));
  for (const file of ['package-lock.json', 'tsconfig.json', 'tsconfig.jsii.json']) {
    if (existsSync(join(REPO, file))) hash.update(file).update('\0').update(readFileSync(join(REPO, file))).update('\0');
  }
  sourcesDigest = hash.digest('hex');
  return sourcesDigest;
}

/** The cache key of a fixture: the sources' digest and the fixture itself. */
export function fixtureKey(fixture: SharedFixture): string {
  const own = JSON.stringify({ ...fixture, module: relative(REPO, fixture.module) });
  return createHash('sha256').update(digestSources()).update(own).digest('hex').slice(0, 32);
}
