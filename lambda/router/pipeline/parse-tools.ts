/**
 * Parsing of the tool fields of a chat completion request: `tools`, `tool_choice`,
 * `parallel_tool_calls`, an assistant message's `tool_calls` and `tool` messages. Legacy function
 * calling (`functions`, `function_call`, `function` messages) is refused with a message that names
 * its replacement: its answers have another shape (`message.function_call`), which no target here
 * produces.
 *
 * Limits: at most `MAX_TOOLS` tools (OpenAI's own limit), names of 1 to 64 letters, digits, `_`
 * and `-`, descriptions of at most `MAX_TOOL_DESCRIPTION_CHARS`, parameter schemas that are JSON
 * objects nested at most `MAX_TOOL_SCHEMA_DEPTH` deep; tool call arguments must be a JSON object
 * encoded as a string (Bedrock's `toolUse.input` is an object).
 */
import { ResponseFormat, ToolCall, ToolChoice, ToolDefinition, ToolRequest, ToolResult } from '../providers/types';
import { bad, isObject, Json, jsonDepth, kind, present, shown } from './parse-helpers';

/** The most tools a request may define (OpenAI's limit). */
export const MAX_TOOLS = 128;
/** A tool's name: OpenAI's rule, which Bedrock's `toolSpec.name` also accepts. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_TOOL_DESCRIPTION_CHARS = 4096;
/** The deepest a tool's `parameters` schema may nest (as `response_format`'s schema). */
export const MAX_TOOL_SCHEMA_DEPTH = 32;
/** The longest tool call id. */
export const MAX_TOOL_CALL_ID_CHARS = 256;
/** The most tool calls one assistant message may carry. */
export const MAX_TOOL_CALLS_PER_MESSAGE = 128;

const LEGACY = "legacy function calling is not supported; send 'tools' and 'tool_choice' instead";

function parseTool(value: unknown, at: string): ToolDefinition {
  if (!isObject(value)) throw bad(`'${at}' must be an object, not ${kind(value)}.`, at, 'invalid_type');
  if (value.type !== 'function') {
    throw bad(`'${at}.type' ${shown(value.type)} is not supported; allowed: function.`, `${at}.type`, 'unsupported_parameter');
  }
  const fn = value.function;
  if (!isObject(fn)) throw bad(`'${at}.function' must be an object, not ${kind(fn)}.`, `${at}.function`, 'invalid_type');
  if (typeof fn.name !== 'string' || !TOOL_NAME_PATTERN.test(fn.name)) {
    throw bad(`'${at}.function.name' must be 1 to 64 letters, digits, '_' or '-'.`, `${at}.function.name`);
  }
  let description: string | undefined;
  if (present(fn, 'description')) {
    if (typeof fn.description !== 'string') throw bad(`'${at}.function.description' must be a string, not ${kind(fn.description)}.`, `${at}.function.description`, 'invalid_type');
    if (fn.description.length > MAX_TOOL_DESCRIPTION_CHARS) {
      throw bad(`'${at}.function.description' must be at most ${MAX_TOOL_DESCRIPTION_CHARS} characters.`, `${at}.function.description`);
    }
    description = fn.description;
  }
  const parameters = fn.parameters ?? { type: 'object', properties: {} };
  const pAt = `${at}.function.parameters`;
  if (!isObject(parameters)) throw bad(`'${pAt}' must be a JSON Schema object, not ${kind(parameters)}.`, pAt, 'invalid_type');
  if (jsonDepth(parameters, MAX_TOOL_SCHEMA_DEPTH) > MAX_TOOL_SCHEMA_DEPTH) {
    throw bad(`'${pAt}' is nested deeper than ${MAX_TOOL_SCHEMA_DEPTH} levels.`, pAt);
  }
  if (present(fn, 'strict') && typeof fn.strict !== 'boolean') {
    throw bad(`'${at}.function.strict' must be true or false, not ${kind(fn.strict)}.`, `${at}.function.strict`, 'invalid_type');
  }
  return {
    name: fn.name,
    parameters,
    ...(description !== undefined ? { description } : {}),
    ...(typeof fn.strict === 'boolean' ? { strict: fn.strict } : {}),
  };
}

