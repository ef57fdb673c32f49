/**
 * Stage glue: response validation of one request's answer, between the gateway and the policy of
 * validate.ts. Asks for repairs and the escalation through the gateway's own serving path, records
 * every answer that failed on the trace (attempts, waste, outcome), and sends flagged and rejected
 * answers to the review queue.
 */
import { ProviderRequest } from '../providers/types';
import { reviewSubmission, ReviewSink } from '../validation/review';
import { ValidationOutcome, Violation } from '../validation/types';
import { Answer, repairRequest, ResponseValidation, runValidationPolicy, ValidationPlan, ValidationResult } from './validate';
import { RoutePlan } from './types';
import { RequestTrace } from './usage';

export interface AnswerValidationInput {
  readonly validation: ResponseValidation;
  readonly plan: ValidationPlan;
  readonly trace: RequestTrace;
  readonly first: Answer;
  /** The request as first sent (repairs extend it). */
  readonly request: ProviderRequest;
  /** The route the first answer came from. */
  readonly routePlan: RoutePlan;
  /** Serves a request on a plan's fallback chain, without streaming, as the first answer was served. */
  readonly ask?: (plan: RoutePlan, request: ProviderRequest) => Promise<Answer>;
  /** The escalation route and its request, when the policy has one the request may use. */
  readonly escalation?: { readonly plan: RoutePlan; readonly request: ProviderRequest };
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
 * const result = await validateAnswer({ validation, plan, trace, first, request, routePlan, ask, signal, reviews, now });
 */
export async function validateAnswer(input: AnswerValidationInput): Promise<ValidationResult> {
  const { plan, trace, ask, escalation } = input;
  const log = input.log ?? stderrLine;
  const chainless = ask === undefined;
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
    repair: (failed, v) => ask!(input.routePlan, repairRequest(input.request, failed.completion.text, v)),
    ...(escalation && !chainless ? { escalate: () => ask!(escalation.plan, escalation.request) } : {}),
    onReplaced: (failed, v) => trace.markFailedAnswer(failed.candidate, failed.completion.usage, v.validator, true),
  });
  trace.validation = {
    outcome: result.outcome,
    policy: plan.policy,
    answers: result.answers,
    ...(result.violation ? { violation: result.violation } : {}),
    ...(result.outcome === ValidationOutcome.ESCALATED ? { escalatedTo: result.answer.alias } : {}),
  };
  if (result.violation && (result.outcome === ValidationOutcome.FLAGGED || result.outcome === ValidationOutcome.REJECTED)) {
    trace.markFailedAnswer(result.answer.candidate, result.answer.completion.usage, result.violation.validator, false);
    await submitReview(input, result, result.violation, log);
  }
  return result;
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
