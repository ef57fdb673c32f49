/**
 * Stage: parse and validate a `POST /v1/chat/completions` body.
 *
 * Rules for fields (documented in lambda/router/README.md):
 * - Supported fields are type-checked and range-checked; a wrong type is a 400 naming the field.
 * - Tools: `tools`, `tool_choice`, `parallel_tool_calls`, assistant `tool_calls` and `tool`
 *   messages are parsed by parse-tools.ts; legacy `functions`, `function_call` and `function`
 *   messages are refused with 400 `unsupported_parameter` naming their replacement.
 * - `response_format` `json_schema`: the schema is compiled once here (a schema the router cannot
 *   check is a 400 `unsupported_schema`); structured-output.ts checks the answer against it.
 * - OpenAI fields the gateway cannot honour and that would change the answer's shape (`n` > 1,
 *   `audio`, non-text `modalities`, `prediction`, `web_search_options`) are refused with 400
 *   `unsupported_parameter`, rather than silently answered differently (`n` with a message saying
 *   what to do instead).
 * - `logprobs` (and `top_logprobs`, 0 to 20, which needs `logprobs: true`) are passed to targets
 *   with the `logprobs` capability (OpenAI-compatible servers); routing skips the others, and a
 *   route with none left is a 400 `capability_not_supported` naming `logprobs` (Converse has none).
 * - User messages may hold `image_url` parts: base64 data URLs of PNG, JPEG, GIF or WebP images,
 *   decoded and checked against their bytes here (../images/data-url.ts), or `https` URLs that the
 *   image stage (images.ts) fetches when the route allows the host. Per-image and per-request
 *   limits (`limits.maxImageBytes`, `maxImagesPerRequest`, `maxImageBytesPerRequest`).
 * - `seed`, `presence_penalty`, `frequency_penalty` are range-checked and passed to
 *   OpenAI-compatible targets (Converse has no equivalent: Bedrock ignores them, documented);
 *   `service_tier` (auto, default, flex, priority, latency_optimized) chooses the tier (route.ts).
 * - OpenAI tuning fields without an equivalent on any target (`logit_bias`, `store`,
 *   `reasoning_effort`, `verbosity`, `prompt_cache_key`, `safety_identifier`) are type-checked
 *   and then ignored.
 * - `prompt` (OpenAI's reusable-prompt reference `{id, version, variables}`) names a prompt of the
 *   gateway; with a prompt (in the body, the `x-gateway-prompt` header or `metadata.prompt`)
 *   `messages` may be left out, and the conversation is checked after rendering (prompt.ts).
 * - Any other field is ignored, so newer SDKs that send new optional fields keep working.
 */
import { RequestLimits } from '../../shared/config';
import { ServiceTier } from '../../shared/config-surface';
import { ImageInputError, parseImageDataUrl } from '../images/data-url';
import { BodyError } from '../http';
import { PayloadTooLargeError, RequestTimeoutError } from '../errors';
import { oversizedChatBody } from './oversized-body';
import { appendTurn } from '../providers/conversation';
import { ChatTurn, ContentPart, LogprobsRequest, ResponseFormat } from '../providers/types';
import { HINTS } from './hints';
import { parseRetrievalRequest } from '../retrieval/request';
import { bad, isObject, Json, jsonDepth, kind, present, shown } from './parse-helpers';
import { compiledResponseSchema } from './structured-output';
import { UnsupportedSchemaError } from '../validation/json-schema';
import { legacyFunctionMessage, parseToolCalls, parseToolMessage, parseTools } from './parse-tools';
import { ChatRequest, PromptReference } from './types';

type Limits = Required<RequestLimits>;

