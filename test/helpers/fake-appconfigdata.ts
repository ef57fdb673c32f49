/**
 * A loopback AWS AppConfigData (the AppConfig data plane) that speaks the service's REST-JSON wire
 * protocol, for tests that drive the real `@aws-sdk/client-appconfigdata` client against it (the
 * paths and headers are those of the client's own model, `dist-cjs/index.js`):
 *
 * - `POST /configurationsessions` with `{ApplicationIdentifier, EnvironmentIdentifier,
 *   ConfigurationProfileIdentifier, RequiredMinimumPollIntervalInSeconds?}` → 201
 *   `{InitialConfigurationToken}`; identifiers of nothing deployed → 404
 *   `ResourceNotFoundException`; a poll interval outside 15–86400 → 400 `BadRequestException`.
 * - `GET /configuration?configuration_token=T` → 200 with the configuration's bytes as the body
 *   and the headers `Next-Poll-Configuration-Token`, `Next-Poll-Interval-In-Seconds`,
 *   `Content-Type` and `Version-Label` (when the version has one). Like the service, a session gets
 *   the configuration once; later polls with the next token get an empty body until a new version
 *   is deployed. Each token is valid once (a reused or unknown token → 400 `BadRequestException`).
 * - Errors: the exception's status, `x-amzn-errortype: <Name>` and a JSON `{"Message": ...}` body.
 *
 * Scripted faults per operation (`failNext`): an error (any status and name, e.g. 403
 * `AccessDeniedException` as IAM answers), an empty configuration, a hang, or a reset connection.
 * Every request is recorded (operation, headers, body, TCP connection), and connections are counted.
 *
 * @example
 * const fake = await startFakeAppConfigData();
 * fake.deploy({ application: 'app1', environment: 'env1', profile: 'prof1' }, { content: JSON.stringify(config), versionLabel: 'v3' });
 * const client = new AppConfigDataClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials });
 * await fake.close();
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The two operations of the AppConfigData API. */
export type AppConfigDataOperation = 'StartConfigurationSession' | 'GetLatestConfiguration';

/** Which configuration: application, environment and configuration profile identifiers. */
export interface AppConfigCoordinates {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
}

/** A deployed configuration version. */
export interface FakeAppConfigDocument {
  readonly content: string | Uint8Array;
  /** @default 'application/json' */
  readonly contentType?: string;
  /** @default none (the header is left out) */
  readonly versionLabel?: string;
}

