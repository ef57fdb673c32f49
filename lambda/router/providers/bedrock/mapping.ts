/**
 * ProviderRequest ↔ Bedrock Converse (pure).
 *
 * Request:
 * - `system`: one text block per non-blank system prompt, in order; then, for a JSON response
 *   format that the service does not enforce, one more block with the JSON instruction.
 * - `messages`: turns normalised for Converse (blank turns dropped, consecutive same-role turns
 *   merged, a user turn first — see ../conversation.ts), one text block each; a turn with images
 *   one block per part in order (`image` blocks with the decoded bytes, non-blank text blocks).
 * - `cachePoint` blocks where the request's `cache` places them (a route's `promptCaching`, on a
 *   target that caches): after a registry prompt's stable prefix (the first system block split
 *   around it), after the system blocks, after the first N turns, and after `toolConfig.tools`
 *   when the call offers tools (`cachePointAfterTools`).
 * - `serviceTier` {type: flex | priority} or `performanceConfig` {latency: optimized} for the
 *   request's service tier; nothing for the default tier.
 * - `seed`, `presence_penalty`, `frequency_penalty` have no Converse equivalent and are not sent.
 * - `inferenceConfig`: `maxTokens` always (the router's effective limit), `temperature`, `topP`,
 *   `stopSequences` when set.
 * - `guardrailConfig`: the target's guardrail with `trace: enabled` (streams also
 *   `streamProcessingMode: sync`, so no unassessed text reaches the client).
 * - `requestMetadata`: the request's attribution, sanitised to Bedrock's rules (see
 *   `sanitiseRequestMetadata`), so invocation logs join to the gateway's records.
 * - `outputConfig.textFormat` (`json_schema`): only for a `json_schema` response format on a
 *   target marked `structuredOutputs` — models without structured outputs reject the field; on
 *   other targets the schema is enforced by a forced tool (./tools.ts).
 * - `toolConfig` and tool traffic: see ./tools.ts.
 *
 * Response: the text blocks of the output message joined (or, with a forced response tool, that
 * tool's input as JSON); other `toolUse` blocks → tool calls with finish reason `tool_calls`;
 * `stopReason` → finish reason; usage including cache read/write tokens; guardrail intervention
 * from `stopReason`.
 */
import type {
  ContentBlock,
  ConverseCommandInput,
  ConverseCommandOutput,
  ConverseStreamCommandInput,
  Message,
  SystemContentBlock,
  TokenUsage as BedrockTokenUsage,
} from '@aws-sdk/client-bedrock-runtime';
import { UpstreamError } from '../../errors';
import { PROMPT_PREFIX_MIN_CHARS } from '../../../shared/capability-defaults';
import { ServiceTier } from '../../../shared/config-surface';
import { CONTINUATION_PROMPT, normaliseTurns } from '../conversation';
import { sanitiseRequestMetadata } from '../request-metadata';
import type { BedrockTarget, ChatTurn, Completion, FinishReason, GuardrailAction, ProviderRequest, ResponseFormat, ToolCall } from '../types';
import { resolveUsage, type ReportedUsage } from '../usage';
import { clientToolsOffered, converseMessage, responseToolName, toolConfigOf, toolPromptTexts } from './tools';

/** The system instruction for `json_object`. */
export const JSON_OBJECT_INSTRUCTION =
  'Respond with one valid JSON object and nothing else: no prose before or after it, no Markdown code fences.';

/**
 * The system instruction that asks for JSON output, or undefined when none is needed (plain text,
 * or a `json_schema`, which `outputConfig` or a forced tool enforces).
 */
export function jsonInstruction(format: ResponseFormat | undefined): string | undefined {
  return format?.type === 'json_object' ? JSON_OBJECT_INSTRUCTION : undefined;
}

/** A Converse prompt-cache point. */
export const CACHE_POINT = { cachePoint: { type: 'default' } } as const;

/**
 * Whether a Converse call of `request` puts a cache point after its `toolConfig.tools` (the tools
 * mapping appends `CACHE_POINT` to the tool list when this is true).
 */
export function cachePointAfterTools(request: Pick<ProviderRequest, 'cache'>): boolean {
  return request.cache?.afterTools === true;
}

/** A turn's content blocks: its text, or its parts in order (images as image blocks, blank texts dropped). */
function contentBlocks(turn: ChatTurn): ContentBlock[] {
  if (!turn.parts) return [{ text: turn.content }];
  const blocks: ContentBlock[] = [];
  for (const part of turn.parts) {
    if (part.type === 'text') {
      if (part.text.trim() !== '') blocks.push({ text: part.text });
    } else if (part.type === 'image') {
      blocks.push({ image: { format: part.format, source: { bytes: part.bytes } } });
    } else {
      // The image stage fetches every remote image before routing; one here is a bug, not an answer.
      throw new UpstreamError('an image URL reached the Bedrock adapter unfetched', { disposition: 'client', code: 'validation' });
    }
  }
  return blocks;
}

