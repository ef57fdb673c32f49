import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Sends `source`'s S3 server access logs to `target` under `prefix` with a bucket policy for the
 * logging service (never ACLs, which the target's `BucketOwnerEnforced` ownership forbids). Returns
 * the statement and whether it was added (false for an imported target: its owner must add it).
 */
export function enableServerAccessLogs(source: s3.Bucket, target: s3.IBucket, prefix: string): { statement: iam.PolicyStatement; added: boolean } {
  const stack = Stack.of(source);
  (source.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: target.bucketName, logFilePrefix: prefix };
  const statement = new iam.PolicyStatement({
    sid: 'S3ServerAccessLogsDelivery',
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [target.arnForObjects(`${prefix}*`)],
    conditions: { ArnLike: { 'aws:SourceArn': source.bucketArn }, StringEquals: { 'aws:SourceAccount': stack.account } },
  });
  // No dependency of the source on this policy: the policy names the source's ARN (a cycle), and
  // S3 delivers access logs on a best-effort basis once the policy exists.
  return { statement, added: target.addToResourcePolicy(statement).statementAdded };
}
