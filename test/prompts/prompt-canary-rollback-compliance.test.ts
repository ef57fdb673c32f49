import { join } from 'node:path';
import { expectReportAcknowledgmentsJustified, expectReportPassed } from '../helpers/compliance';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';

describe('PromptCanaryRollback compliance', () => {
  test('passes every pack; acknowledged are only the tracing wildcard, the VPC placement, the alarm action (EventBridge) and the DLQ without a DLQ', async () => {
    const { report } = await sharedSynthesis({ module: join(__dirname, 'compliance-apps'), exportName: 'promptCanaryRollbackApp' });
    expectReportPassed(report);
    expectReportAcknowledgmentsJustified(report, 'Rollback');
    const rollbackFindings = [...new Set(report.acknowledgedFindings.filter((f) => f.acknowledgedAt.includes('CanaryRollback')).map((f) => f.recordedId))].sort();
    expect(rollbackFindings).toEqual([
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]', // the X-Ray write actions of active tracing
      'HIPAA.Security::HIPAA.Security-CloudWatchAlarmAction', // the alarms' action is the EventBridge rule
      'HIPAA.Security::HIPAA.Security-LambdaInsideVPC',
      'NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction',
      'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
      'PCI.DSS.321::PCI.DSS.321-LambdaInsideVPC',
      'Serverless::Serverless-SQSRedrivePolicy', // the dead-letter queue has none of its own
      'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
      'cdk-validator-cfnguard::sqs_dlq_check',
    ]);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
