import { Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';
import { cloudWatchLogsKeyStatement, newKey } from '../private/kms';

/** Properties of {@link GatewayTransactionSearch}. */
export interface GatewayTransactionSearchProps {
  /**
   * Percent of the spans X-Ray indexes as trace summaries for search and analytics (0–100). Every
   * span is kept in the `aws/spans` log group whatever the percentage; 1 % is free of charge.
   * @default 1
   */
  readonly indexingPercentage?: number;

  /**
   * Encrypt the `aws/spans` log group with a customer managed KMS key (a new one, rotation on,
   * whose policy lets CloudWatch Logs use it for `aws/spans` only). X-Ray applies it only when it
   * creates `aws/spans` while enabling Transaction Search: if the log group exists already (an
   * earlier enablement), the deployment fails, so it is opt-in. Without it, CloudWatch Logs
   * encrypts the spans at rest with its own keys.
   * @default false
   */
  readonly customerManagedKey?: boolean;
}

/**
 * CloudWatch Transaction Search for the account and Region: X-Ray stores the spans it receives
 * (the router's, through the OTLP endpoint) in the `aws/spans` log group, where they can be
 * searched and analysed, and indexes a share of them as trace summaries.
 *
 * **An account singleton**: it is one setting per account and Region, so deploy this construct
 * once, in one stack (a second deployment fails, and deleting the stack disables Transaction
 * Search for every application of the account). It is therefore opt-in, never created by
 * `AiGateway`. It provisions the resource policy that lets X-Ray write to `aws/spans` and
 * `/aws/application-signals/data` (only from this account's X-Ray) and the
 * `AWS::XRay::TransactionSearchConfig`.
 *
 * @example
 * new GatewayTransactionSearch(observabilityStack, 'TransactionSearch', { indexingPercentage: 1 });
 */
export class GatewayTransactionSearch extends Construct {
  /** The log group X-Ray writes the spans to. */
  public static readonly SPANS_LOG_GROUP = 'aws/spans';
  /** The log group of Application Signals data, which the same resource policy covers. */
  public static readonly APPLICATION_SIGNALS_LOG_GROUP = '/aws/application-signals/data';

  /** The customer managed key of the `aws/spans` log group, with `customerManagedKey`. */
  public readonly encryptionKey?: kms.IKey;
  /** The Transaction Search setting. */
  public readonly config: xray.CfnTransactionSearchConfig;
  /** The CloudWatch Logs resource policy that lets X-Ray write the spans. */
  public readonly resourcePolicy: logs.CfnResourcePolicy;

  constructor(scope: Construct, id: string, props: GatewayTransactionSearchProps = {}) {
    super(scope, id);
    const percentage = props.indexingPercentage ?? 1;
    if (!Token.isUnresolved(percentage) && (!Number.isFinite(percentage) || percentage < 0 || percentage > 100)) {
      throw new AiGatewayValidationError(`indexingPercentage must be between 0 and 100, received ${percentage}.`, this);
    }
    const stack = Stack.of(this);
    const arn = (name: string) => `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${name}:*`;

    if (props.customerManagedKey) {
      const key = newKey(this, 'Key', 'Encrypts the aws/spans log group of CloudWatch Transaction Search');
      key.addToResourcePolicy(cloudWatchLogsKeyStatement(this, [GatewayTransactionSearch.SPANS_LOG_GROUP]));
      this.encryptionKey = key;
    }

    const policy = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({
        sid: 'TransactionSearchXRayAccess',
        principals: [new iam.ServicePrincipal('xray.amazonaws.com')],
        actions: ['logs:PutLogEvents'],
        resources: [arn(GatewayTransactionSearch.SPANS_LOG_GROUP), arn(GatewayTransactionSearch.APPLICATION_SIGNALS_LOG_GROUP)],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:xray:${stack.region}:${stack.account}:*` },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      })],
    });
    this.resourcePolicy = new logs.CfnResourcePolicy(this, 'XRayWritesSpans', {
      policyName: Names.uniqueResourceName(this, { maxLength: 255 }),
      policyDocument: stack.toJsonString(policy.toJSON()),
    });
    this.config = new xray.CfnTransactionSearchConfig(this, 'Config', {
      indexingPercentage: percentage,
      ...(this.encryptionKey ? { cloudWatchLogsConfiguration: { spansLogGroupKmsKeyId: this.encryptionKey.keyArn } } : {}),
    });
    this.config.node.addDependency(this.resourcePolicy);
    if (this.encryptionKey) {
      GatewayCompliance.acknowledge(this.config, 'CloudFormation-Validate::F3002',
        'CloudWatchLogsConfiguration is a property of AWS::XRay::TransactionSearchConfig in the CloudFormation resource schema '
        + 'that aws-cdk-lib generates CfnTransactionSearchConfig from; the older schema bundled with the template validation does '
        + 'not know it yet. It carries only the ARN of the key that encrypts aws/spans.');
    }
  }
}
