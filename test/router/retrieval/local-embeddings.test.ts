/**
 * A local corpus searched by embeddings: the real OpenAI adapter against a loopback embeddings
 * server whose vectors carry meaning (./fake-keyword-embeddings.ts). Cosine ranking finds passages
 * that share no word with the query, the tenant and clearance filter still holds, passages with their
 * own embedding are never sent, and a failing endpoint is a 503 retrieval_unavailable.
 */
import { OpenAiAdapter } from '../../../lambda/router/providers/openai/adapter';
import { CallOptions } from '../../../lambda/router/providers/types';
import { OpenAiCorpusEmbedder } from '../../../lambda/router/retrieval/corpus-embeddings';
import { gatewayFilter } from '../../../lambda/router/retrieval/filter';
import { cosineSimilarity, LocalCorpusRetriever } from '../../../lambda/router/retrieval/local-corpus';
import { Sensitivity } from '../../../lambda/shared/config';
import { KnowledgeSourceKind, LocalCorpusEmbeddingsConfig } from '../../../lambda/shared/config-retrieval';
import { resolveKnowledgeSource } from '../../../lambda/shared/retrieval-defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { resolved } from '../../helpers/router-config';
import { retrievalConfig } from './fixtures';
import { chatRequest, GLOBEX, send, Steps, testGateway } from './gateway-helpers';
import { KeywordEmbeddingsServer, startKeywordEmbeddings, topicVector } from './fake-keyword-embeddings';

const CORPUS = [
  { id: 'shared-refunds', text: 'Card refunds are credited within 5 business days.', metadata: { tenant: 'everyone', sensitivity: 'public' } },
  { id: 'acme-chargebacks', text: 'Acme handles chargebacks within 30 days.', metadata: { tenant: 'acme', sensitivity: 'internal' } },
  { id: 'acme-fraud', text: 'Acme holds suspicious transfers for review.', metadata: { tenant: 'acme', sensitivity: 'restricted' } },
  { id: 'globex-chargebacks', text: 'Globex chargebacks and disputes: contest within 60 days.', metadata: { tenant: 'globex', sensitivity: 'internal' } },
  // Carries its own embedding (a loan vector): never sent to the endpoint.
  { id: 'acme-loans', text: 'Acme lending terms.', metadata: { tenant: 'acme', sensitivity: 'internal' }, embedding: [0, 0, 0, 1, 0.1] },
];
const JSONL = CORPUS.map((d) => JSON.stringify(d)).join('\n');
const QUERY = 'How do I contest a payment?';
const options = (): CallOptions => ({ signal: new AbortController().signal, connectTimeoutMs: 5_000, timeoutMs: 10_000 });

let server: KeywordEmbeddingsServer;
beforeAll(async () => { server = await startKeywordEmbeddings(); });
afterAll(() => server.close());
beforeEach(() => server.requests.splice(0));

const embeddings = (extra: Partial<LocalCorpusEmbeddingsConfig> = {}): LocalCorpusEmbeddingsConfig => ({ baseUrl: server.baseUrl, model: 'topics', ...extra });
const source = (extra: Partial<LocalCorpusEmbeddingsConfig> = {}) => resolveKnowledgeSource({
  id: 'semantic', kind: KnowledgeSourceKind.LOCAL_CORPUS, corpusPath: 'semantic.jsonl', sharedTenantValue: 'everyone', embeddings: embeddings(extra),
});
const retriever = (env: Record<string, string> = {}, corpus = JSONL): LocalCorpusRetriever => new LocalCorpusRetriever({
  readFile: () => corpus, embedder: new OpenAiCorpusEmbedder(new OpenAiAdapter(), env),
});

