/**
 * An upper bound of the input tokens a model call can be billed for, used for budget reservations
 * and the maximum-cost hint (not for usage records: those use what the provider reports).
 *
 * The bound is computed from the text the adapter actually sends (each mapping lists it with
 * `promptTextsOf`): system prompts, the JSON instruction and schema text the Bedrock adapter adds for
 * `response_format`, the schema sent as Bedrock `outputConfig` or OpenAI `response_format`, and the
 * turns after normalisation (merged turns, the continuation prompt). It is
 *
 *     UTF-8 bytes of those texts + TOKENS_PER_TEXT × number of texts + TOKENS_PER_REQUEST
 *
 * Why bytes: every tokenizer the gateway's targets use emits at least one byte of the input per
 * token — byte-level BPE (GPT-4o's o200k, Llama 3, Qwen, Mistral's Tekken) by construction, and
 * SentencePiece with byte fallback (Llama 2, Mistral 7B) as one piece of one or more characters or
 * one byte-fallback token per byte. So a text of n UTF-8 bytes is at most n tokens, whatever its
 * script: ASCII (1 byte a character), accented Latin (2), CJK (3), emoji (4 per code point, more for
 * ZWJ sequences: still at most one token per byte). Characters-per-token ratios (4 for English) are
 * averages, not bounds: random or CJK text does not meet them.
 *
 * What the bytes do not hold is the chat template's own tokens: role markers and end-of-turn
 * tokens (5 per message for ChatML and Llama 3, fewer for Mistral) are covered by
 * `TOKENS_PER_TEXT`; the beginning-of-sequence token, the assistant header that opens the answer
 * and a default system prompt some templates insert when the request has none (Qwen 2.5's is 68
 * bytes) are covered by `TOKENS_PER_REQUEST`. A model whose template adds more than that is outside
 * the bound; say so in its target's description.
 */

/** Template tokens allowed per text (a system block or a turn): role markers and end-of-turn. */
export const TOKENS_PER_TEXT = 8;
/** Template tokens allowed per request: BOS, the assistant header, a template's default system prompt. */
export const TOKENS_PER_REQUEST = 128;

/**
 * The UTF-8 length of `text` in bytes, without encoding it. A lone surrogate counts 3 bytes (it is
 * sent as U+FFFD), a surrogate pair 4.
 *
 * @example utf8Bytes('héllo 世界 👋') // 18
 */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/**
 * The input-token bound of a call that sends `texts` (see the module comment).
 *
 * @example inputTokenBound(['You are terse.', 'Hello']) // 19 + 2 × 8 + 128 = 163
 */
export function inputTokenBound(texts: readonly string[]): number {
  let tokens = TOKENS_PER_REQUEST;
  for (const text of texts) tokens += utf8Bytes(text) + TOKENS_PER_TEXT;
  return tokens;
}
