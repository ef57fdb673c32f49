import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { eksClusterView, field, list } from './eks-cluster-properties';
import { GatewayRule } from './gateway-rule';
import { flattenValue } from './iam-statements';

/**
 * `AiGateway-EksSecretsEncryption`: an EKS cluster encrypts Kubernetes secrets with a KMS key
 * (an `EncryptionConfig` entry whose `Resources` include `secrets` and whose `Provider.KeyArn` is
 * set). Not judged by any cdk-nag pack for `aws-eks-v2` clusters.
 */
export const eksSecretsEncryption: GatewayRule = {
  id: 'EksSecretsEncryption',
  info: 'The EKS cluster does not encrypt Kubernetes secrets with a KMS key (envelope encryption).',
  explanation: 'Without envelope encryption, Kubernetes secrets (such as a Hugging Face token) are stored in etcd protected only '
    + 'by disk-level encryption with an AWS-owned key, readable by anyone who obtains an etcd backup, and key access is neither '
    + 'auditable nor revocable by you. Set EncryptionConfig with Resources ["secrets"] and a customer-managed key '
    + '(aws-eks-v2: secretsEncryptionKey).',
  level: NagMessageLevel.ERROR,
  check(node: CfnResource): NagRuleResult {
    const view = eksClusterView(node);
    if (!view) return NagRuleCompliance.NOT_APPLICABLE;
    const encrypted = list(view.encryptionConfig).some((entry) => {
      const resources = list(field(entry, 'resources')).map(flattenValue);
      const keyArn = field(field(entry, 'provider'), 'keyArn');
      return resources.includes('secrets') && keyArn !== undefined && flattenValue(keyArn) !== '';
    });
    return encrypted ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
