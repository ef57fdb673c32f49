import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { NagRuleCompliance } from 'cdk-nag';
import { AiGatewayChecks } from '../../../lib';
import { eksSecretsEncryption } from '../../../lib/compliance/rules/eks-secrets-encryption';

const RULE = 'AiGateway-EksSecretsEncryption';
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function cluster(encryptionConfig?: eks.CfnCluster.EncryptionConfigProperty[], stack = new Stack(new App(), 'S')): eks.CfnCluster {
  return new eks.CfnCluster(stack, 'Cluster', {
    roleArn: 'arn:aws:iam::111122223333:role/eks',
    resourcesVpcConfig: { subnetIds: ['subnet-1'] },
    encryptionConfig,
  });
}

const ruleFindings = (scope: Stack) => new AiGatewayChecks().validateScope(scope).violations
  .filter((v) => v.ruleName.startsWith(RULE)).flatMap((v) => v.violatingResources.map((r) => [v.ruleName, r.constructPath]));

describe(`${RULE}: compliant`, () => {
  test('secrets encrypted with a literal key ARN', () => {
    const c = cluster([{ resources: ['secrets'], provider: { keyArn: KEY } }]);
    expect(eksSecretsEncryption.check(c)).toBe(NagRuleCompliance.COMPLIANT);
    expect(ruleFindings(c.stack)).toEqual([]);
  });

  test('secrets encrypted with a key of the stack, as aws-eks-v2 writes it', () => {
    const stack = new Stack(new App(), 'S');
    const c = new eks.Cluster(stack, 'Eks', { version: eks.KubernetesVersion.V1_35, secretsEncryptionKey: new kms.Key(stack, 'Key') });
    expect(eksSecretsEncryption.check(c.node.defaultChild as CfnResource)).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('resources other than a cluster are not judged', () => {
    expect(eksSecretsEncryption.check(new CfnResource(new Stack(new App(), 'S'), 'K', { type: 'AWS::KMS::Key' }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe(`${RULE}: non-compliant`, () => {
  test('no encryption config', () => {
    const c = cluster();
    expect(eksSecretsEncryption.check(c)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(ruleFindings(c.stack)).toEqual([[RULE, 'S/Cluster']]);
  });

  test('an aws-eks-v2 cluster without secretsEncryptionKey', () => {
    const c = new eks.Cluster(new Stack(new App(), 'S'), 'Eks', { version: eks.KubernetesVersion.V1_35 });
    expect(eksSecretsEncryption.check(c.node.defaultChild as CfnResource)).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('an encryption config that does not cover secrets', () => {
    expect(eksSecretsEncryption.check(cluster([{ resources: ['configmaps'], provider: { keyArn: KEY } }]))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('an encryption config without a key', () => {
    expect(eksSecretsEncryption.check(cluster([{ resources: ['secrets'] }]))).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(eksSecretsEncryption.check(cluster([{ resources: ['secrets'], provider: { keyArn: '' } }]))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });
});
