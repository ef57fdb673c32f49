/**
 * Embeddings on Bedrock through InvokeModel (Bedrock has no Converse for embeddings; each model
 * family has its own body):
 *
 * | family | request body | response body | per call |
 * |---|---|---|---|
 * | Titan Text Embeddings V2 | `{inputText, dimensions?, normalize: true}` | `{embedding, inputTextTokenCount}` | one text |
 * | Cohere Embed v3 | `{texts, input_type, truncate: 'NONE', embedding_types: ['float']}` | `{embeddings: {float: [[…]]}}` (or `embeddings: [[…]]`) | ≤ 96 texts of ≤ 2,048 characters |
 *
 * Titan inputs go out as concurrent calls (at most `TITAN_CONCURRENCY` at a time), Cohere inputs in
 * batches of 96. Titan reports its token count in the body; Cohere in the
 * `X-Amzn-Bedrock-Input-Token-Count` response header, read by a middleware on the command (when it
 * is missing, the count is estimated and marked). The mapping functions are pure; `invokeEmbeddings`
 * does the calls.
 */
import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbeddingFamily } from '../../../shared/config-capabilities';
import { UpstreamError } from '../../errors';
import { embeddingCalls, INPUT_TOKEN_HEADER, TITAN_CONCURRENCY } from './embedding-calls';
import type { BedrockTarget, EmbeddingRequest, Embeddings } from '../types';
import { embeddingAnswerObject, isVector, malformedEmbeddingAnswer as malformed } from '../embedding-answer';
import { estimateTokens } from '../usage';

/**
 * The vectors and token count of one call's answer (`tokenHeader`: the header's value, if any).
 *
 * @example parseEmbeddingAnswer(BedrockEmbeddingFamily.TITAN_TEXT_V2, '{"embedding":[0.1],"inputTextTokenCount":3}', 1)
 */
export function parseEmbeddingAnswer(
  family: BedrockEmbeddingFamily, text: string, count: number, tokenHeader?: string,
): { vectors: number[][]; inputTokens?: number } {
  const body = embeddingAnswerObject(text);
  const headerTokens = tokenHeader !== undefined && /^\d+$/.test(tokenHeader) ? Number(tokenHeader) : undefined;
  if (family === BedrockEmbeddingFamily.TITAN_TEXT_V2) {
    if (!isVector(body.embedding)) throw malformed('an embedding');
    const tokens = typeof body.inputTextTokenCount === 'number' ? body.inputTextTokenCount : headerTokens;
    return { vectors: [body.embedding], ...(tokens !== undefined ? { inputTokens: tokens } : {}) };
  }
  // Cohere: `embeddings` is the list of vectors, or (with embedding_types) an object by type.
  const raw = body.embeddings;
  const list: unknown = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).float : undefined;
  if (!Array.isArray(list) || list.length !== count || !list.every(isVector)) throw malformed(`${count} embeddings`);
  return { vectors: list, ...(headerTokens !== undefined ? { inputTokens: headerTokens } : {}) };
}

/** Runs `tasks` with at most `limit` in flight, results in order. */
async function inPool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * Embeds `request.inputs` with the target's model. Throws what the SDK throws (the adapter
 * classifies it) or an `UpstreamError`.
 *
 * @example const embeddings = await invokeEmbeddings(client, target, request, signal);
 */
export async function invokeEmbeddings(
  client: BedrockRuntimeClient, target: BedrockTarget, request: EmbeddingRequest, abortSignal: AbortSignal,
): Promise<Embeddings> {
  const family = target.embeddingFamily;
  if (family === undefined) throw new UpstreamError(`target ${target.id} is not an embedding model`, { disposition: 'fallback', code: 'notEmbeddingModel' });
  const calls = embeddingCalls(family, request);
  const answers = await inPool(calls.map((call) => async () => {
    const command = new InvokeModelCommand({
      modelId: target.modelId, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(call.body),
    });
    let tokenHeader: string | undefined;
    command.middlewareStack.add((next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string | undefined> }).headers;
      tokenHeader = headers?.[INPUT_TOKEN_HEADER];
      return result;
    }, { step: 'deserialize', name: 'gatewayInputTokenCount' });
    const output = await client.send(command, { abortSignal });
    return parseEmbeddingAnswer(family, new TextDecoder().decode(output.body ?? new Uint8Array()), call.count, tokenHeader);
  }), family === BedrockEmbeddingFamily.TITAN_TEXT_V2 ? TITAN_CONCURRENCY : 1);
  const vectors: number[][] = [];
  let inputTokens = 0;
  let estimated = false;
  answers.forEach((answer, i) => {
    vectors.push(...answer.vectors);
    if (answer.inputTokens !== undefined) {
      inputTokens += answer.inputTokens;
    } else {
      estimated = true;
      const call = calls[i];
      for (const text of request.inputs.slice(call.start, call.start + call.count)) inputTokens += estimateTokens(text);
    }
  });
  return { vectors, inputTokens, servedModel: target.modelId, ...(estimated ? { usageEstimated: true } : {}) };
}