/** OpenAI's own limits on `metadata`. */
export const METADATA_LIMITS = { maxEntries: 16, maxKeyChars: 64, maxValueChars: 512 } as const;
const MAX_MODEL_CHARS = 256;
const MAX_STOP_SEQUENCES = 4;
const MAX_STOP_CHARS = 256;
const MAX_USER_CHARS = 256;
const MAX_SCHEMA_DEPTH = 32;
const MAX_SCHEMA_NAME = 64;
/** OpenAI's largest `top_logprobs`. */
const MAX_TOP_LOGPROBS = 20;

/** Why a refused field is refused, when there is more to say than "not supported". */
const UNSUPPORTED_WHY: Record<string, string> = {
  n: "'n' must be 1: the gateway answers one choice per request (send several requests for several choices; each is metered).",
};

/** OpenAI's `service_tier` values the gateway serves (`auto`: the route's tier), plus Bedrock's latency-optimized inference. */
const SERVICE_TIER_VALUES = ['auto', ...Object.values(ServiceTier)];

const UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  n: (v) => v !== 1,
  audio: () => true,
  modalities: (v) => !(Array.isArray(v) && v.every((m) => m === 'text')),
  prediction: () => true,
  web_search_options: () => true,
};

const IGNORED_STRINGS = ['reasoning_effort', 'verbosity', 'prompt_cache_key', 'safety_identifier'];
const IGNORED_BOOLEANS = ['store'];

export function decodeBody(body: Uint8Array, limits: Limits): Json {
  if (body.byteLength > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(
      `The request body is ${body.byteLength} bytes; the limit is ${limits.maxBodyBytes} bytes.`, 'request_too_large');
  }
  if (body.byteLength === 0) throw bad('The request body is empty; send a JSON object.', 'body', 'missing_body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw bad('The request body is not valid UTF-8.', 'body', 'invalid_encoding');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // The parser's own message can quote the body; only the position is passed on.
    const position = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
    throw bad(`The request body is not valid JSON${position ? ` (error at position ${position})` : ''}.`, 'body', 'invalid_json');
  }
  if (!isObject(parsed)) throw bad(`The request body must be a JSON object, not ${kind(parsed)}.`, 'body', 'invalid_type');
  return parsed;
}

export function optionalNumber(body: Json, key: string, min: number, max: number, integer = false): number | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw bad(`'${key}' must be ${integer ? 'an integer' : 'a number'}, not ${kind(v)}.`, key, 'invalid_type');
  }
  if (v < min || v > max) throw bad(`'${key}' must be between ${min} and ${max}, not ${v}.`, key);
  return v;
}

export function optionalString(body: Json, key: string, maxChars: number): string | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'string') throw bad(`'${key}' must be a string, not ${kind(v)}.`, key, 'invalid_type');
  if (v.length > maxChars) throw bad(`'${key}' must be at most ${maxChars} characters, not ${v.length}.`, key);
  return v;
}

function optionalBoolean(body: Json, key: string): boolean | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'boolean') throw bad(`'${key}' must be true or false, not ${kind(v)}.`, key, 'invalid_type');
  return v;
}

/** Images seen so far in the request, against the per-request limits. */
interface ImageBudget {
  count: number;
  bytes: number;
}

/** The content of a message: its text, and its parts when it holds images. */
interface ParsedContent {
  readonly text: string;
  readonly parts?: ContentPart[];
}

