import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CONTROL_ATTRIBUTES, CONTROL_PARTITIONS, CONTROLS_ENV, MAX_CONTROLS_CACHE_SECONDS } from '../../lambda/shared/incident-controls-schema';
import { AiGatewayValidationError } from '../private/errors';
import { newKey } from '../private/kms';
import { acknowledgeNotInBackupPlan, secureTableProps } from '../private/tables';

/** Properties of an {@link IncidentControlsTable}. */
export interface IncidentControlsTableProps {
  /**
   * The KMS key of the table.
   * @default - a new key with automatic rotation, on which only AWS services may create grants
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the router keeps the controls it read before reading them again, in seconds (0 to
   * 30): the longest an operator's action takes to reach a warm router.
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
 * The incident controls of a gateway (the operators' kill switch): a small DynamoDB table that
 * `cdk-ai-gateway incident …` writes and the router reads at most every `cacheSeconds`.
 *
 * It holds the controls in force (`pk = CONTROL`: a suspended tenant, key, route or target, or a
 * route forced to its fallback) and their append-only history (`pk = HISTORY`: who — an IAM ARN —,
 * when, why, what). Encrypted with a customer-managed key, point-in-time recovery on, deletion
 * protection on. The router may only Query the `CONTROL` partition; `grantOperate` gives an
 * operator role what the CLI needs and no way to change or delete history.
 *
 * @example
 * const controls = new IncidentControlsTable(this, 'Controls', { encryptionKey: key });
 * controls.grantOperate(onCallRole);
 */
export class IncidentControlsTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** The KMS key that encrypts the table. */
  public readonly encryptionKey: kms.IKey;
  /** How long the router keeps controls, in seconds. */
  public readonly cacheSeconds: number;

  constructor(scope: Construct, id: string, props: IncidentControlsTableProps = {}) {
    super(scope, id);
    const cacheSeconds = props.cacheSeconds ?? MAX_CONTROLS_CACHE_SECONDS;
    if (!Token.isUnresolved(cacheSeconds) && (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > MAX_CONTROLS_CACHE_SECONDS)) {
      throw new AiGatewayValidationError(`cacheSeconds must be an integer from 0 to ${MAX_CONTROLS_CACHE_SECONDS}, received ${cacheSeconds}.`, this);
    }
    this.cacheSeconds = cacheSeconds;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey = props.encryptionKey
      ?? newKey(this, 'Key', `Encrypts the cdk-ai-gateway incident controls ${this.node.path}`, removalPolicy);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: CONTROL_ATTRIBUTES.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: CONTROL_ATTRIBUTES.sk, type: dynamodb.AttributeType.STRING },
      ...secureTableProps({ encryptionKey: this.encryptionKey, deletionProtection: props.deletionProtection, removalPolicy }),
    });
    acknowledgeNotInBackupPlan(this.table, 'The incident-controls table holds a handful of operator controls and their history; it is in no '
      + 'AWS Backup plan of this stack', { deletionProtection: props.deletionProtection, removalPolicy },
      'Every write is also a CloudTrail data event when the table is captured by GatewayAuditTrail.');
  }

  /** The table's name (for `cdk-ai-gateway incident --table`). */
  public get tableName(): string {
    return this.table.tableName;
  }

  /** The table's ARN. */
  public get tableArn(): string {
    return this.table.tableArn;
  }

  /** The router's environment variables that point it at this table. */
  public routerEnvironment(): { [name: string]: string } {
    return { [CONTROLS_ENV.tableName]: this.table.tableName, [CONTROLS_ENV.cacheSeconds]: String(this.cacheSeconds) };
  }

  /** Lets the router read the controls in force: Query on the `CONTROL` partition only. */
  public grantReadControls(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROL_PARTITIONS.active] } },
    });
    return grant.combine(this.encryptionKey.grantDecrypt(grantee));
  }

  /**
   * Lets an operator run `cdk-ai-gateway incident`: read both partitions, put and delete controls,
   * and put history entries — no DeleteItem or UpdateItem on the history partition. The CLI writes
   * each entry only if no item has its key (a time and a random id); IAM cannot require that
   * condition, so an overwrite stays possible for a role with this grant, and would itself be a
   * CloudTrail data event.
   */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    const table = [this.table.tableArn];
    const read = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: table });
    const controls = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resourceArns: table,
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROL_PARTITIONS.active] } },
    });
    const history = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem'],
      resourceArns: table,
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROL_PARTITIONS.history] },
      },
    });
    return read.combine(controls).combine(history)
      .combine(this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'));
  }
}
