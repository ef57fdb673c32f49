/**
 * The wire: the Retrieve request the real Bedrock Agent Runtime client sends and how its answer is
 * read; the contextual grounding request the real Bedrock Runtime client sends (ApplyGuardrail with
 * grounding_source, query and guard_content) and how its scores are read.
 */
import { BedrockKnowledgeBaseRetriever } from '../../../lambda/router/retrieval/bedrock-knowledge-base';
import { BedrockGroundingScorer } from '../../../lambda/router/retrieval/grounding';
import { UpstreamError } from '../../../lambda/router/errors';
import { resolveKnowledgeSource } from '../../../lambda/shared/retrieval-defaults';
import { KnowledgeSourceKind } from '../../../lambda/shared/config-retrieval';
import { BedrockClientPool } from '../../../lambda/router/providers/bedrock/client';
import { AgentRuntimeBehaviours, FakeBedrockAgentRuntime, startFakeBedrockAgentRuntime } from '../../helpers/fake-bedrock-agent-runtime';
import { BedrockBehaviours, FakeBedrockRuntime, startFakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const options = () => ({ signal: new AbortController().signal, connectTimeoutMs: 2000, timeoutMs: 5000 });

describe('Retrieve against a loopback Bedrock Agent Runtime', () => {
  let fake: FakeBedrockAgentRuntime;
  beforeAll(async () => { fake = await startFakeBedrockAgentRuntime(); });
  afterAll(async () => { await fake.close(); });
  beforeEach(() => fake.reset());

  const source = () => resolveKnowledgeSource({ id: 'kb', kind: KnowledgeSourceKind.BEDROCK_KNOWLEDGE_BASE, knowledgeBaseId: 'KB12345678', region: 'eu-west-1', endpoint: fake.endpoint });
  const filter = { andAll: [{ equals: { key: 'tenant', value: 'acme' } }, { in: { key: 'sensitivity', value: ['public'] } }] };

  test('sends the knowledge base id in the path, the query, numberOfResults and the filter, signed for bedrock', async () => {
    await new BedrockKnowledgeBaseRetriever({ credentials }).retrieve({ source: source(), text: 'refunds', topK: 4, filter }, options());
    const r = fake.lastRequest();
    expect(r.knowledgeBaseId).toBe('KB12345678');
    expect(r.body).toEqual({
      retrievalQuery: { text: 'refunds' },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 4, filter } },
    });
    expect(String(r.headers.authorization)).toMatch(/Credential=AKIDTEST\/\d{8}\/eu-west-1\/bedrock\/aws4_request/);
  });

  test('reads text, score, S3 location and metadata of each result', async () => {
    fake.enqueue(AgentRuntimeBehaviours.results([
      { text: 'Refunds take 5 days.', score: 0.82, uri: 's3://docs/acme/refunds.txt', metadata: { tenant: 'acme', sensitivity: 'public', year: 2024, tags: ['a'] } },
    ]));
    const passages = await new BedrockKnowledgeBaseRetriever({ credentials }).retrieve({ source: source(), text: 'refunds', topK: 4, filter }, options());
    expect(passages).toEqual([{
      documentId: 's3://docs/acme/refunds.txt', uri: 's3://docs/acme/refunds.txt', text: 'Refunds take 5 days.', score: 0.82,
      metadata: { tenant: 'acme', sensitivity: 'public', year: 2024, tags: ['a'] },
    }]);
  });

  test('a service error becomes an UpstreamError', async () => {
    fake.enqueue(AgentRuntimeBehaviours.error('ThrottlingException', 429));
    const failure = await new BedrockKnowledgeBaseRetriever({ credentials }).retrieve({ source: source(), text: 'q', topK: 1, filter }, options()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).code).toBe('throttling');
  });
});

describe('contextual grounding against a loopback Bedrock Runtime', () => {
  let fake: FakeBedrockRuntime;
  beforeAll(async () => { fake = await startFakeBedrockRuntime(); });
  afterAll(async () => { await fake.close(); });

  test('sends the passages, the query and the answer with their qualifiers and reads both scores', async () => {
    // Prepare
    fake.enqueue(BedrockBehaviours.guardrail('GUARDRAIL_INTERVENED', {
      assessments: [{ contextualGroundingPolicy: { filters: [
        { type: 'GROUNDING', threshold: 0.7, score: 0.31, action: 'BLOCKED' },
        { type: 'RELEVANCE', threshold: 0.5, score: 0.88, action: 'NONE' },
      ] } }],
    }));
    const scorer = new BedrockGroundingScorer({ pool: new BedrockClientPool({ credentials }) });

    // Act
    const scores = await scorer.score({ identifier: 'gr1abc', version: '2', region: 'us-east-1', endpoint: fake.endpoint },
      { sources: 'Refunds take 5 days.', query: 'How long do refunds take?', answer: 'Ninety days.' }, options());

    // Assess
    expect(scores).toEqual({ grounding: 0.31, relevance: 0.88 });
    expect(fake.lastRequest().body).toMatchObject({
      source: 'OUTPUT',
      content: [
        { text: { text: 'Refunds take 5 days.', qualifiers: ['grounding_source'] } },
        { text: { text: 'How long do refunds take?', qualifiers: ['query'] } },
        { text: { text: 'Ninety days.', qualifiers: ['guard_content'] } },
      ],
    });
  });
});
