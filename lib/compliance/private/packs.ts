import { CompliancePack } from '../compliance-pack';

/** Human names of the packs, for reports. */
export const PACK_TITLES: Readonly<Record<CompliancePack, string>> = {
  [CompliancePack.AWS_SOLUTIONS]: 'AWS Solutions (cdk-nag)',
  [CompliancePack.NIST_800_53_R5]: 'NIST 800-53 rev 5 (cdk-nag)',
  [CompliancePack.HIPAA_SECURITY]: 'HIPAA Security (cdk-nag)',
  [CompliancePack.PCI_DSS_321]: 'PCI DSS 3.2.1 (cdk-nag)',
  [CompliancePack.SERVERLESS]: 'Serverless (cdk-nag)',
  [CompliancePack.CONTROL_TOWER]: 'AWS Control Tower proactive controls (cfn-guard)',
  [CompliancePack.AI_GATEWAY]: 'cdk-ai-gateway rules',
};

/** Every pack, in report order. */
export const ALL_PACKS: readonly CompliancePack[] = [
  CompliancePack.AWS_SOLUTIONS,
  CompliancePack.NIST_800_53_R5,
  CompliancePack.HIPAA_SECURITY,
  CompliancePack.PCI_DSS_321,
  CompliancePack.SERVERLESS,
  CompliancePack.CONTROL_TOWER,
  CompliancePack.AI_GATEWAY,
];

/** The packs whose rule ids read `<pack>-<Rule>`: the cdk-nag packs and our own. */
export const NAG_PACKS: readonly CompliancePack[] = ALL_PACKS.filter((p) => p !== CompliancePack.CONTROL_TOWER);

/** Titles of plugins the harness does not register but reports when they find something. */
export const OTHER_PLUGIN_TITLES: Readonly<Record<string, string>> = {
  'CloudFormation Validate': 'CloudFormation template validation (aws-cdk-lib built-in)',
  'Construct Annotations': 'CDK construct annotations',
};
