/**
 * Tools and enforced structured output ↔ Bedrock Converse (pure).
 *
 * - `tools` → `toolConfig.tools[].toolSpec` (`name`, `description`, `inputSchema.json`, `strict`);
 *   `tool_choice` `auto` → `{auto}`, `required` → `{any}`, a named function → `{tool: {name}}`
 *   (Claude and Nova; routing sends tools only to targets that support tool use). `none`, or a
 *   request without tools, sends no `toolConfig`: the conversation's tool traffic is then written
 *   as text (Converse refuses `toolUse`/`toolResult` blocks without a `toolConfig`).
 * - Assistant tool calls → `toolUse` blocks (arguments parsed to the object Converse wants); tool
 *   results → `toolResult` blocks at the start of the next user turn, in order.
 * - A `json_schema` response format on a target without native structured output is enforced by
 *   a forced tool: a tool named as the schema, whose input schema is the response schema, chosen
 *   with `{tool: {name}}` (or `{any}` when the request has tools of its own, so the model may call
 *   those instead). The answer is that tool's input, returned as the message's content; text blocks
 *   around it are dropped (they would make the content invalid JSON).
 * - `parallel_tool_calls: false` has no Converse field: the adapter keeps the first tool call of
 *   the answer and drops the others.
 * - Tool call ids that Bedrock's `toolUseId` pattern (`[a-zA-Z0-9_-]{1,64}`) refuses are replaced by
 *   a stable hash-derived id, the same in the call and its result.
 */
import { createHash } from 'node:crypto';
import type { ContentBlock, Message, Tool, ToolChoice as ConverseToolChoice, ToolConfiguration } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockTarget, ChatTurn, ProviderRequest, ToolCall } from '../types';

const TOOL_USE_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** A tool call id as Bedrock accepts it. @example bedrockToolUseId('call_1') // 'call_1' */
export function bedrockToolUseId(id: string): string {
  return TOOL_USE_ID.test(id) ? id : `id_${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/**
 * The name of the tool that enforces the request's `json_schema` response format on `target`, or
 * undefined when there is none (no schema, or the target enforces it natively).
 */
export function responseToolName(target: BedrockTarget, request: Pick<ProviderRequest, 'responseFormat'>): string | undefined {
  const format = request.responseFormat;
  return format?.type === 'json_schema' && target.structuredOutputs !== true ? format.name : undefined;
}

/** Whether the request's own tools are offered to the model. */
export function clientToolsOffered(request: Pick<ProviderRequest, 'tools'>): boolean {
  return request.tools !== undefined && request.tools.choice.type !== 'none';
}

/** The `toolConfig` of a call, or undefined when the call offers no tool. */
export function toolConfigOf(target: BedrockTarget, request: Pick<ProviderRequest, 'tools' | 'responseFormat'>): ToolConfiguration | undefined {
  const responseTool = responseToolName(target, request);
  const tools: Tool[] = [];
  let toolChoice: ConverseToolChoice | undefined;
  if (clientToolsOffered(request)) {
    const { tools: defs, choice } = request.tools!;
    for (const t of defs) {
      tools.push({
        toolSpec: {
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          inputSchema: { json: t.parameters as Record<string, never> },
          ...(t.strict !== undefined ? { strict: t.strict } : {}),
        },
      });
    }
    if (choice.type === 'function') toolChoice = { tool: { name: choice.name } };
    else if (choice.type === 'required' || responseTool !== undefined) toolChoice = { any: {} };
    else toolChoice = { auto: {} };
  }
  if (responseTool !== undefined && request.responseFormat?.type === 'json_schema') {
    tools.push({
      toolSpec: {
        name: responseTool,
        description: 'Give the final answer: its input is the answer, in the required JSON format.',
        inputSchema: { json: request.responseFormat.schema as Record<string, never> },
        ...(request.responseFormat.strict !== undefined ? { strict: request.responseFormat.strict } : {}),
      },
    });
    toolChoice ??= { tool: { name: responseTool } };
  }
  return tools.length > 0 ? { tools, toolChoice } : undefined;
}

function argumentsObject(call: ToolCall): Record<string, never> {
  // parse-tools.ts admitted only arguments that hold a JSON object.
  return JSON.parse(call.arguments) as Record<string, never>;
}

/** The tool traffic of a turn, as text (for calls that offer no tools). */
function toolTrafficText(turn: ChatTurn): string[] {
  const texts: string[] = [];
  for (const r of turn.toolResults ?? []) texts.push(`[tool result ${r.toolCallId}] ${r.content}`);
  for (const c of turn.toolCalls ?? []) texts.push(`[tool call ${c.id}: ${c.name}(${c.arguments})]`);
  return texts;
}

/**
 * A normalised turn as a Converse message: tool results first (user turns), the turn's own blocks
 * (`body`: its text, or its text and image blocks in order; blank texts left out), then tool calls
 * (assistant turns). With `asBlocks` false, tool traffic is text.
 */
export function converseMessage(turn: ChatTurn, asBlocks: boolean, body: readonly ContentBlock[]): Message {
  const content: ContentBlock[] = [];
  if (!asBlocks) {
    const before = turn.role === 'user' ? toolTrafficText(turn) : [];
    const after = turn.role === 'assistant' ? toolTrafficText(turn) : [];
    if (before.length + after.length === 0) return { role: turn.role, content: [...body] };
    if (turn.parts === undefined) {
      const texts = [...before, ...(turn.content.trim() !== '' ? [turn.content] : []), ...after];
      return { role: turn.role, content: [{ text: texts.join('\n\n') }] };
    }
    return { role: turn.role, content: [...before.map((text) => ({ text })), ...nonBlank(body), ...after.map((text) => ({ text }))] };
  }
  for (const r of turn.toolResults ?? []) {
    content.push({
      toolResult: { toolUseId: bedrockToolUseId(r.toolCallId), content: [r.content.trim() !== '' ? { text: r.content } : { json: {} }] },
    });
  }
  content.push(...nonBlank(body));
  for (const c of turn.toolCalls ?? []) {
    content.push({ toolUse: { toolUseId: bedrockToolUseId(c.id), name: c.name, input: argumentsObject(c) } });
  }
  return { role: turn.role, content };
}

function nonBlank(blocks: readonly ContentBlock[]): ContentBlock[] {
  return blocks.filter((b) => b.text === undefined || b.text.trim() !== '');
}

/**
 * The texts the tool mapping adds to a call, for the input-token bound: the tool definitions
 * offered (name, description, schema) and the forced response tool's.
 */
export function toolPromptTexts(target: BedrockTarget, request: Pick<ProviderRequest, 'tools' | 'responseFormat'>): string[] {
  const config = toolConfigOf(target, request);
  return (config?.tools ?? []).map((t) => JSON.stringify(t.toolSpec));
}
