import { CompliancePack } from '../compliance-pack';
import { GUARD_PLUGIN_NAME, GuardCatalog } from './guard-catalog';
import { NAG_PACKS } from './packs';

/**
 * Finding ids, in the three shapes they take:
 *
 * - what a person writes and the report shows: `AwsSolutions-IAM5[Resource::*]` (a cdk-nag rule
 *   id, with the finding in brackets for rules that report several), `CT.S3.PR.2` (a Control Tower
 *   control), or `<plugin>::<rule>` for any other plugin;
 * - what a plugin puts in the report's `ruleName`: the cdk-nag id, or the guard rule name
 *   (`s3_bucket_logging_enabled_check`);
 * - what `Validations.acknowledge` records and aws-cdk-lib matches: `<plugin namespace>::<ruleName>`.
 *
 * Acknowledgments are always recorded in the namespaced form. aws-cdk-lib then suppresses the
 * finding itself and writes it to `validation-report.json` under `suppressedViolations`, with the
 * reason and the path of the acknowledging construct, which is what the compliance report lists.
 * (cdk-nag 3 also honours an un-namespaced id, but then drops the finding before the report is
 * written, so a reviewer would never see it.)
 */

/** The plugin name aws-cdk-lib's built-in template validation reports under. */
export const CFN_VALIDATE_PLUGIN_NAME = 'CloudFormation Validate';

/** aws-cdk-lib's namespace for a plugin name: spaces become dashes. */
export function namespaceOf(pluginName: string): string {
  return pluginName.replace(/ /g, '-');
}

const CONTROL_ID = /^CT\.[A-Z0-9-]+\.PR\.\d+$/i;
const EXPLICIT = /^([A-Za-z0-9.-]+)::(.+)$/;
const NAG_RULE = /^[A-Za-z0-9]+$/;

/** Namespaces an explicit `<plugin>::<rule>` id may use. */
const EXPLICIT_NAMESPACES: readonly string[] = [
  ...NAG_PACKS, GUARD_PLUGIN_NAME, namespaceOf(CFN_VALIDATE_PLUGIN_NAME),
];

/**
 * The namespaced id to record for a finding id a person wrote. Throws an `Error` that says which
 * forms are allowed when the id is none of them, or names a Control Tower control or guard rule
 * that the installed plugin does not have.
 */
export function qualifyFindingId(findingId: string): string {
  const id = typeof findingId === 'string' ? findingId.trim() : '';
  if (CONTROL_ID.test(id)) {
    // Without the validator (an optional peer) the Control Tower pack cannot run, so there is no
    // finding to match: the acknowledgment is recorded under the control id, which nothing reports.
    if (!GuardCatalog.available()) return `${GUARD_PLUGIN_NAME}::${id.toUpperCase()}`;
    const control = GuardCatalog.load().byControlId(id);
    if (!control) {
      throw new Error(`'${findingId}' is not a Control Tower control shipped with @cdklabs/cdk-validator-cfnguard.`);
    }
    return `${GUARD_PLUGIN_NAME}::${control.ruleName}`;
  }
  const explicit = EXPLICIT.exec(id);
  if (explicit) {
    const [, namespace, rule] = explicit;
    if (!EXPLICIT_NAMESPACES.includes(namespace)) {
      throw new Error(`'${findingId}': '${namespace}' is not a plugin the harness runs; allowed: ${EXPLICIT_NAMESPACES.join(', ')}.`);
    }
    if (namespace === GUARD_PLUGIN_NAME && GuardCatalog.available() && !GuardCatalog.load().byRuleName(rule)) {
      throw new Error(`'${findingId}': '${rule}' is not a guard rule shipped with @cdklabs/cdk-validator-cfnguard.`);
    }
    if ((NAG_PACKS as readonly string[]).includes(namespace)) {
      if (packOfNagRuleId(rule) !== namespace) {
        throw new Error(`'${findingId}': the rule id must start with its pack '${namespace}-'.`);
      }
      return `${namespace}::${nagRuleId(rule, findingId)}`;
    }
    return `${namespace}::${rule}`;
  }
  const pack = packOfNagRuleId(id);
  if (pack) return `${pack}::${nagRuleId(id, findingId)}`;
  throw new Error(
    `'${findingId}' is not a finding id. Use a cdk-nag rule id with its pack prefix `
    + `(${NAG_PACKS.map((p) => `${p}-<Rule>`).join(', ')}), optionally with the finding in brackets `
    + '(AwsSolutions-IAM5[Resource::*]); a Control Tower control id (CT.S3.PR.2); '
    + `or '<plugin>::<rule>' for ${GUARD_PLUGIN_NAME} or ${namespaceOf(CFN_VALIDATE_PLUGIN_NAME)}.`,
  );
}

