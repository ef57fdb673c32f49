/**
 * The one way runtime code (router, authorizer, Lambda handlers, CLI) makes a DynamoDB client:
 * explicit connection and request timeouts that really throw (the SDK's defaults are "none"), a
 * bounded number of attempts, and an optional Region and endpoint override (a VPC endpoint, or a
 * loopback DynamoDB in tests). Three profiles cover every caller; `documentClient` (beside this
 * file) wraps a client for the document API.
 *
 * Importing this module loads `@aws-sdk/client-dynamodb`: the router reaches it only through
 * `import()` (usage, incident controls, approvals, reviews, batch), so its main chunk stays
 * without the SDK's DynamoDB client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The timeouts and attempts of a client. */
export interface DynamoDbTimeouts {
  /** Time allowed to open a connection, in ms. */
  readonly connectTimeoutMs: number;
  /** Time allowed for a whole request and its response, in ms. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
}

/** Options of {@link createDynamoDbClient}. */
export interface DynamoDbClientOptions extends DynamoDbTimeouts {
  /** @default - the SDK's Region resolution (AWS_REGION, profile) */
  readonly region?: string;
  /** Endpoint override (a VPC endpoint, or a loopback DynamoDB in tests). @default - the Regional endpoint */
  readonly endpoint?: string;
}

/** The profiles of every caller. */
export const DYNAMODB_PROFILES = {
  /** On a request's path (router reads and writes, authorizer): 2 attempts, 1 s to connect, 2 s per request. */
  REQUEST_PATH: { connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 },
  /** Asynchronous handlers that Lambda retries (prompt rollback): 5 attempts, 3 s to connect, 10 s per request. */
  BACKGROUND: { connectTimeoutMs: 3000, requestTimeoutMs: 10_000, maxAttempts: 5 },
  /** An operator's command line (keys, incident, reviews, usage, advise, prompts): 3 attempts, 3 s to connect, 10 s per request. */
  OPERATOR: { connectTimeoutMs: 3000, requestTimeoutMs: 10_000, maxAttempts: 3 },
} as const satisfies Record<string, DynamoDbTimeouts>;

/**
 * @example
 * const ddb = createDynamoDbClient({ ...DYNAMODB_PROFILES.REQUEST_PATH, endpoint: process.env.DYNAMODB_ENDPOINT });
 */
export function createDynamoDbClient(options: DynamoDbClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: options.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
  });
}
