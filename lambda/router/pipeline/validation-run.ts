/**
 * Stage glue: response validation of one request's answer, between the gateway and the policy of
 * validate.ts. Asks for repairs and the escalation through the gateway's own serving path, records
 * every answer that failed on the trace (attempts, waste, outcome), and sends flagged and rejected
 * answers to the review queue.
 */
import { GatewayError } from '../errors';
import { ProviderRequest } from '../providers/types';
import { reviewSubmission, ReviewSink } from '../validation/review';
import { ValidationOutcome, Violation } from '../validation/types';
import { Answer, repairRequest, ResponseValidation, runValidationPolicy, ValidationPlan, ValidationResult } from './validate';
import { EscalationUnavailable } from './escalation';
import { ChainFailed } from './fallback';
import { RequestTrace } from './usage';

export interface AnswerValidationInput {
  readonly validation: ResponseValidation;
  readonly plan: ValidationPlan;
  readonly trace: RequestTrace;
  readonly first: Answer;
  /** The request as first sent (repairs extend it). */
  readonly request: ProviderRequest;
  /** Serves a repair request on the first answer's route, without streaming, as the first answer was served. */
  readonly ask?: (request: ProviderRequest) => Promise<Answer>;
  /**
   * The policy's escalation: `ask` serves it (built for its own route: its redaction, guardrail and
   * output limit), or `unavailable` says why it cannot be used (`route_suspended`,
   * `model_not_found`, …), recorded as `escalationSkipped` when the policy reaches that step.
   */
  readonly escalation?: { readonly ask?: () => Promise<Answer>; readonly unavailable?: string };
  readonly signal: AbortSignal;
  readonly reviews?: ReviewSink;
  readonly now: () => number;
  /** Writes one structured log line (never content). @default a JSON line on stderr */
  readonly log?: (line: Record<string, unknown>) => void;
  /**
   * The request's own validators beyond the block's checks (the route's grounding check), run in
   * order on every answer after the block's checks pass; the first failure counts like any other.
   * @default none
   */
  readonly validators?: readonly AnswerValidator[];
}

/** A validator of one request's answers, registered by the stage that knows its inputs (retrieval: grounding). */
export type AnswerValidator = (answer: Answer) => Promise<Violation | undefined>;

async function firstViolation(answer: Answer, validators: readonly AnswerValidator[]): Promise<Violation | undefined> {
  for (const validate of validators) {
    const violation = await validate(answer);
    if (violation) return violation;
  }
  return undefined;
}

const stderrLine = (line: Record<string, unknown>): void => {
  process.stderr.write(`${JSON.stringify(line)}\n`);
};

/**
 * Validates the first answer and runs the policy; a streamed answer (no `ask`) gets no repairs and
 * no escalation. Flagged and rejected answers are submitted for review before this resolves.
 *
 * @example
 * const result = await validateAnswer({ validation, plan, trace, first, request, ask, escalation, signal, reviews, now });
 */
export async function validateAnswer(input: AnswerValidationInput): Promise<ValidationResult> {
  const { plan, trace, ask, escalation } = input;
  const log = input.log ?? stderrLine;
  const chainless = ask === undefined;
  let skipped = escalation?.ask === undefined ? escalation?.unavailable : undefined;
  const escalate = escalation?.ask;
  const result = await runValidationPolicy({
    plan: chainless ? { ...plan, block: { ...plan.block, retries: 0 } } : plan,
    first: input.first,
    check: async (answer, attempt) => (await input.validation.check(plan, answer.completion, {
      requestId: trace.requestId,
      tenantId: trace.tenant?.tenantId ?? '',
      route: answer.alias,
      ...(trace.hints.workflow !== undefined ? { workflow: trace.hints.workflow } : {}),
      ...(trace.prompt !== undefined ? { prompt: { id: trace.prompt.id, version: trace.prompt.version } } : {}),
      sensitivity: trace.sensitivity ?? 'internal',
      attempt,
      ...(plan.format !== undefined ? { responseFormat: plan.format } : {}),
    }, input.signal, (error) => log({
      level: 'WARN', message: 'validator function failed open', 'gateway.request.id': trace.requestId, 'gateway.route': answer.alias, 'error.message': error.message,
    }))) ?? firstViolation(answer, input.validators ?? []),
    repair: (failed, v) => ask!(repairRequest(input.request, failed.completion.text, v)),
    ...(escalate && !chainless ? {
      escalate: async () => {
        try {
          return await escalate();
        } catch (error) {
          skipped = escalationFailureCode(error);
          throw error;
        }
      },
    } : {}),
    onReplaced: (failed, v) => trace.markFailedAnswer(failed.candidate, failed.completion.usage, v.validator, true),
  });
  trace.validation = {
    outcome: result.outcome,
    policy: plan.policy,
    answers: result.answers,
    ...(result.violation ? { violation: result.violation } : {}),
    ...(result.outcome === ValidationOutcome.ESCALATED ? { escalatedTo: result.answer.alias } : {}),
    // The chain reached its escalation step and could not use it (a streamed answer has no such step).
    ...(skipped !== undefined && !chainless && isFinal(result.outcome) ? { escalationSkipped: skipped } : {}),
  };
  if (result.violation && isFinal(result.outcome)) {
    trace.markFailedAnswer(result.answer.candidate, result.answer.completion.usage, result.violation.validator, false);
    await submitReview(input, result, result.violation, log);
  }
  return result;
}

function isFinal(outcome: ValidationOutcome): boolean {
  return outcome === ValidationOutcome.FLAGGED || outcome === ValidationOutcome.REJECTED;
}

/** Why an escalation that was asked produced no answer, as an error code (never content). */
function escalationFailureCode(error: unknown): string {
  if (error instanceof EscalationUnavailable) return error.code;
  if (error instanceof ChainFailed) return error.error.code;
  if (error instanceof GatewayError) return error.code;
  return 'escalation_failed';
}

async function submitReview(input: AnswerValidationInput, result: ValidationResult, violation: Violation, log: (line: Record<string, unknown>) => void): Promise<void> {
  const { trace, reviews } = input;
  if (!reviews || input.plan.block.review === false) return;
  try {
    await reviews.submit(reviewSubmission({
      requestId: trace.requestId,
      createdAt: new Date(input.now()).toISOString(),
      tenantId: trace.tenant?.tenantId ?? '',
      ...(trace.hints.workflow !== undefined ? { workflow: trace.hints.workflow } : {}),
      route: result.answer.alias,
      ...(trace.prompt !== undefined ? { promptId: trace.prompt.id, promptVersion: String(trace.prompt.version) } : {}),
      sensitivity: trace.sensitivity ?? 'internal',
      action: result.outcome,
      validator: violation.validator,
      rule: violation.rule,
    }, result.answer.completion.text, violation.detail));
  } catch (error) {
    // The answer (or the 422) still goes out; the operator sees the lost review in the log.
    log({
      level: 'ERROR', message: 'review submission failed', 'gateway.request.id': trace.requestId,
      'error.type': error instanceof Error ? error.name : 'error',
    });
  }
}