function parseToolChoice(value: unknown, tools: readonly ToolDefinition[]): ToolChoice {
  const p = 'tool_choice';
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (typeof value === 'string') throw bad(`'${p}' ${shown(value)} is not allowed; allowed: auto, none, required, or {"type": "function", "function": {"name": …}}.`, p);
  if (!isObject(value)) throw bad(`'${p}' must be a string or an object, not ${kind(value)}.`, p, 'invalid_type');
  if (value.type !== 'function') throw bad(`'${p}.type' ${shown(value.type)} is not supported; allowed: function.`, `${p}.type`, 'unsupported_parameter');
  const name = isObject(value.function) ? value.function.name : undefined;
  if (typeof name !== 'string') throw bad(`'${p}.function.name' must be a string, not ${kind(name)}.`, `${p}.function.name`, 'invalid_type');
  if (!tools.some((t) => t.name === name)) {
    throw bad(`'${p}.function.name' ${shown(name)} names no tool of 'tools'.`, `${p}.function.name`);
  }
  return { type: 'function', name };
}

/**
 * The request's tools, or undefined when it has none. `response_format` is read to refuse a tool
 * whose name is the structured-output schema's (the Bedrock adapter enforces that schema as a tool
 * of that name).
 *
 * @example parseTools({ tools: [{ type: 'function', function: { name: 'get_weather', parameters: {…} } }] }) // { tools: [...], choice: { type: 'auto' } }
 */
