import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { OptionalPeer, requireOptionalPeer } from '../../private/optional-peer';
import { GUARD_PLUGIN_NAME } from './guard-catalog';

/**
 * `CfnGuardValidator` with the Control Tower rules, its violations marked `severity: 'error'`.
 *
 * Why: the validator reports violations without a severity. When any finding of a plugin is
 * acknowledged, aws-cdk-lib 2.276 recomputes the plugin's success as "no remaining violation has
 * severity error or fatal" — true for violations without one — so after the first Control Tower
 * acknowledgment `cdk synth` would stop failing on the remaining Control Tower findings. The report
 * file already renders a missing severity as `error`; this makes synthesis agree with it. Same
 * plugin name, so acknowledgment ids (`cdk-validator-cfnguard::<rule>`) are unchanged.
 */
export class ControlTowerPlugin implements IPolicyValidationPlugin {
  public readonly name = GUARD_PLUGIN_NAME;
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly validator: CfnGuardValidator;

  constructor(disabledRules: readonly string[]) {
    // An optional peer (36 MB with its cfn-guard binaries), loaded only when the pack is added.
    const validator = requireOptionalPeer<typeof import('@cdklabs/cdk-validator-cfnguard')>(
      OptionalPeer.CFN_GUARD_VALIDATOR, 'GatewayCompliance.addPacks with the Control Tower pack',
      'or pass packs without CompliancePack.CONTROL_TOWER');
    this.validator = new validator.CfnGuardValidator({ controlTowerRulesEnabled: true, disabledRules: [...disabledRules] });
    this.version = this.validator.version;
    this.ruleIds = this.validator.ruleIds;
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.validator.validate(context);
    return { ...report, violations: report.violations.map((v) => ({ ...v, severity: v.severity ?? 'error' })) };
  }
}
