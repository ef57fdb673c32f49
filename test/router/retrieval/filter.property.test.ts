/**
 * The retrieval guarantee: whatever filter a client sends, no passage that reaches the prompt
 * belongs to another tenant or is above the request's sensitivity — against the local corpus, and
 * against the real Retrieve client talking to a loopback knowledge base that ignores filters
 * altogether (the gateway's own check must hold even then), whose received filter is checked too.
 */
import fc from 'fast-check';
import { BedrockKnowledgeBaseRetriever } from '../../../lambda/router/retrieval/bedrock-knowledge-base';
import { COMPARISONS, RetrievalFilter } from '../../../lambda/router/retrieval/filter';
import { retrieveContext, RetrievedContext } from '../../../lambda/router/pipeline/retrieval';
import { parseChatRequest } from '../../../lambda/router/pipeline/parse';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { InvalidRequestError } from '../../../lambda/router/errors';
import { Sensitivity } from '../../../lambda/shared/config';
import { SENSITIVITY_ORDER } from '../../../lambda/shared/defaults';
import { AgentRuntimeBehaviours, FakeBedrockAgentRuntime, startFakeBedrockAgentRuntime } from '../../helpers/fake-bedrock-agent-runtime';
import { LocalCorpusRetriever } from '../../../lambda/router/retrieval/local-corpus';
import { CORPUS, CORPUS_JSONL, localRetriever, PRODUCTS, retrievalResolved, SENSITIVITIES } from './fixtures';

const KEYS = ['tenant', 'sensitivity', 'product', 'year', 'source', 'tags', 'x-amz-bedrock-kb-source-uri'];
const value = fc.oneof(fc.constantFrom('acme', 'globex', 'initech', 'everyone', ...SENSITIVITIES, ...PRODUCTS), fc.integer({ min: 2018, max: 2024 }), fc.boolean());

/** Filters in (and around) the Retrieve grammar, naming owned keys too: the gateway must refuse or fence them. */
const filter: fc.Memo<unknown> = fc.memo((depth) => {
  const comparison = fc.record({ op: fc.constantFrom(...COMPARISONS), key: fc.constantFrom(...KEYS), v: fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 4 })) })
    .map(({ op, key, v }) => ({ [op]: { key, value: v } }));
  if (depth <= 1) return comparison;
  return fc.oneof(
    comparison,
    fc.array(filter(depth - 1), { minLength: 1, maxLength: 6 }).map((members) => ({ andAll: members })),
    fc.array(filter(depth - 1), { minLength: 1, maxLength: 6 }).map((members) => ({ orAll: members })),
    fc.anything({ maxDepth: 2 }),
  );
});

const config = retrievalResolved();
const rank = (s: string): number => SENSITIVITY_ORDER.indexOf(s as Sensitivity);

async function run(
  tenantId: string, sensitivity: Sensitivity, clientFilter: unknown, source: string, retrievers: Parameters<typeof retrieveContext>[0]['retrievers'], cfg = config,
): Promise<RetrievedContext | 'refused'> {
  const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId } }, {}, config);
  const chat = parseChatRequest(Buffer.from(JSON.stringify({
    model: 'chat', messages: [{ role: 'user', content: 'refund policy' }], retrieval: { source, top_k: 10, filter: clientFilter },
  })), undefined, config.limits);
  try {
    const ctx = await retrieveContext({
      chat, tenant, sensitivity, config: cfg, retrievers, options: { signal: new AbortController().signal, connectTimeoutMs: 2000, timeoutMs: 5000 }, now: Date.now,
    });
    return ctx!;
  } catch (error) {
    if (error instanceof InvalidRequestError && error.code === 'invalid_retrieval_filter') return 'refused';
    throw error;
  }
}

function expectFenced(result: RetrievedContext | 'refused', tenants: readonly string[], sensitivity: Sensitivity): void {
  if (result === 'refused') return;
  for (const p of result.passages) {
    expect(tenants).toContain(p.metadata.tenant);
    expect(rank(p.metadata.sensitivity as string)).toBeLessThanOrEqual(rank(sensitivity));
  }
}

