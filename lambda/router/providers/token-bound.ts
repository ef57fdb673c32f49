/**
 * An upper bound of the input tokens a model call can be billed for, used for budget reservations
 * and the maximum-cost hint (not for usage records: those use what the provider reports).
 *
 * The bound counts every text the provider receives: the request's system prompts and turns as
 * they are, and the texts the adapter adds (each mapping lists them with `addedPromptTexts`): the
 * JSON instruction and schema text the Bedrock adapter adds for `response_format`, the schema sent
 * as Bedrock `outputConfig` or OpenAI `response_format`, the tool definitions (and Bedrock's forced
 * response tool), the continuation prompt; tool calls and results of the conversation count their
 * ids, names, arguments and contents plus `TOKENS_PER_TOOL_ITEM` each. It is
 *
 *     Σ over those texts (UTF-8 bytes + SEPARATOR_BYTES + TOKENS_PER_TEXT) + TOKENS_PER_REQUEST
 *     + Σ over images (⌈width × height / 750⌉ + TOKENS_PER_TEXT)
 *
 * Adapters only merge texts (consecutive turns, several system prompts joined by a blank line:
 * `SEPARATOR_BYTES` each) and drop blank ones, so the texts on the wire never hold more bytes, nor
 * more framing, than this counts; it needs no copy of the call, only the byte lengths.
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
import { imageTokens } from '../images/sniff';
import type { ChatTurn, ProviderRequest } from './types';

/** Bytes allowed per text for the separator an adapter puts between merged texts (`\n\n`). */
export const SEPARATOR_BYTES = 2;
/** Template tokens allowed per text (a system block or a turn): role markers and end-of-turn. */
export const TOKENS_PER_TEXT = 8;
/** Template tokens allowed per request: BOS, the assistant header, a template's default system prompt. */
export const TOKENS_PER_REQUEST = 128;
/**
 * Tokens allowed per tool call or tool result of the conversation beyond its texts (id, name,
 * arguments or content, counted as bytes): the provider's block framing, or the bracketed label the
 * Bedrock adapter writes when it sends tool traffic as text (`[tool call <id>: <name>(…)]`).
 */
export const TOKENS_PER_TOOL_ITEM = 32;

/**
 * The UTF-8 length of `text` in bytes (native, without encoding it). A lone surrogate counts 3
 * bytes (it is sent as U+FFFD), a surrogate pair 4.
 *
 * @example utf8Bytes('héllo 世界 👋') // 18
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The tokens one text can add: its bytes, a separator and its framing. */
function textTokens(text: string): number {
  return utf8Bytes(text) + SEPARATOR_BYTES + TOKENS_PER_TEXT;
}

/**
 * The tokens of a turn's images: each image's estimate (width × height / 750, ../images/sniff.ts)
 * and its framing. Not a tokenizer bound like the bytes of a text: a provider's own count of an
 * image follows its resizing rules; the estimate is above Claude's (which downscales images past
 * 1568 pixels a side) and Qwen-VL's (28×28-pixel patches).
 */
export function turnImageTokens(turn: ChatTurn): number {
  let tokens = 0;
  for (const part of turn.parts ?? []) if (part.type === 'image') tokens += imageTokens(part) + TOKENS_PER_TEXT;
  return tokens;
}

/**
 * The part of the bound that is the same on every target: the request's own system prompts and
 * turns, and the per-request framing. Computed once per request (one pass over its bytes).
 *
 * @example requestTokenBound({ system: ['You are terse.'], messages: [{ role: 'user', content: 'Hello' }] }) // 19 + 2 × (2 + 8) + 128 = 167
 */
export function requestTokenBound(request: Pick<ProviderRequest, 'system' | 'messages'>): number {
  let tokens = TOKENS_PER_REQUEST;
  for (const text of request.system) tokens += textTokens(text);
  for (const turn of request.messages) {
    tokens += textTokens(turn.content) + turnImageTokens(turn);
    for (const c of turn.toolCalls ?? []) tokens += utf8Bytes(c.id) + utf8Bytes(c.name) + utf8Bytes(c.arguments) + TOKENS_PER_TOOL_ITEM;
    for (const r of turn.toolResults ?? []) tokens += utf8Bytes(r.toolCallId) + utf8Bytes(r.content) + TOKENS_PER_TOOL_ITEM;
  }
  return tokens;
}

/**
 * The input-token bound of a call of `request` to which the adapter adds `added` (see the module
 * comment); `base` is `requestTokenBound(request)` when already known.
 *
 * @example inputTokenBound(request, [JSON_OBJECT_INSTRUCTION])
 */
export function inputTokenBound(
  request: Pick<ProviderRequest, 'system' | 'messages'>, added: readonly string[], base = requestTokenBound(request),
): number {
  let tokens = base;
  for (const text of added) tokens += textTokens(text);
  return tokens;
}
