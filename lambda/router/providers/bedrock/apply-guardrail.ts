/**
 * Applies a Bedrock guardrail to text with ApplyGuardrail, so routes that do not go through
 * Converse (self-hosted vLLM, any OpenAI-compatible target) get the same input and output
 * guardrails. Uses the same warm client pool as the Bedrock adapter.
 *
 * IAM: `bedrock:ApplyGuardrail` on the guardrail.
 */
import { ApplyGuardrailCommand, type ApplyGuardrailCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { UpstreamError } from '../../errors';
import { CallGuard } from '../call-guard';
import type { CallOptions, GuardrailAction } from '../types';
import { BedrockClientPool, type BedrockClientPoolOptions } from './client';
import { classifyBedrockError } from './errors';

/** A guardrail version, and where its Bedrock Runtime endpoint is. */
export interface GuardrailRef {
  /** Guardrail id or ARN. */
  readonly identifier: string;
  /** A published version number, or `DRAFT`. */
  readonly version: string;
  /** @default the pool's default Region */
  readonly region?: string;
  /** Endpoint override (VPC endpoint, or a loopback fake in tests). */
  readonly endpoint?: string;
}

/** Which side of the model call the text comes from. */
export type GuardrailSource = 'INPUT' | 'OUTPUT';

export interface GuardrailCheck {
  /** INTERVENED when the guardrail blocked or masked something. */
  readonly action: GuardrailAction;
  /**
   * When INTERVENED: the text to use instead — the guardrail's blocked message, or the text with
   * sensitive information masked. Undefined when the guardrail returned no output.
   */
  readonly text?: string;
  /**
   * True when the intervention blocks the text; false when it only masked sensitive information
   * (every policy action ANONYMIZED), in which case `text` is the masked text to pass on.
   */
  readonly blocked: boolean;
  /** The guardrail's reason, for logs. */
  readonly actionReason?: string;
  /**
   * How many sensitive-information matches the guardrail masked (assessment entries whose action
   * is ANONYMIZED: PII entities and regexes); absent when none was.
   */
  readonly maskedEntities?: number;
  /** Policy units consumed, per policy (Bedrock bills guardrails by text units). */
  readonly usage: Readonly<Record<string, number>>;
}

export interface BedrockGuardrailClientOptions extends BedrockClientPoolOptions {
  /** Share the Bedrock adapter's pool. @default a pool of its own */
  readonly pool?: BedrockClientPool;
}

/**
 * @example
 * const guardrails = new BedrockGuardrailClient({ pool: bedrock.pool });
 * const check = await guardrails.apply({ identifier: 'gr-123', version: '3' }, 'INPUT', prompt, options);
 * if (check.action === 'INTERVENED' && check.blocked) { ... answer with check.text ... }
 */
export class BedrockGuardrailClient {
  readonly pool: BedrockClientPool;

  constructor(options: BedrockGuardrailClientOptions = {}) {
    this.pool = options.pool ?? new BedrockClientPool(options);
  }

  async apply(guardrail: GuardrailRef, source: GuardrailSource, text: string, options: CallOptions): Promise<GuardrailCheck> {
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      const client = this.pool.client(guardrail, options.connectTimeoutMs);
      const output = await client.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier: guardrail.identifier,
          guardrailVersion: guardrail.version,
          source,
          content: [{ text: { text } }],
        }),
        { abortSignal: guard.signal },
      );
      return toGuardrailCheck(output);
    } catch (error) {
      throw guard.classify(error, classifyBedrockError);
    } finally {
      guard.release();
    }
  }
}

/** ApplyGuardrail answer → GuardrailCheck (pure). */
export function toGuardrailCheck(output: Pick<ApplyGuardrailCommandOutput, 'action' | 'actionReason' | 'outputs' | 'assessments' | 'usage'>): GuardrailCheck {
  if (output.action !== 'NONE' && output.action !== 'GUARDRAIL_INTERVENED') {
    throw new UpstreamError(`ApplyGuardrail answered with action ${String(output.action)}`, {
      disposition: 'fallback',
      code: 'malformedResponse',
    });
  }
  const texts = (output.outputs ?? []).map((o) => o.text ?? '').filter((t) => t !== '');
  const usage: Record<string, number> = {};
  for (const [k, v] of Object.entries(output.usage ?? {})) if (typeof v === 'number') usage[k] = v;
  const intervened = output.action === 'GUARDRAIL_INTERVENED';
  const masked = intervened ? countAnonymized(output.assessments, 0) : 0;
  return {
    action: intervened ? 'INTERVENED' : 'NONE',
    ...(texts.length > 0 ? { text: texts.join('\n') } : {}),
    blocked: intervened && isBlocking(output.assessments),
    ...(output.actionReason ? { actionReason: output.actionReason } : {}),
    ...(masked > 0 ? { maskedEntities: masked } : {}),
    usage,
  };
}

/**
 * Whether an intervention blocks the text, as opposed to only masking it. Fails closed: it counts
 * as blocked unless the assessments show an ANONYMIZED action and no BLOCKED one. Walks the
 * assessments generically, so policies added to the API later are covered too.
 */
function isBlocking(assessments: unknown): boolean {
  const actions = new Set<string>();
  collectActions(assessments, actions, 0);
  return actions.has('BLOCKED') || !actions.has('ANONYMIZED');
}

/** The assessment entries (at any depth) whose action is ANONYMIZED: one per masked match. */
function countAnonymized(value: unknown, depth: number): number {
  if (depth > 8 || value === null || typeof value !== 'object') return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countAnonymized(v, depth + 1), 0);
  let n = (value as { action?: unknown }).action === 'ANONYMIZED' ? 1 : 0;
  for (const v of Object.values(value)) n += countAnonymized(v, depth + 1);
  return n;
}

function collectActions(value: unknown, into: Set<string>, depth: number): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) collectActions(v, into, depth + 1);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'action' && typeof v === 'string') into.add(v);
    else collectActions(v, into, depth + 1);
  }
}
