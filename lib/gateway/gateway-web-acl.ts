import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../private/errors';
import { encryptedLogGroup } from '../private/kms';

/** The body sizes API Gateway can forward to AWS WAF for inspection. */
const INSPECTION_LIMITS_KB = [16, 32, 48, 64];

/** Rate-based rule evaluation windows AWS WAF accepts, in seconds. */
const RATE_WINDOWS_SECONDS = [60, 120, 300, 600];

/** Properties of a {@link GatewayWebAcl}. */
export interface GatewayWebAclProps {
  /**
   * Requests one client IP may send in one evaluation window before AWS WAF blocks it (with a
   * 429 and an OpenAI-style error body). Per-tenant limits are enforced separately by the
   * tenant tier's usage plan; this rule stops floods from a single address.
   *
   * Between 10 and 2,000,000,000.
   * @default 6000
   */
  readonly rateLimitPerIp?: number;

  /**
   * The window over which `rateLimitPerIp` is counted: 60, 120, 300 or 600 seconds.
   * @default Duration.minutes(5)
   */
  readonly rateLimitWindow?: Duration;

  /**
   * Largest request body accepted, in bytes; larger bodies are blocked with a 413 by AWS WAF.
   * AWS WAF can inspect at most 64 KiB of an API Gateway request body, so the rule is enforced by
   * WAF only up to 65,536 bytes; a larger limit is enforced by the router alone (which answers 413
   * itself). Set it to the router's `limits.maxBodyBytes`.
   *
   * @default 65536
   */
  readonly maxBodyBytes?: number;

  /**
   * Rules of the AWS managed Core rule set (`AWSManagedRulesCommonRuleSet`) to switch to COUNT.
   * `SizeRestrictions_BODY` (which blocks bodies over 8 KB, far below a long prompt) is always
   * counted, not blocked: this construct's own body-size rule replaces it. Prompts that quote
   * HTML or scripts can trip `CrossSiteScripting_BODY`; count it here if your tenants send such
   * prompts, and say why in your review.
   *
   * @default - only `SizeRestrictions_BODY` is counted
   */
  readonly countedCommonRules?: string[];

