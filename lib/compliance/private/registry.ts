import { IConstruct } from 'constructs';
import { CompliancePack } from '../compliance-pack';
import { RuleTally } from './rule-tally';

/** A pack `GatewayCompliance.addPacks` registered. */
export interface PackRegistration {
  readonly pack: CompliancePack;
  readonly version?: string;
  /** Rule outcome counts, for the cdk-nag packs. */
  readonly tally?: RuleTally;
}

/** A Control Tower rule left out of the whole app, with its reason. */
export interface ExclusionRegistration {
  readonly controlId: string;
  readonly fileName: string;
  readonly ruleName: string;
  readonly reason: string;
}

/** What `GatewayCompliance.addPacks` set up on one App or Stage. */
export interface ComplianceRegistration {
  readonly packs: readonly PackRegistration[];
  readonly exclusions: readonly ExclusionRegistration[];
}

const registrations = new WeakMap<IConstruct, ComplianceRegistration>();

export function register(stage: IConstruct, registration: ComplianceRegistration): void {
  registrations.set(stage, registration);
}

export function registrationOf(stage: IConstruct): ComplianceRegistration | undefined {
  return registrations.get(stage);
}
