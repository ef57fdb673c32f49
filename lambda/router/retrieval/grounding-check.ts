/**
 * The grounding check without the AWS SDK: the validator over a scorer, its verdict and error. The
 * gateway imports this statically; the ApplyGuardrail scorer (grounding.ts) is loaded on demand so
 * the Bedrock Runtime client stays out of the router's main chunk.
 */
import { BadGatewayError } from '../errors';
import type { CallOptions } from '../providers/types';
import { ValidatorName, Violation } from '../validation/types';
import type { Passage } from './types';

/** The guardrail's scores for one answer. */
export interface GroundingScores {
  /** 0–1: how well the passages support the answer (absent: the guardrail has no grounding filter). */
  readonly grounding?: number;
  /** 0–1: how relevant the answer is to the query (absent: no relevance filter). */
  readonly relevance?: number;
}

/** A guardrail version with a contextual grounding policy. */
export interface GroundingGuardrail {
  readonly identifier: string;
  readonly version: string;
  readonly region?: string;
  readonly endpoint?: string;
}

/** Scores an answer against its passages and query. */
export interface GroundingScorer {
  score(guardrail: GroundingGuardrail, input: { readonly sources: string; readonly query: string; readonly answer: string }, options: CallOptions): Promise<GroundingScores>;
}

/** A validator's verdict. */
export interface ValidationVerdict {
  readonly passed: boolean;
  /** The lower of the grounding and relevance scores, 0–1. */
  readonly score: number;
  readonly reason?: string;
  /** The thresholds the answer missed, in the configuration's words (`groundingThreshold 0.7`). */
  readonly rule?: string;
}

/** A validator of an answer against its passages and query. */
export type GroundingValidator = (answer: string, passages: readonly Passage[], query: string) => Promise<ValidationVerdict>;

/**
 * A grounding validator over a scorer, with the route's thresholds. Fails closed: a guardrail that
 * reports neither score fails the check.
 *
 * @example
 * const validate = groundingValidator(scorer, guardrail, { groundingThreshold: 0.7, relevanceThreshold: 0.5 }, options);
 * const { passed, score, reason } = await validate(answer, passages, query);
 */
export function groundingValidator(
  scorer: GroundingScorer, guardrail: GroundingGuardrail,
  thresholds: { readonly groundingThreshold: number; readonly relevanceThreshold: number }, options: CallOptions,
): GroundingValidator {
  return async (answer, passages, query) => {
    const sources = passages.map((p) => p.text).join('\n\n');
    const scores = await scorer.score(guardrail, { sources, query, answer }, options);
    if (scores.grounding === undefined && scores.relevance === undefined) {
      return { passed: false, score: 0, reason: 'the guardrail has no contextual grounding policy' };
    }
    const reasons: string[] = [];
    const rules: string[] = [];
    if (scores.grounding !== undefined && scores.grounding < thresholds.groundingThreshold) {
      reasons.push(`grounding score ${scores.grounding.toFixed(2)} is below ${thresholds.groundingThreshold}`);
      rules.push(`groundingThreshold ${thresholds.groundingThreshold}`);
    }
    if (scores.relevance !== undefined && scores.relevance < thresholds.relevanceThreshold) {
      reasons.push(`relevance score ${scores.relevance.toFixed(2)} is below ${thresholds.relevanceThreshold}`);
      rules.push(`relevanceThreshold ${thresholds.relevanceThreshold}`);
    }
    const score = Math.min(scores.grounding ?? 1, scores.relevance ?? 1);
    return reasons.length === 0 ? { passed: true, score } : { passed: false, score, reason: reasons.join('; '), rule: rules.join(', ') };
  };
}

/** The error code of an answer that failed its route's grounding check. */
export const GROUNDING_FAILED = 'grounding_failed';

/**
 * What a failed grounding check becomes on a route without a validation block: a 502
 * `grounding_failed` (the model answered, but not from the passages).
 */
export function groundingFailed(verdict: ValidationVerdict): BadGatewayError {
  return new BadGatewayError(`The answer is not grounded in the retrieved passages: ${verdict.reason ?? 'the check failed'}.`, GROUNDING_FAILED);
}

/**
 * A failed grounding check as a validation failure, for a route with a validation block: the
 * validator `grounding`, the thresholds missed as the rule and the scores as the detail (numbers
 * only, never the answer or the passages), so the block's policy (retry, escalate, reject, flag)
 * applies to it like to any other check.
 *
 * @example
 * groundingViolation({ passed: false, score: 0.42, reason: 'grounding score 0.42 is below 0.7', rule: 'groundingThreshold 0.7' })
 * // { validator: 'grounding', rule: 'groundingThreshold 0.7', detail: 'grounding score 0.42 is below 0.7' }
 */
export function groundingViolation(verdict: ValidationVerdict): Violation {
  return {
    validator: ValidatorName.GROUNDING,
    rule: verdict.rule ?? 'contextual grounding policy',
    detail: `the answer is not grounded in the retrieved passages: ${verdict.reason ?? 'the check failed'}`,
  };
}
