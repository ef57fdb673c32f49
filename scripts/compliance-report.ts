/**
 * `npm run compliance`: synthesizes the example app with every compliance pack (the five cdk-nag
 * packs, the Control Tower guard rules, cdk-ai-gateway's own rules) and writes a Markdown report
 * for a compliance reviewer: packs run with versions and counts, rule exclusions, every
 * acknowledgment with its reason, and any open finding. Exits 1 if there is an open finding, a
 * failed plugin or a rejected acknowledgment; 2 if it could not run.
 *
 *   npm run compliance -- [--out compliance-report.md] [--app bin/example] [--verbose]
 *
 * The app comes from `bin/example.ts`, which must export `function buildExampleApp(app?: App): App`
 * and must not synthesize when imported (guard its own `synth()` with `require.main === module`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { ComplianceReport, GatewayCompliance } from '../lib';

/** Builds the stacks to check into the App it is given. */
export type AppBuilder = (app: App) => unknown;

/** The example app module, without extension. */
export const EXAMPLE_APP_MODULE = resolve(__dirname, '..', 'bin', 'example');

export interface ComplianceReportRun {
  /** Builds the app to check; default: `buildExampleApp` from `bin/example.ts`. */
  readonly buildApp?: AppBuilder;
  /** Where to write the Markdown; default: `compliance-report.md` in the working directory. */
  readonly out?: string;
  /** Add each cdk-nag rule's explanation to its finding. */
  readonly verbose?: boolean;
  /** The report's subject line; default: the stacks checked. */
  readonly subject?: string;
  /** The generation time to print; default: now. */
  readonly generatedAt?: string;
  /** Where progress goes; default: `console.log`. */
  readonly log?: (line: string) => void;
}

export interface ComplianceReportResult {
  readonly report: ComplianceReport;
  readonly outFile: string;
  /** 0 if the report passed, 1 otherwise. */
  readonly exitCode: number;
}

/**
 * The example app's builder, from `modulePath` (default `bin/example.ts`). Throws a message that
 * says what is missing when the module does not exist or does not export `buildExampleApp`.
 */
export function loadExampleAppBuilder(modulePath: string = EXAMPLE_APP_MODULE): AppBuilder {
  let mod: unknown;
  try {
    // A plain require: ts-node (--prefer-ts-exts) and jest both resolve it to the .ts source.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(modulePath);
  } catch (e) {
    const error = e as NodeJS.ErrnoException;
    if (error.code === 'MODULE_NOT_FOUND' && error.message.includes(modulePath)) {
      throw new Error(
        `The compliance report checks the example app, but ${modulePath}.ts does not exist. It must export `
        + "'function buildExampleApp(app?: App): App' that adds the example stacks to the App it is given "
        + '(and must not synthesize on import).');
    }
    throw e;
  }
  const build = typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>).buildExampleApp : undefined;
  if (typeof build !== 'function') {
    const exported = typeof mod === 'object' && mod !== null ? Object.keys(mod) : [];
    throw new Error(
      `${modulePath} must export 'function buildExampleApp(app?: App): App'; it exports ${exported.length ? exported.join(', ') : 'nothing'}.`);
  }
  return (app: App) => (build as (app: App) => unknown)(app);
}

/** Builds the app, runs every pack and writes the Markdown report. */
export function runComplianceReport(run: ComplianceReportRun = {}): ComplianceReportResult {
  const log = run.log ?? ((line: string) => console.log(line));
  const build = run.buildApp ?? loadExampleAppBuilder();
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-ai-gateway-compliance-'));
  try {
    // The report is read and printed here; aws-cdk-lib need not print or throw it as well.
    const given = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
    const built = build(given);
    const app = App.isApp(built) ? built : given;
    if (!GatewayCompliance.hasPacks(app)) GatewayCompliance.addPacks(app, { verbose: run.verbose ?? false });
    const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c)).map((s) => s.stackName);

    const started = Date.now();
    const report = ComplianceReport.synthesize(app, { countControlTowerOutcomes: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    const outFile = resolve(run.out ?? 'compliance-report.md');
    writeFileSync(outFile, report.toMarkdown({
      title: 'cdk-ai-gateway compliance report',
      subject: run.subject ?? `Stacks checked: ${stacks.map((s) => `\`${s}\``).join(', ') || 'none'}.`,
      generatedAt: run.generatedAt,
    }));

    log(`Synthesized ${stacks.length} stack(s) with ${report.packs.length} pack(s) in ${seconds}s.`);
    for (const p of report.packs) {
      log(`  ${p.title.padEnd(50)} ${String(p.openFindings).padStart(4)} open  ${String(p.acknowledgedFindings).padStart(4)} acknowledged`);
    }
    log(`${report.passed ? 'Passed' : 'FAILED'}: report written to ${outFile}`);
    if (!report.passed) log(report.formatFindings());
    return { report, outFile, exitCode: report.passed ? 0 : 1 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The command line; returns the exit code. */
export function main(argv: readonly string[], log: (line: string) => void = (l) => console.log(l)): number {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        app: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.help) {
      log('Usage: npm run compliance -- [--out compliance-report.md] [--app bin/example] [--verbose]');
      return 0;
    }
    const buildApp = loadExampleAppBuilder(values.app ? resolve(values.app).replace(/\.ts$/, '') : EXAMPLE_APP_MODULE);
    return runComplianceReport({ buildApp, out: values.out, verbose: values.verbose, log }).exitCode;
  } catch (e) {
    log(`compliance report: ${(e as Error).message}`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
