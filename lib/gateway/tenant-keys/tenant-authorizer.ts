import { Duration, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AUTHORIZER_ENV } from '../../../lambda/shared/tenant-key-schema';
import { bundledHandler, BUNDLED_HANDLER, BUNDLED_RUNTIME } from '../../private/assets';
import { AiGatewayValidationError } from '../../private/errors';
import { acknowledgeSynchronousFunctionFindings, restrictApiGatewayInvokePermissions } from '../../private/function-compliance';
import { FunctionExecutionRole } from '../../private/function-role';
import { grantReadKeys } from './private/grants';
import { httpsOnlySecurityGroup } from '../../private/gateway-egress';
import { encryptedLogGroup } from '../../private/kms';
import { checkInteger } from './private/validate';
import { TenantKeyTable } from './tenant-key-table';

/**
 * Properties of a `TenantAuthorizer`.
 */
export interface TenantAuthorizerProps {
  /**
   * The tenant-key table to read: a `TenantKeyTable`'s `table`, or an imported table with the
   * same layout (`Table.fromTableAttributes`, with its `encryptionKey` so the authorizer may
   * decrypt).
   * @default - a new `TenantKeyTable` with default properties
   */
  readonly tenantKeyTable?: dynamodb.ITable;

  /**
   * How long API Gateway caches the authorizer's answer for an `Authorization` header (0 to 1
   * hour; 0 disables the cache). While an answer is cached API Gateway does not invoke the
   * authorizer, so a key keeps working for at most this long past its `expiresAt`, and a revoked key
   * for at most this long plus `keyCacheTtl`. 0 makes expiry exact, at the cost of one authorizer
   * invocation per request.
   * @default Duration.seconds(60)
   */
  readonly resultsCacheTtl?: Duration;

  /**
   * How long a warm authorizer keeps a key lookup in memory, keyed by the key's SHA-256 (0 to 15
   * minutes; 0 disables it).
   * @default Duration.seconds(30)
   */
  readonly keyCacheTtl?: Duration;

  /**
   * The most key lookups one authorizer instance keeps in memory (1 to 1,000,000); the least
   * recently used is dropped first.
   * @default 10000
   */
  readonly keyCacheMaxEntries?: number;

  /**
   * A name for the API Gateway authorizer.
   * @default - the construct's unique id
   */
  readonly authorizerName?: string;

  /**
   * How long the authorizer's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the authorizer's log group. The construct adds a key-policy
   * statement that lets this Region's CloudWatch Logs use it for this account's log groups; an
   * imported key needs that statement already.
   * @default - a new key with automatic rotation, on which only AWS services may create grants
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Memory of the authorizer function, in MiB (128 to 10240).
   * @default 256
   */
  readonly memorySize?: number;

  /**
   * Concurrent executions reserved for (and capping) the authorizer. With API Gateway's result
   * cache most requests never reach it; a cap set too low turns bursts of new keys into 500s.
   * Without it, the NIST 800-53 and HIPAA `LambdaConcurrency` findings are acknowledged on the
   * function with that reason.
   * @default - no reservation: the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * X-Ray tracing of the authorizer, so that a request's trace shows the authorizer's time.
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;

  /**
   * The VPC to run the authorizer in. It needs a route to DynamoDB (a gateway endpoint).
   *
   * Outside a VPC the authorizer calls only DynamoDB and X-Ray, over TLS with requests signed by
   * its role; the compliance findings that ask for a VPC (NIST 800-53, HIPAA and PCI DSS
   * `LambdaInsideVPC`, Control Tower CT.LAMBDA.PR.3) are then acknowledged on it with that reason.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` to place the authorizer.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the authorizer in `vpc`.
   * @default - a new security group (`securityGroup`) without ingress whose only egress is HTTPS
   * (TCP 443) to any IPv4 address, for DynamoDB and X-Ray through the VPC's endpoints or a NAT;
   * narrow or extend it with `authorizer.handler.connections` or `authorizer.securityGroup`
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A Lambda REQUEST authorizer for tenant keys (`Authorization: Bearer sk-gw-…`).
 *
 * It looks the SHA-256 of the key up in the tenant-key table and answers with the tenant id, tier
 * and allowed aliases as context, and the tenant's API key value as `usageIdentifierKey` so the
 * tier's usage plan throttles the request (`TenantUsagePlans`). Malformed and unknown keys get 401,
 * revoked and expired keys 403; a lookup failure is a 500 and never an Allow.
 *
 * @example
 * const authorizer = new TenantAuthorizer(this, 'Authorizer', { tenantKeyTable: keys.table });
 * api.root.addResource('v1').addMethod('POST', integration, {
 *   authorizer: authorizer.authorizer,
 *   apiKeyRequired: true,
 * });
 */
export class TenantAuthorizer extends Construct {
  /** The API Gateway authorizer to put on methods. */
  public readonly authorizer: apigateway.RequestAuthorizer;
  /** The authorizer function. */
  public readonly handler: lambda.Function;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /**
   * The security group this construct created, when it runs in a VPC without `securityGroups`:
   * no ingress, egress only HTTPS to any IPv4 address until you add rules.
   */
  public readonly securityGroup?: ec2.ISecurityGroup;
  /** The tenant-key table the authorizer reads. */
  public readonly table: dynamodb.ITable;
  /** The `TenantKeyTable` this construct created, when none was passed in. */
  public readonly tenantKeyTable?: TenantKeyTable;

