/**
 * The grounding check: is the answer supported by the retrieved passages, and relevant to the query?
 * Bedrock Guardrails' contextual grounding answers it (ApplyGuardrail with the passages qualified
 * `grounding_source`, the question `query`, the answer `guard_content`). It is exposed as a
 * validator — `(answer, passages, query) → {passed, score, reason}` — so the route's validation
 * policy can retry, escalate, reject or flag on it; without such a policy the gateway rejects.
 */
import { ApplyGuardrailCommand, type ApplyGuardrailCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { CallGuard } from '../providers/call-guard';
import { BedrockClientPool } from '../providers/bedrock/client';
import { classifyBedrockError } from '../providers/bedrock/errors';
import type { CallOptions } from '../providers/types';
import type { GroundingGuardrail, GroundingScorer, GroundingScores } from './grounding-check';

export * from './grounding-check';


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

