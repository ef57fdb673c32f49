import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { GatewayRule } from './gateway-rule';
import { actionMatches, identityPolicyStatements, StatementView } from './iam-statements';

/**
 * The IAM actions that invoke a Bedrock model (Converse and ConverseStream are authorised by the
 * first two), per the Service Authorization Reference for Amazon Bedrock.
 */
export const BEDROCK_MODEL_ACTIONS: readonly string[] = [
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:InvokeModelWithBidirectionalStream',
  'bedrock:CreateModelInvocationJob',
];

/**
 * `AiGateway-BedrockModelAccessScoped`: identity policies that allow Bedrock model invocation do
 * so with named actions on named models and inference profiles.
 *
 * cdk-nag's `AwsSolutions-IAM5` flags every wildcard, and is routinely acknowledged for unrelated
 * wildcards (X-Ray, log streams) on the same role; this rule keeps model access out of such
 * acknowledgments. It reports, for each `Allow` statement that grants a model action:
 * - `Action::<pattern>` for a wildcard action that covers a model action (`bedrock:*`,
 *   `bedrock:Invoke*`, `*`);
 * - `NotAction::<list>` for `NotAction`, which grants every action it does not list;
 * - `Resource::<arn>` for a resource that names no model: `*`, or a Bedrock ARN whose resource id
 *   is only a wildcard (`arn:aws:bedrock:*::foundation-model/*`, `.../application-inference-profile/*`);
 * - `NotResource::<list>` for `NotResource`.
 * A Region or account wildcard with a named model (`arn:aws:bedrock:*::foundation-model/<id>`, as
 * cross-Region inference profiles need) is scoped, and so is any value only known at deploy time.
 */
export const bedrockModelAccessScoped: GatewayRule = {
  id: 'BedrockModelAccessScoped',
  info: 'The IAM policy allows Bedrock model invocation with a wildcard action or on resources that name no model or inference profile.',
  explanation: 'cdk-ai-gateway grants model access per route: each route may invoke only its own application inference profiles '
    + 'and the foundation models they route to. A wildcard action also grants model management and every future action; an '
    + 'unscoped resource lets one misconfigured or compromised principal invoke any model and any tenant\'s profile, which '
    + 'breaks per-tenant cost attribution and data-sensitivity routing. Grant bedrock:InvokeModel and '
    + 'bedrock:InvokeModelWithResponseStream (ConverseStream needs it) on the profile and foundation-model ARNs.',
  level: NagMessageLevel.ERROR,
  check(node: CfnResource): NagRuleResult {
    const statements = identityPolicyStatements(node);
    if (!statements) return NagRuleCompliance.NOT_APPLICABLE;
    const findings = new Set<string>();
    let grantsModelAccess = false;
    for (const statement of statements) {
      if (statement.effect !== 'Allow' || grantedModelActions(statement).length === 0) continue;
      grantsModelAccess = true;
      for (const action of statement.actions) {
        if (/[*?]/.test(action) && BEDROCK_MODEL_ACTIONS.some((m) => actionMatches(action, m))) {
          findings.add(`Action::${action}`);
        }
      }
      if (statement.notActions.length > 0) findings.add(`NotAction::${statement.notActions.join(',')}`);
      for (const resource of statement.resources) {
        if (isUnscopedModelResource(resource)) findings.add(`Resource::${resource}`);
      }
      if (statement.notResources.length > 0) findings.add(`NotResource::${statement.notResources.join(',')}`);
    }
    return grantsModelAccess ? [...findings] : NagRuleCompliance.NOT_APPLICABLE;
  },
};

/** The model actions an `Allow` statement grants, through `Action` or `NotAction`. */
function grantedModelActions(statement: StatementView): string[] {
  if (statement.notActions.length > 0) {
    return BEDROCK_MODEL_ACTIONS.filter((m) => !statement.notActions.some((a) => actionMatches(a, m)));
  }
  return BEDROCK_MODEL_ACTIONS.filter((m) => statement.actions.some((a) => actionMatches(a, m)));
}

const ONLY_WILDCARDS = /^[*?]+$/;

/** `*`, or a Bedrock ARN whose resource id is only a wildcard. Non-Bedrock ARNs and tokens are not. */
function isUnscopedModelResource(resource: string): boolean {
  // Tokens render as `<AWS::Region>`; their colons must not split the ARN.
  const value = resource.trim().replace(/<[^>]*>/g, '<token>');
  if (ONLY_WILDCARDS.test(value)) return true;
  if (!value.startsWith('arn:')) return false;
  const parts = value.split(':');
  if (!actionMatches(parts[2] ?? '', 'bedrock')) return false;
  if (parts.length < 6) return value.endsWith('*');
  const resourcePart = parts.slice(5).join(':');
  const slash = resourcePart.indexOf('/');
  const resourceId = slash === -1 ? resourcePart : resourcePart.slice(slash + 1);
  return ONLY_WILDCARDS.test(resourcePart) || ONLY_WILDCARDS.test(resourceId) || resourceId === '';
}