/** The Converse fields of a service tier. */
function tierFields(tier: ServiceTier | undefined): Pick<ConverseCommandInput, 'serviceTier' | 'performanceConfig'> {
  if (tier === ServiceTier.FLEX || tier === ServiceTier.PRIORITY) return { serviceTier: { type: tier } };
  if (tier === ServiceTier.LATENCY_OPTIMIZED) return { performanceConfig: { latency: 'optimized' } };
  return {};
}

/**
 * A cache point after a registry prompt's stable prefix (`ProviderRequest.stablePrefix`), at the
 * start of the first system block: that block is split in two around it (the model reads the same
 * text). Nothing when the prefix is shorter than `PROMPT_PREFIX_MIN_CHARS`, or the first block does
 * not start with it (a stage before this one rewrote it).
 */
function placeAfterStablePrefix(system: SystemContentBlock[], prefix: string | undefined): void {
  const first = system[0]?.text;
  if (prefix === undefined || prefix.length < PROMPT_PREFIX_MIN_CHARS || first === undefined || !first.startsWith(prefix)) return;
  if (first.length === prefix.length) system.splice(1, 0, CACHE_POINT);
  else system.splice(0, 1, { text: prefix }, CACHE_POINT, { text: first.slice(prefix.length) });
}

/** The fields Converse and ConverseStream share. */
type ConverseCommon = Omit<ConverseCommandInput, 'guardrailConfig'>;

function common(target: BedrockTarget, request: ProviderRequest): ConverseCommon {
  const format = request.responseFormat;
  const enforce = format?.type === 'json_schema' && target.structuredOutputs === true;
  const system: SystemContentBlock[] = request.system.filter((s) => s.trim() !== '').map((text) => ({ text }));
  const instruction = jsonInstruction(format);
  if (instruction) system.push({ text: instruction });
  const cache = request.cache;
  if (cache?.afterPromptPrefix) placeAfterStablePrefix(system, request.stablePrefix);
  if (cache?.afterSystem && system.length > 0 && system[system.length - 1] !== CACHE_POINT) system.push(CACHE_POINT);

  const turns = normaliseTurns(request.messages, { dropBlank: true, userFirst: true });
  if (turns.length === 0) {
    throw new UpstreamError('the request has no non-blank message for Converse', { disposition: 'client', code: 'validation' });
  }
  const toolBlocks = clientToolsOffered(request);
  const messages: Message[] = turns.map((t) => converseMessage(t, toolBlocks, contentBlocks(t)));
  // After a stable prefix of the conversation, when the conversation goes on past it.
  if (cache?.afterTurns !== undefined && cache.afterTurns < messages.length) messages[cache.afterTurns - 1].content!.push(CACHE_POINT);

  const input: ConverseCommon = { modelId: target.modelId, messages, ...tierFields(request.serviceTier) };
  if (system.length > 0) input.system = system;
  const toolConfig = toolConfigOf(target, request);
  if (toolConfig) {
    // The tool definitions are a stable prefix too: a cache point after them, where the route says.
    if (cachePointAfterTools(request)) toolConfig.tools!.push(CACHE_POINT);
    input.toolConfig = toolConfig;
  }

  // Always set: without it the model's own default applies, which no budget reservation bounds.
  const inference: NonNullable<ConverseCommandInput['inferenceConfig']> = { maxTokens: request.maxTokens };
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.topP !== undefined) inference.topP = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) inference.stopSequences = [...request.stop];
  input.inferenceConfig = inference;

  const metadata = sanitiseRequestMetadata(request.metadata);
  if (Object.keys(metadata).length > 0) input.requestMetadata = metadata;

  if (enforce && format?.type === 'json_schema') {
    input.outputConfig = {
      textFormat: {
        type: 'json_schema',
        structure: { jsonSchema: { name: format.name, schema: JSON.stringify(format.schema) } },
      },
    };
  }
  return input;
}

/**
 * The texts a Converse call adds to the request's own system prompts and turns: the JSON
 * instruction (with the schema, unless the service enforces it), the `outputConfig` schema with its
 * name, and the continuation prompt. The input-token bound (../token-bound.ts) counts them with the
 * request's texts, without building the call.
 *
 * @example addedPromptTexts(target, { ...request, responseFormat: { type: 'json_object' } }) // [JSON_OBJECT_INSTRUCTION]
 */