/** The pack whose prefix `id` carries (`NIST.800.53.R5-IAMNoInlinePolicy` → NIST), if any. */
export function packOfNagRuleId(id: string): CompliancePack | undefined {
  return NAG_PACKS.find((p) => id.startsWith(`${p}-`));
}

/**
 * cdk-nag rules that report one finding per policy or resource pattern, with an example of each:
 * a bare id would hide every finding of the rule on the construct and below it.
 */
const GRANULAR_RULES: { readonly [ruleId: string]: string } = {
  'AwsSolutions-IAM4': "'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]'",
  'AwsSolutions-IAM5': "'AwsSolutions-IAM5[Resource::*]' or 'AwsSolutions-IAM5[Action::s3:GetObject*]'",
};

/** Checks `<pack>-<Rule>` with an optional balanced `[finding]` suffix and returns it. */
function nagRuleId(id: string, original: string): string {
  const pack = packOfNagRuleId(id);
  const bracket = id.indexOf('[');
  const rule = pack ? id.slice(pack.length + 1, bracket === -1 ? undefined : bracket) : '';
  const finding = bracket === -1 ? '' : id.slice(bracket);
  const balanced = finding === '' || (finding.endsWith(']') && isBalanced(finding));
  if (!pack || !NAG_RULE.test(rule) || !balanced) {
    throw new Error(
      `'${original}' is not a cdk-nag rule id: expected <pack>-<Rule> or <pack>-<Rule>[<finding>], `
      + `with <pack> one of ${NAG_PACKS.join(', ')}.`,
    );
  }
  const granular = GRANULAR_RULES[`${pack}-${rule}`];
  if (granular && finding === '') {
    throw new Error(
      `'${original}' acknowledges every finding of the rule at once, including wildcards or policies added later; name the one `
      + `finding in brackets, as the validation report shows it: ${granular}.`,
    );
  }
  return id;
}

function isBalanced(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']' && --depth < 0) return false;
  }
  return depth === 0;
}

/** The id a reader should use to acknowledge a finding that `pluginName` reported as `ruleName`. */
export function displayIdOfFinding(pluginName: string, ruleName: string): string {
  if (pluginName === GUARD_PLUGIN_NAME) {
    // Recorded under the control id itself when the validator is not installed (see qualifyFindingId).
    if (CONTROL_ID.test(ruleName)) return ruleName.toUpperCase();
    if (!GuardCatalog.available()) return `${GUARD_PLUGIN_NAME}::${ruleName}`;
    return GuardCatalog.load().byRuleName(ruleName)?.controlId ?? `${GUARD_PLUGIN_NAME}::${ruleName}`;
  }
  if ((NAG_PACKS as readonly string[]).includes(pluginName) && packOfNagRuleId(ruleName) === pluginName) {
    return ruleName;
  }
  return `${namespaceOf(pluginName)}::${ruleName}`;
}

/** The readable form of a recorded (namespaced) acknowledgment id. */
export function displayIdOfRecorded(recordedId: string): string {
  const explicit = EXPLICIT.exec(recordedId);
  if (!explicit) return recordedId;
  const [, namespace, rule] = explicit;
  if (namespace === GUARD_PLUGIN_NAME) return displayIdOfFinding(GUARD_PLUGIN_NAME, rule);
  if ((NAG_PACKS as readonly string[]).includes(namespace) && packOfNagRuleId(rule) === namespace) return rule;
  return recordedId;
}
