/**
 * A loopback OpenAI-compatible embeddings server whose vectors carry meaning: one axis per topic,
 * each counting the topic's words (synonyms included) in the text, plus a small constant axis so
 * no vector is all zeros. "contest a payment" and "Acme handles chargebacks" share no word but
 * point the same way, which is what an embeddings search finds and BM25 cannot.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { text as readText } from 'node:stream/consumers';

export const TOPICS: readonly (readonly string[])[] = [
  ['refund', 'refunds', 'reimburse', 'reimbursed', 'money'],
  ['chargeback', 'chargebacks', 'dispute', 'disputes', 'contest'],
  ['fraud', 'suspicious', 'stolen'],
  ['loan', 'loans', 'mortgage', 'borrow'],
];

/** The vector of `text`: one value per topic, then 0.1. */
export function topicVector(text: string): number[] {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  return [...TOPICS.map((topic) => words.filter((w) => topic.includes(w)).length), 0.1];
}

export interface KeywordEmbeddingsServer {
  /** `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string;
  /** Every request's body and Authorization header, in arrival order. */
  readonly requests: { readonly body: { model?: string; input?: string[]; dimensions?: number }; readonly authorization?: string }[];
  /** Answers the next `count` requests with this HTTP status instead of vectors. */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

/** Starts the server on an ephemeral loopback port. */
export async function startKeywordEmbeddings(): Promise<KeywordEmbeddingsServer> {
  const requests: KeywordEmbeddingsServer['requests'] = [];
  let failures: { status: number; count: number } | undefined;
  const server: Server = createServer((req, res) => {
    void readText(req).then((text) => {
      const body = JSON.parse(text) as { model?: string; input?: string[] };
      requests.push({ body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      if (failures && failures.count > 0) {
        failures.count--;
        res.writeHead(failures.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
        return;
      }
      const inputs = body.input ?? [];
      const data = inputs.map((input, index) => ({ object: 'embedding', index, embedding: topicVector(input) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model: body.model, data, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    failNext: (status, count = 1) => { failures = { status, count }; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
