import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';

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