function imagePart(part: Json, at: string, limits: Limits, images: ImageBudget): ContentPart {
  const p = `${at}.image_url`;
  const ref = part.image_url;
  if (!isObject(ref)) throw bad(`'${p}' must be an object such as {"url": "data:image/png;base64,…"}, not ${kind(ref)}.`, p, 'invalid_type');
  if (typeof ref.url !== 'string') throw bad(`'${p}.url' must be a string, not ${kind(ref.url)}.`, `${p}.url`, 'invalid_type');
  if (present(ref, 'detail') && !['auto', 'low', 'high'].includes(ref.detail as string)) {
    throw bad(`'${p}.detail' must be one of auto, low, high.`, `${p}.detail`);
  }
  images.count++;
  if (images.count > limits.maxImagesPerRequest) {
    throw bad(`The request has more than ${limits.maxImagesPerRequest} images; the limit is ${limits.maxImagesPerRequest}.`, p, 'too_many_images');
  }
  const url = ref.url;
  if (/^https?:\/\//i.test(url)) return { type: 'remote_image', url, param: `${p}.url` };
  try {
    const image = parseImageDataUrl(url, limits.maxImageBytes);
    images.bytes += image.bytes.byteLength;
    if (images.bytes > limits.maxImageBytesPerRequest) {
      throw new ImageInputError(`the request's images total more than ${limits.maxImageBytesPerRequest} bytes, the limit`, 'images_too_large');
    }
    return { type: 'image', format: image.format, bytes: image.bytes, width: image.width, height: image.height };
  } catch (e) {
    if (e instanceof ImageInputError) throw bad(`'${p}.url': ${e.message}.`, `${p}.url`, e.code);
    throw e;
  }
}

/** A message's `content`: a string, or an array of text parts (and, in user messages, image parts). */
function parseContent(content: unknown, param: string, limits: Limits, imagesAllowed: boolean, images: ImageBudget): ParsedContent {
  let text: string;
  let parts: ContentPart[] | undefined;
  if (typeof content === 'string') {
    text = content;
  } else if (Array.isArray(content)) {
    if (content.length === 0) throw bad(`'${param}' must not be an empty array.`, param);
    const all: ContentPart[] = [];
    const texts: string[] = [];
    content.forEach((part, j) => {
      const at = `${param}[${j}]`;
      if (!isObject(part)) throw bad(`'${at}' must be an object, not ${kind(part)}.`, at, 'invalid_type');
      if (part.type === 'image_url' && imagesAllowed) {
        all.push(imagePart(part, at, limits, images));
        return;
      }
      if (part.type !== 'text') {
        const type = typeof part.type === 'string' ? part.type.slice(0, 40) : kind(part.type);
        const allowed = imagesAllowed ? 'text and image_url parts are' : 'only text parts are (images only in user messages)';
        throw bad(`'${at}.type' ${JSON.stringify(type)} is not supported; ${allowed}.`, `${at}.type`, 'unsupported_content');
      }
      if (typeof part.text !== 'string') throw bad(`'${at}.text' must be a string, not ${kind(part.text)}.`, `${at}.text`, 'invalid_type');
      texts.push(part.text);
      all.push({ type: 'text', text: part.text });
    });
    text = texts.join('\n');
    if (all.some((p) => p.type !== 'text')) parts = all;
  } else {
    throw bad(`'${param}' must be a string or an array of content parts, not ${kind(content)}.`, param, 'invalid_type');
  }
  if (text.length > limits.maxMessageChars) {
    throw bad(`'${param}' is ${text.length} characters; the limit is ${limits.maxMessageChars}.`, param, 'message_too_long');
  }
  return parts ? { text, parts } : { text };
}

interface ParsedMessages {
  readonly system: string[];
  readonly turns: ChatTurn[];
}

function parseMessages(value: unknown, limits: Limits, prompted: boolean): ParsedMessages {
  if (prompted && (value === undefined || value === null)) return { system: [], turns: [] };
  if (!Array.isArray(value)) throw bad(`'messages' must be an array, not ${kind(value)}.`, 'messages', 'invalid_type');
  if (value.length === 0 && !prompted) throw bad("'messages' must contain at least one message.", 'messages');
  if (value.length > limits.maxMessages) {
    throw bad(`'messages' has ${value.length} messages; the limit is ${limits.maxMessages}.`, 'messages', 'too_many_messages');
  }
  const system: string[] = [];
  const turns: ChatTurn[] = [];
  const images: ImageBudget = { count: 0, bytes: 0 };
  // The ids of the last assistant message's tool calls that no `tool` message has answered yet.
  let unanswered = new Set<string>();
  const readText = (content: unknown, param: string): string => parseContent(content, param, limits, false, images).text;
  value.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw bad(`'${at}' must be an object, not ${kind(m)}.`, at, 'invalid_type');
    const role = m.role;
    if (role === 'function') throw legacyFunctionMessage(at);
    if (role === 'tool') {
      const result = parseToolMessage(m, at, readText);
      if (!unanswered.delete(result.toolCallId)) {
        throw bad(`'${at}.tool_call_id' answers no tool call of the preceding assistant message (or one already answered).`, `${at}.tool_call_id`, 'invalid_conversation');
      }
      appendTurn(turns, { role: 'user', content: '', toolResults: [result] });
      return;
    }
    if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant') {
      throw bad(`'${at}.role' ${shown(role)} is not allowed; allowed: system, developer, user, assistant, tool.`, `${at}.role`);
    }
    if (unanswered.size > 0 && role !== 'system' && role !== 'developer') {
      throw bad(`'${at}': the preceding assistant message's tool calls need a 'tool' message each (${unanswered.size} unanswered) before any other message.`,
        at, 'invalid_conversation');
    }
    const toolCalls = role === 'assistant' ? parseToolCalls(m, at) : [];
    if (role !== 'assistant' && present(m, 'tool_calls')) throw bad(`'${at}.tool_calls' is only allowed on assistant messages.`, `${at}.tool_calls`);
    if (toolCalls.length === 0 && !present(m, 'content')) throw bad(`'${at}.content' is required.`, `${at}.content`, 'missing_required_parameter');
    const { text, parts } = present(m, 'content') ? parseContent(m.content, `${at}.content`, limits, role === 'user', images) : { text: '', parts: undefined };
    if (role === 'system' || role === 'developer') {
      if (text.length > 0) system.push(text);
      return;
    }
    if (text.trim().length === 0 && !parts && toolCalls.length === 0) throw bad(`'${at}.content' must not be empty.`, `${at}.content`);
    if (toolCalls.length > 0) unanswered = new Set(toolCalls.map((c) => c.id));
    // Consecutive turns of one role are merged: every target then sees an alternating conversation.
    appendTurn(turns, { role, content: text, ...(parts ? { parts } : {}), ...(toolCalls.length > 0 ? { toolCalls } : {}) });
  });
  if (unanswered.size > 0) {
    throw bad(`'messages': the last assistant message's tool calls need a 'tool' message each (${unanswered.size} unanswered).`, 'messages', 'invalid_conversation');
  }
  // With a prompt, the conversation is checked once the template's turns are in front (prompt.ts).
  if (prompted) return { system, turns };
  if (turns.length === 0) throw bad("'messages' must contain at least one user message.", 'messages');
  if (turns[0].role !== 'user') throw bad("'messages': the first non-system message must be from the user.", 'messages', 'invalid_conversation');
  if (turns[turns.length - 1].role !== 'user') {
    throw bad("'messages': the last message must be from the user.", 'messages', 'invalid_conversation');
  }
  return { system, turns };
}

