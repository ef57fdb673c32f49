/**
 * A loopback fake of the two API Gateway operations the key CLI calls — GetApiKeys and GetApiKey
 * (REST JSON: `GET /apikeys?includeValues=true&limit=&position=`, `GET /apikeys/{id}?includeValue=true`) —
 * serving API keys tagged the way `TenantUsagePlans` tags them. Used beside dynalite.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeApiKey {
  readonly id: string;
  readonly value: string;
  readonly enabled?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface FakeApiGateway {
  readonly endpoint: string;
  /** Request paths with query strings, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

function represent(key: FakeApiKey, includeValue: boolean): Record<string, unknown> {
  return {
    id: key.id,
    name: `key-${key.id}`,
    enabled: key.enabled ?? true,
    createdDate: 1_700_000_000,
    stageKeys: [],
    ...(includeValue ? { value: key.value } : {}),
    ...(key.tags !== undefined ? { tags: key.tags } : {}),
  };
}

/**
 * @param keys the account's API keys
 * @param pageSize keys per GetApiKeys page (small values exercise pagination)
 */
export async function startFakeApiGateway(keys: readonly FakeApiKey[], pageSize = 500): Promise<FakeApiGateway> {
  const requests: string[] = [];
  const send = (res: ServerResponse, status: number, body: unknown, errorType?: string): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method !== 'GET') return send(res, 404, { message: 'not found' }, 'NotFoundException');
    if (url.pathname === '/apikeys') {
      const includeValues = url.searchParams.get('includeValues') === 'true';
      const start = Number(url.searchParams.get('position') ?? '0');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? String(pageSize)), pageSize);
      const page = keys.slice(start, start + limit);
      const next = start + limit < keys.length ? String(start + limit) : undefined;
      return send(res, 200, { item: page.map((k) => represent(k, includeValues)), ...(next !== undefined ? { position: next } : {}) });
    }
    const match = /^\/apikeys\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const key = keys.find((k) => k.id === decodeURIComponent(match[1]));
      if (!key) return send(res, 404, { message: 'Invalid API Key identifier specified' }, 'NotFoundException');
      return send(res, 200, represent(key, url.searchParams.get('includeValue') === 'true'));
    }
    return send(res, 404, { message: 'not found' }, 'NotFoundException');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
