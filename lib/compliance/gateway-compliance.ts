import { Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CompliancePack } from './compliance-pack';
import { AiGatewayValidationError } from '../private/errors';
import { ControlTowerPlugin } from './private/control-tower-plugin';
import { displayIdOfRecorded, packOfNagRuleId, qualifyFindingId } from './private/finding-ids';
import { GUARD_PLUGIN_NAME, GuardCatalog, guardVersions } from './private/guard-catalog';
import { ALL_PACKS } from './private/packs';
import { CDK_LITERAL_AZ_ACKNOWLEDGMENT } from './private/cdk-acknowledgments';
import { reasonProblem } from './private/reason';
import { ExclusionRegistration, PackRegistration, register, registrationOf } from './private/registry';
import { talliedNagPack } from './private/tallied-packs';
import { flattenValue } from './rules/iam-statements';

/** A Control Tower control left out of the whole app, with the reason a reviewer will read. */
export interface ControlTowerExclusion {
  /** The control id, as the finding's description and the Control Tower catalog show it: `CT.S3.PR.9`. */
  readonly controlId: string;
  /**
   * Why no resource of the app needs this control: at least 40 characters and specific (the
   * same test as `GatewayCompliance.acknowledge`). It is printed in the compliance report.
   */
  readonly reason: string;
}

/** Options of `GatewayCompliance.addPacks`. */
export interface GatewayComplianceOptions {
  /**
   * The packs to run.
   *
   * @default - all: AwsSolutions, NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1, Serverless, the
   * Control Tower guard rules and cdk-ai-gateway's own rules
   */
  readonly packs?: CompliancePack[];

  /**
   * Add each cdk-nag rule's explanation to its finding's description.
   *
   * @default false
   */
  readonly verbose?: boolean;

  /**
   * Control Tower controls not to run at all, each with its reason. Use this only for a control
   * that is an organisation-wide choice rather than a property of one resource (for example S3
   * Object Lock on every bucket); acknowledge anything else next to the construct with
   * `GatewayCompliance.acknowledge(construct, 'CT.S3.PR.2', reason)`.
   *
   * @default - every bundled Control Tower rule runs
   */
  readonly controlTowerExclusions?: ControlTowerExclusion[];
}

/** An acknowledgment found in the construct tree, as `GatewayCompliance.reviewAcknowledgments` sees it. */
export interface RecordedAcknowledgment {
  /** The id as recorded, namespaced: `AwsSolutions::AwsSolutions-IAM5[Resource::*]`. */
  readonly recordedId: string;
  /** The id as a reader writes it: `AwsSolutions-IAM5[Resource::*]`, `CT.S3.PR.2`. */
  readonly findingId: string;
  /** The reason given. */
  readonly reason: string;
  /** The path of the construct that carries the acknowledgment; it covers this construct and everything below it. */
  readonly constructPath: string;
  /**
   * Why a reviewer would reject this acknowledgment.
   *
   * @default - none: the acknowledgment is acceptable
   */
  readonly problem?: string;
}

/**
 * The compliance setup of cdk-ai-gateway: the rule packs, and acknowledgments with reasons.
 *
 * @example
 * const app = new App();
 * GatewayCompliance.addPacks(app);
 * const stack = new Stack(app, 'Gateway');
 * const role = new iam.Role(stack, 'RouterRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
 * role.addToPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] }));
 * GatewayCompliance.acknowledge(role, 'AwsSolutions-IAM5[Resource::*]',
 *   'X-Ray PutTraceSegments supports no resource-level permissions, so IAM requires Resource "*" for it.');
 */