function parseResponseFormat(value: unknown): ResponseFormat | undefined {
  const p = 'response_format';
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw bad(`'${p}' must be an object, not ${kind(value)}.`, p, 'invalid_type');
  if (value.type === 'text') return { type: 'text' };
  if (value.type === 'json_object') return { type: 'json_object' };
  if (value.type !== 'json_schema') {
    const shown = typeof value.type === 'string' ? JSON.stringify(value.type.slice(0, 40)) : kind(value.type);
    throw bad(`'${p}.type' ${shown} is not allowed; allowed: text, json_object, json_schema.`, `${p}.type`);
  }
  const js = value.json_schema;
  if (!isObject(js)) throw bad(`'${p}.json_schema' must be an object, not ${kind(js)}.`, `${p}.json_schema`, 'invalid_type');
  if (typeof js.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(js.name) || js.name.length > MAX_SCHEMA_NAME) {
    throw bad(`'${p}.json_schema.name' must be 1 to ${MAX_SCHEMA_NAME} letters, digits, '_' or '-'.`, `${p}.json_schema.name`);
  }
  const schema = js.schema ?? {};
  if (!isObject(schema)) throw bad(`'${p}.json_schema.schema' must be an object, not ${kind(schema)}.`, `${p}.json_schema.schema`, 'invalid_type');
  if (jsonDepth(schema, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH) {
    throw bad(`'${p}.json_schema.schema' is nested deeper than ${MAX_SCHEMA_DEPTH} levels.`, `${p}.json_schema.schema`);
  }
  try {
    compiledResponseSchema(schema);
  } catch (e) {
    if (!(e instanceof UnsupportedSchemaError)) throw e;
    throw bad(`'${p}.json_schema.schema' cannot be enforced: ${e.message}.`, `${p}.json_schema.schema`, 'unsupported_schema');
  }
  if (present(js, 'strict') && typeof js.strict !== 'boolean') {
    throw bad(`'${p}.json_schema.strict' must be true or false, not ${kind(js.strict)}.`, `${p}.json_schema.strict`, 'invalid_type');
  }
  return { type: 'json_schema', name: js.name, schema, ...(typeof js.strict === 'boolean' ? { strict: js.strict } : {}) };
}

function parseStop(body: Json): string[] | undefined {
  if (!present(body, 'stop')) return undefined;
  const v = body.stop;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    throw bad(`'stop' must be a string or an array of strings, not ${kind(v)}.`, 'stop', 'invalid_type');
  }
  if (list.length > MAX_STOP_SEQUENCES) throw bad(`'stop' may hold at most ${MAX_STOP_SEQUENCES} sequences, not ${list.length}.`, 'stop');
  if (list.some((s) => s.length === 0 || s.length > MAX_STOP_CHARS)) {
    throw bad(`'stop' sequences must be 1 to ${MAX_STOP_CHARS} characters.`, 'stop');
  }
  return list.length > 0 ? list : undefined;
}

