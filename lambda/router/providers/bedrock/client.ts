/**
 * Bedrock Runtime clients for one function instance, configured for warm connections.
 *
 * Why not the SDK's defaults: `@aws-sdk/client-bedrock-runtime` 3.116x builds its request handler
 * as `NodeHttp2Handler` with `disableConcurrentStreams: true`, and `@smithy/node-http-handler`
 * then opens an isolated HTTP/2 session for every request — and for every event stream
 * regardless — and destroys it afterwards: every Converse and ConverseStream call pays a new TCP
 * and TLS handshake. Converse and ConverseStream work over HTTP/1.1, so the clients here use
 * `NodeHttpHandler` with keep-alive agents instead: a warm function sends request after request,
 * JSON or streamed, over the same connection. (The loopback tests count the connections.)
 *
 * - One pair of keep-alive agents (http, https) per (Region, endpoint), created once: every client
 *   for that endpoint shares its sockets.
 * - `connectionTimeout` is a handler setting, so there is one client per (Region, endpoint,
 *   connect timeout); they share the endpoint's agents, so a call with an unusual connect timeout
 *   (the router clamps it to the time left) costs a client object, never a connection. At most
 *   `maxClients` clients are kept (least recently used dropped).
 * - `maxAttempts: 1`: the router owns retries, backoff, fallback and circuit breaking.
 * - The call's overall deadline and the router's abort are enforced per call through the
 *   `abortSignal` (see ../call-guard.ts), which destroys the request and its connection.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { UpstreamError } from '../../errors';
import type { BedrockTarget } from '../types';

export interface BedrockClientPoolOptions {
  /** Credentials for the clients. @default the SDK's default provider chain (the function's role) */
  readonly credentials?: BedrockRuntimeClientConfig['credentials'];
  /** Region for targets that name none. @default process.env.AWS_REGION */
  readonly defaultRegion?: string;
  /** Sockets per origin: the concurrency one function instance can use. @default 50 */
  readonly maxSockets?: number;
  /** Initial delay of TCP keep-alive probes on idle sockets, in ms. @default 1000 */
  readonly keepAliveMsecs?: number;
  /** Clients kept (each is one Region, endpoint and connect timeout). @default 32 */
  readonly maxClients?: number;
}

/** The keep-alive agents of one endpoint. */
export interface KeepAliveAgents {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
}

/** Keep-alive agents: LIFO scheduling keeps the most recently used (warmest) socket busy. */
export function createKeepAliveAgents(options: { readonly maxSockets?: number; readonly keepAliveMsecs?: number } = {}): KeepAliveAgents {
  const agentOptions: http.AgentOptions = {
    keepAlive: true,
    keepAliveMsecs: options.keepAliveMsecs ?? 1000,
    maxSockets: options.maxSockets ?? 50,
    scheduling: 'lifo',
  };
  return { httpAgent: new http.Agent(agentOptions), httpsAgent: new https.Agent(agentOptions) };
}

/**
 * The keep-alive HTTP/1.1 handler the gateway's Bedrock clients use.
 *
 * @example new BedrockRuntimeClient({ region, requestHandler: createKeepAliveHandler({ connectTimeoutMs: 1000 }) })
 */
export function createKeepAliveHandler(options: {
  readonly connectTimeoutMs: number;
  readonly agents?: KeepAliveAgents;
  readonly maxSockets?: number;
  readonly keepAliveMsecs?: number;
}): NodeHttpHandler {
  const agents = options.agents ?? createKeepAliveAgents(options);
  return new NodeHttpHandler({
    httpAgent: agents.httpAgent,
    httpsAgent: agents.httpsAgent,
    connectionTimeout: options.connectTimeoutMs,
  });
}

/**
 * Creates and caches the Bedrock Runtime clients of one function instance.
 *
 * @example
 * const pool = new BedrockClientPool();
 * const client = pool.client({ region: 'eu-west-1' }, 1000); // the same client on every later call
 */
export class BedrockClientPool {
  private readonly clients = new Map<string, BedrockRuntimeClient>();
  private readonly agents = new Map<string, KeepAliveAgents>();

  constructor(private readonly options: BedrockClientPoolOptions = {}) {}

  /** Number of clients kept. */
  get size(): number {
    return this.clients.size;
  }

  /** Number of endpoints (agent pairs) created so far. */
  get endpointCount(): number {
    return this.agents.size;
  }

  /** The client for a target's Region and endpoint. Throws a fallback `UpstreamError` when no Region is known. */
  client(target: Pick<BedrockTarget, 'region' | 'endpoint'>, connectTimeoutMs: number): BedrockRuntimeClient {
    const region = target.region ?? this.options.defaultRegion ?? process.env.AWS_REGION;
    if (!region) {
      throw new UpstreamError('no AWS Region for the Bedrock target: set the target\'s region or AWS_REGION', {
        disposition: 'fallback',
        code: 'configuration',
      });
    }
    const endpointKey = `${region}|${target.endpoint ?? ''}`;
    const key = `${endpointKey}|${connectTimeoutMs}`;
    let client = this.clients.get(key);
    if (client) {
      // Most recently used last, so eviction drops the least recently used.
      this.clients.delete(key);
      this.clients.set(key, client);
      return client;
    }
    let agents = this.agents.get(endpointKey);
    if (!agents) {
      agents = createKeepAliveAgents(this.options);
      this.agents.set(endpointKey, agents);
    }
    client = new BedrockRuntimeClient({
      region,
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      maxAttempts: 1,
      requestHandler: createKeepAliveHandler({ connectTimeoutMs, agents }),
    });
    this.clients.set(key, client);
    if (this.clients.size > (this.options.maxClients ?? 32)) {
      // Not destroyed: its agents (and warm sockets) are shared with the endpoint's other clients.
      const oldest = this.clients.keys().next().value;
      if (oldest !== undefined) this.clients.delete(oldest);
    }
    return client;
  }

  /** Destroys every agent and its sockets (tests; a function instance never needs it). */
  destroy(): void {
    for (const agents of this.agents.values()) {
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    }
    this.agents.clear();
    this.clients.clear();
  }
}