export function parseTools(body: Json, responseFormat?: ResponseFormat): ToolRequest | undefined {
  if (present(body, 'functions')) throw bad(`'functions' is not supported: ${LEGACY}.`, 'functions', 'unsupported_parameter');
  if (present(body, 'function_call')) throw bad(`'function_call' is not supported: ${LEGACY}.`, 'function_call', 'unsupported_parameter');
  let parallel: boolean | undefined;
  if (present(body, 'parallel_tool_calls')) {
    if (typeof body.parallel_tool_calls !== 'boolean') {
      throw bad(`'parallel_tool_calls' must be true or false, not ${kind(body.parallel_tool_calls)}.`, 'parallel_tool_calls', 'invalid_type');
    }
    parallel = body.parallel_tool_calls;
  }
  const raw = present(body, 'tools') ? body.tools : undefined;
  if (raw !== undefined && !Array.isArray(raw)) throw bad(`'tools' must be an array, not ${kind(raw)}.`, 'tools', 'invalid_type');
  if (raw !== undefined && raw.length > MAX_TOOLS) throw bad(`'tools' has ${raw.length} tools; the limit is ${MAX_TOOLS}.`, 'tools', 'too_many_tools');
  const tools = (raw ?? []).map((t, i) => parseTool(t, `tools[${i}]`));
  const names = new Set<string>();
  tools.forEach((t, i) => {
    if (names.has(t.name)) throw bad(`'tools[${i}].function.name' ${shown(t.name)} is defined twice.`, `tools[${i}].function.name`);
    names.add(t.name);
    if (responseFormat?.type === 'json_schema' && responseFormat.name === t.name) {
      throw bad(`'tools[${i}].function.name' ${shown(t.name)} is also the name of 'response_format.json_schema'; rename one of them.`, `tools[${i}].function.name`);
    }
  });
  if (!present(body, 'tool_choice')) return tools.length > 0 ? { tools, choice: { type: 'auto' }, ...(parallel !== undefined ? { parallel } : {}) } : undefined;
  const choice = parseToolChoice(body.tool_choice, tools);
  if (tools.length === 0) {
    if (choice.type === 'none') return undefined;
    throw bad("'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
  }
  return { tools, choice, ...(parallel !== undefined ? { parallel } : {}) };
}

/**
 * An assistant message's `tool_calls` (an empty list when it has none).
 *
 * @example parseToolCalls(message, 'messages[1]') // [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]
 */
export function parseToolCalls(message: Json, at: string): ToolCall[] {
  if (present(message, 'function_call')) throw bad(`'${at}.function_call' is not supported: ${LEGACY}.`, `${at}.function_call`, 'unsupported_parameter');
  if (!present(message, 'tool_calls')) return [];
  const list = message.tool_calls;
  const p = `${at}.tool_calls`;
  if (!Array.isArray(list)) throw bad(`'${p}' must be an array, not ${kind(list)}.`, p, 'invalid_type');
  if (list.length > MAX_TOOL_CALLS_PER_MESSAGE) throw bad(`'${p}' has ${list.length} calls; the limit is ${MAX_TOOL_CALLS_PER_MESSAGE}.`, p);
  const ids = new Set<string>();
  return list.map((call, j) => {
    const c = `${p}[${j}]`;
    if (!isObject(call)) throw bad(`'${c}' must be an object, not ${kind(call)}.`, c, 'invalid_type');
    if (call.type !== 'function') throw bad(`'${c}.type' ${shown(call.type)} is not supported; allowed: function.`, `${c}.type`, 'unsupported_parameter');
    if (typeof call.id !== 'string' || call.id.length === 0 || call.id.length > MAX_TOOL_CALL_ID_CHARS) {
      throw bad(`'${c}.id' must be a string of 1 to ${MAX_TOOL_CALL_ID_CHARS} characters.`, `${c}.id`, 'invalid_type');
    }
    if (ids.has(call.id)) throw bad(`'${c}.id' repeats the id of an earlier call of this message.`, `${c}.id`);
    ids.add(call.id);
    const fn = call.function;
    if (!isObject(fn)) throw bad(`'${c}.function' must be an object, not ${kind(fn)}.`, `${c}.function`, 'invalid_type');
    if (typeof fn.name !== 'string' || !TOOL_NAME_PATTERN.test(fn.name)) {
      throw bad(`'${c}.function.name' must be 1 to 64 letters, digits, '_' or '-'.`, `${c}.function.name`);
    }
    return { id: call.id, name: fn.name, arguments: parseArguments(fn.arguments, `${c}.function.arguments`) };
  });
}

function parseArguments(value: unknown, at: string): string {
  if (typeof value !== 'string') throw bad(`'${at}' must be a string holding a JSON object, not ${kind(value)}.`, at, 'invalid_type');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad(`'${at}' is not valid JSON; it must hold a JSON object.`, at, 'invalid_tool_arguments');
  }
  if (!isObject(parsed)) throw bad(`'${at}' must hold a JSON object, not ${kind(parsed)}.`, at, 'invalid_tool_arguments');
  return value;
}

/**
 * A `tool` message: the call it answers and its text (`text(content, param)` reads the content
 * as for other messages).
 *
 * @example parseToolMessage(message, 'messages[2]', readText) // { toolCallId: 'call_1', content: '18°C' }
 */
export function parseToolMessage(message: Json, at: string, text: (content: unknown, param: string) => string): ToolResult {
  const id = message.tool_call_id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_TOOL_CALL_ID_CHARS) {
    throw bad(`'${at}.tool_call_id' must be a string of 1 to ${MAX_TOOL_CALL_ID_CHARS} characters.`, `${at}.tool_call_id`, 'invalid_type');
  }
  if (!present(message, 'content')) throw bad(`'${at}.content' is required.`, `${at}.content`, 'missing_required_parameter');
  return { toolCallId: id, content: text(message.content, `${at}.content`) };
}

/** The error for a legacy `function` message. */
export function legacyFunctionMessage(at: string): Error {
  return bad(`'${at}.role' 'function' is not supported: ${LEGACY} (answer tool calls with 'tool' messages).`, `${at}.role`, 'unsupported_parameter');
}
