/**
 * Conversation normalisation shared by the adapters.
 *
 * Bedrock Converse requires the turns to alternate user/assistant and to start with a user turn,
 * and rejects blank text blocks; many chat templates served by vLLM (Llama, Mistral) enforce the
 * same alternation. Clients do send consecutive turns of one role (a follow-up before the answer,
 * tool output flattened into text), so the adapters normalise instead of failing:
 *
 * 1. blank turns (empty or whitespace only, without tool calls or tool results) are dropped when
 *    `dropBlank` is set;
 * 2. consecutive turns of the same role are merged, joined by a blank line (their tool calls and
 *    tool results kept in order);
 * 3. when the first remaining turn is the assistant's, a user turn `CONTINUATION_PROMPT` is put
 *    before it (when `userFirst` is set).
 */
import type { ChatTurn, ToolCall, ToolResult } from './types';

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
  const out: { role: ChatTurn['role']; content: string; toolCalls?: ToolCall[]; toolResults?: ToolResult[] }[] = [];
  for (const turn of messages) {
    const tooling = (t: ChatTurn): boolean => (t.toolCalls?.length ?? 0) + (t.toolResults?.length ?? 0) > 0;
    if (options.dropBlank && turn.content.trim() === '' && !tooling(turn)) continue;
    const last = out[out.length - 1];
    if (last && last.role === turn.role) {
      // A turn of tool traffic only has no text to join.
      if (!(turn.content === '' && tooling(turn))) {
        last.content = last.content === '' && tooling(last) ? turn.content : `${last.content}\n\n${turn.content}`;
      }
      if (turn.toolCalls?.length) last.toolCalls = [...(last.toolCalls ?? []), ...turn.toolCalls];
      if (turn.toolResults?.length) last.toolResults = [...(last.toolResults ?? []), ...turn.toolResults];
    } else {
      out.push({
        role: turn.role,
        content: turn.content,
        ...(turn.toolCalls?.length ? { toolCalls: [...turn.toolCalls] } : {}),
        ...(turn.toolResults?.length ? { toolResults: [...turn.toolResults] } : {}),
      });
    }
  }
  if (options.userFirst && out.length > 0 && out[0].role === 'assistant') {
    out.unshift({ role: 'user', content: CONTINUATION_PROMPT });
  }
  return out;
}
