// The router Lambda handler (assets/router/index.mjs, as shipped) in a long-lived process, behind a
// node:http server on 127.0.0.1: each HTTP request becomes one invocation with a REST API proxy
// event (the tenant in the authorizer context, as the deployed authorizer puts it; taken from the
// benchmark's `x-bench-tenant` header), under a minimal `awslambda` global whose response stream
// is piped to the HTTP response as it is written. The HTTP response ends when the handler ends
// the response stream — what an API Gateway client sees — while the invocation lasts until the
// handler's promise settles (the usage record, and with a usage table the ledger writes, come
// after the answer). Both times are recorded per request.
//
// The local `serve` CLI does not wire the ledger (it writes usage to stdout only), so this is how
// the benchmark drives the ledger's real code path: the same bundle and `RouterEnvironment` that
// read `GATEWAY_USAGE_TABLE` in Lambda.
//
// One execution environment of Lambda runs one invocation at a time: a request with the header
// `x-bench-serial: 1` waits until the previous invocation has finished (its ledger writes
// included) before its invocation starts, and its times are taken from that start; without it,
// invocations overlap in this process (the next request runs while the previous one's ledger
// writes are still in flight), which is not how Lambda runs but shows their CPU contention.
//
// IPC: reports `{ listening: port }`; answers `{ cmd: 'times' }` with
// `{ times: { responseMs: number[], invocationMs: number[], failed: number } }` and clears them.
//
//   ROUTER_BUNDLE=... GATEWAY_CONFIG_PATH=... [GATEWAY_USAGE_TABLE=...] node ledger-cost/lambda-server.mjs
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const META = Symbol('onMetadata');
globalThis.awslambda = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, metadata) {
      stream[META](metadata);
      return stream;
    },
  },
};

const { handler } = await import(pathToFileURL(process.env.ROUTER_BUNDLE).href);

let responseMs = [];
let invocationMs = [];
let failed = 0;

let previous = Promise.resolve();

const server = http.createServer({ keepAlive: true }, (req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    if (req.headers['x-bench-serial'] === '1') {
      const invoked = previous.then(() => invoke(req, res, parts));
      previous = invoked;
    } else {
      previous = invoke(req, res, parts);
    }
  });
});

function invoke(req, res, parts) {
    const started = performance.now();
    const requestId = randomUUID();
    const tenant = req.headers['x-bench-tenant'];
    const headers = {};
    const multiValueHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === 'x-bench-tenant' || name === 'x-bench-serial') continue;
      const values = Array.isArray(value) ? value : [value];
      headers[name] = values[values.length - 1];
      multiValueHeaders[name] = values;
    }
    const event = {
      resource: req.url,
      path: req.url,
      httpMethod: req.method,
      headers,
      multiValueHeaders,
      queryStringParameters: null,
      body: Buffer.concat(parts).toString('utf8'),
      isBase64Encoded: false,
      requestContext: { requestId, stage: 'prod', httpMethod: req.method, authorizer: { tenantId: tenant, keyId: `key-${tenant}` } },
    };
    let answered;
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        if (!res.headersSent) res.writeHead(200);
        if (res.write(chunk)) callback();
        else res.once('drain', callback);
      },
      final(callback) {
        if (!res.headersSent) res.writeHead(200);
        res.end(callback);
      },
    });
    stream[META] = (metadata) => res.writeHead(metadata.statusCode, metadata.headers);
    stream.once('finish', () => { answered = performance.now(); });
    const context = { awsRequestId: requestId, functionName: 'router', getRemainingTimeInMillis: () => 60_000 };
    return handler(event, stream, context).then(() => {
      const done = performance.now();
      if (answered === undefined) {
        failed += 1;
        if (!res.headersSent) res.writeHead(500);
        res.end();
        return;
      }
      responseMs.push(answered - started);
      invocationMs.push(done - started);
    }, (error) => {
      failed += 1;
      process.stderr.write(`handler failed: ${error?.stack ?? error}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
}

server.listen(0, '127.0.0.1', () => process.send({ listening: server.address().port }));
process.on('message', (m) => {
  if (m?.cmd === 'times') {
    process.send({ times: { responseMs, invocationMs, failed } });
    responseMs = [];
    invocationMs = [];
    failed = 0;
  }
});
process.on('disconnect', () => process.exit(0));