export function parseMetadata(value: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (value === undefined || value === null) return out;
  if (!isObject(value)) throw bad(`'metadata' must be an object of strings, not ${kind(value)}.`, 'metadata', 'invalid_type');
  const entries = Object.entries(value);
  if (entries.length > METADATA_LIMITS.maxEntries) {
    throw bad(`'metadata' may hold at most ${METADATA_LIMITS.maxEntries} entries, not ${entries.length}.`, 'metadata');
  }
  for (const [key, v] of entries) {
    if (key.length === 0 || key.length > METADATA_LIMITS.maxKeyChars) {
      throw bad(`'metadata' keys must be 1 to ${METADATA_LIMITS.maxKeyChars} characters.`, 'metadata');
    }
    const at = `metadata.${key}`;
    if (typeof v !== 'string') throw bad(`'${at}' must be a string, not ${kind(v)}.`, at, 'invalid_type');
    if (v.length > METADATA_LIMITS.maxValueChars) throw bad(`'${at}' must be at most ${METADATA_LIMITS.maxValueChars} characters.`, at);
    out[key] = v;
  }
  return out;
}

const MAX_PROMPT_ID_CHARS = 256;
const MAX_PROMPT_VARIABLES = 100;

/** The body's `prompt` object, OpenAI's reusable-prompt reference: `{id, version?, variables?}`. */
function parsePromptReference(value: unknown): PromptReference | undefined {
  const p = 'prompt';
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw bad(`'${p}' must be an object such as {"id": "…", "version": "3"}, not ${kind(value)}.`, p, 'invalid_type');
  if (typeof value.id !== 'string' || value.id.length === 0 || value.id.length > MAX_PROMPT_ID_CHARS) {
    throw bad(`'${p}.id' must be a prompt id (a string of 1 to ${MAX_PROMPT_ID_CHARS} characters).`, `${p}.id`, 'invalid_type');
  }
  let version: string | undefined;
  if (present(value, 'version')) {
    const v = value.version;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) version = String(v);
    else if (typeof v === 'string' && v.length > 0 && v.length <= 64) version = v;
    else throw bad(`'${p}.version' must be a version number such as "3" or a label such as "prod".`, `${p}.version`, 'invalid_type');
  }
  let variables: Record<string, unknown> | undefined;
  if (present(value, 'variables')) {
    if (!isObject(value.variables)) throw bad(`'${p}.variables' must be an object, not ${kind(value.variables)}.`, `${p}.variables`, 'invalid_type');
    if (Object.keys(value.variables).length > MAX_PROMPT_VARIABLES) {
      throw bad(`'${p}.variables' may hold at most ${MAX_PROMPT_VARIABLES} entries.`, `${p}.variables`);
    }
    variables = value.variables;
  }
  return { id: value.id, ...(version !== undefined ? { version } : {}), ...(variables !== undefined ? { variables } : {}) };
}

