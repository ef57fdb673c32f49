import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CompliancePack, ComplianceReport, GatewayCompliance } from '../../../lib';
import { TEST_SYNTHESIS_CONTEXT } from './test-context';

/**
 * One app to synthesize with the compliance packs: `exportName` of `module` builds it into the App
 * it is given (`(app: App, args) => unknown`, the shape of `bin/example.ts`'s `buildExampleApp`).
 * Everything here must be JSON: it crosses a process boundary and is part of the cache key
 * (cache-key.js).
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
  readonly governance: ComplianceReport['governance'];
  readonly libraryConstructPaths: ComplianceReport['libraryConstructPaths'];
}

export const COMPLIANCE_CONTEXT_FILE = 'compliance-context.json';
/** Written last: a directory without it is an interrupted synthesis. */
export const COMPLETE_FILE = 'complete';

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
 * beside `validation-report.json`. Assets are not staged (`TEST_SYNTHESIS_CONTEXT`); a staged copy
 * that a fixture forces anyway is removed: the templates name assets by hash.
 */
export function synthesizeFixture(fixture: SharedFixture, outdir: string): void {
  const given = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false, ...TEST_SYNTHESIS_CONTEXT } });
  const built = loadBuilder(fixture)(given, fixture.args);
  if (App.isApp(built) && built !== given) {
    throw new Error(`${fixture.exportName} (${fixture.module}) must add its stacks to the App it is given, not return another App.`);
  }
  const app = given;
  if (fixture.packs || !GatewayCompliance.hasPacks(app)) GatewayCompliance.addPacks(app, fixture.packs ? { packs: fixture.packs } : undefined);
  const report = ComplianceReport.synthesize(app, { countControlTowerOutcomes: fixture.countControlTowerOutcomes });
  const context: ComplianceContextFile = {
    packs: report.packs,
    exclusions: report.exclusions,
    acknowledgments: report.acknowledgments,
    governance: report.governance,
    libraryConstructPaths: report.libraryConstructPaths,
  };
  writeFileSync(join(app.outdir, COMPLIANCE_CONTEXT_FILE), JSON.stringify(context));
  for (const entry of readdirSync(app.outdir)) {
    if (entry.startsWith('asset.')) rmSync(join(app.outdir, entry), { recursive: true, force: true });
  }
  writeFileSync(join(app.outdir, COMPLETE_FILE), '');
}
