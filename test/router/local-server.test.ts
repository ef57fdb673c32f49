/** The local server's transport duties: body limits and timeouts, answered in the OpenAI envelope. */
import * as http from 'node:http';
import { LocalServer, startLocalServer } from '../../lambda/router/local/server';
import { ACME_KEY, resolved, testConfig } from '../helpers/router-config';
import { testGateway } from '../helpers/router-fakes';

interface RawResponse { status: number; headers: http.IncomingHttpHeaders; body: string }

function raw(server: LocalServer, options: { body?: string; headers?: Record<string, string | number>; endBody?: boolean }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, method: 'POST', path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json', ...options.headers },
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.flushHeaders();
    if (options.body) req.write(options.body);
    if (options.endBody !== false) req.end();
  });
}

describe('local server', () => {
  const t = testGateway({ config: resolved({ ...testConfig(), limits: { maxBodyBytes: 2048 } }) });
  let server: LocalServer;

  beforeAll(async () => {
    server = await startLocalServer({ gateway: t.gateway, port: 0, bodyTimeoutMs: 150 });
  });
  afterAll(() => server.close());
  beforeEach(() => t.usage.clear());

  test('listens on 127.0.0.1 by default and gives the /v1 base URL', () => {
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}/v1`);
  });

  test('a declared body over the limit: 413 without reading it', async () => {
    const res = await raw(server, { headers: { 'content-length': 100_000 }, endBody: false });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'request_too_large', type: 'invalid_request_error' } });
    expect(t.usage.only()).toMatchObject({ status: 413, outcome: 'rejected' });
  });

  test('a chunked body growing over the limit: 413', async () => {
    const res = await raw(server, { body: 'x'.repeat(5000), headers: { 'transfer-encoding': 'chunked' } });
    expect(res.status).toBe(413);
  });

  test('a body that does not arrive in time: 408', async () => {
    const res = await raw(server, { body: '{"model":', headers: { 'content-length': 500 }, endBody: false });
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'request_timeout' } });
    expect(t.usage.only()).toMatchObject({ status: 408, outcome: 'rejected' });
  });

  test('a normal request is served', async () => {
    const res = await raw(server, { body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-route']).toBe('chat');
  });
});
