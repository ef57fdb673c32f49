/**
 * The grounding check: is the answer supported by the retrieved passages, and relevant to the query?
 * Bedrock Guardrails' contextual grounding answers it (ApplyGuardrail with the passages qualified
 * `grounding_source`, the question `query`, the answer `guard_content`). It is exposed as a
 * validator — `(answer, passages, query) → {passed, score, reason}` — so the route's validation
 * policy can retry, escalate, reject or flag on it; without such a policy the gateway rejects.
 */
import { ApplyGuardrailCommand, type ApplyGuardrailCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { BadGatewayError } from '../errors';
import { CallGuard } from '../providers/call-guard';
import { BedrockClientPool } from '../providers/bedrock/client';
import { classifyBedrockError } from '../providers/bedrock/errors';
import type { CallOptions } from '../providers/types';
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
}

/** A validator of an answer against its passages and query. */
export type GroundingValidator = (answer: string, passages: readonly Passage[], query: string) => Promise<ValidationVerdict>;

/** The scores of an ApplyGuardrail answer's contextual grounding assessments (pure). */
export function groundingScores(output: Pick<ApplyGuardrailCommandOutput, 'assessments'>): GroundingScores {
  let grounding: number | undefined;
  let relevance: number | undefined;
  for (const a of output.assessments ?? []) {
    for (const f of a.contextualGroundingPolicy?.filters ?? []) {
      if (typeof f.score !== 'number') continue;
      if (f.type === 'GROUNDING') grounding = Math.min(grounding ?? 1, f.score);
      if (f.type === 'RELEVANCE') relevance = Math.min(relevance ?? 1, f.score);
    }
  }
  return { ...(grounding !== undefined ? { grounding } : {}), ...(relevance !== undefined ? { relevance } : {}) };
}

/**
 * Contextual grounding through ApplyGuardrail (IAM: `bedrock:ApplyGuardrail` on the guardrail).
 *
 * @example
 * const scores = await new BedrockGroundingScorer({ pool }).score(guardrail, { sources, query, answer }, options);
 */
export class BedrockGroundingScorer implements GroundingScorer {
  readonly pool: BedrockClientPool;

  constructor(options: { readonly pool?: BedrockClientPool } = {}) {
    this.pool = options.pool ?? new BedrockClientPool();
  }

  async score(guardrail: GroundingGuardrail, input: { readonly sources: string; readonly query: string; readonly answer: string }, options: CallOptions): Promise<GroundingScores> {
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      const output = await this.pool.client(guardrail, options.connectTimeoutMs).send(new ApplyGuardrailCommand({
        guardrailIdentifier: guardrail.identifier,
        guardrailVersion: guardrail.version,
        source: 'OUTPUT',
        outputScope: 'FULL',
        content: [
          { text: { text: input.sources, qualifiers: ['grounding_source'] } },
          { text: { text: input.query, qualifiers: ['query'] } },
          { text: { text: input.answer, qualifiers: ['guard_content'] } },
        ],
      }), { abortSignal: guard.signal });
      return groundingScores(output);
    } catch (error) {
      throw guard.classify(error, classifyBedrockError);
    } finally {
      guard.release();
    }
  }
}

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
    if (scores.grounding !== undefined && scores.grounding < thresholds.groundingThreshold) {
      reasons.push(`grounding score ${scores.grounding.toFixed(2)} is below ${thresholds.groundingThreshold}`);
    }
    if (scores.relevance !== undefined && scores.relevance < thresholds.relevanceThreshold) {
      reasons.push(`relevance score ${scores.relevance.toFixed(2)} is below ${thresholds.relevanceThreshold}`);
    }
    const score = Math.min(scores.grounding ?? 1, scores.relevance ?? 1);
    return reasons.length === 0 ? { passed: true, score } : { passed: false, score, reason: reasons.join('; ') };
  };
}

/** The error code of an answer that failed its route's grounding check. */
export const GROUNDING_FAILED = 'grounding_failed';

/**
 * What a failed grounding check becomes until the route's validation policy exists: a 502
 * `grounding_failed` (the model answered, but not from the passages).
 */
export function groundingFailed(verdict: ValidationVerdict): BadGatewayError {
  return new BadGatewayError(`The answer is not grounded in the retrieved passages: ${verdict.reason ?? 'the check failed'}.`, GROUNDING_FAILED);
}
