/**
 * The Batch API's seams: what the gateway hands the batch service (batch-service.ts) for
 * `/v1/files` and `/v1/batches`, and the port through which the service checks and serves each
 * line with the gateway's own pipeline (the same stages as a synchronous request).
 */
import type { TenantIdentity } from '../../shared/authorizer-context';
import type { GatewayError } from '../errors';
import type { GatewayRequest } from '../http';
import type { ResolvedPrice } from '../../shared/defaults';
import type { ProviderRegistry } from '../pipeline/invoke';
import type { EmbeddingRequest, ProviderRequest, Target } from '../providers/types';

/** One line of a batch, as the gateway checks or serves it. */
export interface BatchLineRequest {
  /** `<batch id>.<line number>`: the same on every replay, so the ledger keeps one record per line. */
  readonly requestId: string;
  /** The line's `url`, e.g. `/v1/chat/completions`. */
  readonly url: string;
  /** The line's `body`, as JSON bytes. */
  readonly body: Uint8Array;
  /** Who submitted the batch (the identity at submission: tier and key narrowing included). */
  readonly identity: TenantIdentity;
  /** When the line was started (epoch ms): its deadline counts from here. */
  readonly receivedAt: number;
  /** A line that will not run (invalid, cancelled, expired): recorded as refused with this error. */
  readonly refusal?: GatewayError;
  /** A line a batch job answered: adapters that return its answer instead of calling the model. */
  readonly answers?: ProviderRegistry;
  /** Priced on demand: a line served one by one because no batch job took it. @default false */
  readonly onDemandPrice?: boolean;
  /** The price of the line's tokens instead of the price table's (a self-hosted Job's GPU hours). @default the price table's */
  readonly price?: ResolvedPrice;
}

/**
 * The call a batch job makes for a line — a chat completion (`providerRequest`) or, for a
 * `/v1/embeddings` line, an embeddings call (`embeddingRequest`) — or why the line does not run.
 */
export type BatchLinePlan =
  | { readonly error: GatewayError }
  | { readonly target: Target; readonly providerRequest: ProviderRequest; readonly gatewayGuardrail: boolean }
  | { readonly target: Target; readonly embeddingRequest: EmbeddingRequest; readonly gatewayGuardrail: boolean };

/** What a served line answered: its status and JSON body (an answer or an error envelope). */
export interface BatchLineAnswer {
  readonly status: number;
  readonly body: string;
}

/** The gateway's pipeline, for batch lines (implemented by `Gateway`). */
export interface BatchLinePort {
  /** The error a synchronous request with this body would get before any model call, or `undefined`. */
  checkBatchLine(line: BatchLineRequest): Promise<GatewayError | undefined>;
  /** Serves the line (or records its refusal): exactly one usage record, at the batch price. */
  serveBatchLine(line: BatchLineRequest): Promise<BatchLineAnswer>;
  /** The call a batch job would make for the line (its first target), or the line's error. */
  planBatchLine(line: BatchLineRequest): Promise<BatchLinePlan>;
}

/** A `/v1/files…` or `/v1/batches…` request of an authenticated tenant. */
export interface BatchCall {
  readonly request: GatewayRequest;
  readonly identity: TenantIdentity;
  readonly lines: BatchLinePort;
}

/** The answer to a Batch API call (errors are thrown as `GatewayError`s). */
export interface BatchAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The Batch API behind the gateway. */
export interface BatchEndpoints {
  /** The largest file `POST /v1/files` accepts, in bytes. */
  readonly maxFileBytes: number;
  handle(call: BatchCall): Promise<BatchAnswer>;
}
