/** The DynamoDB client of the `usage` commands: an operator's patient timeouts, optional Region and endpoint. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * A client for the usage table from the command line: 3 attempts, 3 s to connect, 10 s per request.
 *
 * @example
 * const client = usageCliClient({ region: 'eu-west-1' });
 */
export function usageCliClient(options: { readonly region?: string; readonly endpoint?: string }): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 10_000, throwOnRequestTimeout: true }),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
  });
}
