/**
 * The model-family defaults of `TargetCapabilities` and its schema. Internal to the shared module
 * (not part of the public jsii API): the router and the schema use them.
 */
import { TargetKind } from './config';
import { TargetCapabilities } from './config-capabilities';
import type { ObjectNode } from './schema-dsl';

/**
 * The shortest stable prompt prefix, in characters, that gets its own cache point
 * (`PromptCachingConfig.afterPromptPrefix`): about 1,024 tokens at 4 characters a token, below
 * which Bedrock creates no cache checkpoint.
 */
export const PROMPT_PREFIX_MIN_CHARS = 4096;

/** Capabilities with every default applied. */
export interface ResolvedCapabilities {
  readonly tools: boolean;
  readonly structuredOutputs: boolean;
  readonly nativeStructuredOutputs: boolean;
  readonly logprobs: boolean;
}

/**
 * Bedrock model id prefixes (after an optional cross-region prefix such as `us.` or `global.`)
 * whose Converse API supports tool use (Bedrock user guide, "Supported models and model features").
 */
export const BEDROCK_TOOL_USE_MODEL_PREFIXES: readonly string[] = [
  'anthropic.claude-3', 'anthropic.claude-opus-4', 'anthropic.claude-sonnet-4', 'anthropic.claude-haiku-4',
  'amazon.nova-', 'meta.llama3-1', 'meta.llama3-2-11b', 'meta.llama3-2-90b', 'meta.llama3-3', 'meta.llama4',
  'mistral.mistral-large', 'mistral.mistral-small', 'mistral.pixtral', 'cohere.command-r', 'ai21.jamba',
  'writer.palmyra', 'deepseek.', 'qwen.qwen3', 'openai.gpt-oss',
];

const CROSS_REGION_PREFIX = /^(?:us|eu|apac|us-gov|jp|au|ca|global)\./;

/**
 * Whether a Bedrock model id (a foundation model id or a cross-region profile id; for per-tenant
 * profiles, the target's `priceModelId`) belongs to a family whose Converse supports tool use.
 *
 * @example bedrockSupportsToolUse('us.anthropic.claude-3-5-haiku-20241022-v1:0') // true
 */
export function bedrockSupportsToolUse(modelId: string): boolean {
  const id = modelId.replace(/^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile)\//, '').replace(CROSS_REGION_PREFIX, '');
  return BEDROCK_TOOL_USE_MODEL_PREFIXES.some((prefix) => id.startsWith(prefix));
}

/**
 * A target's capabilities with the model family's defaults applied (see `TargetCapabilities`).
 *
 * @example resolveCapabilities(TargetKind.BEDROCK, 'amazon.nova-pro-v1:0', undefined) // { tools: true, structuredOutputs: true, nativeStructuredOutputs: false, logprobs: false }
 */
export function resolveCapabilities(kind: TargetKind, modelKey: string, given: TargetCapabilities | undefined): ResolvedCapabilities {
  const native = kind === TargetKind.BEDROCK && given?.nativeStructuredOutputs === true;
  const tools = given?.tools ?? (kind === TargetKind.BEDROCK ? bedrockSupportsToolUse(modelKey) : false);
  // On Bedrock a schema is enforced natively or by a forced tool: without either there is no way.
  const structuredOutputs = kind === TargetKind.BEDROCK ? (given?.structuredOutputs ?? true) && (tools || native) : given?.structuredOutputs ?? true;
  // Converse returns no log probabilities: a Bedrock target never has them (cross-checks refuse `true`).
  const logprobs = kind !== TargetKind.BEDROCK && (given?.logprobs ?? true);
  return { tools, structuredOutputs, nativeStructuredOutputs: native, logprobs };
}

/** The schema of `TargetConfig.capabilities` (./schema.ts). */
export const CAPABILITIES_SCHEMA: ObjectNode = {
  type: 'object',
  description: 'What the target\'s model can do beyond plain chat, or that it is an embedding model; routing skips a target that lacks what a request needs. Default: by model family.',
  properties: {
    tools: { type: 'boolean', description: 'The model can call tools. Default: Bedrock by model family; OpenAI-compatible false.' },
    structuredOutputs: { type: 'boolean', description: 'The target can enforce a json_schema response format. Default: Bedrock the value of tools; OpenAI-compatible true.' },
    nativeStructuredOutputs: { type: 'boolean', description: 'Bedrock: the model supports Converse outputConfig structured output (used instead of a forced tool). Default: false.' },
    logprobs: { type: 'boolean', description: 'The target returns token log probabilities (logprobs, top_logprobs). Default: Bedrock false (Converse has none); OpenAI-compatible true.' },
    embeddings: { type: 'boolean', default: false, description: 'The target is an embedding model: it serves POST /v1/embeddings only, never chat completions.' },
  },
};
