import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { eksClusterView, field, list } from './eks-cluster-properties';
import { GatewayRule } from './gateway-rule';
import { flattenValue } from './iam-statements';

/** The five EKS control-plane log types. */
export const EKS_CONTROL_PLANE_LOG_TYPES: readonly string[] = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

/**
 * `AiGateway-EksControlPlaneLogging`: an EKS cluster sends all five control-plane log types
 * (api, audit, authenticator, controllerManager, scheduler) to CloudWatch Logs.
 *
 * cdk-nag's `EKS2` does not judge the native `AWS::EKS::Cluster` that `aws-eks-v2` creates. This
 * rule reports one `Missing::<type>` finding per log type that `Logging.ClusterLogging.EnabledTypes`
 * does not enable, so a deliberate gap is acknowledged type by type.
 */
export const eksControlPlaneLogging: GatewayRule = {
  id: 'EksControlPlaneLogging',
  info: 'The EKS cluster does not send every control-plane log type (api, audit, authenticator, controllerManager, scheduler) to CloudWatch Logs.',
  explanation: 'The audit and authenticator logs record who did what to the cluster and are the evidence an incident review and '
    + 'a compliance audit need; the api, controllerManager and scheduler logs explain control-plane behaviour. EKS keeps none of '
    + 'them unless enabled. Enable all five (aws-eks-v2: clusterLogging with every ClusterLoggingTypes value).',
  level: NagMessageLevel.ERROR,
  check(node: CfnResource): NagRuleResult {
    const view = eksClusterView(node);
    if (!view) return NagRuleCompliance.NOT_APPLICABLE;
    const enabled = new Set(list(field(field(view.logging, 'clusterLogging'), 'enabledTypes')).map((t) => flattenValue(field(t, 'type'))));
    return EKS_CONTROL_PLANE_LOG_TYPES.filter((type) => !enabled.has(type)).map((type) => `Missing::${type}`);
  },
};
