import { GatewayError } from '../../../lambda/router/errors';
import { applyTenantPolicy } from '../../../lambda/router/pipeline/policy';
import { resolveTenant } from '../../../lambda/router/pipeline/tenant';
import { Sensitivity } from '../../../lambda/shared/config';
import { resolved, testConfig, thrownBy } from '../../helpers/router-config';

const config = resolved();
const tenant = (id: string) => resolveTenant({ kind: 'authorizer', context: { tenantId: id } }, {}, config);

const failure = (fn: () => unknown): GatewayError => thrownBy(GatewayError, fn);

describe('applyTenantPolicy', () => {
  test('an allowed alias with default sensitivity and latency class', () => {
    expect(applyTenantPolicy(tenant('globex'), 'chat', {}, config)).toEqual({ sensitivity: 'internal', latencyClass: 'standard' });
  });

  test('a tenant whose clearance is public defaults to public', () => {
    expect(applyTenantPolicy(tenant('initech'), 'chat', {}, config).sensitivity).toBe('public');
  });

  test('tenant isolation: another tenant\'s alias and an unknown alias get the same 404', () => {
    const other = failure(() => applyTenantPolicy(tenant('globex'), 'secure', {}, config));
    const unknown = failure(() => applyTenantPolicy(tenant('globex'), 'no-such-alias', {}, config));
    expect({ status: other.status, code: other.code, param: other.param }).toEqual({ status: 404, code: 'model_not_found', param: 'model' });
    expect(other.message).toBe("The model 'secure' does not exist or you do not have access to it.");
    expect(unknown.message).toBe("The model 'no-such-alias' does not exist or you do not have access to it.");
  });

  test('403 for data above the tenant clearance', () => {
    const e = failure(() => applyTenantPolicy(tenant('globex'), 'chat', { sensitivity: Sensitivity.RESTRICTED }, config));
    expect({ status: e.status, code: e.code }).toEqual({ status: 403, code: 'sensitivity_not_cleared' });
  });

  test('403 for restricted data on a route not marked for it; allowed on one that is', () => {
    const e = failure(() => applyTenantPolicy(tenant('acme'), 'chat', { sensitivity: Sensitivity.RESTRICTED }, config));
    expect({ status: e.status, code: e.code }).toEqual({ status: 403, code: 'route_not_cleared' });
    expect(applyTenantPolicy(tenant('acme'), 'secure', { sensitivity: Sensitivity.RESTRICTED }, config).sensitivity).toBe('restricted');
  });

  test('auto is allowed when a rule leads to an alias of the tenant', () => {
    expect(() => applyTenantPolicy(tenant('initech'), 'auto', {}, config)).not.toThrow();
    const noRules = resolved({ ...testConfig(), autoRouting: [] });
    expect(failure(() => applyTenantPolicy(tenant('acme'), 'auto', {}, noRules)).code).toBe('model_not_found');
  });
});
