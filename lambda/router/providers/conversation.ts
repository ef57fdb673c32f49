/**
 * Conversation normalisation shared by the adapters.
 *
 * Bedrock Converse requires the turns to alternate user/assistant and to start with a user turn,
 * and rejects blank text blocks; many chat templates served by vLLM (Llama, Mistral) enforce the
 * same alternation. Clients do send consecutive turns of one role (a follow-up before the answer,
 * tool output flattened into text), so the adapters normalise instead of failing:
 *
 * 1. blank turns (empty or whitespace only, without images, tool calls or tool results) are
 *    dropped when `dropBlank` is set;
 * 2. consecutive turns of the same role are merged, joined by a blank line (their parts, when
 *    either has images, concatenated in order, and their tool calls and tool results kept in
 *    order: `mergeTurns`);
 * 3. when the first remaining turn is the assistant's, a user turn `CONTINUATION_PROMPT` is put
 *    before it (when `userFirst` is set).
 */
import type { ChatTurn, ContentPart } from './types';

/** The user turn put before a conversation that starts with the assistant. */
export const CONTINUATION_PROMPT = 'Continue the conversation.';

export interface NormaliseOptions {
  /** Drop empty and whitespace-only turns. */
  readonly dropBlank: boolean;
  /** Make the first turn a user turn. */
  readonly userFirst: boolean;
}

/** The parts of a turn: its own, or its text as one part. */
export function partsOf(turn: ChatTurn): readonly ContentPart[] {
  return turn.parts ?? [{ type: 'text', text: turn.content }];
}

/** Whether a turn carries tool traffic (tool calls or tool results). */
function hasToolTraffic(turn: ChatTurn): boolean {
  return (turn.toolCalls?.length ?? 0) + (turn.toolResults?.length ?? 0) > 0;
}

/**
 * Two consecutive turns of one role as one: texts joined by a blank line (a turn of tool traffic
 * only has no text to join), parts (when either turn has images) concatenated, tool calls and tool
 * results kept in order.
 *
 * @example mergeTurns({ role: 'user', content: 'a' }, { role: 'user', content: 'b' }) // { role: 'user', content: 'a\n\nb' }
 */
export function mergeTurns(a: ChatTurn, b: ChatTurn): ChatTurn {
  const content = b.content === '' && hasToolTraffic(b) ? a.content
    : a.content === '' && hasToolTraffic(a) ? b.content
      : `${a.content}\n\n${b.content}`;
  const toolCalls = [...(a.toolCalls ?? []), ...(b.toolCalls ?? [])];
  const toolResults = [...(a.toolResults ?? []), ...(b.toolResults ?? [])];
  return {
    role: a.role,
    content,
    ...(a.parts !== undefined || b.parts !== undefined ? { parts: [...partsOf(a), ...partsOf(b)] } : {}),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(toolResults.length > 0 ? { toolResults } : {}),
  };
}

/**
 * Appends `turn` to `turns`, merged into the last turn when it has the same role.
 *
 * @example const turns: ChatTurn[] = []; for (const t of input) appendTurn(turns, t);
 */
export function appendTurn(turns: ChatTurn[], turn: ChatTurn): void {
  const last = turns[turns.length - 1];
  if (last && last.role === turn.role) {
    turns[turns.length - 1] = mergeTurns(last, turn);
    return;
  }
  turns.push({
    role: turn.role,
    content: turn.content,
    ...(turn.parts ? { parts: turn.parts } : {}),
    ...(turn.toolCalls?.length ? { toolCalls: turn.toolCalls } : {}),
    ...(turn.toolResults?.length ? { toolResults: turn.toolResults } : {}),
  });
}

/** Whether a turn has nothing to send: blank text, no images and no tool traffic. */
export function isBlankTurn(turn: ChatTurn): boolean {
  return turn.content.trim() === '' && !(turn.parts ?? []).some((p) => p.type !== 'text') && !hasToolTraffic(turn);
}

/**
 * @example
 * normaliseTurns([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], { dropBlank: true, userFirst: true })
 * // [{ role: 'user', content: 'a\n\nb' }]
 */
export function normaliseTurns(messages: readonly ChatTurn[], options: NormaliseOptions): ChatTurn[] {
  const out: ChatTurn[] = [];
  for (const turn of messages) {
    if (options.dropBlank && isBlankTurn(turn)) continue;
    appendTurn(out, turn);
  }
  if (options.userFirst && out.length > 0 && out[0].role === 'assistant') {
    out.unshift({ role: 'user', content: CONTINUATION_PROMPT });
  }
  return out;
}
