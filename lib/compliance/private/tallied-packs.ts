import { readFileSync } from 'node:fs';
import { IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks, HIPAASecurityChecks, IApplyRule, NagPackProps, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks,
} from 'cdk-nag';
import { IConstruct } from 'constructs';
import { AiGatewayChecks } from '../ai-gateway-checks';
import { CompliancePack } from '../compliance-pack';
import { RuleTally } from './rule-tally';

/**
 * The cdk-nag packs, each subclassed only to count its rule outcomes (see `RuleTally`) and to
 * report its version. Rule ids, findings and acknowledgment handling are cdk-nag's own.
 */

const CDK_NAG_VERSION = readVersion(require.resolve('cdk-nag/package.json'));

function readVersion(packageJson: string): string | undefined {
  const pkg: unknown = JSON.parse(readFileSync(packageJson, 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null ? (pkg as Record<string, unknown>).version : undefined;
  return typeof version === 'string' ? version : undefined;
}

/** A registered pack plugin whose rule outcomes are counted. */
export interface TalliedPack {
  readonly plugin: IPolicyValidationPlugin;
  readonly tally: RuleTally;
}

class TalliedAwsSolutions extends AwsSolutionsChecks {
  public readonly version = CDK_NAG_VERSION;
  public readonly tally = new RuleTally();
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.tally.reset();
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.tally.wrap(this.readPackName, params));
  }
}

class TalliedNist80053R5 extends NIST80053R5Checks {
  public readonly version = CDK_NAG_VERSION;
  public readonly tally = new RuleTally();
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.tally.reset();
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.tally.wrap(this.readPackName, params));
  }
}

class TalliedHipaaSecurity extends HIPAASecurityChecks {
  public readonly version = CDK_NAG_VERSION;
  public readonly tally = new RuleTally();
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.tally.reset();
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.tally.wrap(this.readPackName, params));
  }
}

class TalliedPciDss321 extends PCIDSS321Checks {
  public readonly version = CDK_NAG_VERSION;
  public readonly tally = new RuleTally();
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.tally.reset();
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.tally.wrap(this.readPackName, params));
  }
}

class TalliedServerless extends ServerlessChecks {
  public readonly version = CDK_NAG_VERSION;
  public readonly tally = new RuleTally();
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.tally.reset();
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.tally.wrap(this.readPackName, params));
  }
}

class TalliedAiGateway extends AiGatewayChecks {
  public readonly tally = new RuleTally();
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.tally.reset();
    return super.validateScope(scope);
  }
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.tally.wrap(this.readPackName, params));
  }
}

/** A new counting instance of one of the nag packs (every pack except Control Tower). */
export function talliedNagPack(pack: CompliancePack, scope: IConstruct, props: NagPackProps): TalliedPack {
  const plugin = (() => {
    switch (pack) {
      case CompliancePack.AWS_SOLUTIONS: return new TalliedAwsSolutions(scope, props);
      case CompliancePack.NIST_800_53_R5: return new TalliedNist80053R5(scope, props);
      case CompliancePack.HIPAA_SECURITY: return new TalliedHipaaSecurity(scope, props);
      case CompliancePack.PCI_DSS_321: return new TalliedPciDss321(scope, props);
      case CompliancePack.SERVERLESS: return new TalliedServerless(scope, props);
      case CompliancePack.AI_GATEWAY: return new TalliedAiGateway(scope, props);
      default: throw new Error(`${pack} is not a cdk-nag pack`);
    }
  })();
  return { plugin, tally: plugin.tally };
}