  /**
   * KMS key for the WAF log group.
   * @default - the log group is encrypted with a new KMS key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long WAF logs are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the WAF log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An AWS WAF web ACL for the gateway's REST API stage: the AWS managed Core and Known bad inputs
 * rule groups, a rate-based rule per client IP, a request body size limit, and logging to a
 * KMS-encrypted CloudWatch log group with the `Authorization` header redacted.
 *
 * @example
 * const acl = new GatewayWebAcl(this, 'Waf', { rateLimitPerIp: 3000, maxBodyBytes: 65536 });
 * acl.associate('Api', api.deploymentStage.stageArn);
 */
export class GatewayWebAcl extends Construct {
  /** The web ACL's ARN. */
  public readonly webAclArn: string;
  /** The log group that receives the web ACL's logs (its name starts with `aws-waf-logs-`). */
  public readonly logGroup: logs.ILogGroup;
  /** The underlying L1 web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: GatewayWebAclProps = {}) {
    super(scope, id);
    const rateLimit = props.rateLimitPerIp ?? 6000;
    const windowSeconds = (props.rateLimitWindow ?? Duration.minutes(5)).toSeconds();
    const maxBodyBytes = props.maxBodyBytes ?? 65536;
    validate(this, rateLimit, windowSeconds, maxBodyBytes);

    const inspectedBytes = Math.min(maxBodyBytes, 64 * 1024);
    const inspectionLimitKb = INSPECTION_LIMITS_KB.find((kb) => kb * 1024 >= inspectedBytes) ?? 64;
    const counted = [...new Set(['SizeRestrictions_BODY', ...(props.countedCommonRules ?? [])])];
    const metricName = (name: string) => `${Names.uniqueResourceName(this, { maxLength: 100 })}-${name}`;
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: metricName(name),
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        statement: {
          rateBasedStatement: { aggregateKeyType: 'IP', limit: rateLimit, evaluationWindowSec: windowSeconds },
        },
        action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'rate_limited' } } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      {
        name: 'MaxBodySize',
        priority: 1,
        statement: {
          sizeConstraintStatement: {
            fieldToMatch: { body: { oversizeHandling: maxBodyBytes >= inspectionLimitKb * 1024 ? 'CONTINUE' : 'MATCH' } },
            comparisonOperator: 'GT',
            size: inspectedBytes,
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
        action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: 'too_large' } } },
        visibilityConfig: visibility('MaxBodySize'),
      },
      managedRuleGroup('AWSManagedRulesCommonRuleSet', 2, visibility('CommonRuleSet'), counted),
      managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 3, visibility('KnownBadInputs'), []),
    ];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'cdk-ai-gateway: managed rules, per-IP rate limit and body size limit for the gateway API',
      rules,
      visibilityConfig: visibility('WebAcl'),
      associationConfig: {
        requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: `KB_${inspectionLimitKb}` } },
      },
      customResponseBodies: {
        rate_limited: openAiErrorBody('Too many requests from this client address; slow down and retry later.', 'rate_limit_exceeded'),
        too_large: openAiErrorBody(`Request body exceeds ${maxBodyBytes} bytes.`, 'request_too_large'),
      },
    });
    this.webAclArn = this.webAcl.attrArn;

    const stack = Stack.of(this);
    // AWS WAF delivers only to log groups whose name starts with aws-waf-logs-.
    const logGroupName = `aws-waf-logs-${Names.uniqueResourceName(this, { maxLength: 400 })}`;
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const { logGroup } = encryptedLogGroup(this, 'Logs', {
      key: props.encryptionKey,
      keyId: 'LogKey',
      purpose: 'the gateway WAF logs',
      logGroupName,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.logGroup = logGroup;
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [logGroupArn],
      // Tenant keys must never reach a log in clear.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
    // The destination ARN is built from the name, so the order has to be stated.
    logging.node.addDependency(logGroup);
  }

  /**
   * Associates the web ACL with an API Gateway stage (or any regional resource WAF protects).
   *
   * @param id construct id of the association
   * @param resourceArn the stage ARN, e.g. `api.deploymentStage.stageArn`
   */
  public associate(id: string, resourceArn: string): wafv2.CfnWebACLAssociation {
    return new wafv2.CfnWebACLAssociation(this, id, { resourceArn, webAclArn: this.webAclArn });
  }
}

function managedRuleGroup(
  name: string,
  priority: number,
  visibilityConfig: wafv2.CfnWebACL.VisibilityConfigProperty,
  countedRules: string[],
): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ruleActionOverrides: countedRules.length
          ? countedRules.map((rule) => ({ name: rule, actionToUse: { count: {} } }))
          : undefined,
      },
    },
    visibilityConfig,
  };
}

function openAiErrorBody(message: string, code: string): wafv2.CfnWebACL.CustomResponseBodyProperty {
  return {
    contentType: 'APPLICATION_JSON',
    content: JSON.stringify({ error: { message, type: 'invalid_request_error', code, param: null } }),
  };
}

function validate(scope: Construct, rateLimit: number, windowSeconds: number, maxBodyBytes: number): void {
  if (!Token.isUnresolved(rateLimit) && (!Number.isInteger(rateLimit) || rateLimit < 10 || rateLimit > 2_000_000_000)) {
    throw new AiGatewayValidationError(`rateLimitPerIp must be an integer between 10 and 2000000000, received ${rateLimit}.`, scope);
  }
  if (!RATE_WINDOWS_SECONDS.includes(windowSeconds)) {
    throw new AiGatewayValidationError(
      `rateLimitWindow must be one of ${RATE_WINDOWS_SECONDS.join(', ')} seconds, received ${windowSeconds} seconds.`, scope);
  }
  if (!Token.isUnresolved(maxBodyBytes) && (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 10 * 1024 * 1024)) {
    throw new AiGatewayValidationError(
      `maxBodyBytes must be an integer between 1024 and 10485760 (API Gateway's payload limit), received ${maxBodyBytes}.`, scope);
  }
}