export function addedPromptTexts(target: BedrockTarget, request: Pick<ProviderRequest, 'responseFormat' | 'messages' | 'tools'>): string[] {
  const format = request.responseFormat;
  const enforce = format?.type === 'json_schema' && target.structuredOutputs === true;
  // The continuation prompt goes before a conversation whose first non-blank turn is the assistant's.
  const first = request.messages.find((m) => /\S/.test(m.content) || (m.toolCalls?.length ?? 0) + (m.toolResults?.length ?? 0) > 0);
  const texts: string[] = first?.role === 'assistant' ? [CONTINUATION_PROMPT] : [];
  const instruction = jsonInstruction(format);
  if (instruction) texts.push(instruction);
  if (enforce && format?.type === 'json_schema') texts.push(`${format.name}${JSON.stringify(format.schema)}`);
  texts.push(...toolPromptTexts(target, request));
  return texts;
}

/**
 * @example
 * toConverseInput({ kind: 'bedrock', id: 'p', modelId: profileArn }, request) // { modelId: profileArn, messages: [...], ... }
 */
export function toConverseInput(target: BedrockTarget, request: ProviderRequest): ConverseCommandInput {
  const input: ConverseCommandInput = common(target, request);
  if (target.guardrail) {
    input.guardrailConfig = {
      guardrailIdentifier: target.guardrail.identifier,
      guardrailVersion: target.guardrail.version,
      trace: 'enabled',
    };
  }
  return input;
}

export function toConverseStreamInput(target: BedrockTarget, request: ProviderRequest): ConverseStreamCommandInput {
  const input: ConverseStreamCommandInput = common(target, request);
  if (target.guardrail) {
    input.guardrailConfig = {
      guardrailIdentifier: target.guardrail.identifier,
      guardrailVersion: target.guardrail.version,
      trace: 'enabled',
      streamProcessingMode: 'sync',
    };
  }
  return input;
}

/**
 * Converse `stopReason` → OpenAI finish reason. `malformed_model_output` / `malformed_tool_use`
 * are failures of the model, not answers: they throw a fallback `UpstreamError`.
 *
 * | stopReason | finish reason |
 * |---|---|
 * | end_turn, stop_sequence, tool_use, (missing or unknown) | stop (`tool_calls` is decided by the answer's tool calls) |
 * | max_tokens, model_context_window_exceeded | length |
 * | guardrail_intervened, content_filtered | content_filter |
 */
export function finishReasonOf(stopReason: string | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    case 'malformed_model_output':
    case 'malformed_tool_use':
      throw new UpstreamError(`Bedrock stopped with ${stopReason}`, { disposition: 'fallback', code: 'malformedModelOutput' });
    default:
      return 'stop';
  }
}

/**
 * INTERVENED when a guardrail stopped the answer (the target's own, or an account- or
 * organization-enforced one); NONE when the target has a guardrail that let it through;
 * undefined when no guardrail was involved.
 */
export function guardrailActionOf(target: BedrockTarget, stopReason: string | undefined): GuardrailAction | undefined {
  if (stopReason === 'guardrail_intervened') return 'INTERVENED';
  return target.guardrail ? 'NONE' : undefined;
}

/** Converse usage → reported usage (missing fields stay missing, for `resolveUsage`). */
export function reportedUsageOf(usage: BedrockTokenUsage | undefined): ReportedUsage | undefined {
  if (!usage) return undefined;
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadInputTokens: usage.cacheReadInputTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
  };
}

/** The model that served the call: the prompt router's pick when there is one, else the target's model id. */
export function servedModelOf(target: BedrockTarget, invokedModelId: string | undefined): string {
  return invokedModelId ?? target.modelId;
}

/**
 * @example fromConverseOutput(target, request, output) // { text, finishReason: 'stop', usage, servedModel, ... }
 */
export function fromConverseOutput(
  target: BedrockTarget,
  request: ProviderRequest,
  output: Pick<ConverseCommandOutput, 'output' | 'stopReason' | 'usage' | 'trace'>,
): Completion {
  const content = output.output?.message?.content;
  if (!Array.isArray(content)) {
    throw new UpstreamError('Converse answered without an output message', { disposition: 'fallback', code: 'malformedResponse' });
  }
  const responseTool = responseToolName(target, request);
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of content) {
    if (block.toolUse) {
      const input = JSON.stringify(block.toolUse.input ?? {});
      if (block.toolUse.name === responseTool) text = input;
      else if (request.tools?.parallel !== false || toolCalls.length === 0) {
        toolCalls.push({ id: block.toolUse.toolUseId ?? '', name: block.toolUse.name ?? '', arguments: input });
      }
    } else if (block.text !== undefined && responseTool === undefined) {
      text += block.text;
    }
  }
  const finishReason = toolCalls.length > 0 ? 'tool_calls' : finishReasonOf(output.stopReason);
  const { usage, estimated } = resolveUsage(reportedUsageOf(output.usage), request, text + toolCalls.map((c) => c.arguments).join(''));
  const completion: Completion = {
    text,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    finishReason,
    usage,
    servedModel: servedModelOf(target, output.trace?.promptRouter?.invokedModelId),
    guardrailAction: guardrailActionOf(target, output.stopReason),
    ...(estimated ? { usageEstimated: true } : {}),
  };
  return completion;
}
