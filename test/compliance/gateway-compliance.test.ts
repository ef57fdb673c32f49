import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CompliancePack, GatewayCompliance } from '../../lib';
import { expectAcknowledgmentsJustified } from '../helpers/compliance';

const REASON = 'The bucket only holds the access logs of the data bucket; logging its own access would recurse forever.';

function bucketInStack(): { app: App; stack: Stack; bucket: s3.Bucket } {
  const app = new App();
  const stack = new Stack(app, 'Fixture');
  return { app, stack, bucket: new s3.Bucket(stack, 'Bucket') };
}

function recorded(scope: { node: Stack['node'] }): unknown[] {
  return scope.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data);
}

describe('GatewayCompliance.acknowledge', () => {
  test.each([
    ['AwsSolutions-S1', 'AwsSolutions::AwsSolutions-S1'],
    ['AwsSolutions-IAM5[Resource::*]', 'AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    ['AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/*]', 'AwsSolutions::AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/*]'],
    ['NIST.800.53.R5-S3BucketLoggingEnabled', 'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled'],
    ['HIPAA.Security-S3BucketLoggingEnabled', 'HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled'],
    ['PCI.DSS.321-S3BucketLoggingEnabled', 'PCI.DSS.321::PCI.DSS.321-S3BucketLoggingEnabled'],
    ['Serverless-LambdaTracing', 'Serverless::Serverless-LambdaTracing'],
    ['AiGateway-BedrockModelAccessScoped[Resource::*]', 'AiGateway::AiGateway-BedrockModelAccessScoped[Resource::*]'],
    ['CT.S3.PR.2', 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check'],
    ['ct.s3.pr.2', 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check'],
    ['cdk-validator-cfnguard::s3_bucket_logging_enabled_check', 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check'],
    ['AwsSolutions::AwsSolutions-S1', 'AwsSolutions::AwsSolutions-S1'],
    ['CloudFormation-Validate::E3002', 'CloudFormation-Validate::E3002'],
  ])('records %s as %s on the construct', (findingId, recordedId) => {
    // Prepare
    const { bucket } = bucketInStack();
    // Act
    GatewayCompliance.acknowledge(bucket, findingId, REASON);
    // Assess
    expect(recorded(bucket)).toEqual([{ [recordedId]: REASON }]);
  });

  test('trims the reason it records', () => {
    const { bucket } = bucketInStack();
    GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S1', `  ${REASON}\n`);
    expect(recorded(bucket)).toEqual([{ 'AwsSolutions::AwsSolutions-S1': REASON }]);
  });

  test.each([
    [''],
    ['S1'],
    ['AwsSolution-S1'],
    ['AwsSolutions-'],
    ['AwsSolutions-IAM5[Resource::*'],
    ['AwsSolutions-IAM5]Resource::*['],
    ['NIST.800.53.R4-S3BucketLoggingEnabled'],
    ['CT.S3.PR.99'],
    ['cdk-validator-cfnguard::s3_bucket_logging_enabled'],
    ['cfn-guard::s3_bucket_logging_enabled_check'],
    ['AwsSolutions::NIST.800.53.R5-S3BucketLoggingEnabled'],
  ])('rejects the finding id %j, naming findingId and the value', (findingId) => {
    const { bucket } = bucketInStack();
    expect(() => GatewayCompliance.acknowledge(bucket, findingId, REASON)).toThrow(/findingId/);
    expect(() => GatewayCompliance.acknowledge(bucket, findingId, REASON)).toThrow(`'${findingId}'`);
    expect(recorded(bucket)).toEqual([]);
  });

  test.each([['AwsSolutions-IAM5'], ['AwsSolutions-IAM4'], ['AwsSolutions::AwsSolutions-IAM5']])(
    'rejects the bare %s, which would hide every finding of the rule, and shows the bracketed form', (findingId) => {
      const { bucket } = bucketInStack();
      expect(() => GatewayCompliance.acknowledge(bucket, findingId, REASON)).toThrow(/findingId .*every finding of the rule.*\[/);
      expect(recorded(bucket)).toEqual([]);
    });

  test('an unknown Control Tower control id says so', () => {
    const { bucket } = bucketInStack();
    expect(() => GatewayCompliance.acknowledge(bucket, 'CT.S3.PR.99', REASON))
      .toThrow(/'CT.S3.PR.99' is not a Control Tower control shipped with @cdklabs\/cdk-validator-cfnguard/);
  });

  test.each([
    ['', /reason for 'AwsSolutions-S1' is empty/],
    ['   ', /reason for 'AwsSolutions-S1' is empty/],
    ['false positive', /reason for 'AwsSolutions-S1' is 14 characters long; a reviewer needs at least 40/],
    ['Not needed.', /is 11 characters long/],
    ['This is a false positive and it is not needed here at all, really.', /is generic/],
    ['Not applicable for this resource type in our deployment setup.', /is generic/],
    ['Accepted risk: we will fix it later when we have more time to do so.', /is generic/],
    ['TODO: explain why the router needs to read every object of this bucket', /placeholder 'TODO'/],
  ])('rejects the reason %j, naming reason and the value received', (reason, message) => {
    const { bucket } = bucketInStack();
    expect(() => GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S1', reason)).toThrow(message);
    expect(() => GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S1', reason)).toThrow(`Received: '${reason}'`);
    expect(recorded(bucket)).toEqual([]);
  });

  test('the error names the construct path', () => {
    const { bucket } = bucketInStack();
    expect(() => GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S1', 'n/a')).toThrow(/\(in Fixture\/Bucket\)$/);
  });

  test('refuses a whole Stack or App as scope', () => {
    const { app, stack } = bucketInStack();
    expect(() => GatewayCompliance.acknowledge(stack, 'AwsSolutions-S1', REASON))
      .toThrow(/scope must be the construct with finding 'AwsSolutions-S1', not a whole Stack; received 'Fixture'/);
    expect(() => GatewayCompliance.acknowledge(app, 'AwsSolutions-S1', REASON)).toThrow(/not a whole App or Stage/);
    expect(recorded(stack)).toEqual([]);
  });

  test('refuses to acknowledge the same finding twice on one construct', () => {
    const { bucket } = bucketInStack();
    GatewayCompliance.acknowledge(bucket, 'CT.S3.PR.2', REASON);
    expect(() => GatewayCompliance.acknowledge(bucket, 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', REASON))
      .toThrow(/findingId 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check' is already acknowledged on this construct/);
  });

  test('acknowledges the same finding on two constructs, and different findings on one', () => {
    const { stack, bucket } = bucketInStack();
    const other = new s3.Bucket(stack, 'Other');
    GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S1', REASON);
    GatewayCompliance.acknowledge(bucket, 'AwsSolutions-S10', REASON);
    GatewayCompliance.acknowledge(other, 'AwsSolutions-S1', REASON);
    expect(recorded(bucket)).toEqual([{ 'AwsSolutions::AwsSolutions-S1': REASON }, { 'AwsSolutions::AwsSolutions-S10': REASON }]);
    expect(recorded(other)).toEqual([{ 'AwsSolutions::AwsSolutions-S1': REASON }]);
  });
});

describe('GatewayCompliance.checkReason', () => {
  test.each([
    'The router role invokes only the application inference profiles created for its own tenants.',
    'Access logs of this bucket would be written to itself; CloudTrail data events cover reads instead.',
    'X-Ray PutTraceSegments has no resource-level permissions, so the service requires Resource *.',
  ])('accepts a specific reason: %s', (reason) => {
    expect(GatewayCompliance.checkReason(reason)).toBeUndefined();
  });

  test.each([
    ['', /is empty/],
    ['It is fine.', /is 11 characters long/],
    ['This is expected behaviour and it is by design, so it is okay.', /is generic/],
    ['False positive: this finding does not apply to this resource here.', /only 0 specific word/],
    ['TBD once the security team has reviewed the router and its roles', /placeholder 'TBD'/],
  ])('rejects %j', (reason, message) => {
    expect(GatewayCompliance.checkReason(reason)).toMatch(message);
  });

  test('lists the specific words it found when there are too few', () => {
    expect(GatewayCompliance.checkReason('Not needed for the logging bucket, it is a false positive.'))
      .toMatch(/only 2 specific word\(s\) \(logging, bucket\)/);
  });
});

describe('GatewayCompliance.reviewAcknowledgments', () => {
  test('accepts acknowledgments made through GatewayCompliance.acknowledge', () => {
    const { app, bucket } = bucketInStack();
    GatewayCompliance.acknowledge(bucket, 'CT.S3.PR.2', REASON);
    expect(GatewayCompliance.reviewAcknowledgments(app)).toEqual([{
      recordedId: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
      findingId: 'CT.S3.PR.2',
      reason: REASON,
      constructPath: 'Fixture/Bucket',
      problem: undefined,
    }]);
    expect(() => expectAcknowledgmentsJustified(app)).not.toThrow();
  });

  test('rejects raw acknowledgments that are weak, stack-wide, unknown, or hidden from the report', () => {
    // Prepare: acknowledgments made with the raw aws-cdk-lib API, bypassing the checks.
    const { app, stack, bucket } = bucketInStack();
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S10', reason: 'false positive' });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: REASON });
    Validations.of(stack).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: REASON });
    Validations.of(bucket).acknowledge({ id: 'cdk-validator-cfnguard::s3_bucket_logging', reason: REASON });
    // Act
    const review = GatewayCompliance.reviewAcknowledgments(app);
    // Assess
    const problems = Object.fromEntries(review.map((a) => [`${a.constructPath} ${a.recordedId}`, a.problem]));
    expect(problems).toEqual({
      'Fixture/Bucket AwsSolutions::AwsSolutions-S10': expect.stringMatching(/^reason is 14 characters long/),
      'Fixture/Bucket Annotation::AwsSolutions-S1': expect.stringMatching(/without its pack namespace, so cdk-nag drops the finding/),
      'Fixture AwsSolutions::AwsSolutions-S1': expect.stringMatching(/for a whole Stack; acknowledge it on the construct/),
      'Fixture/Bucket cdk-validator-cfnguard::s3_bucket_logging': expect.stringMatching(/invalid finding id: .*'s3_bucket_logging' is not a guard rule/),
    });
    expect(() => expectAcknowledgmentsJustified(app)).toThrow(/^4 acknowledgment\(s\) a reviewer would reject:\n/);
    expect(() => expectAcknowledgmentsJustified(app)).toThrow(
      /\n {2}AwsSolutions-S10 at Fixture\/Bucket: reason is 14 characters long.*\(reason given: 'false positive'\)\n/);
  });

  test('accepts the literal-AZ acknowledgment aws-cdk-lib makes on a Stack with a VPC, and no other stack-wide W3010', () => {
    const { app, stack } = bucketInStack();
    new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const fromCdk = GatewayCompliance.reviewAcknowledgments(app).filter((a) => a.findingId === 'CloudFormation-Validate::W3010');
    expect(fromCdk).toEqual([expect.objectContaining({ constructPath: 'Fixture', problem: undefined })]);

    const other = bucketInStack();
    Validations.of(other.stack).acknowledge({ id: 'CloudFormation-Validate::W3010', reason: REASON });
    expect(GatewayCompliance.reviewAcknowledgments(other.app).map((a) => a.problem)).toEqual([expect.stringMatching(/for a whole Stack/)]);
  });

  test('judges only the reason of acknowledgments of CDK warnings', () => {
    const { app, bucket } = bucketInStack();
    Validations.of(bucket).acknowledge({ id: '@aws-cdk/aws-s3:accessLogsPolicyNotAdded', reason: REASON });
    Validations.of(bucket).acknowledge({ id: '@aws-cdk/aws-s3:someOtherWarning', reason: 'ok' });
    expect(GatewayCompliance.reviewAcknowledgments(app).map((a) => [a.findingId, a.problem])).toEqual([
      ['Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded', undefined],
      ['Annotation::@aws-cdk/aws-s3:someOtherWarning', expect.stringMatching(/^reason is 2 characters long/)],
    ]);
  });
});

describe('GatewayCompliance.addPacks', () => {
  test('registers once per App', () => {
    const app = new App();
    expect(GatewayCompliance.hasPacks(app)).toBe(false);
    GatewayCompliance.addPacks(app);
    expect(GatewayCompliance.hasPacks(app)).toBe(true);
    expect(() => GatewayCompliance.addPacks(app)).toThrow(/already has the compliance packs/);
  });

  test('needs an App or Stage', () => {
    const { stack } = bucketInStack();
    expect(() => GatewayCompliance.addPacks(stack)).toThrow(/scope must be an App or a Stage; received 'Fixture', which is a Stack/);
  });

  test.each([
    [[], /packs must list one or more of AwsSolutions, NIST.800.53.R5, .*; received \[\]/],
    [['AwsSolutions', 'NIST.800.53.R4'], /packs must list .*; received \[AwsSolutions, NIST.800.53.R4\]/],
  ])('rejects packs %j', (packs, message) => {
    expect(() => GatewayCompliance.addPacks(new App(), { packs: packs as CompliancePack[] })).toThrow(message);
  });

  test.each([
    [[{ controlId: 'CT.S3.PR.99', reason: REASON }], /controlTowerExclusions\[0\].controlId must be a Control Tower control .*; received 'CT.S3.PR.99'/],
    [[{ controlId: 'CT.S3.PR.9', reason: 'by design' }], /controlTowerExclusions\[0\].reason for CT.S3.PR.9 is 9 characters long.*Received: 'by design'/],
    [[{ controlId: 'CT.S3.PR.9', reason: REASON }, { controlId: 'ct.s3.pr.9', reason: REASON }], /controlTowerExclusions\[1\].controlId 'ct.s3.pr.9' is listed twice/],
  ])('rejects controlTowerExclusions %j', (controlTowerExclusions, message) => {
    expect(() => GatewayCompliance.addPacks(new App(), { controlTowerExclusions })).toThrow(message);
  });

  test('rejects Control Tower exclusions when the Control Tower pack does not run', () => {
    expect(() => GatewayCompliance.addPacks(new App(), {
      packs: [CompliancePack.AWS_SOLUTIONS],
      controlTowerExclusions: [{ controlId: 'CT.S3.PR.9', reason: REASON }],
    })).toThrow(/controlTowerExclusions needs the cdk-validator-cfnguard pack in packs; received packs \[AwsSolutions\]/);
  });

  test('leaves the App without packs when the options are rejected', () => {
    const app = new App();
    expect(() => GatewayCompliance.addPacks(app, { packs: [] })).toThrow();
    expect(GatewayCompliance.hasPacks(app)).toBe(false);
  });
});
