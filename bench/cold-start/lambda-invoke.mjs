// One Lambda-style cold start of the router, in a fresh process: installs a minimal `awslambda`
// global (the Lambda Node.js runtime's response streaming API), imports the bundled router
// (assets/router/index.mjs — its init reads and validates the configuration), invokes the handler
// once with a synthetic API Gateway REST proxy event, and reports over IPC:
//   { sinceProcessStartMs, importMs, invokeMs, statusCode, body }
// where sinceProcessStartMs is when this module started running (Node's own start-up before it).
//
//   ROUTER_BUNDLE=... GATEWAY_CONFIG_PATH=... EVENT_JSON=... node cold-start/lambda-invoke.mjs
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const moduleStart = performance.now();
let metadata;
globalThis.awslambda = {
  // The runtime calls the wrapped handler with (event, responseStream, context).
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, meta) {
      metadata = meta;
      return stream;
    },
  },
};

const { handler } = await import(pathToFileURL(process.env.ROUTER_BUNDLE).href);
const imported = performance.now();

const chunks = [];
const responseStream = new Writable({
  write(chunk, _encoding, callback) {
    chunks.push(Buffer.from(chunk));
    callback();
  },
});
const finished = new Promise((resolve) => responseStream.once('finish', resolve));
const context = { awsRequestId: 'bench-cold-start', functionName: 'router', getRemainingTimeInMillis: () => 60_000 };
await handler(JSON.parse(process.env.EVENT_JSON), responseStream, context);
if (!responseStream.writableFinished) await finished;
const done = performance.now();

process.send({
  sinceProcessStartMs: moduleStart,
  importMs: imported - moduleStart,
  invokeMs: done - imported,
  statusCode: metadata?.statusCode,
  body: Buffer.concat(chunks).toString('utf8'),
}, () => process.exit(0));
