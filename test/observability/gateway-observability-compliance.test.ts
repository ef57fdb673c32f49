import * as sns from 'aws-cdk-lib/aws-sns';
import { expectAcknowledgmentsJustified, expectNoUnacknowledgedFindings, synthWithCompliance } from '../helpers/compliance';
import { observabilityStack } from './fixtures';

// One synthesis per case: every pack (five cdk-nag packs, Control Tower, AiGateway) on a stack that
// holds only what GatewayObservability creates (the router function and log group are imported).
describe('GatewayObservability compliance', () => {
  test('the default alarm topic, its key, alarms, dashboard and queries pass every pack', () => {
    const report = expectNoUnacknowledgedFindings((app) => {
      const { stack } = observabilityStack({ bedrockModelIds: ['anthropic.claude-3-5-haiku-20241022-v1:0'] }, app);
      expectAcknowledgmentsJustified(stack);
    });
    // Nothing was waved through: the construct passes without acknowledgments.
    expect(report.acknowledgedFindings).toEqual([]);
    expect(report.acknowledgments).toEqual([]);
  });

  test('a topic without KMS and TLS-only policy is reported (the packs do check topics)', () => {
    const report = synthWithCompliance((app) => {
      const { stack } = observabilityStack({}, app, (s) => ({
        alarmTopic: new sns.Topic(s, 'PlainTopic'),
      }));
      return stack;
    });
    const rules = report.findings.filter((f) => f.constructPath.includes('PlainTopic')).map((f) => f.findingId);
    // Not TLS-only (AwsSolutions), not KMS-encrypted (NIST 800-53 R5, HIPAA, PCI DSS).
    expect(rules.sort()).toEqual([
      'AwsSolutions-SNS3', 'HIPAA.Security-SNSEncryptedKMS', 'NIST.800.53.R5-SNSEncryptedKMS', 'PCI.DSS.321-SNSEncryptedKMS',
    ]);
  });
});
