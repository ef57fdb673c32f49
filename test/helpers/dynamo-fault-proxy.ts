/**
 * A loopback DynamoDB endpoint in front of dynalite that injects the faults of a real network:
 * a write DynamoDB applied but whose answer comes too late (after the SDK's request timeout, so the
 * real SDK sends it again) or never comes (the connection drops after the write was applied).
 *
 * dynalite implements no `TransactWriteItems`; the proxy does, on top of dynalite's single-item
 * operations: requests are served one at a time, each item's previous state is read first, the
 * items are applied in order with their conditions, and a failed condition restores the items
 * already applied and answers `TransactionCanceledException` with one cancellation reason per
 * item, as DynamoDB does. `ClientRequestToken` is honoured like DynamoDB (a repeat with the same
 * token and parameters succeeds without applying anything) unless `honourTokens` is false, which
 * leaves the condition markers alone to prevent double counting.
 *
 * A late answer is held until the client has closed the connection (its request timed out), or
 * for `lateMs` at most. An SDK client built with `proxy.requestHandler()` times out at the moment
 * the proxy holds its answer, which is after the write was applied: the late fault then costs no
 * waiting, and its order (applied, the client gives up, the SDK sends it again) does not depend on
 * timers racing on a loaded machine.
 *
 * @example
 * const proxy = await startDynamoFaultProxy(dynamo.endpoint, { honourTokens: false });
 * const client = new DynamoDBClient({ endpoint: proxy.endpoint, requestHandler: proxy.requestHandler() });
 * proxy.inject('TransactWriteItems', 'late');   // the next transaction is applied, then answered late
 */
import { createHash } from 'node:crypto';
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { NodeHttpHandler, NodeHttpHandlerOptions } from '@smithy/node-http-handler';

/**
 * `late`: applied, answered after the client's request timeout (or after `lateMs`).
 * `drop`: applied, connection closed without an answer.
 */
export type Fault = 'late' | 'drop';

export interface DynamoFaultProxyOptions {
  /** Honour `ClientRequestToken` like DynamoDB. @default true */
  readonly honourTokens?: boolean;
  /**
   * How long a late answer waits at most for the client to give up; then it is sent, if the
   * connection is still open. More than the request timeout of a client that does not use
   * `requestHandler()`. @default 3000
   */
  readonly lateMs?: number;
  /**
   * Called for every answer (benchmarks): the operation, the HTTP status, the time to answer, and
   * the write request units DynamoDB would bill for it (1 per KB of each item written, 2 per KB
   * in a transaction; items' sizes estimated from their JSON).
   */
  readonly onAnswer?: (operation: string, status: number, ms: number, writeUnits: number) => void;
}

/** The write request units of a write request, estimated from the JSON size of what it writes. */
export function estimatedWriteUnits(operation: string, body: string): number {
  const kb = (value: unknown): number => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(value ?? {})) / 1024));
  const input = JSON.parse(body) as Record<string, unknown>;
  if (operation === 'PutItem') return kb(input.Item);
  if (operation === 'UpdateItem' || operation === 'DeleteItem') return 1;
  if (operation !== 'TransactWriteItems') return 0;
  return (input.TransactItems as Record<string, Record<string, unknown>>[]).reduce((units, entry) => {
    const [kind, request] = Object.entries(entry)[0];
    return units + 2 * (kind === 'Put' ? kb(request.Item) : 1);
  }, 0);
}

