/**
 * Stage: establish the tenant. Deployed, the identity comes from the Lambda authorizer's context
 * (the authorizer checked the API key); in local mode, from the `Authorization: Bearer <key>`
 * header looked up by SHA-256 in the configuration's `localKeys`. Never from the request body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthorizerContext, TenantIdentity } from '../../shared/authorizer-context';
import { maxSensitivity, ResolvedGatewayConfig } from '../../shared/defaults';
import { AuthenticationError, PermissionDeniedError } from '../errors';
import { Credentials } from '../http';
import { TenantContext } from './types';

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Looks a local API key up in `localKeys` (comparing hashes in constant time). */
function localIdentity(authorization: string | undefined, config: ResolvedGatewayConfig): TenantIdentity {
  if (authorization === undefined || authorization.trim() === '') {
    throw new AuthenticationError('Missing API key: send it as "Authorization: Bearer <key>".', 'missing_api_key');
  }
  const match = BEARER.exec(authorization);
  if (!match) throw new AuthenticationError('Malformed Authorization header: expected "Bearer <key>".', 'invalid_api_key');
  const hash = Buffer.from(sha256Hex(match[1]), 'utf8');
  for (const [known, tenantId] of config.localKeys) {
    const candidate = Buffer.from(known, 'utf8');
    if (candidate.length === hash.length && timingSafeEqual(candidate, hash)) {
      return { tenantId, keyId: known.slice(0, 12) };
    }
  }
  throw new AuthenticationError('Invalid API key.', 'invalid_api_key');
}

/**
 * Resolves the caller into a `TenantContext`. Throws `AuthenticationError` (401) without a valid
 * identity, `PermissionDeniedError` (403) for a tenant the configuration does not know.
 *
 * @example
 * const tenant = resolveTenant({ kind: 'authorizer', context: event.requestContext.authorizer }, headers, config);
 */
export function resolveTenant(credentials: Credentials, headers: Readonly<Record<string, string>>, config: ResolvedGatewayConfig): TenantContext {
  let identity: TenantIdentity | undefined;
  if (credentials.kind === 'bearer') {
    identity = localIdentity(headers.authorization, config);
  } else {
    identity = AuthorizerContext.decode(credentials.context as { [key: string]: unknown } | undefined);
    if (!identity) throw new AuthenticationError('The request carries no tenant identity.', 'missing_tenant');
  }
  const tenant = config.tenants.get(identity.tenantId);
  if (!tenant) throw new PermissionDeniedError('This API key belongs to no tenant of this gateway.', 'tenant_not_configured');
  const allowed = new Set(tenant.allowedAliases);
  const effective = identity.aliases === undefined ? allowed : new Set(identity.aliases.filter((a) => allowed.has(a)));
  return {
    tenantId: tenant.id,
    tier: identity.tier ?? tenant.tier,
    allowedAliases: effective,
    sensitivityClearance: tenant.sensitivityClearance,
    defaultSensitivity: tenant.defaultSensitivity,
    sensitivityFloor: identity.sensitivityFloor === undefined ? tenant.sensitivityFloor : maxSensitivity(tenant.sensitivityFloor, identity.sensitivityFloor),
    ...(identity.keyId !== undefined ? { keyId: identity.keyId } : {}),
    ...(tenant.guardrail !== undefined ? { guardrail: tenant.guardrail } : {}),
  };
}
