/**
 * The embeddings of a local corpus searched by embeddings: `POST {baseUrl}/embeddings` on an
 * OpenAI-compatible server through the OpenAI adapter's `embed()` (its transport, error taxonomy,
 * answer checks and `encoding_format: 'float'`), the bearer token from the environment variable the
 * source names. The endpoint can be the local mode's own gateway (`/v1/embeddings` with an
 * embeddings route alias and a local key).
 */
import { LocalCorpusEmbeddingsConfig } from '../../shared/config-retrieval';
import type { CallOptions, OpenAiTarget, ProviderAdapter } from '../providers/types';
import type { CorpusEmbedder } from './local-corpus';

/** The part of the OpenAI adapter this embedder uses. */
export type EmbeddingsClient = Required<Pick<ProviderAdapter<OpenAiTarget>, 'embed'>>;

/**
 * @example
 * const embedder = new OpenAiCorpusEmbedder(new OpenAiAdapter());
 * const [vector] = await embedder.embed({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' }, ['refunds'], options);
 */
export class OpenAiCorpusEmbedder implements CorpusEmbedder {
  constructor(
    private readonly client: EmbeddingsClient,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  async embed(config: LocalCorpusEmbeddingsConfig, inputs: readonly string[], options: CallOptions): Promise<readonly (readonly number[])[]> {
    const apiKey = config.apiKeyEnv !== undefined ? this.env[config.apiKeyEnv] : undefined;
    const target: OpenAiTarget = { kind: 'openai', id: `corpus-embeddings:${config.model}`, baseUrl: config.baseUrl, model: config.model, ...(apiKey ? { apiKey } : {}) };
    const answer = await this.client.embed(target, {
      requestId: 'retrieval',
      // An empty input is refused by OpenAI-compatible servers: embed a space instead.
      inputs: inputs.map((text) => (text.length > 0 ? text : ' ')),
      ...(config.dimensions !== undefined ? { dimensions: config.dimensions } : {}),
    }, options);
    return answer.vectors;
  }
}
