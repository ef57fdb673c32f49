import { ArnFormat, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * Lets only AWS services acting for the account create grants on a key this library created
 * (Control Tower CT.KMS.PR.3). DynamoDB's own grants on a table key are made for an AWS resource
 * and are not affected.
 */
export function restrictGrantsToAwsServices(key: kms.IKey): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}

/** A new customer-managed key with rotation, whose grants only AWS services may create. */
export function newKey(scope: Construct, id: string, description: string, removalPolicy?: RemovalPolicy): kms.Key {
  const key = new kms.Key(scope, id, { enableKeyRotation: true, description, removalPolicy });
  restrictGrantsToAwsServices(key);
  return key;
}

/**
 * The key policy statement that lets CloudWatch Logs of the stack's Region encrypt log groups with
 * a key: the action set CloudWatch Logs documents, limited by the `aws:logs:arn` encryption
 * context to the named log groups, or to the account's log groups in the Region when none are
 * named (a generated log group name is not known before the log group exists).
 */
export function cloudWatchLogsKeyStatement(scope: Construct, logGroupNames?: string[], sid = 'AllowCloudWatchLogsToEncryptLogGroups'): iam.PolicyStatement {
  const stack = Stack.of(scope);
  const arn = (name: string) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const arns = logGroupNames?.length ? logGroupNames.map(arn) : [arn('*')];
  return new iam.PolicyStatement({
    sid,
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': arns } },
  });
}

/** Options of {@link encryptedLogGroup}. */
export interface EncryptedLogGroupOptions {
  /** The key; a new one (rotation on, grants for AWS services only) when absent. */
  readonly key?: kms.IKey;
  /** Construct id of the new key. @default `${id}Key` */
  readonly keyId?: string;
  /** What the new key encrypts, for its description. */
  readonly purpose: string;
  readonly retention?: logs.RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
  /** A fixed name (required by some services, such as `aws-waf-logs-…`); it also narrows the key policy. */
  readonly logGroupName?: string;
}

/**
 * A log group encrypted with a customer-managed KMS key whose policy lets CloudWatch Logs use it,
 * with retention (one year unless told) and the removal policy applied to both.
 */
export function encryptedLogGroup(scope: Construct, id: string, options: EncryptedLogGroupOptions): { logGroup: logs.LogGroup; key: kms.IKey } {
  const key = options.key ?? newKey(scope, options.keyId ?? `${id}Key`, `Encrypts ${options.purpose}`, options.removalPolicy);
  const logGroup = new logs.LogGroup(scope, id, {
    logGroupName: options.logGroupName,
    encryptionKey: key,
    retention: options.retention ?? logs.RetentionDays.ONE_YEAR,
    removalPolicy: options.removalPolicy,
  });
  // A shared key may hold statements for other log groups: a statement narrowed to this group's
  // name gets its own Sid, so no two statements of the key policy share one.
  const sid = options.key && options.logGroupName ? `AllowCloudWatchLogsToEncrypt${Names.uniqueId(logGroup)}` : undefined;
  key.addToResourcePolicy(cloudWatchLogsKeyStatement(scope, options.logGroupName ? [options.logGroupName] : undefined, sid));
  return { logGroup, key };
}