/** A scripted fault for the next call of one operation. */
export type AppConfigFault =
  | { readonly kind: 'error'; readonly status: number; readonly errorType: string; readonly message?: string }
  | { readonly kind: 'empty' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' };

export const AppConfigFaults = {
  error: (status: number, errorType: string, message?: string): AppConfigFault => ({ kind: 'error', status, errorType, message }),
  /** IAM's refusal, as the service sends it. */
  accessDenied: (): AppConfigFault => ({
    kind: 'error', status: 403, errorType: 'AccessDeniedException',
    message: 'User: arn:aws:sts::111122223333:assumed-role/router-role/router is not authorized to perform: appconfig:StartConfigurationSession',
  }),
  throttling: (): AppConfigFault => ({ kind: 'error', status: 429, errorType: 'ThrottlingException', message: 'Rate exceeded' }),
  internal: (): AppConfigFault => ({ kind: 'error', status: 500, errorType: 'InternalServerException', message: 'Internal failure' }),
  /** `GetLatestConfiguration` only: a 200 with an empty body. */
  empty: (): AppConfigFault => ({ kind: 'empty' }),
  hang: (): AppConfigFault => ({ kind: 'hang' }),
  reset: (): AppConfigFault => ({ kind: 'reset' }),
};

export interface RecordedAppConfigRequest {
  readonly operation: AppConfigDataOperation | 'unknown';
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (StartConfigurationSession), else undefined. */
  readonly body: unknown;
  /** Which TCP connection (1, 2, …) the request came on. */
  readonly connectionId: number;
  /** The fault applied, if any. */
  readonly fault?: AppConfigFault['kind'];
}

export interface FakeAppConfigData {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly requests: readonly RecordedAppConfigRequest[];
  /** TCP connections accepted so far. */
  readonly connectionCount: number;
  /** TCP connections open now. */
  readonly openConnections: number;
  /** Deploys (or replaces) the configuration of these coordinates. */
  deploy(at: AppConfigCoordinates, document: FakeAppConfigDocument): void;
  /** Applies `faults`, in order, to the next calls of `operation`. */
  failNext(operation: AppConfigDataOperation, ...faults: AppConfigFault[]): void;
  /** Forgets requests, faults and sessions (deployments stay). */
  reset(): void;
  close(): Promise<void>;
}

interface Session {
  readonly key: string;
  readonly pollIntervalSeconds: number;
  /** The version (deployment counter) the session last received, 0 for none. */
  receivedVersion: number;
}

const keyOf = (c: AppConfigCoordinates): string => `${c.application}\u0000${c.environment}\u0000${c.profile}`;

/**
 * Starts the fake on 127.0.0.1 and an ephemeral port.
 *
 * @example
 * const fake = await startFakeAppConfigData();
 * afterAll(() => fake.close());
 */
export async function startFakeAppConfigData(): Promise<FakeAppConfigData> {
  const deployments = new Map<string, FakeAppConfigDocument & { version: number }>();
  const sessions = new Map<string, Session>();
  const faults: Record<AppConfigDataOperation, AppConfigFault[]> = { StartConfigurationSession: [], GetLatestConfiguration: [] };
  let requests: RecordedAppConfigRequest[] = [];
  let connectionCount = 0;
  let deployCounter = 0;
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, number>();

  const sendError = (res: http.ServerResponse, status: number, errorType: string, message: string, extra: Record<string, unknown> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': errorType, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify({ Message: message, ...extra }));
  };

  const newToken = (session: Session): string => {
    const token = `tok-${randomUUID()}`;
    sessions.set(token, session);
    return token;
  };

  const startSession = (res: http.ServerResponse, body: unknown): void => {
    const input = (body ?? {}) as Record<string, unknown>;
    const ids = ['ApplicationIdentifier', 'EnvironmentIdentifier', 'ConfigurationProfileIdentifier'] as const;
    for (const id of ids) {
      const value = input[id];
      if (typeof value !== 'string' || value.length < 1 || value.length > 128) {
        sendError(res, 400, 'BadRequestException', `${id} must be a string of 1 to 128 characters`, { Reason: 'InvalidParameters' });
        return;
      }
    }
    const interval = input.RequiredMinimumPollIntervalInSeconds;
    if (interval !== undefined && (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 15 || interval > 86400)) {
      sendError(res, 400, 'BadRequestException', 'RequiredMinimumPollIntervalInSeconds must be between 15 and 86400', { Reason: 'InvalidParameters' });
      return;
    }
    const key = keyOf({
      application: input.ApplicationIdentifier as string, environment: input.EnvironmentIdentifier as string, profile: input.ConfigurationProfileIdentifier as string,
    });
    if (!deployments.has(key)) {
      sendError(res, 404, 'ResourceNotFoundException', 'Deployment not found for the application, environment and configuration profile',
        { ResourceType: 'Deployment' });
      return;
    }
    const token = newToken({ key, pollIntervalSeconds: typeof interval === 'number' ? interval : 60, receivedVersion: 0 });
    res.writeHead(201, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify({ InitialConfigurationToken: token }));
  };

  const latestConfiguration = (res: http.ServerResponse, query: URLSearchParams, empty: boolean): void => {
    const token = query.get('configuration_token') ?? '';
    const session = sessions.get(token);
    if (!session) {
      sendError(res, 400, 'BadRequestException', 'Invalid or expired configuration token', { Reason: 'InvalidParameters' });
      return;
    }
    sessions.delete(token); // each token is valid for one call
    const deployed = deployments.get(session.key);
    const headers: http.OutgoingHttpHeaders = {
      'next-poll-configuration-token': newToken(session),
      'next-poll-interval-in-seconds': String(session.pollIntervalSeconds),
      'x-amzn-requestid': randomUUID(),
    };
    if (!deployed || empty || session.receivedVersion === deployed.version) {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    session.receivedVersion = deployed.version;
    res.writeHead(200, {
      ...headers,
      'content-type': deployed.contentType ?? 'application/json',
      ...(deployed.versionLabel ? { 'version-label': deployed.versionLabel } : {}),
    });
    res.end(typeof deployed.content === 'string' ? Buffer.from(deployed.content, 'utf8') : Buffer.from(deployed.content));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const operation: RecordedAppConfigRequest['operation'] = req.method === 'POST' && url.pathname === '/configurationsessions' ? 'StartConfigurationSession'
        : req.method === 'GET' && url.pathname === '/configuration' ? 'GetLatestConfiguration' : 'unknown';
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { body = undefined; }
      const fault = operation === 'unknown' ? undefined : faults[operation].shift();
      requests.push({
        operation, method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body,
        connectionId: connectionIds.get(req.socket) ?? 0, ...(fault ? { fault: fault.kind } : {}),
      });
      if (operation === 'unknown') {
        sendError(res, 404, 'UnknownOperationException', `No operation at ${req.method} ${url.pathname}`);
        return;
      }
      if (fault?.kind === 'hang') return; // the client's timeout ends it; close() otherwise
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'error') {
        sendError(res, fault.status, fault.errorType, fault.message ?? `${fault.errorType} raised by the fake`);
        return;
      }
      if (operation === 'StartConfigurationSession') startSession(res, body);
      else latestConfiguration(res, url.searchParams, fault?.kind === 'empty');
    });
  });
  server.on('connection', (socket: Socket) => {
    connectionCount += 1;
    connectionIds.set(socket, connectionCount);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() { return requests; },
    get connectionCount() { return connectionCount; },
    get openConnections() { return sockets.size; },
    deploy(at, document) {
      deployCounter += 1;
      deployments.set(keyOf(at), { ...document, version: deployCounter });
    },
    failNext(operation, ...more) {
      faults[operation].push(...more);
    },
    reset() {
      requests = [];
      faults.StartConfigurationSession.length = 0;
      faults.GetLatestConfiguration.length = 0;
      sessions.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
