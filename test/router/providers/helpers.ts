/** Factories for the provider tests. */
import { UpstreamError } from '../../../lambda/router/errors';
import type { CallOptions, ProviderRequest, StreamChunk } from '../../../lambda/router/providers/types';

/** Static fake credentials: the SDK signs with them, the fakes ignore the signature. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret-key' } as const;
export const REGION = 'us-east-1';
export const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6';

export function providerRequest(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    requestId: 'req-0001',
    system: ['You are terse.'],
    messages: [{ role: 'user', content: 'Summarise the ticket.' }],
    metadata: { tenant: 'acme', workflow: 'support-summary', promptVersion: 'summary@3', requestId: 'req-0001' },
    ...overrides,
    maxTokens: overrides.maxTokens ?? 512,
  };
}

/**
 * Timeouts long enough never to fire on their own: a starved process (a loaded 2-core machine)
 * runs an overdue timer before the socket event it was racing. Tests of a deadline pass a short
 * one and check that the error names it; a timeout error can then only come from that deadline.
 */
export const GENEROUS_CONNECT_TIMEOUT_MS = 30_000;
export const GENEROUS_TIMEOUT_MS = 60_000;

export function callOptions(overrides: Partial<CallOptions> = {}): CallOptions {
  return { signal: new AbortController().signal, connectTimeoutMs: GENEROUS_CONNECT_TIMEOUT_MS, timeoutMs: GENEROUS_TIMEOUT_MS, ...overrides };
}

/** Drains a stream; returns the chunks, and the error it rejected with (if any). */
export async function collect(stream: AsyncIterable<StreamChunk>): Promise<{ chunks: StreamChunk[]; error?: unknown }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

export function texts(chunks: readonly StreamChunk[]): string[] {
  return chunks.flatMap((c) => (c.type === 'text' ? [c.text] : []));
}

/** Awaits a rejection and returns it as an UpstreamError (fails the test otherwise). */
export async function upstreamErrorOf(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw new Error(`expected an UpstreamError, got ${String(error)}`);
  }
  throw new Error('expected the call to reject');
}

/** Measures how long an async function takes, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}