describe('a local corpus searched by embeddings', () => {
  test('ranks by cosine similarity: finds a passage sharing no word with the query, within the tenant and clearance', async () => {
    // Prepare
    const s = source();
    const filter = gatewayFilter(s, 'acme', Sensitivity.INTERNAL);

    // Act
    const passages = await retriever().retrieve({ source: s, text: QUERY, topK: 3, filter }, options());

    // Assess
    expect(passages[0].documentId).toBe('acme-chargebacks');
    expect(passages[0].score).toBeCloseTo(cosineSimilarity(topicVector(QUERY), topicVector(CORPUS[1].text)), 6);
    expect(passages.map((p) => p.documentId)).not.toContain('globex-chargebacks'); // the closest match, but another tenant's
    expect(passages.map((p) => p.documentId)).not.toContain('acme-fraud'); // restricted, above the clearance
    expect(passages.every((p) => p.score >= 0 && p.score <= 1)).toBe(true);
    for (let i = 1; i < passages.length; i++) expect(passages[i - 1].score).toBeGreaterThanOrEqual(passages[i].score);
  });

  test('embeds each passage without an embedding once, in one batch; later searches embed only the query', async () => {
    // Prepare
    const r = retriever();
    const s = source();
    const filter = gatewayFilter(s, 'acme', Sensitivity.INTERNAL);

    // Act
    await r.retrieve({ source: s, text: QUERY, topK: 3, filter }, options());
    await r.retrieve({ source: s, text: 'mortgage', topK: 1, filter }, options());

    // Assess
    const inputs = server.requests.map((q) => q.body.input);
    expect(inputs).toHaveLength(3);
    expect(inputs).toContainEqual(CORPUS.filter((d) => d.embedding === undefined).map((d) => d.text));
    expect(inputs.flat()).not.toContain('Acme lending terms.');
    expect(inputs.at(-1)).toEqual(['mortgage']);
    expect(server.requests.every((q) => q.body.model === 'topics')).toBe(true);
  });

  test("a passage's own embedding ranks like an embedded one", async () => {
    const s = source();
    const [top] = await retriever().retrieve({ source: s, text: 'Can I borrow for a mortgage?', topK: 1, filter: gatewayFilter(s, 'acme', Sensitivity.INTERNAL) }, options());
    expect(top.documentId).toBe('acme-loans');
  });

  test("sends the bearer token from the source's apiKeyEnv, and its dimensions", async () => {
    const s = source({ apiKeyEnv: 'EMBEDDINGS_KEY', dimensions: 5 });
    await retriever({ EMBEDDINGS_KEY: 'sk-embed' }).retrieve({ source: s, text: QUERY, topK: 1, filter: gatewayFilter(s, 'acme', Sensitivity.INTERNAL) }, options());
    expect(server.requests.map((q) => q.authorization)).toEqual(['Bearer sk-embed', 'Bearer sk-embed']);
    expect(server.requests.every((q) => q.body.dimensions === 5)).toBe(true);
  });

  test('a failed load is forgotten: the next search embeds the corpus again', async () => {
    // Prepare
    const r = retriever();
    const s = source();
    const query = { source: s, text: QUERY, topK: 1, filter: gatewayFilter(s, 'acme', Sensitivity.INTERNAL) };
    server.failNext(500, 1);

    // Act
    const first = r.retrieve(query, options());

    // Assess
    await expect(first).rejects.toMatchObject({ name: 'UpstreamError' });
    await expect(r.retrieve(query, options())).resolves.toHaveLength(1);
  });

  test('an embedding of another size than the corpus is refused, naming both sizes', async () => {
    const corpus = JSON.stringify({ id: 'odd', text: 'x', metadata: { tenant: 'acme', sensitivity: 'public' }, embedding: [1, 2] });
    const s = source();
    await expect(retriever({}, corpus).retrieve({ source: s, text: QUERY, topK: 1, filter: gatewayFilter(s, 'acme', Sensitivity.INTERNAL) }, options()))
      .rejects.toThrow(/5 values, the corpus's 2/);
  });

  test('a corpus line with a malformed embedding names its line', async () => {
    const s = source();
    const corpus = `${JSONL}\n${JSON.stringify({ id: 'bad', text: 'x', metadata: {}, embedding: ['a'] })}`;
    await expect(retriever({}, corpus).retrieve({ source: s, text: QUERY, topK: 1, filter: gatewayFilter(s, 'acme', Sensitivity.INTERNAL) }, options()))
      .rejects.toThrow(/line 6: "embedding" must be a non-empty list of numbers/);
  });
});

describe('through the gateway', () => {
  const config = () => {
    const base = retrievalConfig();
    return resolved({
      ...base,
      tenants: base.tenants.map((t) => (t.allowedKnowledgeSources ? { ...t, allowedKnowledgeSources: [...t.allowedKnowledgeSources, 'semantic'] } : t)),
      knowledgeSources: [...base.knowledgeSources!, {
        id: 'semantic', kind: KnowledgeSourceKind.LOCAL_CORPUS, corpusPath: 'semantic.jsonl', sharedTenantValue: 'everyone', embeddings: embeddings(),
      }],
    });
  };
  const ask = { model: 'chat', messages: [{ role: 'user', content: QUERY }], retrieval: { source: 'semantic', top_k: 2 } };

  test("the caller's closest passages enter the prompt and the citations", async () => {
    const t = testGateway({ config: config(), retrievers: { local: retriever() } });
    t.openai.enqueue(Steps.ok({ text: 'Within 60 days [1].' }));
    const res = await send(t.gateway, chatRequest(ask, { key: GLOBEX }));
    expect(res.status).toBe(200);
    const body = res.json() as unknown as { citations: { document_id: string }[] };
    expect(body.citations[0].document_id).toBe('globex-chargebacks');
    expect(body.citations.map((c) => c.document_id)).not.toContain('acme-chargebacks');
    expect(t.openai.calls[0].request.system.join('\n')).toContain('contest within 60 days');
  });

  test('an embeddings endpoint that fails is a 503 retrieval_unavailable, before any model call, with one usage record', async () => {
    server.failNext(503, 1);
    const t = testGateway({ config: config(), retrievers: { local: retriever() } });
    const res = await send(t.gateway, chatRequest(ask));
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'retrieval_unavailable' } });
    expect(t.openai.calls).toHaveLength(0);
    expect(t.usage.records).toHaveLength(1);
  });
});

describe('the configuration', () => {
  const base = retrievalConfig();
  const withSource = (s: Record<string, unknown>) => ({ ...base, knowledgeSources: [...base.knowledgeSources!.filter((k) => k.id !== 'handbook'), s] });

  test.each([
    [{ id: 'handbook', kind: 'bedrock-knowledge-base', knowledgeBaseId: 'KB12345678', embeddings: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm' } }, /embeddings/],
    [{ id: 'handbook', kind: 'local-corpus', corpusPath: 'c.jsonl', embeddings: { baseUrl: 'http://127.0.0.1:1/v1' } }, /model/],
    [{ id: 'handbook', kind: 'local-corpus', corpusPath: 'c.jsonl', embeddings: { baseUrl: 'not a url', model: 'm' } }, /baseUrl/],
    [{ id: 'handbook', kind: 'local-corpus', corpusPath: 'c.jsonl', embeddings: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKeyEnv: 'lower' } }, /apiKeyEnv/],
  ])('refuses %j naming the field', (s, field) => {
    expect(() => GatewayConfigValidator.validate(withSource(s))).toThrow(field);
  });

  test('accepts a local corpus with embeddings', () => {
    const s = { id: 'handbook', kind: 'local-corpus', corpusPath: 'c.jsonl', embeddings: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKeyEnv: 'EMBED_KEY', dimensions: 256 } };
    expect(() => GatewayConfigValidator.validate(withSource(s))).not.toThrow();
  });
});
