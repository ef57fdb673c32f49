/**
 * A loopback S3 for wire-level tests with the real SDK (path-style addressing): PutObject
 * (including a presigned PUT), GetObject (404 `NoSuchKey`) and ListObjectsV2 (pages of `pageSize`
 * keys with continuation tokens). Objects live in memory; `objects` exposes them to the test.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeS3 {
  /** `http://127.0.0.1:<port>`: the client's endpoint, with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** `bucket/key` → body. */
  readonly objects: Map<string, string>;
  /** The requests served: method and path (with the query). */
  readonly requests: string[];
  close(): Promise<void>;
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function startFakeS3(options: { pageSize?: number } = {}): Promise<FakeS3> {
  const objects = new Map<string, string>();
  const requests: string[] = [];
  const pageSize = options.pageSize ?? 1000;
  const serve = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (req.method === 'PUT' && key !== '') {
      objects.set(`${bucket}/${key}`, body);
      res.writeHead(200, { etag: '"fake"' });
      res.end();
      return;
    }
    if (req.method === 'GET' && key !== '') {
      const object = objects.get(`${bucket}/${key}`);
      if (object === undefined) return xml(res, 404, `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${escape(key)}</Key></Error>`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(object) });
      res.end(object);
      return;
    }
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const start = Number(url.searchParams.get('continuation-token') ?? '0');
      const keys = [...objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).map((k) => k.slice(bucket.length + 1)).sort();
      const page = keys.slice(start, start + pageSize);
      const truncated = start + pageSize < keys.length;
      const contents = page.map((k) => `<Contents><Key>${escape(k)}</Key><Size>${Buffer.byteLength(objects.get(`${bucket}/${k}`) ?? '')}</Size></Contents>`).join('');
      return xml(res, 200, `<ListBucketResult><Name>${bucket}</Name><Prefix>${escape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${start + pageSize}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`);
    }
    xml(res, 400, '<Error><Code>NotImplemented</Code><Message>fake-s3 serves PutObject, GetObject and ListObjectsV2 only.</Message></Error>');
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => serve(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