const caller = fc.record({
  tenantId: fc.constantFrom('acme', 'globex'),
  sensitivity: fc.constantFrom(Sensitivity.PUBLIC, Sensitivity.INTERNAL),
});

describe('no passage crosses a tenant or a clearance, whatever the client filter', () => {
  test('local corpus', async () => {
    const retrievers = { local: localRetriever() };
    await fc.assert(fc.asyncProperty(caller, filter(4), async ({ tenantId, sensitivity }, f) => {
      expectFenced(await run(tenantId, sensitivity, f, 'handbook', retrievers), [tenantId, 'everyone'], sensitivity);
    }), { numRuns: 300 });
  });

  test('local corpus searched by embeddings', async () => {
    // Every passage is as close to the query as can be: only the fence decides what comes back.
    const embedder = { embed: (_c: unknown, inputs: readonly string[]) => Promise.resolve(inputs.map(() => [1, 1])) };
    const retrievers = { local: new LocalCorpusRetriever({ readFile: () => CORPUS_JSONL, embedder }) };
    const semantic = { ...config, knowledgeSources: new Map([...config.knowledgeSources].map(([id, s]) => [id, id === 'handbook' ? { ...s, embeddings: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm' } } : s])) };
    await fc.assert(fc.asyncProperty(caller, filter(4), async ({ tenantId, sensitivity }, f) => {
      expectFenced(await run(tenantId, sensitivity, f, 'handbook', retrievers, semantic), [tenantId, 'everyone'], sensitivity);
    }), { numRuns: 200 });
  });

  describe('Bedrock knowledge base (real SDK client, loopback Retrieve)', () => {
    let fake: FakeBedrockAgentRuntime;
    const restoreRegion = process.env.AWS_REGION;
    beforeAll(async () => {
      fake = await startFakeBedrockAgentRuntime();
      // A store that ignores the filter: every document comes back.
      fake.setDefaultBehaviour(AgentRuntimeBehaviours.results(CORPUS.map((d) => ({ text: d.text, score: 0.8, uri: d.uri, metadata: d.metadata }))));
    });
    afterAll(async () => {
      await fake.close();
      process.env.AWS_REGION = restoreRegion;
    });

    test('the filter sent always starts with the tenant and clearance clauses, and the answer is fenced', async () => {
      const kbConfig = retrievalResolved({ kbEndpoint: fake.endpoint });
      const retriever = new BedrockKnowledgeBaseRetriever({ credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
      await fc.assert(fc.asyncProperty(caller, filter(3), async ({ tenantId, sensitivity }, f) => {
        fake.reset();
        fake.setDefaultBehaviour(AgentRuntimeBehaviours.results(CORPUS.map((d) => ({ text: d.text, score: 0.8, uri: d.uri, metadata: d.metadata }))));
        const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId } }, {}, kbConfig);
        const chat = parseChatRequest(Buffer.from(JSON.stringify({
          model: 'chat', messages: [{ role: 'user', content: 'refund policy' }], retrieval: { source: 'kb', top_k: 20, filter: f },
        })), undefined, kbConfig.limits);
        let result: RetrievedContext;
        try {
          result = (await retrieveContext({
            chat, tenant, sensitivity, config: kbConfig, retrievers: { bedrock: retriever },
            options: { signal: new AbortController().signal, connectTimeoutMs: 2000, timeoutMs: 5000 }, now: Date.now,
          }))!;
        } catch (error) {
          if (!(error instanceof InvalidRequestError)) throw error;
          expect(fake.requests).toHaveLength(0);
          return;
        }
        const sent = fake.lastRequest().body.retrievalConfiguration!.vectorSearchConfiguration!.filter as { andAll: RetrievalFilter[] };
        expect(sent.andAll[0]).toEqual({ equals: { key: 'tenant', value: tenantId } });
        expect(sent.andAll[1]).toEqual({ in: { key: 'sensitivity', value: SENSITIVITY_ORDER.slice(0, rank(sensitivity) + 1) } });
        expect(sent.andAll.length).toBeLessThanOrEqual(3);
        expectFenced(result, [tenantId], sensitivity);
        // The store ignored the filter: the gateway's check refused what it must not pass on.
        expect(result.refused).toBeGreaterThan(0);
      }), { numRuns: 40 });
    });
  });
});
