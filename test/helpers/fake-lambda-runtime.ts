/**
 * The parts of the AWS Lambda Node.js runtime the router uses, for tests: the `awslambda` global's
 * response streaming (`streamifyResponse`, `HttpResponseStream.from`, which writes the runtime's
 * wire format: JSON metadata, 8 NUL bytes, then the body), a response stream that captures what is
 * written, and a runner that imports a bundled router in a fresh Node.js process as Lambda does
 * (so module evaluation, top-level `await` included, completes before the first invocation).
 *
 * @example
 * const stream = new CapturedStream();
 * await handler(event, stream, {});
 * const { metadata, body } = stream.response();
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { AwsLambdaGlobal, HttpResponseMetadata, LambdaHandler, RestApiProxyEvent } from '../../lambda/router/lambda-entry';

const DELIMITER = Buffer.alloc(8);

/** A response stream that keeps every byte written. */
export class CapturedStream extends Writable {
  readonly chunks: Buffer[] = [];

  _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }

  /** The metadata and the body, split as API Gateway splits them. */
  response(): { metadata: HttpResponseMetadata; body: string } {
    const all = Buffer.concat(this.chunks);
    const at = all.indexOf(DELIMITER);
    return { metadata: JSON.parse(all.subarray(0, at).toString('utf8')) as HttpResponseMetadata, body: all.subarray(at + 8).toString('utf8') };
  }
}

/** The `awslambda` global, faked with the runtime's wire format. */
export const fakeLambdaRuntime: AwsLambdaGlobal = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, metadata) {
      stream.write(Buffer.concat([Buffer.from(JSON.stringify(metadata)), DELIMITER]));
      return stream;
    },
  },
};

export type { LambdaHandler };

/** A chat completions proxy event from API Gateway with the authorizer's context of `tenantId`. */
export function chatEvent(body: unknown, tenantId = 'globex', overrides: Partial<RestApiProxyEvent> = {}): RestApiProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/chat/completions',
    headers: { 'Content-Type': 'application/json', 'X-Gateway-Workflow': 'support' },
    multiValueHeaders: { 'Content-Type': ['application/json'], 'X-Gateway-Workflow': ['support'] },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', authorizer: { principalId: tenantId, tenantId, tier: 'standard', keyId: 'k-1', aliases: '' } },
    ...overrides,
  };
}

/** What a bundled handler did in its own process. */
export interface BundleRun {
  /** Every stdout line, in order (the router's JSON lines and the shim's `SHIM …` markers). */
  readonly lines: string[];
  readonly statusCode?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The import or the invocation threw. */
  readonly error?: string;
}

/**
 * Imports `bundle` (an ES module) in a fresh `node` process with a minimal `awslambda` global and
 * only the environment given (plus PATH), invokes its handler once with `event`, and reports. The
 * shim prints `SHIM imported` when the import has resolved, so a test can tell what the module
 * did during its evaluation (before the marker) from what happened later.
 */
export async function runBundledHandler(bundle: string, env: Record<string, string>, event: RestApiProxyEvent): Promise<BundleRun> {
  const script = `
    import { Writable } from 'node:stream';
    let metadata;
    globalThis.awslambda = {
      streamifyResponse: (handler) => handler,
      HttpResponseStream: { from(stream, meta) { metadata = meta; return stream; } },
    };
    try {
      const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      process.stdout.write('SHIM imported\\n');
      const chunks = [];
      const stream = new Writable({ write(chunk, _enc, done) { chunks.push(Buffer.from(chunk)); done(); } });
      await handler(JSON.parse(process.env.SHIM_EVENT), stream, { awsRequestId: 'shim' });
      process.stdout.write('SHIM result ' + JSON.stringify({ statusCode: metadata?.statusCode, headers: metadata?.headers, body: Buffer.concat(chunks).toString('utf8') }) + '\\n');
    } catch (err) {
      process.stdout.write('SHIM error ' + JSON.stringify(String(err && err.stack || err)) + '\\n');
    }
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env, SHIM_EVENT: JSON.stringify(event) },
    timeout: 30_000,
  });
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  const result = lines.find((l) => l.startsWith('SHIM result '));
  const error = lines.find((l) => l.startsWith('SHIM error '));
  if (result) {
    const parsed = JSON.parse(result.slice('SHIM result '.length)) as { statusCode?: number; headers?: Record<string, string>; body?: string };
    return { lines, ...parsed };
  }
  return { lines, error: error ? (JSON.parse(error.slice('SHIM error '.length)) as string) : 'the shim printed no result' };
}
