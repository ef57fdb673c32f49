/**
 * The gateway-side guardrail check, used for targets whose provider does not apply the guardrail
 * itself (OpenAI-compatible targets; Bedrock targets get it in Converse's `guardrailConfig`).
 * `BedrockGuardrailClient` (providers/bedrock/apply-guardrail.ts, ApplyGuardrail) implements it.
 */
import { CallOptions, GuardrailAction } from '../providers/types';

export interface GuardrailVerdict {
  readonly action: GuardrailAction;
  /** When intervened: the guardrail's blocked message, or the masked text. */
  readonly text?: string;
  /** True when the intervention blocks; false when it only masked sensitive information. */
  readonly blocked: boolean;
  /**
   * How many sensitive-information matches were masked, when the applier counts them (ApplyGuardrail's
   * ANONYMIZED assessments, the local pattern redactor's matches).
   * @default - not counted: a masked text counts as one
   */
  readonly maskedEntities?: number;
}

export interface GuardrailApplier {
  apply(
    guardrail: { readonly identifier: string; readonly version: string; readonly region?: string; readonly endpoint?: string },
    source: 'INPUT' | 'OUTPUT',
    text: string,
    options: CallOptions,
  ): Promise<GuardrailVerdict>;
}

/** What the answer says when a guardrail blocked without a message of its own. */
export const DEFAULT_BLOCKED_INPUT = 'This request was blocked by a guardrail.';
export const DEFAULT_BLOCKED_OUTPUT = 'This answer was blocked by a guardrail.';
