import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleResult } from 'cdk-nag';

/**
 * One of cdk-ai-gateway's own compliance rules, for a gap the cdk-nag packs and the Control Tower
 * rules leave. One rule per file in this folder, listed in `rules/index.ts`; `AiGatewayChecks`
 * applies every listed rule to every CloudFormation resource.
 *
 * A rule returns, exactly as a cdk-nag rule does:
 * - `NagRuleCompliance.NOT_APPLICABLE` for resources it does not judge;
 * - `NagRuleCompliance.COMPLIANT` or `NagRuleCompliance.NON_COMPLIANT`;
 * - or a list of findings (`['Resource::*', 'Action::bedrock:*']`), each reported and acknowledged
 *   on its own as `AiGateway-<id>[<finding>]`; an empty list means compliant.
 */
export interface GatewayRule {
  /** The rule id without the pack prefix; the finding id is `AiGateway-<id>`. PascalCase, letters and digits. */
  readonly id: string;
  /** What is wrong when the rule fires, in one sentence (the report's description). */
  readonly info: string;
  /** Why the rule exists and how to comply (shown with `verbose`). */
  readonly explanation: string;
  /** `ERROR` fails synthesis until fixed or acknowledged; `WARN` is reported the same way. */
  readonly level: NagMessageLevel;
  /** Judges one resource. Must not throw for resources it does not judge. */
  check(node: CfnResource): NagRuleResult;
}
