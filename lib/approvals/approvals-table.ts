import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { APPROVAL_ATTRIBUTES, APPROVAL_PARTITIONS, APPROVALS_ENV, MAX_APPROVALS_CACHE_SECONDS } from '../../lambda/shared/approvals-schema';
import { AiGatewayValidationError } from '../private/errors';
import { newKey } from '../private/kms';
import { acknowledgeNotInBackupPlan, secureTableProps } from '../private/tables';

/** Properties of an {@link ApprovalsTable}. */
export interface ApprovalsTableProps {
  /**
   * The KMS key of the table.
   * @default - a new key with automatic rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the router keeps the approvals it read before reading them again, in seconds (0 to
   * 30): the longest a revocation takes to reach a warm router. Expiries apply at once.
   * @default 30
   */
  readonly cacheSeconds?: number;
  /**
   * Deletion protection on the table.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table (and its new key) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The approvals of restricted data: which tenant × workflow may send restricted requests, on whose
 * authority (an approver's IAM ARN, a ticket, a reason) and until when. `cdk-ai-gateway approvals
 * grant|revoke|list` writes it; the router reads the approvals in force at most every
 * `cacheSeconds` and refuses a restricted request without one (403 `approval_required`).
 *
 * It holds the approvals in force (`pk = APPROVAL`) and their append-only history (`pk = HISTORY`).
 * Encrypted with a customer-managed key, point-in-time recovery on, deletion protection on. The
 * router may only Query the `APPROVAL` partition; `grantManage` gives an approver role what the CLI
 * needs and no way to change or delete history.
 *
 * @example
 * const approvals = new ApprovalsTable(this, 'Approvals', { encryptionKey: key });
 * approvals.grantManage(riskOfficerRole);
 */
export class ApprovalsTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** The KMS key that encrypts the table. */
  public readonly encryptionKey: kms.IKey;
  /** How long the router keeps approvals, in seconds. */
  public readonly cacheSeconds: number;

  constructor(scope: Construct, id: string, props: ApprovalsTableProps = {}) {
    super(scope, id);
    const cacheSeconds = props.cacheSeconds ?? MAX_APPROVALS_CACHE_SECONDS;
    if (!Token.isUnresolved(cacheSeconds) && (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > MAX_APPROVALS_CACHE_SECONDS)) {
      throw new AiGatewayValidationError(`cacheSeconds must be an integer from 0 to ${MAX_APPROVALS_CACHE_SECONDS}, received ${cacheSeconds}.`, this);
    }
    this.cacheSeconds = cacheSeconds;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey = props.encryptionKey
      ?? newKey(this, 'Key', `Encrypts the cdk-ai-gateway approvals ${this.node.path}`, removalPolicy);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: APPROVAL_ATTRIBUTES.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: APPROVAL_ATTRIBUTES.sk, type: dynamodb.AttributeType.STRING },
      ...secureTableProps({ encryptionKey: this.encryptionKey, deletionProtection: props.deletionProtection, removalPolicy }),
    });
    acknowledgeNotInBackupPlan(this.table, 'The approvals table holds the approvals of restricted data and their history; it is in no '
      + 'AWS Backup plan of this stack', { deletionProtection: props.deletionProtection, removalPolicy },
      'Every grant and revoke is also a CloudTrail data event when the table is captured by GatewayAuditTrail.');
  }

  /** The table's name (for `cdk-ai-gateway approvals --table`). */
  public get tableName(): string {
    return this.table.tableName;
  }

  /** The router's environment variables that point it at this table. */
  public routerEnvironment(): { [name: string]: string } {
    return { [APPROVALS_ENV.tableName]: this.table.tableName, [APPROVALS_ENV.cacheSeconds]: String(this.cacheSeconds) };
  }

  /** Lets the router read the approvals in force: Query on the `APPROVAL` partition only. */
  public grantReadApprovals(grantee: iam.IGrantable): iam.Grant {
    return this.grantPartition(grantee, ['dynamodb:Query'], APPROVAL_PARTITIONS.active).combine(this.encryptionKey.grantDecrypt(grantee));
  }

  /**
   * Lets an approver run `cdk-ai-gateway approvals`: read both partitions, put and delete approvals
   * in force, and put history entries (no DeleteItem or UpdateItem on the history partition), in
   * one transaction. The CLI writes each history entry only if no item has its key; IAM cannot
   * require that condition, so an overwrite stays possible for a role with this grant, and would
   * itself be a CloudTrail data event.
   */
  public grantManage(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.table.tableArn] })
      .combine(this.grantPartition(grantee, ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'], APPROVAL_PARTITIONS.active))
      .combine(this.grantPartition(grantee, ['dynamodb:PutItem'], APPROVAL_PARTITIONS.history))
      .combine(this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'));
  }

  private grantPartition(grantee: iam.IGrantable, actions: string[], partition: string): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [partition] } },
    });
  }
}
