/**
 * Token accounting helpers shared by the adapters.
 *
 * Rule: usage the provider reports is used as is. When a provider reports none (a stream that ends
 * without its usage block, a server that omits `usage`), nothing is dropped silently: the adapter
 * estimates the missing counts as ⌈characters / 4⌉ — input from the system prompts and turns it
 * sent, output from the text it received — and marks the result `usageEstimated: true`, so the
 * ledger can tell a measured record from an estimate. Cache counts are never estimated (0).
 */
import { imageTokens } from '../images/sniff';
import type { ProviderRequest, TokenUsage } from './types';

/** The estimate's ratio: about four characters per token for English text with common tokenizers. */
export const CHARS_PER_TOKEN = 4;

/**
 * @example estimateTokens('Hello world') // 3
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** The estimated input tokens of a request: its system prompts and turns (tool calls and results included), and its images (../images/sniff.ts). */
export function estimateInputTokens(request: ProviderRequest): number {
  let chars = 0;
  for (const s of request.system) chars += s.length;
  let images = 0;
  for (const m of request.messages) {
    chars += m.content.length;
    for (const c of m.toolCalls ?? []) chars += c.name.length + c.arguments.length;
    for (const r of m.toolResults ?? []) chars += r.content.length;
    for (const part of m.parts ?? []) if (part.type === 'image') images += imageTokens(part);
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + images;
}

/** What a provider reported; a missing field means it was not reported. */
export interface ReportedUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}

/**
 * Completes reported usage with estimates for what is missing.
 *
 * @example
 * resolveUsage(undefined, request, 'Hi there') // { usage: { inputTokens: …, outputTokens: 2, … }, estimated: true }
 */
export function resolveUsage(
  reported: ReportedUsage | undefined,
  request: ProviderRequest,
  outputText: string,
): { readonly usage: TokenUsage; readonly estimated: boolean } {
  const input = validCount(reported?.inputTokens);
  const output = validCount(reported?.outputTokens);
  return {
    usage: {
      inputTokens: input ?? estimateInputTokens(request),
      outputTokens: output ?? estimateTokens(outputText),
      cacheReadInputTokens: validCount(reported?.cacheReadInputTokens) ?? 0,
      cacheWriteInputTokens: validCount(reported?.cacheWriteInputTokens) ?? 0,
    },
    estimated: input === undefined || output === undefined,
  };
}

function validCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}
