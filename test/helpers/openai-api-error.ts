import OpenAI from 'openai';

/** The `APIError` the openai client rejects `p` with; fails the test if it resolves or rejects otherwise. */
export async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error('expected an APIError');
}
