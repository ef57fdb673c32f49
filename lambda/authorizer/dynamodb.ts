/**
 * The DynamoDB client of the authorizer and of the key CLI: explicit connection and request
 * timeouts (the SDK's defaults are "none") that really throw, and a bounded number of attempts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface DynamoDbClientOptions {
  /** Time allowed to open a connection, in ms. */
  readonly connectTimeoutMs: number;
  /** Time allowed for a whole request and its response, in ms. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** @default - the SDK's Region resolution (AWS_REGION, profile) */
  readonly region?: string;
  /** Endpoint override (a VPC endpoint, or a loopback DynamoDB in tests). @default - the Regional endpoint */
  readonly endpoint?: string;
}

/**
 * @example
 * const ddb = createDynamoDbClient({ connectTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 });
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
