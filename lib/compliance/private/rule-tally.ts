import { CfnResource } from 'aws-cdk-lib';
import { IApplyRule, NagRuleCompliance, NagRuleResult } from 'cdk-nag';

/** What a pack's rules did, counted over every (rule, resource) check of one synthesis. */
export interface RuleCounts {
  /** Distinct rules the pack applied. */
  readonly rulesEvaluated: number;
  /** Rules that judged at least one resource (not only `N/A`). */
  readonly rulesApplicable: number;
  /** Applicable rules every judged resource passed. */
  readonly rulesPassed: number;
  /** Rules with at least one non-compliant resource or a rule error. */
  readonly rulesWithFindings: number;
  /** (rule, resource) checks that were compliant. */
  readonly checksCompliant: number;
  /** (rule, resource) checks that were non-compliant or threw. */
  readonly checksNonCompliant: number;
}

interface Counts {
  compliant: number;
  nonCompliant: number;
  notApplicable: number;
  errors: number;
}

/**
 * Counts the outcome of every rule check of a cdk-nag pack. cdk-nag 3 reports only violations, so
 * the report could not otherwise say how many checks passed; the tallied packs wrap each rule with
 * {@link RuleTally.wrap} and leave its result untouched.
 */
export class RuleTally {
  private readonly rules = new Map<string, Counts>();

  /** Forgets the previous synthesis. */
  public reset(): void {
    this.rules.clear();
  }

  /** `params` with a rule that records its result; the rule id and result are unchanged. */
  public wrap(packName: string, params: IApplyRule): IApplyRule {
    const original = params.rule;
    const ruleId = `${packName}-${params.ruleSuffixOverride ?? original.name}`;
    let counts = this.rules.get(ruleId);
    if (!counts) {
      counts = { compliant: 0, nonCompliant: 0, notApplicable: 0, errors: 0 };
      this.rules.set(ruleId, counts);
    }
    const tallied = counts;
    const rule = (node: CfnResource): NagRuleResult => {
      let result: NagRuleResult;
      try {
        result = original.call(params, node);
      } catch (e) {
        tallied.errors++;
        throw e;
      }
      if (Array.isArray(result)) {
        if (result.length > 0) tallied.nonCompliant++;
        else tallied.compliant++;
      } else if (result === NagRuleCompliance.NON_COMPLIANT) {
        tallied.nonCompliant++;
      } else if (result === NagRuleCompliance.COMPLIANT) {
        tallied.compliant++;
      } else {
        tallied.notApplicable++;
      }
      return result;
    };
    // cdk-nag names the rule after the function when there is no suffix override.
    Object.defineProperty(rule, 'name', { value: original.name });
    return { ...params, rule };
  }

  /** The counts so far. */
  public counts(): RuleCounts {
    let rulesApplicable = 0;
    let rulesPassed = 0;
    let rulesWithFindings = 0;
    let checksCompliant = 0;
    let checksNonCompliant = 0;
    for (const c of this.rules.values()) {
      const failed = c.nonCompliant + c.errors;
      if (c.compliant + failed > 0) rulesApplicable++;
      if (failed > 0) rulesWithFindings++;
      else if (c.compliant > 0) rulesPassed++;
      checksCompliant += c.compliant;
      checksNonCompliant += failed;
    }
    return { rulesEvaluated: this.rules.size, rulesApplicable, rulesPassed, rulesWithFindings, checksCompliant, checksNonCompliant };
  }
}
