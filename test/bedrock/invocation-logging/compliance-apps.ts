/**
 * The fixture app of compliance.test.ts, synthesized once per run by the shared synthesis
 * (test/helpers/synthesis) with every pack. Not a test file: the synthesis server loads it with its
 * TypeScript require hook.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelInvocationLogging } from '../../../lib/bedrock/invocation-logging';

const ENV = { account: '111122223333', region: 'eu-west-1' };

/**
 * One stack `Compliance` (the Control Tower rules run once per template): every main configuration
 * of ModelInvocationLogging (`DefaultLogging`, `AuditLogging` with Object Lock, `OwnLogging` with the
 * caller's key and log group), and a plain bucket (`PlainBucket`) that the packs must flag.
 */
export function invocationLoggingApp(app: App): void {
  const stack = new Stack(app, 'Compliance', { env: ENV });
  new ModelInvocationLogging(stack, 'DefaultLogging');
  new ModelInvocationLogging(stack, 'AuditLogging', {
    objectLock: s3.ObjectLockRetention.compliance(Duration.days(365)),
    expiration: Duration.days(2555),
    disableLoggingOnDelete: true,
    imageDataDelivery: true,
  });
  new ModelInvocationLogging(stack, 'OwnLogging', {
    encryptionKey: new kms.Key(stack, 'TheirKey', { enableKeyRotation: true }),
    logGroup: new logs.LogGroup(stack, 'TheirGroup', { retention: logs.RetentionDays.FIVE_YEARS }),
    removalPolicy: RemovalPolicy.DESTROY,
    disableLoggingOnDelete: true,
  });
  // The other polarity: a plain bucket the packs must flag.
  new s3.Bucket(stack, 'PlainBucket');
}
