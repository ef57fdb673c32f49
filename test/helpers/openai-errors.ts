import OpenAI from 'openai';

/** The `APIError` a call of the openai client rejects with (fails the test if it resolves or throws anything else). */
export async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error('expected an APIError');
}
