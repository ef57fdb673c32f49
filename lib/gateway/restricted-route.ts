/**
 * The restricted route's synth-time checks of an `AiGateway`: no restricted Bedrock route while the
 * account's model invocation logging delivers text (unless acknowledged with a reason), and a
 * redacting route needs the gateway guardrail.
 */
import { Construct } from 'constructs';
import { TargetKind } from '../../lambda/shared/config';
import { ModelInvocationLogging } from '../bedrock/invocation-logging/model-invocation-logging';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';

/** The part of `AiGatewayProps` these checks read. */
export interface RestrictedRouteProps {
  readonly routes: readonly { readonly alias: string; readonly model?: unknown; readonly targets?: string[]; readonly fallbackAliases?: string[]; readonly restrictedAllowed?: boolean; readonly redact?: boolean }[];
  readonly additionalTargets?: readonly { readonly id: string; readonly kind: TargetKind }[];
  readonly invocationLogging?: ModelInvocationLogging;
  readonly restrictedTextLoggingReason?: string;
}

/** The aliases of restricted routes that reach a Bedrock model (their own, a fallback's, or an additional Bedrock target). */
export function restrictedBedrockRoutes(props: RestrictedRouteProps): string[] {
  const bedrockTargets = new Set((props.additionalTargets ?? []).filter((t) => t.kind === TargetKind.BEDROCK).map((t) => t.id));
  return props.routes
    .filter((r) => r.restrictedAllowed && (r.model !== undefined || (r.fallbackAliases ?? []).length > 0 || (r.targets ?? []).some((t) => bedrockTargets.has(t))))
    .map((r) => r.alias);
}

/**
 * Throws when a restricted route reaches Bedrock while `invocationLogging` delivers text, unless
 * `restrictedTextLoggingReason` acknowledges it with a reason a reviewer accepts.
 */
export function checkRestrictedRoutes(scope: Construct, props: RestrictedRouteProps, hasGuardrail: boolean): void {
  const reason = props.restrictedTextLoggingReason;
  if (reason !== undefined) {
    const problem = GatewayCompliance.checkReason(reason);
    if (problem !== undefined) throw new AiGatewayValidationError(`restrictedTextLoggingReason ${problem}. Received: '${reason}'.`, scope);
  }
  const restricted = restrictedBedrockRoutes(props);
  if (props.invocationLogging?.textDataDelivered && restricted.length > 0 && reason === undefined) {
    throw new AiGatewayValidationError(
      `routes ${restricted.join(', ')} are restrictedAllowed and reach Bedrock, but invocationLogging delivers text (textDataDelivery is true): `
      + 'every restricted prompt and answer would be written to the account-wide invocation logs. Set textDataDelivery: false on the '
      + 'ModelInvocationLogging, or acknowledge it with restrictedTextLoggingReason (why those logs may hold restricted data).', scope);
  }
  const redacting = props.routes.filter((r) => r.redact).map((r) => r.alias);
  if (redacting.length > 0 && !hasGuardrail) {
    throw new AiGatewayValidationError(`routes ${redacting.join(', ')} have redact: true, which needs the gateway guardrail (guardrailEnabled is false).`, scope);
  }
}
