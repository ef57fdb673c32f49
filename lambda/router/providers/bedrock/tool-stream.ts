/**
 * ConverseStream tool use → the adapter's stream chunks (pure, one instance per stream).
 *
 * `contentBlockStart.start.toolUse {toolUseId, name}` opens a tool call: it becomes a `tool_call`
 * chunk with the next OpenAI tool-call index, the id and the name; each
 * `contentBlockDelta.delta.toolUse.input` (a fragment of the input's JSON text) becomes a
 * `tool_call` chunk with that index and the fragment as `arguments`. The forced response tool's
 * input (./tools.ts) is the answer instead: its fragments become `text` chunks, and other text is
 * dropped. With `parallel_tool_calls: false`, tool calls after the first are dropped.
 */
import type { ToolUseBlockStart } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockTarget, ProviderRequest, StreamChunk } from '../types';

type ContentChunk = Extract<StreamChunk, { type: 'text' | 'tool_call' }>;
import { responseToolName } from './tools';

type Block = { readonly kind: 'response' } | { readonly kind: 'call'; readonly index: number } | { readonly kind: 'dropped' };

export class ToolUseStream {
  /** Tool calls passed on so far. */
  calls = 0;
  private readonly responseTool?: string;
  private readonly single: boolean;
  private readonly blocks = new Map<number, Block>();

  constructor(target: BedrockTarget, request: ProviderRequest) {
    this.responseTool = responseToolName(target, request);
    this.single = request.tools?.parallel === false;
  }

  /** Whether text blocks are part of the answer (not when a forced response tool carries it). */
  passesText(): boolean {
    return this.responseTool === undefined;
  }

  /** A tool use block opens: the chunk that opens its tool call, if it is one. */
  start(blockIndex: number | undefined, start: ToolUseBlockStart): ContentChunk | undefined {
    const key = blockIndex ?? -1;
    if (start.name === this.responseTool) {
      this.blocks.set(key, { kind: 'response' });
      return undefined;
    }
    if (this.single && this.calls > 0) {
      this.blocks.set(key, { kind: 'dropped' });
      return undefined;
    }
    const index = this.calls++;
    this.blocks.set(key, { kind: 'call', index });
    return { type: 'tool_call', index, id: start.toolUseId ?? '', name: start.name ?? '', arguments: '' };
  }

  /** A fragment of a tool use block's input. */
  delta(blockIndex: number | undefined, input: string): ContentChunk | undefined {
    const block = this.blocks.get(blockIndex ?? -1);
    if (!block || block.kind === 'dropped' || input === '') return undefined;
    return block.kind === 'response' ? { type: 'text', text: input } : { type: 'tool_call', index: block.index, arguments: input };
  }
}
