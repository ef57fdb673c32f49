import { Sensitivity } from './config';
import { ALIAS_PATTERN, ID_PATTERN } from './schema';

/** Who is calling: what the authorizer established from the API key. */
export interface TenantIdentity {
  /** The tenant id (a tenant of the gateway configuration). */
  readonly tenantId: string;

  /**
   * An id of the API key used (never the key itself), for audit and usage records.
   * @default - none
   */
  readonly keyId?: string;

  /**
   * The tenant tier the key belongs to.
   * @default - the tier in the gateway configuration
   */
  readonly tier?: string;

  /**
   * The aliases this key is limited to. The router intersects them with the tenant's
   * `allowedAliases`: a key can narrow a tenant's access, never widen it. An empty list means no
   * narrowing (the authorizer context cannot tell an empty list from none).
   * @default - all the tenant's allowed aliases
   */
  readonly aliases?: string[];

  /**
   * The lowest sensitivity of the key's requests. The router takes the higher of it and the
   * tenant's own `sensitivityFloor`: a key can raise the floor, never lower it.
   * @default - the tenant's floor
   */
  readonly sensitivityFloor?: Sensitivity;
}

/**
 * The contract between the gateway's Lambda authorizer and the router: the keys of the
 * authorizer's `context`, which API Gateway passes to the router as
 * `event.requestContext.authorizer`. Context values must be scalars, so lists travel as
 * comma-separated strings.
 */
export class AuthorizerContext {
  /** Context key of the tenant id. */
  public static readonly TENANT_ID = 'tenantId';
  /** Context key of the API key's id. */
  public static readonly KEY_ID = 'keyId';
  /** Context key of the tenant tier. */
  public static readonly TIER = 'tier';
  /** Context key of the comma-separated aliases the key is limited to (empty: no limit). */
  public static readonly ALIASES = 'aliases';
  /** Context key of the key's sensitivity floor. */
  public static readonly SENSITIVITY_FLOOR = 'sensitivityFloor';

  /**
   * The authorizer context for an identity (what the authorizer returns as `context`).
   *
   * @example
   * return { principalId: tenantId, policyDocument, context: AuthorizerContext.encode({ tenantId, keyId }) };
   */
  public static encode(identity: TenantIdentity): { [key: string]: string } {
    const context: { [key: string]: string } = { [AuthorizerContext.TENANT_ID]: identity.tenantId };
    if (identity.keyId !== undefined) context[AuthorizerContext.KEY_ID] = identity.keyId;
    if (identity.tier !== undefined) context[AuthorizerContext.TIER] = identity.tier;
    if (identity.aliases !== undefined && identity.aliases.length > 0) context[AuthorizerContext.ALIASES] = identity.aliases.join(',');
    if (identity.sensitivityFloor !== undefined) context[AuthorizerContext.SENSITIVITY_FLOOR] = identity.sensitivityFloor;
    return context;
  }

  /**
   * The identity in an authorizer context, or `undefined` when it carries no valid tenant id.
   * Malformed optional values are dropped (an alias list is narrowed to its valid aliases, never
   * widened), except the sensitivity floor: a floor that is present but not a sensitivity raises
   * the floor to `restricted` (fail closed: a malformed floor must not lower anything).
   *
   * @example
   * const identity = AuthorizerContext.decode(event.requestContext.authorizer);
   */
  public static decode(context: { [key: string]: unknown } | undefined): TenantIdentity | undefined {
    if (context === undefined || context === null || typeof context !== 'object') return undefined;
    const str = (key: string): string | undefined => {
      const v = context[key];
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    };
    const tenantId = str(AuthorizerContext.TENANT_ID);
    if (tenantId === undefined || !new RegExp(ID_PATTERN).test(tenantId)) return undefined;
    const keyId = str(AuthorizerContext.KEY_ID);
    const tier = str(AuthorizerContext.TIER);
    const aliasList = str(AuthorizerContext.ALIASES);
    const aliasPattern = new RegExp(ALIAS_PATTERN);
    const floor = str(AuthorizerContext.SENSITIVITY_FLOOR);
    const sensitivities: string[] = Object.values(Sensitivity);
    return {
      tenantId,
      ...(keyId !== undefined && keyId.length > 0 && keyId.length <= 128 ? { keyId } : {}),
      ...(tier !== undefined && new RegExp(ID_PATTERN).test(tier) ? { tier } : {}),
      ...(aliasList !== undefined && aliasList.trim() !== ''
        ? { aliases: aliasList.split(',').map((a) => a.trim()).filter((a) => aliasPattern.test(a)) }
        : {}),
      ...(floor !== undefined ? { sensitivityFloor: sensitivities.includes(floor) ? floor as Sensitivity : Sensitivity.RESTRICTED } : {}),
    };
  }

  private constructor() {}
}