export class GatewayCompliance {
  /**
   * Registers the compliance packs as validation plugins of `scope` (an App or Stage): the five
   * cdk-nag 3 packs, the AWS Control Tower guard rules of `@cdklabs/cdk-validator-cfnguard`, and
   * cdk-ai-gateway's own rules. `app.synth()` (and `cdk synth`) then fails while any finding is
   * neither fixed nor acknowledged, and writes `validation-report.json` to the cloud assembly.
   *
   * @param scope the App or Stage whose stacks are checked
   * @param options which packs, verbosity, Control Tower exclusions
   */
  public static addPacks(scope: IConstruct, options: GatewayComplianceOptions = {}): void {
    if (!Stage.isStage(scope)) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.addPacks: scope must be an App or a Stage; received '${scope.node.path}', which is ${Stack.isStack(scope) ? 'a Stack' : 'neither'}.`);
    }
    if (registrationOf(scope)) {
      throw new AiGatewayValidationError('GatewayCompliance.addPacks: scope already has the compliance packs; call addPacks once per App or Stage.', scope);
    }
    const packs = options.packs ?? [...ALL_PACKS];
    const unknown = packs.filter((p) => !ALL_PACKS.includes(p));
    if (packs.length === 0 || unknown.length > 0) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.addPacks: packs must list one or more of ${ALL_PACKS.join(', ')}; received [${packs.join(', ')}].`, scope);
    }
    const exclusions = resolveExclusions(options.controlTowerExclusions ?? [], packs, scope);
    const props = { verbose: options.verbose ?? false };
    const registered: PackRegistration[] = [];
    for (const pack of ALL_PACKS.filter((p) => packs.includes(p))) {
      if (pack === CompliancePack.CONTROL_TOWER) {
        Validations.of(scope).addPlugins(new ControlTowerPlugin(exclusions.map((e) => e.fileName)));
        const versions = guardVersions();
        registered.push({ pack, version: `${versions.plugin} (cfn-guard ${versions.guard})` });
      } else {
        const tallied = talliedNagPack(pack, scope, props);
        Validations.of(scope).addPlugins(tallied.plugin);
        registered.push({ pack, version: tallied.plugin.version, tally: tallied.tally });
      }
    }
    register(scope, { packs: registered, exclusions });
  }

  /**
   * Whether `addPacks` was called on `scope`.
   *
   * @param scope an App or Stage
   */
  public static hasPacks(scope: IConstruct): boolean {
    return registrationOf(scope) !== undefined;
  }

  /**
   * Acknowledges one finding on `scope` and everything below it, with a reason a reviewer would
   * accept. Call it next to the construct that needs it, never on a whole stack.
   *
   * The acknowledgment is recorded with the pack's namespace, so aws-cdk-lib suppresses the
   * finding and lists it, with the reason and the construct path, in `validation-report.json`
   * and in the compliance report.
   *
   * @param scope the construct with the finding, or a construct above it (not a Stack, Stage or App)
   * @param findingId a cdk-nag rule id (`AwsSolutions-S1`), with the finding for rules that report
   *   several (`AwsSolutions-IAM5[Resource::*]`), a Control Tower control id (`CT.S3.PR.2`), or
   *   `<plugin>::<rule>` (`cdk-validator-cfnguard::s3_bucket_logging_enabled_check`)
   * @param reason why the finding does not apply, or what compensates for it: at least 40
   *   characters, no placeholder, and not only stock phrases such as 'false positive' or 'not needed'
   */
  public static acknowledge(scope: IConstruct, findingId: string, reason: string): void {
    if (Stage.isStage(scope) || Stack.isStack(scope)) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.acknowledge: scope must be the construct with finding '${findingId}', not a whole `
        + `${Stack.isStack(scope) ? 'Stack' : 'App or Stage'}; received '${scope.node.path}'.`, scope);
    }
    let recordedId: string;
    try {
      recordedId = qualifyFindingId(findingId);
    } catch (e) {
      throw new AiGatewayValidationError(`GatewayCompliance.acknowledge: findingId ${(e as Error).message}`, scope);
    }
    const problem = reasonProblem(reason);
    if (problem) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.acknowledge: reason for '${findingId}' ${problem}. Received: '${reason}'.`, scope);
    }
    if (acknowledgmentsOn(scope).some((a) => a.recordedId === recordedId)) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.acknowledge: findingId '${findingId}' is already acknowledged on this construct; acknowledge each finding once.`, scope);
    }
    Validations.of(scope).acknowledge({ id: recordedId, reason: reason.trim() });
  }

  /**
   * The id of the `AwsSolutions-IAM5` finding that a wildcard resource raises, as cdk-nag writes it
   * in the template of `scope`'s stack: `AwsSolutions-IAM5[Resource::<LogsBucket1A2B3C4D.Arn>/prefix/*]`.
   * Build acknowledgments with it instead of copying the logical id (and its hash) from a report, so
   * the id stays right when the construct moves.
   *
   * @example
   * logging.grantRead(auditRole);
   * GatewayCompliance.acknowledge(auditRole,
   *   GatewayCompliance.wildcardResourceFindingId(auditRole, logging.bucket.arnForObjects(`${logging.keyPrefix}/*`)),
   *   'The audit role reads every invocation log object under the prefix; object keys are not known in advance.');
   *
   * @param scope a construct in the stack whose template holds the policy (the grantee role)
   * @param resource the resource ARN with its wildcard, as given to the grant (tokens allowed)
   */
  public static wildcardResourceFindingId(scope: IConstruct, resource: string): string {
    return `AwsSolutions-IAM5[Resource::${flattenValue(Stack.of(scope).resolve(resource))}]`;
  }

  /**
   * Why a reviewer would reject `reason` as the justification of an acknowledgment, or
   * `undefined` if it is acceptable. `acknowledge` throws with this message.
   *
   * @param reason the text to judge
   */
  public static checkReason(reason: string): string | undefined {
    return reasonProblem(reason);
  }

  /**
   * Every acknowledgment recorded in `scope`'s construct tree, with the problem a reviewer would
   * have with it: a weak reason, an acknowledgment on a whole Stack or App, an unknown finding id,
   * or a cdk-nag id acknowledged without its pack namespace (cdk-nag then drops the finding before
   * the validation report is written, so no report would show it — use `acknowledge`).
   *
   * @param scope the App (or any construct) whose tree to walk
   */
  public static reviewAcknowledgments(scope: IConstruct): RecordedAcknowledgment[] {
    return scope.node.findAll().flatMap((c) => acknowledgmentsOn(c).map((a) => ({ ...a, problem: acknowledgmentProblem(c, a) })));
  }

  private constructor() {}
}

