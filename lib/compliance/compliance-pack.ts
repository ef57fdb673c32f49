/**
 * A rule pack the compliance harness can run. The value is the validation plugin's name, which is
 * also the prefix of its acknowledgment ids in the validation report (`AwsSolutions::...`).
 */
export enum CompliancePack {
  /** cdk-nag `AwsSolutionsChecks`: the AWS Solutions security matrix. */
  AWS_SOLUTIONS = 'AwsSolutions',
  /** cdk-nag `NIST80053R5Checks`: NIST 800-53 revision 5 controls. */
  NIST_800_53_R5 = 'NIST.800.53.R5',
  /** cdk-nag `HIPAASecurityChecks`: the HIPAA Security rule. */
  HIPAA_SECURITY = 'HIPAA.Security',
  /** cdk-nag `PCIDSS321Checks`: PCI DSS 3.2.1. */
  PCI_DSS_321 = 'PCI.DSS.321',
  /** cdk-nag `ServerlessChecks`: serverless best practices (Lambda, API Gateway, Step Functions, ...). */
  SERVERLESS = 'Serverless',
  /** `@cdklabs/cdk-validator-cfnguard`: the AWS Control Tower proactive controls, run by cfn-guard. */
  CONTROL_TOWER = 'cdk-validator-cfnguard',
  /** cdk-ai-gateway's own rules (`AiGatewayChecks`), for gaps the other packs leave. */
  AI_GATEWAY = 'AiGateway',
}