export interface DynamoFaultProxy {
  readonly endpoint: string;
  /**
   * The next `times` requests of `operation` (e.g. `TransactWriteItems`, `UpdateItem`) get `fault`,
   * after `skip` requests of it went through untouched.
   */
  inject(operation: string, fault: Fault, times?: number, skip?: number): void;
  /** Faults still scheduled. */
  pending(): number;
  /** Drops the faults still scheduled. */
  clearFaults(): void;
  /** Requests of an operation the proxy received (repeats included). */
  count(operation: string): number;
  /** Faults injected so far. */
  injected(): number;
  resetCounts(): void;
  /**
   * A request handler for SDK clients of the proxy: a `NodeHttpHandler` with `options`, except that
   * an attempt whose answer the proxy holds as late fails at once with the error of the handler's
   * request timeout (`TimeoutError`, `ETIMEDOUT`), and its connection is closed; the SDK retries it
   * as it retries a real timeout.
   */
  requestHandler(options?: NodeHttpHandlerOptions): NodeHttpHandler;
  close(): Promise<void>;
}

/** Marks an attempt sent by `requestHandler()`, so that the proxy can tell it when its answer is held. */
const ATTEMPT_HEADER = 'x-fault-proxy-attempt';

interface Answer {
  readonly status: number;
  readonly body: string;
}

type Json = Record<string, unknown>;

