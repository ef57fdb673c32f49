/** The local server's transport duties: body limits and timeouts, answered in the OpenAI envelope. */
import * as http from 'node:http';
import * as net from 'node:net';
import { LocalServer, startLocalServer } from '../../lambda/router/local/server';
import { ACME_KEY, resolved, testConfig } from '../helpers/router-config';
import { Steps, testGateway } from '../helpers/router-fakes';

interface RawResponse { status: number; headers: http.IncomingHttpHeaders; body: string }

function raw(server: LocalServer, options: { body?: string; headers?: Record<string, string | number>; endBody?: boolean; path?: string; method?: string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, method: options.method ?? 'POST', path: options.path ?? '/v1/chat/completions',
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
    // A body timeout no request of these tests can reach, however loaded the machine: the headers
    // and the body are separate writes, and a starved process runs an overdue timer before it reads
    // the body that is already there. The 408 test has its own server with a short one.
    server = await startLocalServer({ gateway: t.gateway, port: 0, bodyTimeoutMs: 60_000 });
  });
  afterAll(() => server.close());
  beforeEach(() => t.usage.clear());

  test('listens on 127.0.0.1 by default and gives the /v1 base URL', () => {
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}/v1`);
  });

  test('a declared body over the limit: 413 after the upload (the excess read and discarded)', async () => {
    const res = await raw(server, { body: 'x'.repeat(100_000), headers: { 'content-length': 100_000 } });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'request_too_large', type: 'invalid_request_error' } });
    expect(t.usage.only()).toMatchObject({ status: 413, outcome: 'rejected' });
  });

  test('a body whose limit falls inside an image URL: 400 image_too_large naming the part', async () => {
    const head = '{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},'
      + '{"type":"image_url","image_url":{"url":"data:image/png;base64,';
    const res = await raw(server, { body: `${head}${'A'.repeat(100_000)}"}}]}]}`, headers: { 'transfer-encoding': 'chunked' } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'image_too_large', param: 'messages[0].content[1].image_url.url' } });
    expect(JSON.parse(res.body).error.message).toContain('2048 bytes');
    expect(t.usage.only()).toMatchObject({ status: 400, outcome: 'rejected' });
  });

  test('a chunked body growing over the limit: 413', async () => {
    const res = await raw(server, { body: 'x'.repeat(5000), headers: { 'transfer-encoding': 'chunked' } });
    expect(res.status).toBe(413);
  });

  test('a body over the limit that never ends: 413 at the body timeout, the excess never kept', async () => {
    const impatient = await startLocalServer({ gateway: t.gateway, port: 0, bodyTimeoutMs: 150 });
    try {
      const res = await raw(impatient, { body: 'x'.repeat(5000), headers: { 'content-length': 1_000_000 }, endBody: false });
      expect(res.status).toBe(413);
      expect(t.usage.only()).toMatchObject({ status: 413, outcome: 'rejected' });
    } finally {
      await impatient.close();
    }
  });

  test('a body that does not arrive in time: 408', async () => {
    const impatient = await startLocalServer({ gateway: t.gateway, port: 0, bodyTimeoutMs: 150 });
    try {
      const res = await raw(impatient, { body: '{"model":', headers: { 'content-length': 500 }, endBody: false });
      expect(res.status).toBe(408);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'request_timeout' } });
      expect(t.usage.only()).toMatchObject({ status: 408, outcome: 'rejected' });
    } finally {
      await impatient.close();
    }
  });

  test('a normal request is served', async () => {
    const res = await raw(server, { body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-route']).toBe('chat');
  });

  test('request targets: a plain path as it is, anything else as the URL parser reads it (dot segments, escapes, query)', async () => {
    const chat = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    expect((await raw(server, { body: chat, path: '/v1/chat/completions/' })).status).toBe(200);
    expect((await raw(server, { body: chat, path: '/v1/./chat/%63ompletions?x=1' })).status).toBe(404);
    expect((await raw(server, { body: chat, path: '/v1/extra/../chat/completions' })).status).toBe(200);
    const usage = await raw(server, { method: 'GET', path: '/v1/usage?month=2026-11' });
    expect(JSON.parse(usage.body)).toMatchObject({ error: { code: 'usage_not_enabled' } });
    const unknown = await raw(server, { method: 'GET', path: '//v1/models' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'unknown_url', message: 'Unknown request URL: GET /models.' } });
  });

  describe('socket writes per answer', () => {
    let writes = 0;
    const counted = new WeakSet<net.Socket>();
    const onRequest = (req: http.IncomingMessage): void => {
      // Node's net.Socket sends every write and writev of the HTTP layer through _writeGeneric.
      const socket = req.socket as net.Socket & { _writeGeneric: (...args: unknown[]) => unknown };
      if (counted.has(socket)) return;
      counted.add(socket);
      const original = socket._writeGeneric.bind(socket);
      socket._writeGeneric = (...args: unknown[]): unknown => {
        writes++;
        return original(...args);
      };
    };
    beforeAll(() => { server.server.prependListener('request', onRequest); });
    afterAll(() => { server.server.off('request', onRequest); });
    beforeEach(() => { writes = 0; });

    test('a JSON answer: status, headers and body in one write, with Content-Length', async () => {
      t.openai.enqueue(Steps.ok({ text: 'Hi back' }));
      const res = await raw(server, { body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
      expect(JSON.parse(res.body)).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Hi back' } }] });
      expect(writes).toBe(1);
    });

    test('an error answer: one write, with Content-Length', async () => {
      const res = await raw(server, { body: '{not json' });
      expect(res.status).toBe(400);
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
      expect(JSON.parse(res.body)).toMatchObject({ error: { type: 'invalid_request_error' } });
      expect(writes).toBe(1);
    });

    test('a stream: headers go with the first event, one write per upstream piece, the end with the last', async () => {
      t.openai.enqueue(Steps.ok({ chunks: ['one ', 'two ', 'three'], chunkDelayMs: 25, usage: { inputTokens: 3, outputTokens: 3 } }));
      const res = await raw(server, {
        body: JSON.stringify({ model: 'chat', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(res.headers['transfer-encoding']).toBe('chunked');
      const events = res.body.split('\n\n').filter((e) => e.length > 0);
      expect(events.at(-1)).toBe('data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: unknown });
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['one ', 'two ', 'three', null, null]);
      expect(chunks[3]?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks[4]?.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3 });
      // headers + 'one '; 'two '; 'three' with what follows it in the same tick (finish, usage,
      // [DONE], the chunked terminator).
      expect(writes).toBe(3);
      expect(t.usage.only()).toMatchObject({ stream: true, outcome: 'success', status: 200 });
    });
  });
});