  constructor(scope: Construct, id: string, props: TenantAuthorizerProps = {}) {
    super(scope, id);
    const resultsCacheTtl = props.resultsCacheTtl ?? Duration.seconds(60);
    const keyCacheTtl = props.keyCacheTtl ?? Duration.seconds(30);
    checkDuration(this, 'resultsCacheTtl', resultsCacheTtl, 3600);
    checkDuration(this, 'keyCacheTtl', keyCacheTtl, 900);
    checkInteger(this, 'keyCacheMaxEntries', props.keyCacheMaxEntries, 1, 1_000_000);
    checkInteger(this, 'memorySize', props.memorySize, 128, 10_240);
    checkInteger(this, 'reservedConcurrentExecutions', props.reservedConcurrentExecutions, 1, 100_000);
    if ((props.vpcSubnets !== undefined || props.securityGroups !== undefined) && props.vpc === undefined) {
      throw new AiGatewayValidationError('vpcSubnets and securityGroups need vpc: received them without a vpc.', this);
    }

    if (props.tenantKeyTable) {
      this.table = props.tenantKeyTable;
    } else {
      this.tenantKeyTable = new TenantKeyTable(this, 'TenantKeys');
      this.table = this.tenantKeyTable.table;
    }

    this.logGroup = encryptedLogGroup(this, 'LogGroup', {
      key: props.logEncryptionKey,
      keyId: 'LogKey',
      purpose: `the logs of the cdk-ai-gateway tenant authorizer ${this.node.path}`,
      retention: props.logRetention,
    }).logGroup;

    if (props.vpc && !props.securityGroups) this.securityGroup = httpsOnlySecurityGroup(this, props.vpc, 'tenant authorizer', 'DynamoDB and AWS APIs');

    const tracing = props.tracing ?? lambda.Tracing.ACTIVE;
    const role = new FunctionExecutionRole(this, 'Role', {
      purpose: `the cdk-ai-gateway tenant authorizer ${this.node.path}`,
      logGroup: this.logGroup,
      tracing: tracing !== lambda.Tracing.DISABLED,
      vpc: props.vpc !== undefined,
    });
    this.handler = new lambda.Function(this, 'Handler', {
      description: 'cdk-ai-gateway tenant-key authorizer',
      runtime: BUNDLED_RUNTIME,
      role,
      tracing,
      architecture: lambda.Architecture.ARM_64,
      code: bundledHandler('authorizer'),
      handler: BUNDLED_HANDLER,
      memorySize: props.memorySize ?? 256,
      // Two DynamoDB attempts of at most 1 s to connect and 2 s each fit well inside this.
      timeout: Duration.seconds(10),
      logGroup: this.logGroup,
      environment: {
        [AUTHORIZER_ENV.tableName]: this.table.tableName,
        [AUTHORIZER_ENV.cacheTtlSeconds]: String(keyCacheTtl.toSeconds()),
        [AUTHORIZER_ENV.cacheMaxEntries]: String(props.keyCacheMaxEntries ?? 10_000),
        POWERTOOLS_SERVICE_NAME: 'cdk-ai-gateway-authorizer',
      },
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups ?? (this.securityGroup ? [this.securityGroup] : undefined),
    });
    grantReadKeys(this.table, this.handler);

    this.authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: this.handler,
      identitySources: [apigateway.IdentitySource.header('Authorization')],
      resultsCacheTtl,
      authorizerName: props.authorizerName,
    });
    restrictApiGatewayInvokePermissions(this.handler, this.handler, 'the tenant authorizer of its REST API');

    const cached = Token.isUnresolved(resultsCacheTtl.toString()) || resultsCacheTtl.toSeconds() > 0;
    acknowledgeSynchronousFunctionFindings(this.handler, {
      invocation: 'as the REQUEST authorizer of the REST API',
      awsApis: 'Amazon DynamoDB (GetItem on the tenant-key table) and AWS X-Ray',
      acknowledgeOutsideVpc: props.vpc === undefined,
      vpcProp: 'vpc',
      reservedConcurrency: props.reservedConcurrentExecutions !== undefined,
      concurrencyProp: 'reservedConcurrentExecutions',
      loadLimits: cached
        ? 'API Gateway caches each answer per Authorization header for resultsCacheTtl, so the authorizer runs about once per active key and period, and the stage throttling bounds the request rate.'
        : 'The stage throttling of API Gateway bounds the request rate, and with it the authorizer invocations.',
    });
  }
}

function checkDuration(scope: Construct, prop: string, value: Duration, maxSeconds: number): void {
  if (Token.isUnresolved(value.toString())) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > maxSeconds) {
    throw new AiGatewayValidationError(
      `${prop} must be a whole number of seconds from 0 to ${maxSeconds}, received ${value.toHumanString()}.`, scope,
    );
  }
}
