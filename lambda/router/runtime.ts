/**
 * Cold-start wiring shared by the Lambda entry and the local server: the configuration loaders
 * (see ./config-source) and the real provider adapters (one warm client pool per process).
 *
 * The Bedrock adapter and the ApplyGuardrail client (and with them the AWS SDK's Bedrock Runtime
 * client, about a third of the bundle) are loaded with `import()` on the first Bedrock call or
 * guardrail check: a gateway whose requests go to OpenAI-compatible targets never compiles them,
 * which shortens every cold start. The module is loaded once per process and the one shared
 * client pool is created once; later calls go straight to it.
 */
import { ResolvedGatewayConfig } from '../shared/defaults';
import { Gateway, GatewayOptions } from './gateway';
import { GuardrailApplier, GuardrailVerdict } from './pipeline/guardrail-types';
import { ProviderRegistry } from './pipeline/invoke';
import { OpenAiAdapter } from './providers/openai/adapter';
import type {
  BedrockTarget, CallOptions, Completion, EmbeddingRequest, Embeddings, ProviderAdapter, ProviderRequest, StreamChunk,
} from './providers/types';
import type { GroundingGuardrail, GroundingScorer, GroundingScores } from './retrieval/grounding';
import { OpenAiCorpusEmbedder } from './retrieval/corpus-embeddings';
import { LocalCorpusRetriever } from './retrieval/local-corpus';
import type { Passage, RetrievalQuery, Retriever, RetrieverRegistry } from './retrieval/types';

// The configuration file (local mode and the CLI); the deployed router loads through
// `loadConfig` in ./config-source, which reads AWS AppConfig when the environment names it.
// (Imported from the modules, not the folder's index, so the CLI bundle leaves the AppConfig client out.)
export { loadGatewayConfig } from './config-source/file';
export { CONFIG_FILE_NAME, CONFIG_PATH_ENV, configPath } from './config-source/source';

/** The Bedrock adapter and guardrail client of one process, sharing one client pool. */
interface BedrockRuntime {
  readonly adapter: ProviderAdapter<BedrockTarget>;
  readonly guardrails: GuardrailApplier;
  readonly grounding: GroundingScorer;
}

/** Loads the Bedrock modules on first use; one pool for the adapter and the guardrail client. */
class LazyBedrock {
  private loading?: Promise<BedrockRuntime>;
  private loaded?: BedrockRuntime;

  /** The loaded runtime (synchronously once loaded, so warm calls pay no extra await). */
  get(): BedrockRuntime | Promise<BedrockRuntime> {
    if (this.loaded) return this.loaded;
    this.loading ??= this.load().then(
      (runtime) => (this.loaded = runtime),
      (error: unknown) => {
        this.loading = undefined; // a failed load (never expected: the chunk ships beside the entry) is retried
        throw error;
      },
    );
    return this.loading;
  }

  private async load(): Promise<BedrockRuntime> {
    const [{ BedrockClientPool }, { BedrockAdapter }, { BedrockGuardrailClient }, { BedrockGroundingScorer }] = await Promise.all([
      import('./providers/bedrock/client.js'),
      import('./providers/bedrock/adapter.js'),
      import('./providers/bedrock/apply-guardrail.js'),
      import('./retrieval/grounding.js'),
    ]);
    const pool = new BedrockClientPool();
    return { adapter: new BedrockAdapter({ pool }), guardrails: new BedrockGuardrailClient({ pool }), grounding: new BedrockGroundingScorer({ pool }) };
  }
}

/** The Bedrock adapter, loaded on its first call. */
class LazyBedrockAdapter implements ProviderAdapter<BedrockTarget> {
  readonly kind = 'bedrock' as const;
  constructor(private readonly bedrock: LazyBedrock) {}

  async complete(target: BedrockTarget, request: ProviderRequest, options: CallOptions): Promise<Completion> {
    return (await this.bedrock.get()).adapter.complete(target, request, options);
  }

