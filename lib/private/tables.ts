import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { GatewayCompliance } from '../compliance/gateway-compliance';

/** What the library's tables may vary. */
export interface SecureTableOptions {
  readonly encryptionKey: kms.IKey;
  /** @default 35 */
  readonly pointInTimeRecoveryDays?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly tableName?: string;
}

/**
 * The table settings every table of the library shares: on-demand capacity, encryption with a
 * customer-managed key, point-in-time recovery (35 days unless told), deletion protection on.
 */
export function secureTableProps(options: SecureTableOptions): Omit<dynamodb.TableProps, 'partitionKey'> {
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: options.encryptionKey,
    pointInTimeRecoverySpecification: {
      pointInTimeRecoveryEnabled: true,
      recoveryPeriodInDays: options.pointInTimeRecoveryDays ?? 35,
    },
    deletionProtection: options.deletionProtection ?? true,
    removalPolicy: options.removalPolicy,
    tableName: options.tableName,
  };
}

/**
 * Acknowledges, on a library table that is in no AWS Backup plan of its stack, the NIST 800-53 R5
 * and HIPAA `DynamoDBInBackupPlan` findings: `why` says why the table needs none, and the reason
 * adds the protections it has (from the same options as {@link secureTableProps}) and `more`.
 */
export function acknowledgeNotInBackupPlan(
  table: dynamodb.Table, why: string, options: Omit<SecureTableOptions, 'encryptionKey' | 'tableName'>, more?: string,
): void {
  const protections = [
    `Point-in-time recovery is always on (a ${options.pointInTimeRecoveryDays ?? 35}-day window of continuous backups, restorable to any second)`,
    ...((options.deletionProtection ?? true) ? ['deletion protection is on'] : []),
    ...(options.removalPolicy === RemovalPolicy.RETAIN ? ['the table is retained when removed from the stack'] : []),
  ];
  const reason = `${why}; plans that an organisation backup policy assigns by tag are not visible at synth. ${protections.join(', ')}.`
    + (more ? ` ${more}` : '');
  for (const findingId of ['NIST.800.53.R5-DynamoDBInBackupPlan', 'HIPAA.Security-DynamoDBInBackupPlan']) {
    GatewayCompliance.acknowledge(table.node.defaultChild!, findingId, reason);
  }
}
