import { ArnFormat, CfnResource, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
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

/** The ARN of a log group of the stack of `scope`, by name (wildcards allowed). */
function logGroupArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * The key policy statement that lets CloudWatch Logs of the stack's Region encrypt the named log
 * groups with a key: the action set CloudWatch Logs documents, limited by the `aws:logs:arn`
 * encryption context to those log groups' ARNs (`arnsOrNames`: log group names, or ARN patterns).
 */
export function cloudWatchLogsKeyStatement(scope: Construct, arnsOrNames: string[]): iam.PolicyStatement {
  return logsStatement(scope, arnsOrNames.map((v) => (v.startsWith('arn:') ? v : logGroupArn(scope, v))));
}

function logsStatement(scope: Construct, arns: string[]): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsToEncryptLogGroups',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': arns } },
  });
}

/**
 * The ARN pattern of a log group created without a name: CloudFormation names it
 * `<stack name>-<logical id>-<random suffix>` (log group names allow 512 characters, so neither
 * part is truncated). A fixed name gives its exact ARN.
 */
export function logGroupArnPattern(logGroup: logs.LogGroup, fixedName?: string): string {
  if (fixedName !== undefined) return logGroupArn(logGroup, fixedName);
  const stack = Stack.of(logGroup);
  return logGroupArn(logGroup, `${stack.stackName}-${stack.getLogicalId(logGroup.node.defaultChild as CfnResource)}-*`);
}

/** The log groups each key of this app lets CloudWatch Logs use it for (one statement per key). */
const logsKeyGrants = new WeakMap<kms.IKey, string[]>();

/**
 * Lets CloudWatch Logs use `key` for one more log group of this library: one key policy statement
 * per key, whose `aws:logs:arn` condition lists every such log group (a key shared by several log
 * groups stays one statement with one Sid).
 */
export function allowCloudWatchLogsOn(key: kms.IKey, logGroup: logs.LogGroup, fixedName?: string): void {
  const pattern = logGroupArnPattern(logGroup, fixedName);
  const known = logsKeyGrants.get(key);
  if (known) {
    known.push(pattern);
    return;
  }
  const patterns = [pattern];
  logsKeyGrants.set(key, patterns);
  key.addToResourcePolicy(logsStatement(logGroup, Lazy.list({ produce: () => patterns })));
}

/**
 * The key policy statement that lets CloudWatch alarms of this account and Region encrypt the
 * notifications they publish to an SNS topic encrypted with the key (the statement the Amazon SNS
 * guide gives, with `aws:SourceAccount` and `aws:SourceArn` against the confused deputy).
 */
export function cloudWatchAlarmsKeyStatement(scope: Construct): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsToUseTheKey',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      StringEquals: { 'aws:SourceAccount': stack.account },
    },
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
 * A log group encrypted with a customer-managed KMS key whose policy lets CloudWatch Logs use it
 * for this log group only (its `aws:logs:arn` encryption context), with retention (one year unless told) and the removal policy applied to both.
 */
export function encryptedLogGroup(scope: Construct, id: string, options: EncryptedLogGroupOptions): { logGroup: logs.LogGroup; key: kms.IKey } {
  const key = options.key ?? newKey(scope, options.keyId ?? `${id}Key`, `Encrypts ${options.purpose}`, options.removalPolicy);
  const logGroup = new logs.LogGroup(scope, id, {
    logGroupName: options.logGroupName,
    encryptionKey: key,
    retention: options.retention ?? logs.RetentionDays.ONE_YEAR,
    removalPolicy: options.removalPolicy,
  });
  allowCloudWatchLogsOn(key, logGroup, options.logGroupName);
  return { logGroup, key };
}
