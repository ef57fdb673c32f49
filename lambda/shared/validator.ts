import { GatewayConfig } from './config';
import { crossCheck } from './cross-checks';
import { GATEWAY_CONFIG_SCHEMA } from './schema';
import { toJsonSchema, validateNode } from './schema-dsl';
import { GatewayConfigError } from './config-error';

/**
 * Validates a gateway configuration: its shape (types, allowed values, unknown properties, sizes)
 * and its cross-references (routes name existing targets, tenants name existing aliases, every
 * target's model has a price, no duplicate ids). The construct library validates at synth, the
 * router again at cold start; both use these methods.
 */
export class GatewayConfigValidator {
  /**
   * Returns every problem of `value` as a gateway configuration, each message naming the field,
   * the value received and what is allowed; an empty list when it is valid.
   *
   * @example
   * const problems = GatewayConfigValidator.check(JSON.parse(text));
   * if (problems.length > 0) console.error(problems.join('\n'));
   */
  public static check(value: unknown): string[] {
    const issues: string[] = [];
    validateNode(GATEWAY_CONFIG_SCHEMA, value, '', issues);
    if (issues.length === 0) crossCheck(value as GatewayConfig, issues);
    return issues;
  }

  /**
   * Returns `value` typed as a gateway configuration if it is valid; throws a `GatewayConfigError`
   * listing every problem otherwise.
   *
   * @example
   * const config = GatewayConfigValidator.validate(JSON.parse(readFileSync(path, 'utf8')));
   */
  public static validate(value: unknown): GatewayConfig {
    const issues = GatewayConfigValidator.check(value);
    if (issues.length > 0) throw new GatewayConfigError(issues);
    return value as GatewayConfig;
  }

  /**
   * The JSON Schema (draft 2020-12) of the configuration document, derived from the same
   * description as the validator. Cross-references are not expressible in it; `check` covers them.
   *
   * @example
   * writeFileSync('gateway-config.schema.json', JSON.stringify(GatewayConfigValidator.jsonSchema(), null, 2));
   */
  public static jsonSchema(): { [key: string]: unknown } {
    return {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'cdk-ai-gateway configuration',
      ...toJsonSchema(GATEWAY_CONFIG_SCHEMA),
    };
  }

  private constructor() {}
}