interface RawAcknowledgment {
  readonly recordedId: string;
  readonly findingId: string;
  readonly reason: string;
  readonly constructPath: string;
}

/** The acknowledgments recorded directly on `construct` (not on its ancestors). */
function acknowledgmentsOn(construct: IConstruct): RawAcknowledgment[] {
  return construct.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && typeof m.data === 'object' && m.data !== null)
    .flatMap((m) => Object.entries(m.data as Record<string, unknown>))
    .map(([recordedId, reason]) => ({
      recordedId,
      findingId: displayIdOfRecorded(recordedId),
      reason: typeof reason === 'string' ? reason : '',
      constructPath: construct.node.path,
    }));
}


function acknowledgmentProblem(construct: IConstruct, ack: RawAcknowledgment): string | undefined {
  const [namespace, rule] = splitNamespace(ack.recordedId);
  if (Stack.isStack(construct) && ack.findingId === CDK_LITERAL_AZ_ACKNOWLEDGMENT.findingId && ack.reason === CDK_LITERAL_AZ_ACKNOWLEDGMENT.reason) {
    return undefined;
  }
  if (Stage.isStage(construct) || Stack.isStack(construct)) {
    return `acknowledges '${ack.findingId}' for a whole ${Stack.isStack(construct) ? 'Stack' : 'App or Stage'}; `
      + 'acknowledge it on the construct that has the finding';
  }
  if (namespace === 'Annotation' && packOfNagRuleId(rule)) {
    return `acknowledges the cdk-nag finding '${rule}' without its pack namespace, so cdk-nag drops the finding before the `
      + 'validation report is written and no report can show it; use GatewayCompliance.acknowledge()';
  }
  if (namespace !== 'Annotation') {
    try {
      qualifyFindingId(ack.recordedId);
    } catch (e) {
      return `has an invalid finding id: ${(e as Error).message}`;
    }
  }
  const reason = reasonProblem(ack.reason);
  return reason ? `reason ${reason}` : undefined;
}

function splitNamespace(recordedId: string): [string, string] {
  const match = /^([A-Za-z0-9.-]+)::(.+)$/.exec(recordedId);
  return match ? [match[1], match[2]] : ['', recordedId];
}

function resolveExclusions(
  exclusions: readonly ControlTowerExclusion[], packs: readonly CompliancePack[], scope: IConstruct,
): ExclusionRegistration[] {
  if (exclusions.length > 0 && !packs.includes(CompliancePack.CONTROL_TOWER)) {
    throw new AiGatewayValidationError(
      `GatewayCompliance.addPacks: controlTowerExclusions needs the ${GUARD_PLUGIN_NAME} pack in packs; received packs [${packs.join(', ')}].`, scope);
  }
  const seen = new Set<string>();
  return exclusions.map((e, i) => {
    const control = GuardCatalog.load().byControlId(e.controlId ?? '');
    if (!control) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.addPacks: controlTowerExclusions[${i}].controlId must be a Control Tower control shipped with `
        + `@cdklabs/cdk-validator-cfnguard (such as CT.S3.PR.9); received '${e.controlId}'.`, scope);
    }
    if (seen.has(control.controlId)) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.addPacks: controlTowerExclusions[${i}].controlId '${e.controlId}' is listed twice.`, scope);
    }
    seen.add(control.controlId);
    const problem = reasonProblem(e.reason);
    if (problem) {
      throw new AiGatewayValidationError(
        `GatewayCompliance.addPacks: controlTowerExclusions[${i}].reason for ${control.controlId} ${problem}. Received: '${e.reason}'.`, scope);
    }
    return { controlId: control.controlId, fileName: control.fileName, ruleName: control.ruleName, reason: e.reason.trim() };
  });
}
