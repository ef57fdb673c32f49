/**
 * A loopback OTLP/HTTP collector: records each export request (headers, parsed JSON body), answers
 * with a scripted status, and verifies AWS SigV4 signatures independently of the SDK's signer.
 */
import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedExport {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  readonly body: unknown;
}

export interface FakeOtlpCollector {
  readonly url: string;
  readonly received: ReceivedExport[];
  /** Statuses for the next requests, in order (default 200). */
  readonly statuses: number[];
  close(): Promise<void>;
}

export async function startFakeOtlpCollector(): Promise<FakeOtlpCollector> {
  const received: ReceivedExport[] = [];
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"partialSuccess":{}}' : '{"message":"nope"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    received,
    statuses,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const sha256Hex = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Checks a request's SigV4 `Authorization` header against `secretAccessKey`, from the AWS
 * specification (canonical request, string to sign, derived key): true when the signature matches.
 */
export function verifySigV4(request: ReceivedExport, secretAccessKey: string): boolean {
  const auth = String(request.headers.authorization ?? '');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) return false;
  const [, , date, region, service, signedHeaders, signature] = match;
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const canonicalHeaders = signedHeaders.split(';').map((h) => `${h}:${String(request.headers[h] ?? '').trim()}\n`).join('');
  const [path, query = ''] = request.path.split('?');
  const canonical = [request.method, path, query, canonicalHeaders, signedHeaders, sha256Hex(request.rawBody)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return hmac(key, stringToSign).toString('hex') === signature;
}