const AUTH = 'AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One call to dynalite. */
function call(target: URL, operation: string, body: string, headers?: IncomingMessage['headers']): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      method: 'POST',
      path: '/',
      headers: headers ? { ...headers, host: target.host, 'content-length': Buffer.byteLength(body) } : {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'x-amz-date': '20260101T000000Z',
        authorization: AUTH,
        'content-length': Buffer.byteLength(body),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function errorType(answer: Answer): string {
  try {
    const type = (JSON.parse(answer.body) as { __type?: string }).__type ?? '';
    return type.split('#').pop() ?? '';
  } catch {
    return '';
  }
}

/**
 * Starts the proxy in front of the dynalite at `dynaliteEndpoint`.
 */
export async function startDynamoFaultProxy(dynaliteEndpoint: string, options: DynamoFaultProxyOptions = {}): Promise<DynamoFaultProxy> {
  const target = new URL(dynaliteEndpoint);
  const honourTokens = options.honourTokens ?? true;
  const lateMs = options.lateMs ?? 3000;
  const faults: { operation: string; fault: Fault; skip: number }[] = [];
  const counts = new Map<string, number>();
  const tokens = new Map<string, string>();
  const keySchemas = new Map<string, string[]>();
  let injectedCount = 0;
  /** Attempts of `requestHandler()` clients in flight: what makes each one time out. */
  const attempts = new Map<string, () => void>();
  let attemptCount = 0;
  // Requests are served one at a time, so an emulated transaction is atomic to every client of the proxy.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  /** The key attribute names of a table, or dynalite's error answer (an unknown table). */
  async function keyNames(table: string): Promise<string[] | Answer> {
    let names = keySchemas.get(table);
    if (!names) {
      const answer = await call(target, 'DescribeTable', JSON.stringify({ TableName: table }));
      if (answer.status !== 200) return answer;
      const out = JSON.parse(answer.body) as { Table: { KeySchema: { AttributeName: string }[] } };
      names = out.Table.KeySchema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return names;
  }

  async function transactWrite(body: string): Promise<Answer> {
    const input = JSON.parse(body) as { TransactItems: Json[]; ClientRequestToken?: string };
    const digest = createHash('sha256').update(JSON.stringify(input.TransactItems)).digest('hex');
    const token = input.ClientRequestToken;
    if (honourTokens && token !== undefined && tokens.has(token)) {
      if (tokens.get(token) === digest) return { status: 200, body: '{}' };
      return { status: 400, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException', message: 'token reused' }) };
    }
    // The previous state of every item, to restore on cancellation.
    const steps: { op: string; request: Json; table: string; key: Json }[] = [];
    for (const entry of input.TransactItems) {
      const [kind, request] = Object.entries(entry)[0] as [string, Json];
      const table = request.TableName as string;
      const names = await keyNames(table);
      if (!Array.isArray(names)) return names;
      const source = (kind === 'Put' ? request.Item : request.Key) as Json;
      const key = Object.fromEntries(names.map((n) => [n, source[n]]));
      const op = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' }[kind];
      if (!op) return { status: 400, body: JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: `${kind} is not emulated` }) };
      steps.push({ op, request, table, key });
    }
    const seen = new Set(steps.map((s) => `${s.table}|${JSON.stringify(s.key)}`));
    if (seen.size !== steps.length) {
      return { status: 400, body: JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'Transaction request cannot include multiple operations on one item' }) };
    }
    const before = await Promise.all(steps.map(async (s) => {
      const out = JSON.parse((await call(target, 'GetItem', JSON.stringify({ TableName: s.table, Key: s.key, ConsistentRead: true }))).body) as { Item?: Json };
      return out.Item;
    }));
    for (const [i, s] of steps.entries()) {
      const answer = await call(target, s.op, JSON.stringify(s.request));
      if (answer.status === 200) continue;
      for (let j = i - 1; j >= 0; j--) {
        const prior = before[j];
        if (prior) await call(target, 'PutItem', JSON.stringify({ TableName: steps[j].table, Item: prior }));
        else await call(target, 'DeleteItem', JSON.stringify({ TableName: steps[j].table, Key: steps[j].key }));
      }
      if (errorType(answer) !== 'ConditionalCheckFailedException') return answer;
      const reasons = steps.map((_, j) => (j === i ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } : { Code: 'None' }));
      return {
        status: 400,
        body: JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
          CancellationReasons: reasons,
        }),
      };
    }
    if (token !== undefined) tokens.set(token, digest);
    return { status: 200, body: '{}' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const header = req.headers['x-amz-target'];
    const operation = typeof header === 'string' ? header.split('.').pop() ?? '' : '';
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const started = performance.now();
    const answer = await serialised(() => (operation === 'TransactWriteItems' ? transactWrite(body) : call(target, operation, body, req.headers)));
    options.onAnswer?.(operation, answer.status, performance.now() - started, answer.status === 200 ? estimatedWriteUnits(operation, body) : 0);
    const at = faults.findIndex((f) => f.operation === operation);
    if (at >= 0 && faults[at].skip > 0) {
      faults[at].skip--;
    } else if (at >= 0) {
      const { fault } = faults.splice(at, 1)[0];
      injectedCount++;
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, lateMs);
        res.once('close', () => { clearTimeout(timer); resolve(); });
        const attempt = req.headers[ATTEMPT_HEADER];
        if (typeof attempt === 'string') attempts.get(attempt)?.();
      });
    }
    if (res.destroyed || req.socket.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'proxy', 'content-length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject: (operation, fault, times = 1, skip = 0) => {
      for (let i = 0; i < times; i++) faults.push({ operation, fault, skip: i === 0 ? skip : 0 });
    },
    pending: () => faults.length,
    clearFaults: () => { faults.length = 0; },
    count: (operation) => counts.get(operation) ?? 0,
    injected: () => injectedCount,
    resetCounts: () => counts.clear(),
    requestHandler: (handlerOptions) => new (class extends NodeHttpHandler {
      override async handle(...[request, handleOptions = {}]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
        const attempt = String(++attemptCount);
        request.headers[ATTEMPT_HEADER] = attempt;
        const abort = new AbortController();
        const outer = handleOptions.abortSignal;
        if (outer?.aborted) abort.abort();
        else if (outer && 'addEventListener' in outer) (outer as AbortSignal).addEventListener('abort', () => abort.abort(), { once: true });
        const timedOut = new Promise<never>((_resolve, reject) => attempts.set(attempt, () => {
          reject(Object.assign(new Error(`fault-proxy: attempt ${attempt} answered late (after the request timeout)`), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
          abort.abort();
        }));
        try {
          return await Promise.race([super.handle(request, { ...handleOptions, abortSignal: abort.signal }), timedOut]);
        } finally {
          attempts.delete(attempt);
        }
      }
    })(handlerOptions),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
