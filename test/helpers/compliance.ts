import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  ComplianceReport, ComplianceSynthesisOptions, GatewayCompliance, GatewayComplianceOptions,
} from '../../lib';

/**
 * App context that keeps aws-cdk-lib from printing (or throwing) the validation report itself: the
 * harness reads and reports it. Without it, a report with only warnings is printed to stderr.
 */
export const QUIET_VALIDATION = { '@aws-cdk/core:failSynthOnValidationErrors': false };

/** Builds stacks into an App it is given (the shape of `bin/example.ts`'s `buildExampleApp`). */
export type AppBuilder = (app: App) => unknown;

export interface SynthWithComplianceOptions extends ComplianceSynthesisOptions {
  /** Passed to `GatewayCompliance.addPacks` before the builder runs; default: all packs. */
  readonly compliance?: GatewayComplianceOptions;
}

/**
 * Runs `synthesize` with aws-cdk-lib's built-in CloudFormation validation on, whatever the test
 * file's setting (test/helpers/synthesis/test-settings.ts turns it off for template tests): its
 * findings are part of a compliance report. aws-cdk-lib reads `CDK_VALIDATION` when it synthesizes.
 */
function withCloudFormationValidation<T>(synthesize: () => T): T {
  const setting = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  try {
    return synthesize();
  } finally {
    if (setting !== undefined) process.env.CDK_VALIDATION = setting;
  }
}

/**
 * Synthesizes an app with every compliance pack and returns the parsed report
 * (`report.findings`, `report.acknowledgedFindings`, `report.packs`, ...). Given a builder, it
 * makes a fresh App in a temporary cloud assembly directory, runs the builder, registers the packs
 * (unless the builder did) and removes the directory afterwards; given an App, it adds the packs
 * if the App has none. aws-cdk-lib's CloudFormation validation runs, as in `npx cdk synth`.
 */
export function synthWithCompliance(appOrBuilder: App | AppBuilder, options: SynthWithComplianceOptions = {}): ComplianceReport {
  if (App.isApp(appOrBuilder)) {
    if (options.compliance) GatewayCompliance.addPacks(appOrBuilder, options.compliance);
    return withCloudFormationValidation(() => ComplianceReport.synthesize(appOrBuilder, options));
  }
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-ai-gateway-compliance-'));
  try {
    const given = new App({ outdir, context: QUIET_VALIDATION });
    const built = appOrBuilder(given);
    const app = App.isApp(built) ? built : given;
    if (options.compliance || !GatewayCompliance.hasPacks(app)) GatewayCompliance.addPacks(app, options.compliance);
    return withCloudFormationValidation(() => ComplianceReport.synthesize(app, options));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Fails with one line per open finding (rule, pack, construct path, description), per failed
 * plugin and per rejected acknowledgment, unless the app has none. Returns the report.
 */
export function expectNoUnacknowledgedFindings(appOrBuilder: App | AppBuilder, options: SynthWithComplianceOptions = {}): ComplianceReport {
  const report = synthWithCompliance(appOrBuilder, options);
  if (!report.passed) {
    throw new Error(`Compliance check failed.\n\n${report.formatFindings()}`);
  }
  return report;
}

/**
 * Fails, listing each one, if any acknowledgment in `scope`'s construct tree has an empty, short
 * or generic reason, sits on a whole Stack or App, names an unknown finding, or bypasses
 * `GatewayCompliance.acknowledge` in a way that hides the finding from the report.
 */
export function expectAcknowledgmentsJustified(scope: IConstruct): void {
  const rejected = GatewayCompliance.reviewAcknowledgments(scope).filter((a) => a.problem !== undefined);
  if (rejected.length > 0) {
    throw new Error([
      `${rejected.length} acknowledgment(s) a reviewer would reject:`,
      ...rejected.map((a) => `  ${a.findingId} at ${a.constructPath}: ${a.problem} (reason given: '${a.reason}')`),
    ].join('\n'));
  }
}

/**
 * For a report read back from a shared synthesis (test/helpers/synthesis): fails with one line per
 * open finding, failed plugin and rejected acknowledgment, unless there is none. Returns the report.
 */
export function expectReportPassed(report: ComplianceReport): ComplianceReport {
  if (!report.passed) throw new Error(`Compliance check failed.\n\n${report.formatFindings()}`);
  return report;
}

/**
 * `expectAcknowledgmentsJustified` for a report read back from a shared synthesis: the report
 * holds the review of every acknowledgment in the app's tree; this fails, listing each, if one at
 * or below `pathPrefix` (a construct path; default: the whole app) would be rejected.
 */
export function expectReportAcknowledgmentsJustified(report: ComplianceReport, pathPrefix = ''): void {
  const under = (path: string) => pathPrefix === '' || path === pathPrefix || path.startsWith(`${pathPrefix}/`);
  const rejected = report.acknowledgmentProblems.filter((a) => under(a.constructPath));
  if (rejected.length > 0) {
    throw new Error([
      `${rejected.length} acknowledgment(s) a reviewer would reject:`,
      ...rejected.map((a) => `  ${a.findingId} at ${a.constructPath}: ${a.problem} (reason given: '${a.reason}')`),
    ].join('\n'));
  }
}
