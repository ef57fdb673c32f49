/**
 * Retrieval in local mode with the official openai client: the example configuration's local
 * corpus (examples/handbook.jsonl), the body's `retrieval` as an extra field, the answer parsed by
 * the SDK with the gateway's `citations` on the raw body.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { GatewayConfig } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { sha256 } from '../../helpers/router-config';
import { KeywordEmbeddingsServer, startKeywordEmbeddings } from './fake-keyword-embeddings';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const KEY = 'sk-local-acme';

describe('local mode retrieval with the openai client', () => {
  let vllm: FakeOpenAiUpstream;
  let embeddings: KeywordEmbeddingsServer;
  let server: LocalServer;
  const usage = new InMemoryUsageSink();

  beforeAll(async () => {
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    embeddings = await startKeywordEmbeddings();
    const example = JSON.parse(readFileSync(join(EXAMPLES, 'local-config.json'), 'utf8')) as GatewayConfig & { $schema?: string };
    const config: GatewayConfig = {
      ...example,
      targets: example.targets.map((t) => ({ ...t, baseUrl: vllm.baseUrl })),
      knowledgeSources: example.knowledgeSources!.map((k) => (k.embeddings ? { ...k, embeddings: { ...k.embeddings, baseUrl: embeddings.baseUrl } } : k)),
      localKeys: { [sha256(KEY)]: 'acme' },
    };
    const gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config)), { usageSink: usage, configDir: EXAMPLES });
    server = await startLocalServer({ gateway, port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await vllm.close();
    await embeddings.close();
  });

  test("the route's retrieval finds acme's and shared passages up to its clearance, and the SDK parses the cited answer", async () => {
    // Prepare
    vllm.enqueue(OpenAiBehaviours.success({ text: 'Within 30 days [1].' }));
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 10_000 });

    // Act
    const { data, response } = await client.chat.completions.create({
      model: 'rag', messages: [{ role: 'user', content: 'How does a chargeback work, and card refunds?' }],
    }).withResponse();

    // Assess
    expect(data.choices[0].message.content).toBe('Within 30 days [1].');
    expect(response.status).toBe(200);
    const citations = (data as unknown as { citations: { document_id: string }[] }).citations.map((c) => c.document_id);
    expect(citations).toEqual(expect.arrayContaining(['acme-chargebacks', 'refunds-public']));
    expect(citations).not.toContain('acme-fraud-rules'); // restricted, above the request's internal sensitivity
    expect(citations).not.toContain('globex-refunds');
    const sent = JSON.stringify(vllm.lastRequest().body);
    expect(sent).toContain('Acme disputes a chargeback');
    expect(sent).not.toContain('Globex');
  });

  test('a client filter sent as an extra body field narrows the search', async () => {
    vllm.enqueue(OpenAiBehaviours.success({ text: 'ok' }));
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 10_000 });
    const data = await client.chat.completions.create({
      model: 'chat', messages: [{ role: 'user', content: 'refunds' }],
      // @ts-expect-error the gateway's extension field
      retrieval: { source: 'handbook', filter: { equals: { key: 'source', value: 'handbook' } } },
    });
    expect((data as unknown as { citations: { document_id: string }[] }).citations.map((c) => c.document_id)).toEqual(['refunds-public']);
  });

  test('the embeddings source ranks by meaning: a question sharing no word with the passage finds it', async () => {
    // Prepare
    vllm.enqueue(OpenAiBehaviours.success({ text: 'ok' }));
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 10_000 });

    // Act
    const data = await client.chat.completions.create({
      model: 'chat', messages: [{ role: 'user', content: 'How do I contest a payment?' }],
      // @ts-expect-error the gateway's extension field
      retrieval: { source: 'handbook-semantic', top_k: 1 },
    });

    // Assess
    expect((data as unknown as { citations: { document_id: string }[] }).citations.map((c) => c.document_id)).toEqual(['acme-chargebacks']);
    expect(embeddings.requests.map((r) => r.body.model)).toEqual(['nomic-embed-text', 'nomic-embed-text']);
  });
});
