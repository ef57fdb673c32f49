/**
 * Stage: input guardrail, for targets that do not apply the guardrail themselves. It checks the
 * latest user turn (earlier turns were checked when they were sent, and answers as they were
 * produced); system prompts come from the application and are not checked.
 *
 * - NONE: the request goes on unchanged.
 * - INTERVENED, masked only: the latest turn is replaced by the masked text and the request goes on.
 *   A latest turn that carries tool results is checked with them (tool output is input the model
 *   reads); masked text cannot be put back into the individual results, so a masking intervention
 *   on such a turn blocks the request (fail closed).
 * - INTERVENED, blocked: no model is called; the answer is the guardrail's message with
 *   `finish_reason: content_filter` (as Bedrock answers when Converse's guardrail blocks).
 *
 * A guardrail that cannot be reached fails closed: the request is refused (503), never sent
 * unchecked.
 */
import { ServiceUnavailableError, UpstreamError } from '../errors';
import { CallOptions, ProviderRequest } from '../providers/types';
import { DEFAULT_BLOCKED_INPUT, GuardrailApplier } from './guardrail-types';
import { ChosenGuardrail } from './types';

export type InputGuardrailResult =
  | { readonly kind: 'pass'; readonly request: ProviderRequest; readonly intervened: boolean }
  | { readonly kind: 'blocked'; readonly text: string };

/** The 503 for a guardrail that could not be applied. */
export function guardrailUnavailable(cause: unknown): ServiceUnavailableError {
  const retryAfter = cause instanceof UpstreamError && cause.retryAfterMs !== undefined ? cause.retryAfterMs / 1000 : 1;
  return new ServiceUnavailableError('The guardrail of this request could not be applied; retry later.', 'guardrail_unavailable', retryAfter);
}

/**
 * @example
 * const result = await applyInputGuardrail(guardrails, plan.guardrail, providerRequest, callOptions);
 * if (result.kind === 'blocked') { ... answer with result.text ... }
 */
export async function applyInputGuardrail(
  applier: GuardrailApplier, guardrail: ChosenGuardrail, request: ProviderRequest, options: CallOptions,
): Promise<InputGuardrailResult> {
  const last = request.messages[request.messages.length - 1];
  const results = last.toolResults ?? [];
  const text = [...results.map((r) => r.content), last.content].filter((t) => t.trim() !== '').join('\n\n');
  let verdict;
  try {
    verdict = await applier.apply(guardrail, 'INPUT', text, options);
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw guardrailUnavailable(error);
  }
  if (verdict.action === 'NONE') return { kind: 'pass', request, intervened: false };
  // A masking intervention on tool results blocks: masked text cannot be put back into the results.
  if (verdict.blocked || verdict.text === undefined || results.length > 0) {
    return { kind: 'blocked', text: verdict.blocked && verdict.text !== undefined ? verdict.text : DEFAULT_BLOCKED_INPUT };
  }
  // The masked text replaces the turn's text; its images stay.
  const images = (last.parts ?? []).filter((p) => p.type !== 'text');
  const masked = images.length > 0
    ? { role: 'user' as const, content: verdict.text, parts: [{ type: 'text' as const, text: verdict.text }, ...images] }
    : { role: 'user' as const, content: verdict.text };
  const messages = [...request.messages.slice(0, -1), masked];
  return { kind: 'pass', request: { ...request, messages }, intervened: true };
}
