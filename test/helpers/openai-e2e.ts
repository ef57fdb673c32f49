/** Helpers of the end-to-end tests that drive local mode with the official `openai` client. */
import OpenAI from 'openai';
import type { UsageRecord } from '../../lambda/router/usage/types';
import type { InMemoryUsageSink } from './in-memory-usage-sink';

/** The usage records, once `n` have been written (the record follows the response; allow a loaded machine 30 s). */
export async function records(usage: InMemoryUsageSink, n: number): Promise<UsageRecord[]> {
  const until = Date.now() + 30_000;
  while (usage.records.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(usage.records).toHaveLength(n);
  return usage.records;
}

/** The `APIError` a call rejects with (any other outcome fails the test). */
export async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error('expected an APIError');
}
