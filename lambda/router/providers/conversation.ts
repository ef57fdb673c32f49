/**
 * Conversation normalisation shared by the adapters.
 *
 * Bedrock Converse requires the turns to alternate user/assistant and to start with a user turn,
 * and rejects blank text blocks; many chat templates served by vLLM (Llama, Mistral) enforce the
 * same alternation. Clients do send consecutive turns of one role (a follow-up before the answer,
 * tool output flattened into text), so the adapters normalise instead of failing:
 *
 * 1. blank turns (empty or whitespace only) are dropped when `dropBlank` is set;
 * 2. consecutive turns of the same role are merged, joined by a blank line;
 * 3. when the first remaining turn is the assistant's, a user turn `CONTINUATION_PROMPT` is put
 *    before it (when `userFirst` is set).
 */
import type { ChatTurn } from './types';

/** The user turn put before a conversation that starts with the assistant. */
export const CONTINUATION_PROMPT = 'Continue the conversation.';

export interface NormaliseOptions {
  /** Drop empty and whitespace-only turns. */
  readonly dropBlank: boolean;
  /** Make the first turn a user turn. */
  readonly userFirst: boolean;
}

/**
 * @example
 * normaliseTurns([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], { dropBlank: true, userFirst: true })
 * // [{ role: 'user', content: 'a\n\nb' }]
 */
export function normaliseTurns(messages: readonly ChatTurn[], options: NormaliseOptions): ChatTurn[] {
  const out: { role: ChatTurn['role']; content: string }[] = [];
  for (const turn of messages) {
    if (options.dropBlank && turn.content.trim() === '') continue;
    const last = out[out.length - 1];
    if (last && last.role === turn.role) {
      last.content = `${last.content}\n\n${turn.content}`;
    } else {
      out.push({ role: turn.role, content: turn.content });
    }
  }
  if (options.userFirst && out.length > 0 && out[0].role === 'assistant') {
    out.unshift({ role: 'user', content: CONTINUATION_PROMPT });
  }
  return out;
}
