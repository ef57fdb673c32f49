/**
 * Tools ↔ OpenAI Chat Completions (pure): passed through as OpenAI defines them.
 *
 * - Request: `tools` (type function), `tool_choice` (`auto`, `none`, `required`, a named function),
 *   `parallel_tool_calls` when the client set it; an assistant turn's tool calls as `tool_calls`
 *   (content null when it has no text); a user turn's tool results as one `tool` message each,
 *   before the turn's text.
 * - Answer: `message.tool_calls[]` → tool calls; stream `delta.tool_calls[]` → `tool_call` chunks
 *   (index, and id/name when a call opens, argument fragments), as the upstream sent them.
 */
import type { ChatTurn, ProviderRequest, StreamChunk, ToolCall } from '../types';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The chat messages of one normalised turn (`content`: its message content, the text or the parts with images). */
export function chatMessagesOf(turn: ChatTurn, content: unknown = turn.content): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of turn.toolResults ?? []) out.push({ role: 'tool', tool_call_id: r.toolCallId, content: r.content });
  if (turn.toolCalls?.length) {
    out.push({
      role: 'assistant',
      content: turn.content === '' ? null : content,
      tool_calls: turn.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    });
  } else if (turn.content !== '' || turn.parts !== undefined || !turn.toolResults?.length) {
    out.push({ role: turn.role, content });
  }
  return out;
}

/** The tool fields of the body (`tools`, `tool_choice`, `parallel_tool_calls`), or {} without tools. */
export function toolFieldsOf(request: Pick<ProviderRequest, 'tools'>): Record<string, unknown> {
  const t = request.tools;
  if (!t) return {};
  const choice = t.choice.type === 'function' ? { type: 'function', function: { name: t.choice.name } } : t.choice.type;
  return {
    tools: t.tools.map((d) => ({
      type: 'function',
      function: {
        name: d.name,
        ...(d.description !== undefined ? { description: d.description } : {}),
        parameters: d.parameters,
        ...(d.strict !== undefined ? { strict: d.strict } : {}),
      },
    })),
    tool_choice: choice,
    ...(t.parallel !== undefined ? { parallel_tool_calls: t.parallel } : {}),
  };
}

/** `message.tool_calls` of an answer (entries that are not function calls are left out). */
export function toolCallsOf(message: Record<string, unknown>): ToolCall[] {
  if (!Array.isArray(message.tool_calls)) return [];
  const calls: ToolCall[] = [];
  for (const c of message.tool_calls) {
    if (!isRecord(c) || !isRecord(c.function)) continue;
    const args = c.function.arguments;
    calls.push({
      id: typeof c.id === 'string' ? c.id : '',
      name: typeof c.function.name === 'string' ? c.function.name : '',
      arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
    });
  }
  return calls;
}

/** A stream delta's `tool_calls` as chunks. */
export function toolCallDeltasOf(delta: Record<string, unknown>): Extract<StreamChunk, { type: 'tool_call' }>[] {
  if (!Array.isArray(delta.tool_calls)) return [];
  const chunks: Extract<StreamChunk, { type: 'tool_call' }>[] = [];
  delta.tool_calls.forEach((c: unknown, position: number) => {
    if (!isRecord(c)) return;
    const fn = isRecord(c.function) ? c.function : {};
    chunks.push({
      type: 'tool_call',
      index: typeof c.index === 'number' ? c.index : position,
      ...(typeof c.id === 'string' ? { id: c.id } : {}),
      ...(typeof fn.name === 'string' ? { name: fn.name } : {}),
      arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
    });
  });
  return chunks;
}
