import { App, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GatewayCompliance } from '../../lib';

/** A reason that passes `GatewayCompliance.checkReason`, for the KMS key's one Control Tower finding. */
export const KEY_GRANT_REASON = 'The key policy is the CDK default account-root policy: only principals of this account that IAM '
  + 'also allows can create grants, and CloudTrail records every CreateGrant call on the key.';

/**
 * A KMS key with rotation, the only finding of which (CT.KMS.PR.3, grants limited to AWS
 * services) is acknowledged on the key: passes every pack.
 */
export function acknowledgedKeyApp(app: App): void {
  const stack = new Stack(app, 'Fixture');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  GatewayCompliance.acknowledge(key, 'CT.KMS.PR.3', KEY_GRANT_REASON);
}

/**
 * Findings from every pack: a default S3 bucket (AwsSolutions, NIST, HIPAA, PCI, Control Tower),
 * a Lambda function (Serverless) and a role allowed `bedrock:*` on `*` (AiGateway).
 */
export function nonCompliantApp(app: App): void {
  const stack = new Stack(app, 'Fixture');
  new s3.Bucket(stack, 'Bucket');
  const role = new iam.Role(stack, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:*'], resources: ['*'] }));
  // A container image function: no runtime, so no runtime-deprecation warning that changes with the date.
  new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.FROM_IMAGE,
    handler: lambda.Handler.FROM_IMAGE,
    code: lambda.Code.fromEcrImage(ecr.Repository.fromRepositoryName(stack, 'Images', 'router')),
  });
}
