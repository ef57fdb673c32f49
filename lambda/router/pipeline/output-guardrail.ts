/**
 * Stage: output guardrail, for targets that do not apply the guardrail themselves. Checks the
 * whole answer; a blocked answer is replaced by the guardrail's message with
 * `finish_reason: content_filter`, a masked one by the masked text — without its token log
 * probabilities, which would spell out what was masked. Fails closed (503) when the guardrail
 * cannot be reached, so an unchecked answer is never returned.
 */
import { CallOptions, Completion } from '../providers/types';
import { DEFAULT_BLOCKED_OUTPUT, GuardrailApplier } from './guardrail-types';
import { guardrailUnavailable } from './input-guardrail';
import { ChosenGuardrail } from './types';

/**
 * @example
 * const checked = await applyOutputGuardrail(guardrails, plan.guardrail, completion, callOptions);
 */
export async function applyOutputGuardrail(
  applier: GuardrailApplier, guardrail: ChosenGuardrail, completion: Completion, options: CallOptions,
): Promise<Completion> {
  if (completion.text.length === 0) return { ...completion, guardrailAction: 'NONE' };
  let verdict;
  try {
    verdict = await applier.apply(guardrail, 'OUTPUT', completion.text, options);
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw guardrailUnavailable(error);
  }
  if (verdict.action === 'NONE') return { ...completion, guardrailAction: 'NONE' };
  const { logprobs: _masked, ...rest } = completion;
  if (verdict.blocked || verdict.text === undefined) {
    return { ...rest, text: verdict.text ?? DEFAULT_BLOCKED_OUTPUT, finishReason: 'content_filter', guardrailAction: 'INTERVENED' };
  }
  return { ...rest, text: verdict.text, guardrailAction: 'INTERVENED' };
}
