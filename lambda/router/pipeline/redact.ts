/**
 * Stage: redaction, for routes with a `redactionGuardrail`. Every system and message text of the
 * request goes through the guardrail (ApplyGuardrail, source INPUT) before any target sees it,
 * Bedrock and self-hosted alike, so neither the model nor Bedrock's invocation logs receive the
 * PII its sensitive-information policy anonymises (`{EMAIL}`, `{PHONE}`, …).
 *
 * - Nothing found: the request goes on unchanged.
 * - Masked: the masked texts replace the originals.
 * - Blocked (the policy blocks an entity rather than masking it): no model is called; the answer
 *   is the guardrail's message with `finish_reason: content_filter`.
 * - The guardrail cannot be reached: 503 `guardrail_unavailable` (fail closed, never sent
 *   unredacted).
 *
 * In local mode the applier is the local pattern redactor (`local/pattern-redactor.ts`).
 */
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { ServiceUnavailableError } from '../errors';
import { CallOptions } from '../providers/types';
import { DEFAULT_BLOCKED_INPUT, GuardrailApplier, GuardrailVerdict } from './guardrail-types';
import { guardrailUnavailable } from './input-guardrail';
import { ChatRequest } from './types';

export type RedactionResult =
  | {
    readonly kind: 'pass'; readonly chat: ChatRequest;
    /** Texts (system prompts, messages) that had something masked. */
    readonly maskedTexts: number;
    /** Matches masked across them (a text whose applier does not count them counts as one). */
    readonly maskedEntities: number;
  }
  | { readonly kind: 'blocked'; readonly text: string };

export class RedactionStage {
  constructor(private readonly config: ResolvedGatewayConfig, private readonly applier: GuardrailApplier | undefined) {}

  /** Whether requests for `alias` are redacted. */
  applies(alias: string): boolean {
    return this.config.routes.get(alias)?.redactionGuardrail !== undefined;
  }

  /**
   * The request with its texts redacted by the route's redaction guardrail (unchanged for a route
   * without one).
   *
   * @example
   * const redacted = await redaction.apply(plan.alias, chat, options);
   */
  async apply(alias: string, chat: ChatRequest, options: CallOptions): Promise<RedactionResult> {
    const id = this.config.routes.get(alias)?.redactionGuardrail;
    if (id === undefined) return { kind: 'pass', chat, maskedTexts: 0, maskedEntities: 0 };
    const guardrail = this.config.guardrails.get(id)!;
    if (!this.applier) {
      throw new ServiceUnavailableError('The redaction of this request could not be applied; retry later.', 'guardrail_unavailable', 1);
    }
    const applier = this.applier;
    const texts = [...chat.system, ...chat.messages.map((m) => m.content)];
    const unchanged: GuardrailVerdict = { action: 'NONE', blocked: false };
    let verdicts: GuardrailVerdict[];
    try {
      verdicts = await Promise.all(texts.map((text) => (text.trim() === '' ? unchanged : applier.apply(guardrail, 'INPUT', text, options))));
    } catch (error) {
      if (options.signal.aborted) throw error;
      throw guardrailUnavailable(error);
    }
    const blocked = verdicts.find((v) => v.action !== 'NONE' && (v.blocked || v.text === undefined));
    if (blocked) return { kind: 'blocked', text: blocked.text ?? DEFAULT_BLOCKED_INPUT };
    const out = verdicts.map((v, i) => (v.action === 'NONE' ? texts[i] : v.text!));
    const system = out.slice(0, chat.system.length);
    const messages = chat.messages.map((m, i) => ({ role: m.role, content: out[chat.system.length + i] }));
    const masked = verdicts.filter((v) => v.action !== 'NONE');
    return {
      kind: 'pass', chat: { ...chat, system, messages }, maskedTexts: masked.length,
      maskedEntities: masked.reduce((n, v) => n + Math.max(1, v.maskedEntities ?? 1), 0),
    };
  }
}
