import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnResource } from 'aws-cdk-lib';
import { NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { CompliancePack } from './compliance-pack';
import { GATEWAY_RULES } from './rules';

/**
 * cdk-ai-gateway's own rule pack: checks for gaps the cdk-nag packs and the Control Tower rules
 * leave, as a cdk-nag 3 `NagPack`. Its findings read `AiGateway-<Rule>` (with `[<finding>]` for
 * rules that report several) and are acknowledged like any cdk-nag finding.
 *
 * `GatewayCompliance.addPacks()` registers it with the other packs; add it on its own with
 * `Validations.of(app).addPlugins(new AiGatewayChecks(app))`.
 *
 * Rules: `AiGateway-BedrockModelAccessScoped` (identity policies grant Bedrock model invocation
 * with named actions on named models and inference profiles), `AiGateway-EksPrivateEndpoint` (the
 * EKS API endpoint is private), `AiGateway-EksControlPlaneLogging` (all five control-plane log
 * types), `AiGateway-EksSecretsEncryption` (Kubernetes secrets encrypted with a KMS key).
 */
export class AiGatewayChecks extends NagPack {
  /** The plugin name, and the prefix of the pack's rule ids. */
  public readonly name: string = CompliancePack.AI_GATEWAY;

  /** The version of cdk-ai-gateway that defines the rules. */
  public readonly version?: string = packageVersion();

  /**
   * @param scope the app, needed only for `writeSuppressionsToCloudFormation`
   * @param props cdk-nag pack options
   */
  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = CompliancePack.AI_GATEWAY;
  }

  protected checkResource(node: CfnResource): void {
    for (const rule of GATEWAY_RULES) {
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: rule.explanation,
        level: rule.level,
        rule: (resource: CfnResource) => rule.check(resource),
        node,
      });
    }
  }
}

function packageVersion(): string | undefined {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null ? (pkg as Record<string, unknown>).version : undefined;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
