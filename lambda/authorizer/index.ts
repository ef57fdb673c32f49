/**
 * The tenant-key Lambda authorizer (API Gateway REST, REQUEST type). The only file that knows
 * API Gateway's authorizer event and response shapes; the decision itself is in ./logic.ts.
 *
 * - malformed or unknown key → `throw new Error('Unauthorized')`, which API Gateway answers with 401;
 * - revoked or expired key → a Deny policy, which API Gateway answers with 403;
 * - active key → an Allow policy for every method of the stage (the result is cached per
 *   `Authorization` header and reused for other routes), the tenant context, and the tenant's
 *   API key value as `usageIdentifierKey` so the tier's usage plan throttles the request;
 * - the table cannot be read → any other error, which API Gateway answers with 500 (not cached);
 * - an active key whose tenant or key an operator suspended (`cdk-ai-gateway incident`) → a Deny
 *   policy (403), once the incident controls are read again (at most every 30 s; API Gateway may
 *   keep an earlier Allow for its authorizer cache TTL, and the router refuses the request anyway).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { AuthorizerContext } from '../shared/authorizer-context';
import { CONTROL_KINDS, CONTROLS_ENV } from '../shared/incident-controls-schema';
import { AUTHORIZER_ENV } from '../shared/tenant-key-schema';
import { controlsFromEnv } from '../router/incident/dynamo-controls';
import { CachedControls } from '../router/pipeline/controls';
import { TtlCache } from './cache';
import { createDynamoDbClient, DYNAMODB_PROFILES } from '../clients/dynamodb';
import { authorize, AuthorizerDependencies, Decision, KeyLookup } from './logic';
import { MethodArnError, policyDocument, PolicyDocument, stageWideArn } from './policy';

/** The fields of an API Gateway REST REQUEST authorizer event that the authorizer reads. */
export interface RequestAuthorizerEvent {
  readonly type: 'REQUEST';
  readonly methodArn: string;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly requestContext?: { readonly requestId?: string } | null;
}

/** The authorizer's answer to API Gateway. */
export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  /** `AuthorizerContext.encode` of the tenant identity: the router's contract (../shared/authorizer-context.ts). */
  readonly context?: { readonly [key: string]: string };
  readonly usageIdentifierKey?: string;
}

/** Structured logging; Powertools' `Logger` satisfies it. */
export interface DecisionLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface HandlerDependencies extends AuthorizerDependencies {
  readonly logger: DecisionLogger;
  /**
   * The operators' incident controls: a suspended tenant or key is denied.
   * @default none
   */
  readonly controls?: CachedControls;
}

/** The message API Gateway turns into 401. */
export const UNAUTHORIZED = 'Unauthorized';

/** Defaults of the in-memory cache when the environment does not set them. */
export const DEFAULT_KEY_CACHE_TTL_SECONDS = 30;
export const DEFAULT_KEY_CACHE_MAX_ENTRIES = 10_000;

/**
 * A handler bound to its dependencies (tests inject a client pointed at a loopback DynamoDB).
 *
 * @example
 * const handle = createHandler({ dynamodb, tableName, cache, logger });
 * const result = await handle(event); // throws Error('Unauthorized') for a bad key
 */