  /**
   * The adapter's own stream, loaded at the first `next()`; from then on `next` is the adapter's,
   * so a chunk crosses no extra generator (an `async *` wrapper with `yield*` costs a promise round
   * per chunk, and a Bedrock stream has a chunk per token).
   */
  stream(target: BedrockTarget, request: ProviderRequest, options: CallOptions): AsyncIterable<StreamChunk> {
    const bedrock = this.bedrock;
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<StreamChunk> => {
        let opening: Promise<AsyncIterator<StreamChunk>> | undefined;
        let inner: AsyncIterator<StreamChunk> | undefined;
        const iterator: AsyncIterator<StreamChunk> = {
          next: async () => {
            opening ??= Promise.resolve(bedrock.get()).then((b) => b.adapter.stream(target, request, options)[Symbol.asyncIterator]());
            const opened = await opening;
            inner = opened;
            iterator.next = opened.next.bind(opened);
            return opened.next();
          },
          return: async (value?: unknown) => (inner?.return ? inner.return(value) : { done: true, value: undefined }),
        };
        return iterator;
      },
    };
  }

  async embed(target: BedrockTarget, request: EmbeddingRequest, options: CallOptions): Promise<Embeddings> {
    return (await this.bedrock.get()).adapter.embed!(target, request, options);
  }
}

/** The ApplyGuardrail client, loaded on its first check. */
class LazyBedrockGuardrails implements GuardrailApplier {
  constructor(private readonly bedrock: LazyBedrock) {}

  async apply(...args: Parameters<GuardrailApplier['apply']>): Promise<GuardrailVerdict> {
    return (await this.bedrock.get()).guardrails.apply(...args);
  }
}

/** The contextual grounding scorer, loaded with the Bedrock modules on its first check. */
class LazyGroundingScorer implements GroundingScorer {
  constructor(private readonly bedrock: LazyBedrock) {}

  async score(guardrail: GroundingGuardrail, input: Parameters<GroundingScorer['score']>[1], options: CallOptions): Promise<GroundingScores> {
    return (await this.bedrock.get()).grounding.score(guardrail, input, options);
  }
}

/** The Bedrock knowledge base retriever (and the Agent Runtime client), loaded on the first search. */
class LazyKnowledgeBaseRetriever implements Retriever {
  private loading?: Promise<Retriever>;

  async retrieve(query: RetrievalQuery, options: CallOptions): Promise<readonly Passage[]> {
    this.loading ??= import('./retrieval/bedrock-knowledge-base.js').then(
      ({ BedrockKnowledgeBaseRetriever }) => new BedrockKnowledgeBaseRetriever(),
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return (await this.loading).retrieve(query, options);
  }
}

/**
 * The real adapters, the ApplyGuardrail client and grounding scorer (sharing one Bedrock client
 * pool, loaded on first use), and the knowledge source retrievers.
 */
export function createProviders(options: { readonly configDir?: string } = {}): {
  providers: ProviderRegistry; guardrails: GuardrailApplier; grounding: GroundingScorer; retrievers: RetrieverRegistry;
} {
  const bedrock = new LazyBedrock();
  const openai = new OpenAiAdapter();
  return {
    providers: { bedrock: new LazyBedrockAdapter(bedrock), openai },
    guardrails: new LazyBedrockGuardrails(bedrock),
    grounding: new LazyGroundingScorer(bedrock),
    retrievers: {
      bedrock: new LazyKnowledgeBaseRetriever(),
      // A local corpus searched by embeddings asks its endpoint through the OpenAI adapter (its connections, its error taxonomy).
      local: new LocalCorpusRetriever({ baseDir: options.configDir, embedder: new OpenAiCorpusEmbedder(openai) }),
    },
  };
}

/**
 * A gateway over a resolved configuration with the real adapters; options override the defaults
 * (tests pass their own usage sink, clock or adapters).
 */
export function createGateway(
  config: ResolvedGatewayConfig, options: Partial<GatewayOptions> & { readonly configDir?: string } = {},
): Gateway {
  const { configDir, ...gatewayOptions } = options;
  const real = createProviders({ configDir });
  const fakes = options.providers !== undefined;
  return new Gateway({
    ...gatewayOptions,
    config,
    providers: options.providers ?? real.providers,
    guardrails: options.guardrails ?? (fakes ? undefined : real.guardrails),
    grounding: options.grounding ?? (fakes ? undefined : real.grounding),
    retrievers: options.retrievers ?? real.retrievers,
  });
}
