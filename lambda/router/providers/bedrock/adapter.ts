/**
 * The Bedrock adapter: Converse and ConverseStream against the target's model id (for tenants,
 * their application inference profile ARN), through warm keep-alive clients (./client.ts).
 *
 * - `complete()` → Converse; `stream()` → ConverseStream as an async generator that yields each
 *   `contentBlockDelta` text and tool use (./tool-stream.ts), then one `end` chunk built from
 *   `messageStop.stopReason` and `metadata.usage` (estimated and marked when the stream carries no
 *   usage).
 * - Deadline (`timeoutMs`, until the last byte), connect timeout and the router's abort signal are
 *   enforced per call; a consumer that stops iterating early aborts the request.
 * - Failures are classified by ./errors.ts; the adapter never retries.
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { UpstreamError } from '../../errors';
import { CallGuard } from '../call-guard';
import type {
  BedrockTarget, CallOptions, Completion, EmbeddingRequest, Embeddings, ProviderAdapter, ProviderRequest, StreamChunk,
} from '../types';
import { resolveUsage, type ReportedUsage } from '../usage';
import { BedrockClientPool, type BedrockClientPoolOptions } from './client';
import { invokeEmbeddings } from './embeddings';
import { classifyBedrockError } from './errors';
import {
  finishReasonOf,
  fromConverseOutput,
  guardrailActionOf,
  reportedUsageOf,
  servedModelOf,
  toConverseInput,
  toConverseStreamInput,
} from './mapping';
import { ToolUseStream } from './tool-stream';

export interface BedrockAdapterOptions extends BedrockClientPoolOptions {
  /** Share a client pool (e.g. with the guardrail client). @default a pool of its own */
  readonly pool?: BedrockClientPool;
}

/** The exception members of the ConverseStream union, in case a service sends one as an event. */
const STREAM_EXCEPTION_MEMBERS = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
] as const;

/**
 * @example
 * const bedrock = new BedrockAdapter();
 * const completion = await bedrock.complete(target, request, { signal, connectTimeoutMs: 1000, timeoutMs: 30000 });
 * for await (const chunk of bedrock.stream(target, request, options)) { ... }
 */
export class BedrockAdapter implements ProviderAdapter<BedrockTarget> {
  readonly kind = 'bedrock' as const;
  readonly pool: BedrockClientPool;

  constructor(options: BedrockAdapterOptions = {}) {
    this.pool = options.pool ?? new BedrockClientPool(options);
  }

  async complete(target: BedrockTarget, request: ProviderRequest, options: CallOptions): Promise<Completion> {
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      const input = toConverseInput(target, request);
      const client = this.pool.client(target, options.connectTimeoutMs);
      const output = await client.send(new ConverseCommand(input), { abortSignal: guard.signal });
      return fromConverseOutput(target, request, output);
    } catch (error) {
      throw guard.classify(error, classifyBedrockError);
    } finally {
      guard.release();
    }
  }

  /** InvokeModel with the target's embedding model (./embeddings.ts). */
  async embed(target: BedrockTarget, request: EmbeddingRequest, options: CallOptions): Promise<Embeddings> {
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      return await invokeEmbeddings(this.pool.client(target, options.connectTimeoutMs), target, request, guard.signal);
    } catch (error) {
      throw guard.classify(error, classifyBedrockError);
    } finally {
      guard.release();
    }
  }

  async *stream(target: BedrockTarget, request: ProviderRequest, options: CallOptions): AsyncGenerator<StreamChunk, void, undefined> {
    const guard = new CallGuard(options);
    let finished = false;
    try {
      guard.throwIfStopped();
      const input = toConverseStreamInput(target, request);
      const client = this.pool.client(target, options.connectTimeoutMs);
      const response = await client.send(new ConverseStreamCommand(input), { abortSignal: guard.signal });
      if (!response.stream) {
        throw new UpstreamError('ConverseStream answered without an event stream', { disposition: 'fallback', code: 'malformedResponse' });
      }
      let output = '';
      let stopReason: string | undefined;
      let stopped = false;
      let usage: ReportedUsage | undefined;
      let invokedModelId: string | undefined;
      const tools = new ToolUseStream(target, request);
      for await (const event of response.stream) {
        const delta = event.contentBlockDelta;
        if (delta?.delta?.text) {
          if (tools.passesText()) {
            output += delta.delta.text;
            yield { type: 'text', text: delta.delta.text };
          }
        } else if (delta?.delta?.toolUse) {
          const chunk = tools.delta(delta.contentBlockIndex, delta.delta.toolUse.input ?? '');
          if (chunk) {
            output += chunk.type === 'text' ? chunk.text : chunk.arguments;
            yield chunk;
          }
        } else if (event.contentBlockStart?.start?.toolUse) {
          const chunk = tools.start(event.contentBlockStart.contentBlockIndex, event.contentBlockStart.start.toolUse);
          if (chunk) yield chunk;
        } else if (event.messageStop) {
          stopped = true;
          stopReason = event.messageStop.stopReason;
        } else if (event.metadata) {
          usage = reportedUsageOf(event.metadata.usage);
          invokedModelId = event.metadata.trace?.promptRouter?.invokedModelId;
        } else {
          throwIfException(event);
        }
      }
      if (!stopped) {
        throw new UpstreamError('the ConverseStream event stream ended before messageStop', {
          disposition: 'retryable',
          code: 'streamTruncated',
        });
      }
      const resolved = resolveUsage(usage, request, output);
      const end: StreamChunk = {
        type: 'end',
        finishReason: tools.calls > 0 ? 'tool_calls' : finishReasonOf(stopReason),
        usage: resolved.usage,
        servedModel: servedModelOf(target, invokedModelId),
        guardrailAction: guardrailActionOf(target, stopReason),
        ...(resolved.estimated ? { usageEstimated: true } : {}),
      };
      finished = true;
      guard.release();
      yield end;
    } catch (error) {
      throw guard.classify(error, classifyBedrockError);
    } finally {
      // A consumer that stops early leaves the request in flight: abort it (closes the connection).
      guard.release(!finished);
    }
  }
}

function throwIfException(event: ConverseStreamOutput): void {
  for (const member of STREAM_EXCEPTION_MEMBERS) {
    const value: unknown = (event as unknown as Record<string, unknown>)[member];
    if (value !== undefined) {
      const message = typeof value === 'object' && value !== null && 'message' in value ? String(value.message) : member;
      throw classifyBedrockError(Object.assign(new Error(message), { name: member }));
    }
  }
}
