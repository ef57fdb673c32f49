import { AuthenticationError, GatewayError, PermissionDeniedError } from '../../../lambda/router/errors';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { ACME_KEY, GLOBEX_KEY, resolved, sha256, thrownBy } from '../../helpers/router-config';

const config = resolved();

const failure = (fn: () => unknown): GatewayError => thrownBy(GatewayError, fn);

describe('resolveTenant', () => {
  describe('local mode (bearer key)', () => {
    test('a known key resolves to its tenant with the tenant settings', () => {
      const tenant = resolveTenant({ kind: 'bearer' }, { authorization: `Bearer ${ACME_KEY}` }, config);
      expect(tenant).toEqual({
        tenantId: 'acme', tier: 'premium', keyId: sha256(ACME_KEY).slice(0, 12),
        allowedAliases: new Set(['chat', 'summary', 'secure', 'batch-only', 'guarded']),
        sensitivityClearance: 'restricted', defaultSensitivity: 'internal', sensitivityFloor: 'public',
      });
      expect(resolveTenant({ kind: 'bearer' }, { authorization: `bearer   ${GLOBEX_KEY}` }, config).tenantId).toBe('globex');
    });

    test.each([
      ['no Authorization header', {}, 'missing_api_key'],
      ['an empty header', { authorization: ' ' }, 'missing_api_key'],
      ['another scheme', { authorization: `Basic ${ACME_KEY}` }, 'invalid_api_key'],
      ['an unknown key', { authorization: 'Bearer sk-nope' }, 'invalid_api_key'],
    ])('401 for %s', (_name, headers, code) => {
      const e = failure(() => resolveTenant({ kind: 'bearer' }, headers, config));
      expect(e).toBeInstanceOf(AuthenticationError);
      expect(e.code).toBe(code);
    });
  });

  describe('deployed (authorizer context)', () => {
    test('the identity comes from the authorizer context, never from headers', () => {
      const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex', keyId: 'k1', tier: 'gold' } }, { authorization: `Bearer ${ACME_KEY}` }, config);
      expect(tenant).toMatchObject({ tenantId: 'globex', keyId: 'k1', tier: 'gold' });
    });

    test('a key limited to aliases narrows the tenant allow-list, never widens it', () => {
      const tenant = resolveTenant({ kind: 'authorizer', context: { tenantId: 'globex', aliases: 'chat,secure' } }, {}, config);
      expect([...tenant.allowedAliases]).toEqual(['chat']);
    });

    test('401 without an identity, 403 for a tenant the configuration does not know', () => {
      expect(failure(() => resolveTenant({ kind: 'authorizer', context: undefined }, {}, config))).toBeInstanceOf(AuthenticationError);
      const e = failure(() => resolveTenant({ kind: 'authorizer', context: { tenantId: 'umbrella' } }, {}, config));
      expect(e).toBeInstanceOf(PermissionDeniedError);
      expect(e.code).toBe('tenant_not_configured');
    });
  });
});