export function createHandler(deps: HandlerDependencies): (event: RequestAuthorizerEvent) => Promise<AuthorizerResult> {
  return async (event) => {
    const requestId = event.requestContext?.requestId;
    let resource: string;
    try {
      resource = stageWideArn(event.methodArn);
    } catch (err) {
      deps.logger.error('authorizer misconfigured', { requestId, error: err instanceof MethodArnError ? err.message : String(err) });
      throw new Error('AuthorizerConfigurationError');
    }

    let decision: Decision;
    try {
      decision = await authorize(event, deps);
    } catch (err) {
      // Fail closed: a lookup failure is a 500 (API Gateway does not cache it), never an Allow.
      // Only the error's name and status are logged: SDK messages can echo request parameters.
      const name = err instanceof Error ? err.name : typeof err;
      const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
      deps.logger.error('tenant key lookup failed', { requestId, error: name, httpStatusCode: status });
      throw new Error('AuthorizerFailure');
    }

    switch (decision.outcome) {
      case 'unauthorized':
        deps.logger.info('tenant key rejected', {
          requestId, outcome: decision.outcome, reason: decision.reason, keyId: decision.keyId, cached: decision.cached,
        });
        throw new Error(UNAUTHORIZED);
      case 'deny':
        (decision.reason === 'invalid-record' ? deps.logger.warn : deps.logger.info).call(deps.logger, 'tenant key denied', {
          requestId, outcome: decision.outcome, reason: decision.reason, keyId: decision.keyId, tenantId: decision.tenantId,
          cached: decision.cached, detail: decision.detail,
        });
        return { principalId: decision.tenantId ?? `key:${decision.keyId}`, policyDocument: policyDocument('Deny', resource) };
      case 'allow': {
        const { record } = decision;
        const controls = deps.controls ? await deps.controls.get() : undefined;
        const suspension = controls?.get(CONTROL_KINDS.tenant, record.tenantId) ?? controls?.get(CONTROL_KINDS.key, record.keyId);
        if (suspension) {
          deps.logger.info('tenant key denied', {
            requestId, outcome: 'deny', reason: `${suspension.kind}-suspended`, keyId: record.keyId, tenantId: record.tenantId, cached: decision.cached,
          });
          return { principalId: record.tenantId, policyDocument: policyDocument('Deny', resource) };
        }
        if (record.usageKey === undefined) {
          deps.logger.warn('tenant key has no usage identifier; API Gateway rejects it if the API requires API keys', {
            requestId, keyId: record.keyId, tenantId: record.tenantId,
          });
        }
        deps.logger.info('tenant key accepted', {
          requestId, outcome: decision.outcome, keyId: record.keyId, tenantId: record.tenantId, tier: record.tier, cached: decision.cached,
        });
        return {
          principalId: record.tenantId,
          policyDocument: policyDocument('Allow', resource),
          context: AuthorizerContext.encode({
            tenantId: record.tenantId, keyId: record.keyId, tier: record.tier, aliases: [...record.aliases],
            ...(record.sensitivityFloor !== undefined ? { sensitivityFloor: record.sensitivityFloor } : {}),
          }),
          ...(record.usageKey !== undefined ? { usageIdentifierKey: record.usageKey } : {}),
        };
      }
    }
  };
}

function positiveIntFromEnv(name: string, fallback: number, allowZero: boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be an integer ≥ ${allowZero ? 0 : 1}, received ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The production dependencies, read from the environment once per container. */
export function dependenciesFromEnvironment(): HandlerDependencies {
  const tableName = process.env[AUTHORIZER_ENV.tableName];
  if (tableName === undefined || tableName === '') throw new Error(`${AUTHORIZER_ENV.tableName} is not set`);
  const ttlSeconds = positiveIntFromEnv(AUTHORIZER_ENV.cacheTtlSeconds, DEFAULT_KEY_CACHE_TTL_SECONDS, true);
  const maxEntries = positiveIntFromEnv(AUTHORIZER_ENV.cacheMaxEntries, DEFAULT_KEY_CACHE_MAX_ENTRIES, false);
  return {
    tableName,
    // One attempt plus one retry, 1 s to connect and 2 s per request: the authorizer answers
    // well inside API Gateway's limits, and a failed lookup fails closed.
    dynamodb: createDynamoDbClient(DYNAMODB_PROFILES.REQUEST_PATH),
    cache: new TtlCache<KeyLookup>({ ttlMs: ttlSeconds * 1000, maxEntries }),
    logger: new Logger({ serviceName: 'cdk-ai-gateway-authorizer' }),
    // The incident controls when the environment names their table (CONTROLS_ENV.tableName).
    ...(process.env[CONTROLS_ENV.tableName] ? { controls: controlsFromEnv(process.env) } : {}),
  };
}

let bound: ((event: RequestAuthorizerEvent) => Promise<AuthorizerResult>) | undefined;

/** The Lambda entry point. Dependencies are created on the first invocation and kept for the container's life. */
export async function handler(event: RequestAuthorizerEvent): Promise<AuthorizerResult> {
  bound ??= createHandler(dependenciesFromEnvironment());
  return bound(event);
}