function checkUnsupportedAndIgnored(body: Json): void {
  for (const [key, unsupported] of Object.entries(UNSUPPORTED)) {
    if (present(body, key) && unsupported(body[key])) {
      throw bad(UNSUPPORTED_WHY[key] ?? `'${key}' is not supported by this gateway.`, key, 'unsupported_parameter');
    }
  }
  for (const key of IGNORED_STRINGS) optionalString(body, key, 512);
  for (const key of IGNORED_BOOLEANS) optionalBoolean(body, key);
  if (present(body, 'logit_bias') && !isObject(body.logit_bias)) {
    throw bad(`'logit_bias' must be an object, not ${kind(body.logit_bias)}.`, 'logit_bias', 'invalid_type');
  }
}

/**
 * Parses and validates a chat completion request body. Throws an `InvalidRequestError` (400),
 * `PayloadTooLargeError` (413) or `RequestTimeoutError` (408) naming the field at fault. A body
 * over the limit is judged by `bodyPrefix`, the bytes read up to the limit (./oversized-body.ts).
 *
 * @example
 * const request = parseChatRequest(Buffer.from('{"model":"chat","messages":[{"role":"user","content":"Hi"}]}'), undefined, limits);
 */
export function parseChatRequest(
  body: Uint8Array, bodyError: BodyError | undefined, limits: Limits, headers: Readonly<Record<string, string>> = {},
  bodyPrefix?: Uint8Array,
): ChatRequest {
  // Over the limit: an image URL the limit cut is a 400 naming the part, anything else a 413.
  if (bodyError === BodyError.TOO_LARGE) throw oversizedChatBody(bodyPrefix, limits);
  if (body.byteLength > limits.maxBodyBytes) throw oversizedChatBody(body.subarray(0, limits.maxBodyBytes), limits);
  if (bodyError === BodyError.TIMEOUT) {
    throw new RequestTimeoutError('The request body was not received in time.', 'request_timeout');
  }
  const json = decodeBody(body, limits);

  if (!present(json, 'model')) throw bad("'model' is required.", 'model', 'missing_required_parameter');
  const model = optionalString(json, 'model', MAX_MODEL_CHARS)!;
  if (model.length === 0) throw bad("'model' must not be empty.", 'model');
  const promptRef = parsePromptReference(json.prompt);
  // A request that names a prompt may leave `messages` out: the template provides them.
  const prompted = promptRef !== undefined || headers[HINTS.prompt.header] !== undefined
    || (isObject(json.metadata) && typeof json.metadata[HINTS.prompt.metadata] === 'string');
  if (!present(json, 'messages') && !prompted) throw bad("'messages' is required.", 'messages', 'missing_required_parameter');
  const { system, turns } = parseMessages(json.messages, limits, prompted);

  checkUnsupportedAndIgnored(json);

  const maxTokens = optionalNumber(json, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  const maxCompletionTokens = optionalNumber(json, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  if (maxTokens !== undefined && maxCompletionTokens !== undefined && maxTokens !== maxCompletionTokens) {
    throw bad("'max_tokens' and 'max_completion_tokens' disagree; send one of them.", 'max_completion_tokens');
  }
  const limit = maxCompletionTokens ?? maxTokens;
  if (limit !== undefined && limit > limits.maxTokensCap) {
    const param = maxCompletionTokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    throw bad(`'${param}' is ${limit}; this gateway allows at most ${limits.maxTokensCap}.`, param, 'max_tokens_too_large');
  }

  const stream = optionalBoolean(json, 'stream') ?? false;
  let includeUsage = false;
  if (present(json, 'stream_options')) {
    const so = json.stream_options;
    if (!isObject(so)) throw bad(`'stream_options' must be an object, not ${kind(so)}.`, 'stream_options', 'invalid_type');
    if (present(so, 'include_usage') && typeof so.include_usage !== 'boolean') {
      throw bad(`'stream_options.include_usage' must be true or false, not ${kind(so.include_usage)}.`, 'stream_options.include_usage', 'invalid_type');
    }
    includeUsage = so.include_usage === true;
  }

  const temperature = optionalNumber(json, 'temperature', 0, 2);
  const topP = optionalNumber(json, 'top_p', 0, 1);
  const stop = parseStop(json);
  const responseFormat = parseResponseFormat(json.response_format);
  const tools = parseTools(json, responseFormat);
  const metadata = parseMetadata(json.metadata);
  const user = optionalString(json, 'user', MAX_USER_CHARS);
  const retrieval = parseRetrievalRequest(json.retrieval);
  const seed = optionalNumber(json, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  const presencePenalty = optionalNumber(json, 'presence_penalty', -2, 2);
  const frequencyPenalty = optionalNumber(json, 'frequency_penalty', -2, 2);
  const serviceTier = parseServiceTier(json);
  const logprobs = parseLogprobs(json);

  return {
    model,
    system,
    messages: turns,
    stream,
    includeUsage: stream && includeUsage,
    metadata,
    ...(limit !== undefined ? { maxTokens: limit } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(stop !== undefined ? { stop } : {}),
    ...(responseFormat !== undefined ? { responseFormat } : {}),
    ...(tools !== undefined ? { tools } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(promptRef !== undefined ? { promptRef } : {}),
    ...(retrieval !== undefined ? { retrieval } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(presencePenalty !== undefined ? { presencePenalty } : {}),
    ...(frequencyPenalty !== undefined ? { frequencyPenalty } : {}),
    ...(serviceTier !== undefined ? { serviceTier } : {}),
    ...(logprobs !== undefined ? { logprobs } : {}),
  };
}

/** `logprobs` and `top_logprobs`: what the answer must carry, or undefined when it carries none. */
function parseLogprobs(body: Json): LogprobsRequest | undefined {
  const wanted = optionalBoolean(body, 'logprobs') ?? false;
  const top = optionalNumber(body, 'top_logprobs', 0, MAX_TOP_LOGPROBS, true);
  if (top !== undefined && top > 0 && !wanted) {
    throw bad("'top_logprobs' needs 'logprobs': true.", 'top_logprobs');
  }
  return wanted ? { topLogprobs: top ?? 0 } : undefined;
}

/** `service_tier`: a tier, or undefined for `auto` and absent (the route's tier applies). */
function parseServiceTier(body: Json): ServiceTier | undefined {
  const value = optionalString(body, 'service_tier', 64);
  if (value === undefined || value === 'auto') return undefined;
  if (!SERVICE_TIER_VALUES.includes(value)) {
    throw bad(`'service_tier' ${JSON.stringify(value.slice(0, 40))} is not allowed; allowed: ${SERVICE_TIER_VALUES.join(', ')}.`, 'service_tier');
  }
  return value as ServiceTier;
}
