import { bedrockModelAccessScoped } from './bedrock-model-access-scoped';
import { eksControlPlaneLogging } from './eks-control-plane-logging';
import { eksPrivateEndpoint } from './eks-private-endpoint';
import { eksSecretsEncryption } from './eks-secrets-encryption';
import { GatewayRule } from './gateway-rule';
import { serviceLogGroupManaged } from './service-log-group-managed';

/**
 * Every rule `AiGatewayChecks` applies, in report order. To add a rule: write it in its own file in
 * this folder as a `GatewayRule`, list it here, and test it in `test/compliance/rules/` with a
 * compliant and a non-compliant fixture.
 */
export const GATEWAY_RULES: readonly GatewayRule[] = [
  bedrockModelAccessScoped,
  eksPrivateEndpoint,
  eksControlPlaneLogging,
  eksSecretsEncryption,
  serviceLogGroupManaged,
];
