/**
 * A loopback Amazon Bedrock Agent Runtime that speaks the Retrieve API's wire protocol
 * (REST-JSON `POST /knowledgebases/{knowledgeBaseId}/retrieve`), for tests that drive the real
 * `@aws-sdk/client-bedrock-agent-runtime` client against it.
 *
 * Every request is recorded (knowledge base id, parsed body, headers). Behaviours are scripted per
 * call with `enqueue`: results (a list, or a function of the request, e.g. a corpus the fake filters
 * or deliberately does not), or a service error (`x-amzn-errortype` and a JSON message, as the
 * service sends them). With an empty queue the fake answers no results.
 *
 * @example
 * const fake = await startFakeBedrockAgentRuntime();
 * fake.enqueue(AgentRuntimeBehaviours.results([{ text: 'Refunds take 5 days', score: 0.9, uri: 's3://docs/a.txt', metadata: { tenant: 'acme' } }]));
 * const client = new BedrockAgentRuntimeClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials });
 * expect(fake.lastRequest().body.retrievalConfiguration.vectorSearchConfiguration.filter).toEqual(...);
 */
import * as http from 'node:http';
import { scriptedServer, ScriptedServerControls } from './fake-server';

/** One result of a Retrieve answer. */
export interface FakeRetrievalResult {
  readonly text: string;
  readonly score: number;
  readonly uri?: string;
  readonly metadata?: Record<string, unknown>;
}

/** A recorded Retrieve request. */
export interface RecordedRetrieveRequest {
  readonly knowledgeBaseId: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The parsed JSON body: `{retrievalQuery, retrievalConfiguration, …}`. */
  readonly body: {
    readonly retrievalQuery?: { readonly text?: string };
    readonly retrievalConfiguration?: { readonly vectorSearchConfiguration?: { readonly numberOfResults?: number; readonly filter?: unknown } };
  };
}

export type AgentRuntimeBehaviour =
  | { readonly kind: 'results'; readonly results: (request: RecordedRetrieveRequest) => readonly FakeRetrievalResult[] }
  | { readonly kind: 'error'; readonly name: string; readonly status: number };

export const AgentRuntimeBehaviours = {
  results: (results: readonly FakeRetrievalResult[] | ((request: RecordedRetrieveRequest) => readonly FakeRetrievalResult[])): AgentRuntimeBehaviour =>
    ({ kind: 'results', results: typeof results === 'function' ? results : () => results }),
  error: (name: string, status = 400): AgentRuntimeBehaviour => ({ kind: 'error', name, status }),
};

export interface FakeBedrockAgentRuntime extends ScriptedServerControls<AgentRuntimeBehaviour, RecordedRetrieveRequest> {
  readonly endpoint: string;
}

const RETRIEVE = /^\/knowledgebases\/([^/]+)\/retrieve$/;

export async function startFakeBedrockAgentRuntime(): Promise<FakeBedrockAgentRuntime> {
  const core = scriptedServer<AgentRuntimeBehaviour, RecordedRetrieveRequest>({
    name: 'fake-bedrock-agent-runtime', defaultBehaviour: AgentRuntimeBehaviours.results([]),
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = RETRIEVE.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' });
        res.end(JSON.stringify({ message: `fake: no route for ${req.method} ${req.url}` }));
        return;
      }
      const recorded: RecordedRetrieveRequest = {
        knowledgeBaseId: decodeURIComponent(match[1]), headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
      };
      core.record(recorded);
      const behaviour = core.next();
      if (behaviour.kind === 'error') {
        res.writeHead(behaviour.status, { 'content-type': 'application/json', 'x-amzn-errortype': `${behaviour.name}:http://internal.amazon.com/coral/com.amazon.bedrock.agent.runtime/` });
        res.end(JSON.stringify({ message: `fake ${behaviour.name}` }));
        return;
      }
      const retrievalResults = behaviour.results(recorded).map((r) => ({
        content: { text: r.text, type: 'TEXT' },
        ...(r.uri !== undefined ? { location: { type: 'S3', s3Location: { uri: r.uri } } } : {}),
        score: r.score,
        ...(r.metadata !== undefined ? { metadata: r.metadata } : {}),
      }));
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request' });
      res.end(JSON.stringify({ retrievalResults }));
    });
  });
  const port = await core.listen(server);
  return core.controls({ endpoint: `http://127.0.0.1:${port}` });
}
