import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GatewayTransactionSearch, GatewayTransactionSearchProps } from '../../lib';
import { expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

function synth(props?: GatewayTransactionSearchProps) {
  const stack = new Stack(new App(), 'Tracing', { env: { account: '111122223333', region: 'eu-west-1' } });
  const search = new GatewayTransactionSearch(stack, 'TransactionSearch', props);
  return { template: Template.fromStack(stack), search, stack };
}

/** A value CloudFormation would resolve, with the partition as in the commercial Regions. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((p) => (typeof p === 'string' ? p : (p as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(p))).join(join[0]);
  return JSON.stringify(value);
}

describe('GatewayTransactionSearch', () => {
  test('enables Transaction Search indexing 1 % of spans by default, X-Ray creating aws/spans with the default encryption', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::XRay::TransactionSearchConfig', { IndexingPercentage: 1, CloudWatchLogsConfiguration: Match.absent() });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  test('X-Ray of this account alone may write aws/spans and the Application Signals log group', () => {
    const { template } = synth({ indexingPercentage: 10 });
    const policies = template.findResources('AWS::Logs::ResourcePolicy');
    const document = JSON.parse(rendered((Object.values(policies)[0].Properties as { PolicyDocument: unknown }).PolicyDocument)) as { Statement: unknown[] };
    expect(document.Statement).toEqual([{
      Sid: 'TransactionSearchXRayAccess', Effect: 'Allow', Principal: { Service: 'xray.amazonaws.com' }, Action: 'logs:PutLogEvents',
      Resource: [
        'arn:aws:logs:eu-west-1:111122223333:log-group:aws/spans:*',
        'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/application-signals/data:*',
      ],
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:xray:eu-west-1:111122223333:*' }, StringEquals: { 'aws:SourceAccount': '111122223333' } },
    }]);
    template.hasResourceProperties('AWS::XRay::TransactionSearchConfig', { IndexingPercentage: 10 });
  });

  test('the setting is created after the resource policy that lets X-Ray write', () => {
    const { template } = synth();
    const [policyId] = Object.keys(template.findResources('AWS::Logs::ResourcePolicy'));
    template.hasResource('AWS::XRay::TransactionSearchConfig', { DependsOn: Match.arrayWith([policyId]) });
  });

  test('customerManagedKey: a rotated key that CloudWatch Logs may use for aws/spans only, named in the setting', () => {
    const { template, search, stack } = synth({ customerManagedKey: true });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudWatchLogsToEncryptLogGroups',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [Match.anyValue()] } },
      })]) },
    });
    const keys = template.findResources('AWS::KMS::Key');
    const statement = (Object.values(keys)[0].Properties as { KeyPolicy: { Statement: { Sid?: string; Condition?: { ArnLike: Record<string, unknown[]> } }[] } })
      .KeyPolicy.Statement.find((s) => s.Sid === 'AllowCloudWatchLogsToEncryptLogGroups')!;
    expect(rendered(statement.Condition!.ArnLike['kms:EncryptionContext:aws:logs:arn'][0])).toBe('arn:aws:logs:eu-west-1:111122223333:log-group:aws/spans');
    template.hasResourceProperties('AWS::XRay::TransactionSearchConfig', {
      CloudWatchLogsConfiguration: { SpansLogGroupKmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(search.encryptionKey!.node.defaultChild as CfnResource), 'Arn'] } },
    });
  });

  test.each([-1, 101, Number.NaN])('indexingPercentage %p is refused', (indexingPercentage) => {
    expect(() => synth({ indexingPercentage })).toThrow(/indexingPercentage must be between 0 and 100/);
  });

  test('passes every pack without acknowledgments (in the observability fixture app)', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'defaultObservabilityApp' });
    expectReportPassed(report);
    expect(report.acknowledgments.filter((a) => a.constructPath.includes('TransactionSearch'))).toEqual([]);
    expect(report.findings.filter((f) => f.constructPath.includes('TransactionSearch'))).toEqual([]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
