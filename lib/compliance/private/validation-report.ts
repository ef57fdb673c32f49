import { AiGatewayValidationError } from '../../private/errors';

/**
 * Reads aws-cdk-lib's `validation-report.json` (cloud assembly schema `PolicyValidationReportJson`,
 * written by every synthesis that runs validation plugins):
 *
 * ```json
 * { "version": "55.0.0", "title": "Validation Report", "pluginReports": [{
 *     "pluginName": "AwsSolutions", "pluginVersion": "3.0.2", "conclusion": "failure", "metadata": {...},
 *     "violations": [{ "ruleName": "AwsSolutions-S1", "description": "...", "severity": "error", "suggestedFix": "...",
 *       "violatingConstructs": [{ "constructPath": "App/Stack/Bucket/Resource",
 *         "cloudFormationResource": { "templatePath": "Stack.template.json", "logicalId": "Bucket83908E77" } }] }],
 *     "suppressedViolations": [{ ...the same..., "acknowledgedId": "AwsSolutions::AwsSolutions-S1",
 *       "reason": "...", "acknowledgedAt": "App/Stack/Bucket" }] }] }
 * ```
 *
 * A plugin with no violation and nothing suppressed is left out of the file. A plugin that threw
 * appears with `conclusion: failure`, no violations and `metadata.error`.
 */

/** One violating construct of one rule. */
export interface ReportedViolation {
  readonly pluginName: string;
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly suggestedFix?: string;
  readonly constructPath: string;
  readonly logicalId?: string;
  readonly templatePath?: string;
}

/** A violation aws-cdk-lib suppressed because of an acknowledgment. */
export interface ReportedSuppression extends ReportedViolation {
  readonly acknowledgedId: string;
  readonly reason: string;
  readonly acknowledgedAt: string;
}

export interface ReportedPlugin {
  readonly pluginName: string;
  readonly pluginVersion?: string;
}

export interface ReportedFailure {
  readonly pluginName: string;
  readonly message: string;
}

export interface ParsedValidationReport {
  readonly plugins: readonly ReportedPlugin[];
  readonly violations: readonly ReportedViolation[];
  readonly suppressions: readonly ReportedSuppression[];
  readonly failures: readonly ReportedFailure[];
}

/** Parses the text of a `validation-report.json`; throws naming the first field that is malformed. */
export function parseValidationReport(text: string): ParsedValidationReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AiGatewayValidationError(`validation-report.json is not JSON: ${(e as Error).message}`);
  }
  const plugins: ReportedPlugin[] = [];
  const violations: ReportedViolation[] = [];
  const suppressions: ReportedSuppression[] = [];
  const failures: ReportedFailure[] = [];
  list(json, 'pluginReports', 'validation-report.json').forEach((report, i) => {
    const where = `validation-report.json pluginReports[${i}]`;
    const pluginName = str(report, 'pluginName', where);
    const pluginVersion = optStr(report, 'pluginVersion', where);
    plugins.push({ pluginName, pluginVersion });
    const reportViolations = list(report, 'violations', where);
    const suppressed = optList(report, 'suppressedViolations', where);
    reportViolations.forEach((v, j) => violations.push(...flatten(v, pluginName, `${where}.violations[${j}]`)));
    suppressed.forEach((v, j) => {
      const at = `${where}.suppressedViolations[${j}]`;
      const acknowledgment = {
        acknowledgedId: str(v, 'acknowledgedId', at),
        reason: optStr(v, 'reason', at) ?? '',
        acknowledgedAt: optStr(v, 'acknowledgedAt', at) ?? '',
      };
      suppressions.push(...flatten(v, pluginName, at).map((s) => ({ ...s, ...acknowledgment })));
    });
    if (str(report, 'conclusion', where) === 'failure' && reportViolations.length === 0) {
      const metadata = field(report, 'metadata');
      const error = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).error : undefined;
      failures.push({
        pluginName,
        message: typeof error === 'string' ? error : `Validation plugin '${pluginName}' concluded 'failure' without reporting a violation.`,
      });
    }
  });
  return { plugins, violations, suppressions, failures };
}

/** One entry per violating construct. */
function flatten(violation: unknown, pluginName: string, where: string): ReportedViolation[] {
  const base = {
    pluginName,
    ruleName: str(violation, 'ruleName', where),
    description: str(violation, 'description', where),
    severity: optStr(violation, 'severity', where) ?? 'error',
    suggestedFix: optStr(violation, 'suggestedFix', where),
  };
  return list(violation, 'violatingConstructs', where).map((c, k) => {
    const at = `${where}.violatingConstructs[${k}]`;
    const cfn = field(c, 'cloudFormationResource');
    return {
      ...base,
      constructPath: optStr(c, 'constructPath', at) ?? '',
      logicalId: cfn === undefined ? undefined : optStr(cfn, 'logicalId', `${at}.cloudFormationResource`),
      templatePath: cfn === undefined ? undefined : optStr(cfn, 'templatePath', `${at}.cloudFormationResource`),
    };
  });
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

function str(obj: unknown, key: string, where: string): string {
  const value = field(obj, key);
  if (typeof value !== 'string') {
    throw new AiGatewayValidationError(`${where}.${key} must be a string; received ${JSON.stringify(value) ?? 'nothing'}.`);
  }
  return value;
}

function optStr(obj: unknown, key: string, where: string): string | undefined {
  return field(obj, key) === undefined ? undefined : str(obj, key, where);
}

function list(obj: unknown, key: string, where: string): unknown[] {
  const value = field(obj, key);
  if (!Array.isArray(value)) {
    throw new AiGatewayValidationError(`${where}.${key} must be an array; received ${JSON.stringify(value) ?? 'nothing'}.`);
  }
  return value;
}

function optList(obj: unknown, key: string, where: string): unknown[] {
  return field(obj, key) === undefined ? [] : list(obj, key, where);
}
