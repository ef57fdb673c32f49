/**
 * Finds the tenant's API Gateway API key: the usage identifier the authorizer returns so the
 * tenant's tier usage plan throttles it. `TenantUsagePlans` tags each tenant's API key with the
 * tenant id, the tier and the tenant-key table's name (TENANT_API_KEY_TAGS); the CLI reads the key
 * value once, at `keys create`, and stores it in the (KMS-encrypted) key record, so the request
 * path makes a single DynamoDB read and the authorizer needs no API Gateway permission.
 */
import { APIGatewayClient, ApiKey, GetApiKeyCommand, paginateGetApiKeys } from '@aws-sdk/client-api-gateway';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { TENANT_API_KEY_TAGS } from '../../lambda/shared/tenant-key-schema';
import { KeysCommandError } from './errors';

/** The tenant's API key, as the key record needs it. */
export interface TenantApiKey {
  readonly id: string;
  readonly value: string;
  /** The tier the key's usage plan belongs to (its tag), if tagged. */
  readonly tier?: string;
}

export interface ApiGatewayClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
}

export function createApiGatewayClient(options: ApiGatewayClientOptions): APIGatewayClient {
  return new APIGatewayClient({
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 10_000, throwOnRequestTimeout: true }),
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
  });
}

function toTenantApiKey(key: ApiKey, tenantId: string): TenantApiKey {
  if (key.id === undefined || key.value === undefined || key.value === '') {
    throw new KeysCommandError(`API Gateway returned API key ${key.id ?? '(no id)'} for tenant ${tenantId} without its value.`);
  }
  if (key.enabled === false) {
    throw new KeysCommandError(`API key ${key.id} of tenant ${tenantId} is disabled in API Gateway: API Gateway would reject every request that uses it.`);
  }
  const tier = key.tags?.[TENANT_API_KEY_TAGS.tier];
  return { id: key.id, value: key.value, ...(tier !== undefined ? { tier } : {}) };
}

/**
 * The API key of `tenantId` in the gateway whose tenant-key table is `tableName`: the key with
 * `apiKeyId` if given (its tenant tag, if any, must match), else the one key tagged for this
 * tenant and table.
 *
 * @example
 * const apiKey = await findTenantApiKey(client, { tableName: 'gw-keys', tenantId: 'acme' });
 */
export async function findTenantApiKey(
  client: APIGatewayClient,
  query: { readonly tableName: string; readonly tenantId: string; readonly apiKeyId?: string },
): Promise<TenantApiKey> {
  if (query.apiKeyId !== undefined) {
    const key = await client.send(new GetApiKeyCommand({ apiKey: query.apiKeyId, includeValue: true }));
    const taggedTenant = key.tags?.[TENANT_API_KEY_TAGS.tenant];
    if (taggedTenant !== undefined && taggedTenant !== query.tenantId) {
      throw new KeysCommandError(`API key ${query.apiKeyId} belongs to tenant ${taggedTenant} (tag ${TENANT_API_KEY_TAGS.tenant}), not to ${query.tenantId}.`);
    }
    return toTenantApiKey(key, query.tenantId);
  }

  const matches: ApiKey[] = [];
  for await (const page of paginateGetApiKeys({ client, pageSize: 500 }, { includeValues: true })) {
    for (const key of page.items ?? []) {
      if (key.tags?.[TENANT_API_KEY_TAGS.tenant] === query.tenantId && key.tags?.[TENANT_API_KEY_TAGS.table] === query.tableName) {
        matches.push(key);
      }
    }
  }
  if (matches.length === 0) {
    throw new KeysCommandError(
      `No API Gateway API key is tagged for tenant ${query.tenantId} and table ${query.tableName}. ` +
      'Add the tenant to TenantUsagePlans and deploy, or pass --api-key-id (or --no-usage-plan if the API uses no usage plans).',
    );
  }
  if (matches.length > 1) {
    throw new KeysCommandError(
      `Several API keys are tagged for tenant ${query.tenantId} and table ${query.tableName} (${matches.map((k) => k.id).join(', ')}): pass --api-key-id.`,
    );
  }
  return toTenantApiKey(matches[0], query.tenantId);
}
